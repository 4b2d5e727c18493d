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
//! ├── runs            supervisor: one transient task per turn (agent runs)
//! ├── router          finds or starts session actors, evicts idle ones
//! ├── channels        supervisor: one actor per channel account
//! └── web             WebServer actor, started last so that it is stopped first
//! ```
//!
//! Children are independent, so one_for_one. The runs supervisor never escalates (every run caps
//! its own attempts), so that a provider outage failing many runs at once cannot take the gateway
//! down. The web actor is last: on shutdown it stops accepting and drains before the actors that
//! serve its requests are stopped.

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::web;
use pincer_actors::{
    ActorRef, Backoff, ChildSpec, Intensity, Registry, RootHandle, Strategy, Supervisor,
    SupervisorSpec,
};

use std::path::PathBuf;

use crate::agent::resources::ResourceManager;
use crate::agent::Engine;
use crate::config::MonitoringConfig;
use crate::monitor::actors::{Alerter, MetricsRater, Sampler};
use crate::monitor::Monitor;
use crate::sessions::router::{RouterSettings, SessionRouter, SessionTable};
use crate::web::{AppState, ServerSettings, WebServer};

/// Paths that must be running for `/readyz` to answer 200.
pub const REQUIRED: [&str; 6] = [
    "/gateway/monitor",
    "/gateway/sessions",
    "/gateway/runs",
    "/gateway/router",
    "/gateway/channels",
    "/gateway/web",
];

/// The addresses of the tree's long-lived actors, known before it starts (an `ActorRef` is handed
/// out with its child spec), so that the engine and the web state can be built first.
pub struct Addresses {
    pub resources: ActorRef<ResourceManager>,
    pub runs: ActorRef<Supervisor>,
    pub sessions: ActorRef<Supervisor>,
    pub router: ActorRef<SessionRouter>,
    specs: Specs,
}

struct Specs {
    monitor: ChildSpec,
    sessions: ChildSpec,
    runs: ChildSpec,
    router: ChildSpec,
    engine_slot: Arc<OnceLock<Arc<Engine>>>,
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
pub struct MonitorParts {
    pub monitor: Arc<Monitor>,
    pub config: MonitoringConfig,
    pub state_dir: PathBuf,
    pub memory_limit_mb: u64,
}

/// Creates the specs of the engine's and the monitor's actors (not started yet).
pub fn prepare(max_concurrent_runs: u32, router: RouterSettings, parts: MonitorParts) -> Addresses {
    let MonitorParts {
        monitor,
        config,
        state_dir,
        memory_limit_mb,
    } = parts;
    let (resources_spec, resources) = {
        let monitor = Arc::clone(&monitor);
        ChildSpec::actor_with_capacity("resources", "resources", 0, move |cx| {
            ResourceManager::new(cx.clone(), max_concurrent_runs, Arc::clone(&monitor))
        })
    };
    let (sessions_spec, sessions) = SupervisorSpec::new(Strategy::OneForOne).into_child("sessions");
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
    // The router is built with the engine, which needs the addresses above: it is filled in by
    // `start` before the tree (and so the router's factory) runs.
    let engine_slot: Arc<OnceLock<Arc<Engine>>> = Arc::new(OnceLock::new());
    let table: SessionTable = SessionTable::default();
    let (router_spec, router_ref) = {
        let engine_slot = Arc::clone(&engine_slot);
        let sessions = sessions.clone();
        // Every chat request asks the router first: a deep mailbox absorbs bursts of new sessions.
        ChildSpec::actor_with_capacity("router", "router", 4096, move |cx| {
            let engine = engine_slot
                .get()
                .cloned()
                .expect("the engine is set before the tree starts");
            SessionRouter::new(
                cx.clone(),
                engine,
                sessions.clone(),
                Arc::clone(&table),
                router.clone(),
            )
        })
    };
    let (sampler_spec, _) = {
        let (monitor, config, router) = (Arc::clone(&monitor), config.clone(), router_ref.clone());
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
        .child(resources_spec)
        .child(sampler_spec)
        .child(rater_spec)
        .child(alerter_spec)
        .into_child("monitor");
    Addresses {
        resources,
        runs,
        sessions,
        router: router_ref,
        specs: Specs {
            monitor,
            sessions: sessions_spec,
            runs: runs_spec,
            router: router_spec,
            engine_slot,
        },
    }
}

/// Starts the tree on the current actix arbiter.
pub fn start(
    registry: &Registry,
    addresses: Addresses,
    engine: Arc<Engine>,
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
    let _ = specs.engine_slot.set(engine);
    let (channels_spec, channels) = SupervisorSpec::new(Strategy::OneForOne).into_child("channels");
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
        .child(specs.runs)
        .child(specs.router)
        .child(channels_spec)
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
