//! The gateway's supervision tree.
//!
//! ```text
//! /gateway            root, one_for_one, default intensity (3 restarts in 10 s, then exit 1)
//! ├── monitor         supervisor: resource and monitoring actors
//! │   ├── resources   permits for agent runs (agents.maxConcurrentRuns), memory check
//! │   ├── sampler     system figures every sampleIntervalMs, the memory guard
//! │   ├── metrics     request and error rates
//! │   └── alerts      thresholds with hysteresis, alert webhook
//! ├── sessions        supervisor: one actor per live session, started on demand
//! ├── tools           supervisor: one temporary task per tool call, and the web cache janitor
//! ├── mcp             supervisor: one permanent task per enabled MCP server, restarted with
//! │                   backoff without limit
//! ├── runs            supervisor: one transient task per turn (agent runs)
//! ├── router          finds or starts session actors, evicts idle ones
//! ├── subagents       the sub-agent registry: children of sessions (sessions_spawn), their
//! │                   limits, timeouts and results announced to their parents
//! ├── channels        supervisor: one actor per enabled channel (whatsapp, telegram), restarted
//! │                   with backoff without limit
//! ├── cron            the job scheduler (cron jobs and the heartbeat), after the channels
//! ├── clients         supervisor: the control plane's ticker and one actor per WebSocket
//! │                   connection (temporary)
//! └── web             WebServer actor, started last so that it is stopped first
//! ```
//!
//! Children are independent, so one_for_one. The runs and tools supervisors never escalate (every
//! run caps its own attempts, every tool call ends as a result the model reads), so that a
//! provider outage or a misbehaving tool cannot take the gateway down. Tools start before runs so
//! that they stop after them: a run draining at shutdown can still finish its tool calls. The web actor is last: on shutdown it stops accepting and drains before the actors that
//! serve its requests are stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use pincer_actors::{
    ActorRef, Arbiters, Backoff, ChildSpec, Intensity, Registry, Reserved, RootHandle, Strategy,
    Supervisor, SupervisorSpec,
};

use std::path::PathBuf;

use crate::agent::resources::ResourceManager;
use crate::agent::Engine;
use crate::config::MonitoringConfig;
use crate::monitor::actors::{Alerter, MetricsRater, Sampler};
use crate::monitor::Monitor;
use crate::sessions::router::{RouterSettings, SessionRouter, SessionTable};
use crate::sessions::SessionServices;
use crate::web::{AppState, ServerSettings, WebServer};

/// Paths that must be running for `/readyz` to answer 200.
pub(crate) const REQUIRED: [&str; 7] = [
    "/gateway/monitor",
    "/gateway/sessions",
    "/gateway/tools",
    "/gateway/runs",
    "/gateway/router",
    "/gateway/channels",
    "/gateway/web",
];

/// The engine's actors before the engine exists: their addresses are known as soon as their
/// specs are (an `ActorRef` is handed out with its child spec), so the engine can be built with
/// them; [`Prepared::with_engine`] then adds the actors that need the engine. The router is one
/// of those, and the engine's session tools need its address: it is reserved here and its spec
/// written in `with_engine`.
pub(crate) struct Prepared {
    pub resources: ActorRef<ResourceManager>,
    pub runs: ActorRef<Supervisor>,
    pub sessions: ActorRef<Supervisor>,
    /// `/gateway/tools`, the supervisor of tool invocations.
    pub tools: ActorRef<Supervisor>,
    /// `/gateway/router`, running once the tree is started.
    pub router: ActorRef<SessionRouter>,
    /// The sub-agent records and `/gateway/subagents`, for the session tools (set once the
    /// registry's spec is made, before the toolbox).
    pub subagents: Option<crate::sessions::subagents::Subagents>,
    router_slot: Reserved<SessionRouter>,
    resources_spec: ChildSpec,
    sessions_spec: ChildSpec,
    tools_spec: ChildSpec,
    runs_spec: ChildSpec,
    monitor: MonitorParts,
}

/// Every long-lived actor's spec and address, ready to start.
pub(crate) struct Addresses {
    pub runs: ActorRef<Supervisor>,
    pub sessions: ActorRef<Supervisor>,
    pub router: ActorRef<SessionRouter>,
    specs: Specs,
}

struct Specs {
    monitor: ChildSpec,
    sessions: ChildSpec,
    tools: ChildSpec,
    runs: ChildSpec,
    router: ChildSpec,
}

/// The running tree.
pub struct Tree {
    pub root: RootHandle,
    pub sessions: ActorRef<Supervisor>,
    pub runs: ActorRef<Supervisor>,
    pub channels: ActorRef<Supervisor>,
    pub router: ActorRef<SessionRouter>,
    pub web: ActorRef<WebServer>,
}

/// What the monitor's actors need.
pub(crate) struct MonitorParts {
    pub monitor: Arc<Monitor>,
    pub config: MonitoringConfig,
    pub state_dir: PathBuf,
    pub memory_limit_mb: u64,
}

/// Creates the specs of the actors the engine needs (not started yet); `tool_children` are the
/// static children of `/gateway/tools` (the web cache janitor).
pub(crate) fn prepare(
    max_concurrent_runs: u32,
    parts: MonitorParts,
    tool_children: Vec<ChildSpec>,
) -> Prepared {
    let (resources_spec, resources) = {
        let shedding = parts.monitor.shedding_flag();
        ChildSpec::actor_with_capacity("resources", "resources", 0, move |cx| {
            ResourceManager::new(cx.clone(), max_concurrent_runs, Arc::clone(&shedding))
        })
    };
    let (sessions_spec, sessions) = SupervisorSpec::new(Strategy::OneForOne).into_child("sessions");
    let (tools_spec, tools) =
        crate::agent::tools::invoke::supervisor_spec(tool_children).into_child("tools");
    let (runs_spec, runs) = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(Intensity {
            max_restarts: u32::MAX,
            period: Duration::from_secs(1),
        })
        .backoff(Backoff {
            min: Duration::from_millis(200),
            max: Duration::from_secs(8),
            random_factor: 0.2,
            reset_after: Duration::from_secs(30),
        })
        .into_child("runs");
    // Every chat request asks the router first: a deep mailbox absorbs bursts of new sessions.
    let router_slot = Reserved::new(4096);
    Prepared {
        resources,
        runs,
        sessions,
        tools,
        router: router_slot.actor_ref().clone(),
        subagents: None,
        router_slot,
        resources_spec,
        sessions_spec,
        tools_spec,
        runs_spec,
        monitor: parts,
    }
}

impl Prepared {
    /// Adds the router (which serves the engine's sessions, their turns run by the engine) and
    /// the monitor's actors (whose memory guard talks to the router).
    pub(crate) fn with_engine(
        self,
        engine: &Arc<Engine>,
        router: RouterSettings,
        arbiters: Arc<Arbiters>,
    ) -> Addresses {
        let MonitorParts {
            monitor,
            config,
            state_dir,
            memory_limit_mb,
        } = self.monitor;
        let table: SessionTable = SessionTable::default();
        let router_ref = self.router;
        let router_spec = {
            let sessions = self.sessions.clone();
            let services = Arc::new(SessionServices {
                store: Arc::clone(&engine.store),
                runs: self.runs.clone(),
                runner: Arc::clone(engine) as _,
                arbiters,
            });
            self.router_slot.into_spec("router", "router", move |cx| {
                SessionRouter::new(
                    cx.clone(),
                    Arc::clone(&services),
                    sessions.clone(),
                    Arc::clone(&table),
                    router.clone(),
                )
            })
        };
        let (sampler_spec, _) = {
            let (monitor, config, router) =
                (Arc::clone(&monitor), config.clone(), router_ref.clone());
            ChildSpec::actor("sampler", "monitor", move |cx| {
                Sampler::new(
                    cx.clone(),
                    Arc::clone(&monitor),
                    state_dir.clone(),
                    &config,
                    memory_limit_mb,
                    router.clone(),
                )
            })
        };
        let (rater_spec, _) = {
            let (monitor, config) = (Arc::clone(&monitor), config.clone());
            ChildSpec::actor("metrics", "monitor", move |_| {
                MetricsRater::new(Arc::clone(&monitor), &config)
            })
        };
        let (alerter_spec, _) = ChildSpec::actor("alerts", "monitor", move |cx| {
            Alerter::new(cx.clone(), Arc::clone(&monitor), &config)
        });
        let (monitor, _) = SupervisorSpec::new(Strategy::OneForOne)
            .child(self.resources_spec)
            .child(sampler_spec)
            .child(rater_spec)
            .child(alerter_spec)
            .into_child("monitor");
        Addresses {
            runs: self.runs,
            sessions: self.sessions,
            router: router_ref,
            specs: Specs {
                monitor,
                sessions: self.sessions_spec,
                tools: self.tools_spec,
                runs: self.runs_spec,
                router: router_spec,
            },
        }
    }
}

/// The actors that face the outside: one per enabled channel, and `/gateway/clients` (the
/// WebSocket control plane).
pub(crate) struct OuterSpecs {
    pub channels: Vec<ChildSpec>,
    pub clients: ChildSpec,
    /// `/gateway/subagents`, the sub-agent registry (started after the router it submits to).
    pub subagents: ChildSpec,
    /// `/gateway/mcp`, the MCP servers' actors.
    pub mcp: ChildSpec,
    /// `/gateway/cron`, the job scheduler: after the channels it delivers through, so it
    /// stops before them.
    pub cron: ChildSpec,
}

/// Starts the tree on the current actix arbiter.
pub(crate) fn start(
    registry: &Registry,
    addresses: Addresses,
    outer: OuterSpecs,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: web::Data<AppState>,
    settings: ServerSettings,
) -> Tree {
    let Addresses {
        runs,
        sessions,
        router,
        specs,
        ..
    } = addresses;
    // A channel that keeps failing (its platform down, a bad token) must not take the gateway
    // down: it is restarted with backoff for as long as it takes, like runs.
    let mut channels_spec = SupervisorSpec::new(Strategy::OneForOne).intensity(Intensity {
        max_restarts: u32::MAX,
        period: Duration::from_secs(1),
    });
    let OuterSpecs {
        channels: channel_specs,
        clients: clients_spec,
        subagents: subagents_spec,
        mcp: mcp_spec,
        cron: cron_spec,
    } = outer;
    for spec in channel_specs {
        channels_spec = channels_spec.child(spec);
    }
    let (channels_spec, channels) = channels_spec.into_child("channels");
    let listener = Arc::new(listener);
    let (web_spec, web) = ChildSpec::actor("web", "web", move |cx| {
        WebServer::new(
            cx.clone(),
            Arc::clone(&listener),
            tls.clone(),
            state.clone(),
            settings,
        )
    });
    let web_spec = web_spec.shutdown_timeout(settings.graceful_timeout + Duration::from_secs(5));
    let root_spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(specs.monitor)
        .child(specs.sessions)
        .child(specs.tools)
        .child(mcp_spec)
        .child(specs.runs)
        .child(specs.router)
        .child(subagents_spec)
        .child(channels_spec)
        .child(cron_spec)
        .child(clients_spec)
        .child(web_spec);
    let root = RootHandle::start(registry, "gateway", root_spec);
    Tree {
        root,
        sessions,
        runs,
        channels,
        router,
        web,
    }
}
