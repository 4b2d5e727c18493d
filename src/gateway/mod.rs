//! `pincer gateway`: start-up, serving, and ordered shutdown.
//!
//! Start-up order, each step failing with its own clear error and exit code:
//! paths → config (+ CLI flags, re-validated; exit 78) → the process hardened (secret variables
//! erased from `/proc/self/environ`, not dumpable: [`hardening`]) → state directory → credential (generated
//! token on zero-config start) → single-instance lock (exit 69) → listening socket (exit 69 when
//! the port is taken) → supervision tree → runtime file → banner. Then it waits for SIGTERM/SIGINT
//! (or for the tree to give up), marks itself not ready, stops the tree in reverse order (the web
//! actor first: stop accepting, drain), removes the runtime file and exits 0.

pub(crate) mod bind;
pub(crate) mod hardening;
pub(crate) mod instance;
pub(crate) mod notify;
mod running;
pub(crate) mod safe_mode;
pub(crate) mod tailscale;
mod toolbox;
pub(crate) mod tree;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use futures_util::future::{select, Either};
use pincer_actors::{Arbiters, Registry};
use tracing::{info, warn};

use crate::agent::failover::Cooldowns;
use crate::agent::tools::ToolRegistry;
use crate::agent::{Engine, RunSettings};
use crate::api::{Operator, OperatorParts, Readiness};
use crate::config::{
    self, load_config, AuthMode, Config, ConfigError, GatewayOptions, LoadedConfig,
};
use crate::exit;
use crate::monitor::Monitor;
use crate::paths::{Paths, PathsError};
use crate::providers::catalog::ProviderCatalog;
use crate::sessions::router::RouterSettings;
use crate::sessions::SessionStore;
use crate::web::auth::AuthGate;
use crate::web::{AppState, ServerSettings};

use self::instance::{InstanceError, InstanceGuard};
use self::toolbox::{gateway_walls, toolbox, CronBus};
use crate::config::credentials::{self, Credential, CredentialError, CredentialOrigin};
use crate::runtime_file::RuntimeInfo;

/// Everything that can stop the gateway from starting.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Paths(#[from] PathsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Instance(#[from] InstanceError),
    #[error(transparent)]
    Bind(#[from] bind::BindError),
    #[error("cannot listen on {addr}: the port is already in use; is another gateway running (`pincer health`)? Choose another port with --port or gateway.port")]
    PortInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tailscale(#[from] tailscale::TailscaleError),
    #[error(transparent)]
    Store(#[from] crate::sessions::StoreError),
    #[error("cannot start the actor system: {0}")]
    Runtime(std::io::Error),
    #[error("the supervision tree gave up: {0}")]
    TreeFailed(String),
    #[error(transparent)]
    Channels(#[from] crate::channels::hub::ChannelsError),
}

impl GatewayError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            GatewayError::Config(_) => exit::CONFIG,
            GatewayError::Instance(InstanceError::AlreadyRunning { .. })
            | GatewayError::PortInUse { .. }
            | GatewayError::Tailscale(_)
            | GatewayError::Bind(_) => exit::UNAVAILABLE,
            _ => exit::FAILURE,
        }
    }
}

/// Runs the gateway until a signal; the `Ok` value is the exit code.
pub fn run(options: GatewayOptions) -> Result<i32, GatewayError> {
    let paths = Paths::resolve(options.config_path.as_deref())?;
    let loaded = load_config(&paths, &options)?;
    // Still the only thread: the environment may be rewritten (see `hardening`).
    let erased = hardening::erase_secret_environment(&api_key_variables(&loaded.config));
    let undumpable = hardening::forbid_dumping();
    let tls = crate::net::tls::server_config(&loaded.config.gateway.ssl).map_err(|error| {
        ConfigError::Invalid {
            path: paths.config_file.clone(),
            problems: vec![error.to_problem()],
        }
    })?;
    paths.ensure_state_dir()?;
    // Moved into the actix system below; dropped when it ends, which flushes the file writer.
    let mut logs =
        crate::logging::init_gateway(&loaded.config.logging, &paths.state_dir, options.verbose);
    tracing::info!(
        erased = ?erased,
        undumpable,
        "secret variables erased from /proc/self/environ; process not dumpable"
    );
    let credential = credentials::resolve(&loaded.config, &paths.token_file())?;
    let guard =
        InstanceGuard::acquire(&paths.lock_file(), &paths.runtime_file(), &paths.state_dir)?;
    let ip = bind::resolve(loaded.config.gateway.bind)?;
    let addr = SocketAddr::new(ip, loaded.config.gateway.port);
    let listener = TcpListener::bind(addr).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => GatewayError::PortInUse { addr },
        _ => GatewayError::Listen { addr, source },
    })?;
    let local = listener
        .local_addr()
        .map_err(|source| GatewayError::Listen { addr, source })?;
    // Held until the gateway has stopped, so that `resetOnExit` unpublishes it last.
    let exposure = tailscale::expose(&loaded.config.gateway.tailscale, local.port())?;

    // Only starts that got this far count for the crash-loop breaker.
    let ledger = safe_mode::StartLedger::begin(&paths.state_dir);
    let system = actix::System::new();
    system.block_on(async move {
        logs.start_shipping();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let running = start(StartParts {
            safe_mode: ledger.safe_mode.clone(),
            config: &loaded.config,
            credential: &credential,
            listener,
            tls,
            state_dir: &paths.state_dir,
            config_file: Some(&paths.config_file),
            tools: ToolRegistry::default(),
        })?;
        let url = format!(
            "{scheme}://{}",
            SocketAddr::new(bind::local_connect_ip(local.ip()), local.port())
        );
        guard.publish(&RuntimeInfo {
            pid: std::process::id(),
            url: url.clone(),
            listen: local.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at_ms: crate::clock::now_ms(),
        })?;
        print_banner(&url, &paths, &loaded, &credential);
        if let Some(reason) = &ledger.safe_mode {
            warn!(%reason, "SAFE MODE");
        }
        notify::ready(&format!("listening on {url}"));
        running.keep_watchdog_fed();
        let outcome = running.serve_until_signal().await;
        if matches!(outcome, Ok(code) if code == exit::OK) {
            ledger.end_cleanly();
        }
        logs.finish().await;
        drop(guard);
        drop(exposure);
        outcome
    })
}

/// The variables the config names as holding provider keys (`models.providers.*.apiKeyEnv`).
fn api_key_variables(config: &Config) -> Vec<String> {
    config
        .models
        .providers
        .values()
        .filter_map(|provider| provider.api_key_env.clone())
        .collect()
}

/// A gateway running inside the current actix system.
pub struct RunningGateway {
    pub registry: Registry,
    pub state: web::Data<AppState>,
    pub engine: Arc<Engine>,
    pub tree: tree::Tree,
    /// The engine threads (`engine.threads`), stopped after the tree.
    pub arbiters: Arc<Arbiters>,
}

/// What [`start`] needs beyond the config: the credential, the socket, TLS, where the state
/// lives, and extra tools beside the built-ins (tests add their own).
pub struct StartParts<'a> {
    /// The crash-loop breaker's reason, when this start runs in safe mode.
    pub safe_mode: Option<String>,
    pub config: &'a Config,
    pub credential: &'a Credential,
    pub listener: TcpListener,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub state_dir: &'a std::path::Path,
    /// The config file, protected from the tools with the state directory (`None`: only the
    /// state directory is).
    pub config_file: Option<&'a std::path::Path>,
    /// Registered after the built-ins (a same-named tool replaces the built-in).
    pub tools: ToolRegistry,
}

/// Starts the engine, the supervision tree and the web actor. Must be called inside an actix
/// system. Integration tests use it to run a gateway in-process.
pub fn start(parts: StartParts<'_>) -> Result<RunningGateway, GatewayError> {
    let StartParts {
        safe_mode,
        config,
        credential,
        listener,
        tls,
        state_dir,
        config_file,
        tools,
    } = parts;
    let registry = Registry::default();
    let store = Arc::new(
        SessionStore::open(&state_dir.join("agents").join("main").join("sessions"))?
            .with_history_turns(config.session.history_turns)
            .with_history_cache(u64::from(config.session.history_cache_mb.max(1)) << 20)
            .with_retention(crate::sessions::Retention {
                days: config.session.retention_days,
                max_stored: config.session.max_stored,
            }),
    );
    // API keys come from the environment, then the secrets file, as the config's overrides did.
    let environment = config::Environment::load(&config::secrets_path(state_dir))?;
    let catalog = ProviderCatalog::from_config(&config.models, &|name| environment.get(name));
    let walls = gateway_walls(config, state_dir, config_file);
    let memory = Arc::new(crate::agent::memory::MemoryService::from_config(
        config,
        state_dir,
        crate::config::workspace::workspace_dir(config, state_dir),
        &catalog,
        Arc::new(walls.clone()),
    ));
    let mut builtins = crate::agent::tools::builtin::build(config, state_dir, Arc::clone(&memory));
    // The skills are read once now; the poller under /gateway/tools reloads them on change.
    let skills = Arc::new(crate::agent::skills::SkillCatalog::load(
        crate::agent::skills::SkillInputs::from_config(config, state_dir),
    ));
    builtins.children.push(skills.poller_spec());
    let monitor = Arc::new(Monitor::default());
    let mut prepared = tree::prepare(
        config.agents.max_concurrent_runs,
        tree::MonitorParts {
            monitor: Arc::clone(&monitor),
            config: config.monitoring.clone(),
            state_dir: state_dir.to_path_buf(),
            memory_limit_mb: config.agents.memory_limit,
        },
        std::mem::take(&mut builtins.children),
    );
    // The channels before the engine: their actors' addresses exist as soon as their specs do,
    // and the `message` tool sends through them (the router's address is reserved already).
    let (channels, channel_specs) = crate::channels::hub::Channels::build(
        config,
        state_dir,
        &prepared.router,
        safe_mode.is_none(),
    )?;
    let subagent_book = Arc::new(crate::sessions::subagents::SubagentBook::open(store.dir()));
    let (subagents_spec, subagent_registry) = crate::sessions::subagents::spec(
        Arc::clone(&subagent_book),
        prepared.router.clone(),
        Some(channels.chat_sender()),
        crate::sessions::subagents::RegistrySettings {
            limits: (&config.agents.defaults.subagents).into(),
            default_model: config.agents.defaults.subagents.model.clone(),
            default_timeout_seconds: config.agents.defaults.subagents.run_timeout_seconds,
        },
    );
    let subagents = crate::sessions::subagents::Subagents {
        book: subagent_book,
        registry: subagent_registry,
    };
    prepared.subagents = Some(subagents.clone());
    // MCP servers: the hub is shared by the toolbox (their tools) and `/gateway/mcp`.
    let mcp = Arc::new(crate::agent::tools::mcp::McpHub::new(
        &config.mcp,
        config
            .models
            .providers
            .values()
            .filter_map(|p| p.api_key_env.clone())
            .collect(),
    ));
    let mcp_spec = crate::agent::tools::mcp::server::supervisor_spec(&mcp)
        .into_child("mcp")
        .0;
    let (control, clients_spec) =
        crate::control::ControlPlane::new(crate::control::Limits::default());
    let (cron_spec, cron_scheduler) = crate::agent::cron::spec(
        config,
        state_dir,
        prepared.router.clone(),
        Some(channels.chat_sender()),
        Some(Arc::new(CronBus(control.bus.clone()))),
    );
    let mut tools = tools;
    tools.register(crate::agent::cron::tool(config, cron_scheduler.clone()));
    let toolbox = toolbox(config, state_dir, walls, &store, builtins, tools, &prepared)
        .with_chat_sender(channels.chat_sender())
        .with_skills(skills)
        .with_mcp(mcp);
    let engine = Arc::new(Engine {
        store,
        catalog,
        cooldowns: Cooldowns::default(),
        tools: toolbox,
        settings: RunSettings::from_config(config),
        media: crate::agent::media::MediaStage::new(config.media.clone(), state_dir),
        memory,
        resources: prepared.resources.clone(),
        stats: Arc::clone(&monitor.metrics.turns),
    });
    let arbiters = Arc::new(Arbiters::start(config.engine.thread_count()));
    info!(threads = arbiters.len(), "engine threads started");
    let addresses = prepared.with_engine(
        &engine,
        RouterSettings {
            cache_size: usize::try_from(config.agents.session_cache_size.max(1))
                .unwrap_or(usize::MAX),
            idle: Duration::from_secs(config.session.idle_minutes.max(1) * 60),
            queue: config.messages.queue.clone(),
        },
        Arc::clone(&arbiters),
    );
    let mut required: Vec<String> = tree::REQUIRED.iter().map(|p| p.to_string()).collect();
    if safe_mode.is_none() {
        required.extend(channels.paths());
    }
    if let Some(skills) = engine.tools.skills() {
        control.forward_skill_changes(skills.changes());
    }
    required.push("/gateway/cron".to_string());
    let readiness = Arc::new(
        Readiness::new(required, safe_mode).with_config_problems(channels.config_problems()),
    );
    let channels = Arc::new(channels);
    let operator = Arc::new(Operator::new(OperatorParts {
        registry: registry.clone(),
        readiness: Arc::clone(&readiness),
        started: Instant::now(),
        engine: Arc::clone(&engine),
        sessions: addresses.sessions.clone(),
        monitor: Arc::clone(&monitor),
        channels: Arc::clone(&channels),
        config: Arc::new(config.clone()),
        log_dir: crate::logging::log_dir(&config.logging, state_dir),
        clients: Arc::clone(&control) as Arc<dyn crate::api::ClientCount>,
        fault_injection: config.gateway.fault_injection,
        subagents: Some(subagents.clone()),
        cron: Some(crate::agent::cron::CronHandle {
            scheduler: cron_scheduler,
            store: crate::agent::cron::store::CronStore::new(state_dir),
        }),
    }));
    let origins =
        origin_policy(config, tls.is_some()).checking_every_host(credential.mode == AuthMode::None);
    let state = web::Data::new(AppState {
        origins,
        control,
        registry: registry.clone(),
        auth: AuthGate::new(credential, (&config.gateway.auth.rate_limit).into()),
        readiness,
        channels,
        router: addresses.router.clone(),
        engine: Arc::clone(&engine),
        limiter: crate::web::rate_limit::RequestLimiter::from_config(&config.gateway.rate_limiting),
        monitor,
        metrics_public: config.monitoring.metrics_public,
        control_ui: config.gateway.control_ui.enabled,
        operator,
        chat_completions: config.gateway.http.endpoints.chat_completions.enabled,
        responses: config.gateway.http.endpoints.responses.enabled.then(|| {
            Arc::new(crate::web::responses::store::ResponseStore::new(
                state_dir,
                &config.gateway.http.endpoints.responses,
            ))
        }),
    });
    let settings = server_settings(config);
    // Channel actors take the engine threads in turn: their sends and journal calls stay off the
    // main arbiter, and two channels share a thread only when there are more channels than threads.
    let channel_specs = channel_specs
        .into_iter()
        .zip(arbiters.handles().iter().cycle())
        .map(|(spec, arbiter)| spec.on(arbiter.clone()))
        .collect();
    let tree = tree::start(
        &registry,
        addresses,
        tree::OuterSpecs {
            channels: channel_specs,
            clients: clients_spec,
            subagents: subagents_spec,
            mcp: mcp_spec,
            cron: cron_spec,
        },
        listener,
        tls,
        state.clone(),
        settings,
    );
    Ok(RunningGateway {
        registry,
        state,
        engine,
        tree,
        arbiters,
    })
}

/// The browser-origin policy: the listener's scheme, `gateway.controlUi.allowedOrigins`, and the
/// MagicDNS name when Tailscale Serve/Funnel publishes the gateway.
fn origin_policy(config: &Config, tls: bool) -> crate::web::origin::OriginPolicy {
    let tailscale_name = match config.gateway.tailscale.mode {
        config::TailscaleMode::Off => None,
        _ => match tailscale::dns_name() {
            Ok(name) => Some(name),
            Err(why) => {
                warn!(%why, "cannot read this node's Tailscale name (`tailscale status --json`): \
                    the Control UI opened through Tailscale will be refused unless its origin is in \
                    gateway.controlUi.allowedOrigins");
                None
            }
        },
    };
    crate::web::origin::OriginPolicy::new(
        tls,
        &config.gateway.control_ui.allowed_origins,
        tailscale_name.as_deref(),
    )
}

fn server_settings(config: &Config) -> ServerSettings {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX).max(1);
    ServerSettings {
        workers,
        connections: crate::web::connections::ConnectionLimits {
            max_total: count(config.gateway.max_connections),
            max_per_client: count(config.gateway.effective_max_connections_per_client()),
        },
        client_request_timeout: Duration::from_millis(config.gateway.connection_timeout),
        graceful_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_millis(config.gateway.request_timeout),
    }
}

/// Resolves with the name of the first shutdown signal received.
async fn shutdown_signal() -> &'static str {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            let term = Box::pin(terminate.recv());
            let int = Box::pin(interrupt.recv());
            match select(term, int).await {
                Either::Left(_) => "SIGTERM",
                Either::Right(_) => "SIGINT",
            }
        }
        _ => {
            warn!("cannot install signal handlers; only Ctrl-C will stop the gateway");
            let _ = actix_web::rt::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

fn print_banner(url: &str, paths: &Paths, loaded: &LoadedConfig, credential: &Credential) {
    let config_line = match &loaded.source {
        config::ConfigSource::File(path) => path.display().to_string(),
        config::ConfigSource::Defaults => format!(
            "{} (not found: zero-config defaults)",
            paths.config_file.display()
        ),
    };
    let auth_line = match (&credential.mode, &credential.origin) {
        (AuthMode::None, _) => "none (loopback only)".to_string(),
        (AuthMode::Password, _) => "password (from config or PINCER_GATEWAY_PASSWORD)".to_string(),
        (AuthMode::Token, CredentialOrigin::TokenFile { path, created }) => format!(
            "token, {} {} (mode 0600)",
            if *created {
                "generated and stored in"
            } else {
                "stored in"
            },
            path.display()
        ),
        (AuthMode::Token, _) => "token (from config or PINCER_GATEWAY_TOKEN)".to_string(),
    };
    println!(
        "pincer gateway {} listening on {url} (pid {})",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    println!("  config: {config_line}");
    println!("  state:  {}", paths.state_dir.display());
    println!("  auth:   {auth_line}");
    match loaded.config.gateway.tailscale.mode {
        config::TailscaleMode::Off => {}
        config::TailscaleMode::Serve => {
            println!("  tailnet: published with Tailscale Serve (HTTPS, tailnet only)")
        }
        config::TailscaleMode::Funnel => {
            println!("  internet: published with Tailscale Funnel (HTTPS, public; password auth)")
        }
    }
    if let CredentialOrigin::TokenFile { path, .. } = &credential.origin {
        println!(
            "  try:    curl -H \"Authorization: Bearer $(cat {})\" {url}/admin/actors",
            path.display()
        );
    }
    println!("          pincer actors   (the CLI finds this gateway and its token by itself)");
}
