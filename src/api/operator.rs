//! The [`Operator`] service: the one implementation of every operator operation, over narrow
//! handles given at construction. Its methods live next to their request and response structs,
//! one file per area (`impl Operator` in `sessions.rs`, `pairing.rs`, ...); this file holds the
//! service itself and how blocking work leaves the async threads.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pincer_actors::{ActorRef, Registry, Supervisor};

use super::{ApiError, Readiness};
use crate::agent::Engine;
use crate::channels::hub::Channels;
use crate::config::Config;
use crate::monitor::Monitor;

/// How many operators are connected over the control plane, for `health` (the control plane, a
/// layer above, implements it).
pub trait ClientCount: Send + Sync {
    /// Connected WebSocket clients.
    fn client_count(&self) -> usize;
}

/// What the operator service reads and drives; each a handle the gateway already holds.
pub struct OperatorParts {
    /// The live-actor registry (actors, run and session counts, readiness).
    pub registry: Registry,
    /// Required actors, config problems, safe mode, draining.
    pub readiness: Arc<Readiness>,
    /// When the gateway started, for `uptimeMs`.
    pub started: Instant,
    /// The transcript store, the model chain and the provider cooldowns.
    pub engine: Arc<Engine>,
    /// `/gateway/sessions`, to stop a session's actor when it is reset.
    pub sessions: ActorRef<Supervisor>,
    /// System figures, alerts, load shedding.
    pub monitor: Arc<Monitor>,
    /// The pairing store, the channel actors and their figures, the journal.
    pub channels: Arc<Channels>,
    /// The effective config, for `config.get` (its credentials print `***` by type).
    pub config: Arc<Config>,
    /// Where the log files are, for `logs.tail`.
    pub log_dir: PathBuf,
    /// Connected control-plane clients.
    pub clients: Arc<dyn ClientCount>,
    /// `gateway.faultInjection`: whether `actors.panic` may crash an actor.
    pub fault_injection: bool,
    /// The sub-agent records and registry: listed by `subagents.list`, a reset parent's
    /// children stopped.
    pub subagents: Option<crate::sessions::subagents::Subagents>,
    /// The cron scheduler and store; `None` where the gateway runs none (`cron.*` answers
    /// `NOT_RUNNING`).
    pub cron: Option<crate::agent::cron::CronHandle>,
}

/// The operator service. Every method is async and answers a typed response or an [`ApiError`];
/// file I/O runs on the blocking pool ([`blocking`]), so neither an HTTP worker nor the actor
/// thread waits for a disk.
pub struct Operator {
    pub(super) registry: Registry,
    pub(super) readiness: Arc<Readiness>,
    pub(super) started: Instant,
    pub(super) engine: Arc<Engine>,
    pub(super) sessions: ActorRef<Supervisor>,
    pub(super) monitor: Arc<Monitor>,
    pub(super) channels: Arc<Channels>,
    pub(super) config: Arc<Config>,
    pub(super) log_dir: PathBuf,
    pub(super) clients: Arc<dyn ClientCount>,
    pub(super) fault_injection: bool,
    pub(super) subagents: Option<crate::sessions::subagents::Subagents>,
    pub(super) cron: Option<crate::agent::cron::CronHandle>,
}

impl Operator {
    pub fn new(parts: OperatorParts) -> Self {
        let OperatorParts {
            registry,
            readiness,
            started,
            engine,
            sessions,
            monitor,
            channels,
            config,
            log_dir,
            clients,
            fault_injection,
            subagents,
            cron,
        } = parts;
        Operator {
            registry,
            readiness,
            started,
            engine,
            sessions,
            monitor,
            channels,
            config,
            log_dir,
            clients,
            fault_injection,
            subagents,
            cron,
        }
    }

    /// Milliseconds since the gateway started.
    pub fn uptime_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Runs blocking work (file I/O) on the runtime's blocking pool and waits for it without blocking
/// the calling thread; a task that panicked is `INTERNAL`.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("a blocking task failed: {e}")))
}
