//! Cron jobs and the heartbeat: turns the agent takes on its own, on a schedule.
//!
//! A job (`config::cron::CronJob`) says when (`at`, `every`, or a cron expression in a time
//! zone, see `config::schedule`), what message to send to which session (the main one, or the
//! job's own `agent:main:cron:<jobId>`), and optionally which chat gets the answer. Jobs come from
//! the config (`cron.jobs`, read-only at run time), from the operator (`pincer cron add`, the
//! `cron.*` methods) and from the model (the `cron` tool); the heartbeat
//! (`agents.defaults.heartbeat`) is one more job, `heartbeat`, of the main session.
//!
//! - `store.rs`: `<state>/cron/jobs.json` and the runs logs `<state>/cron/runs/<jobId>.jsonl`;
//! - `scheduler.rs`: the actor `/gateway/cron` (queue, timer, misfire, resume at start);
//! - `control.rs`: its messages (list, status, add, update, remove, run);
//! - `misfire.rs`: a job's first firing at start, after the firings missed while down;
//! - `firing.rs`: one firing from its record to its delivery, exactly once across crashes;
//! - `heartbeat.rs`: `HEARTBEAT.md`, active hours and the `HEARTBEAT_OK` rule;
//! - `tool.rs`: the agent's `cron` tool.
//!
//! The scheduler submits turns through `sessions::submit` and delivers through the
//! [`ChatSender`] the gateway hands over at construction (the channels are a layer above).

pub(crate) mod control;
pub(crate) mod firing;
pub mod heartbeat;
pub(crate) mod misfire;
pub(crate) mod scheduler;
pub mod store;
pub(crate) mod tool;

use std::path::Path;
use std::sync::Arc;

use pincer_actors::{ActorRef, ChildSpec};
use serde::{Deserialize, Serialize};

use self::firing::FiringDeps;
use self::store::{CronStore, RunStatus};
use crate::config::cron::CronJob;
use crate::config::Config;
use crate::sessions::media::ChatSender;
use crate::sessions::router::SessionRouter;

pub use self::control::{AddJob, GetStatus, ListJobs, RemoveJob, RunJob, UpdateJob};
pub use self::scheduler::CronScheduler;

/// Where a job comes from, which says who may change it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum JobOrigin {
    /// `cron.jobs` in the config: changed only there.
    Config,
    /// Added at run time (operator or model), stored in `jobs.json`.
    Runtime,
    /// `agents.defaults.heartbeat`.
    Heartbeat,
}

impl std::fmt::Display for JobOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JobOrigin::Config => "config",
            JobOrigin::Runtime => "runtime",
            JobOrigin::Heartbeat => "heartbeat",
        })
    }
}

/// A job with what the scheduler knows of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job: CronJob,
    pub origin: JobOrigin,
    pub session_key: String,
    /// None for a disabled job, or a one-shot whose time has passed.
    pub next_run_at_ms: Option<u64>,
    pub last_run_at_ms: Option<u64>,
    pub last_status: Option<RunStatus>,
    pub last_error: Option<String>,
}

/// The scheduler's state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CronStatus {
    /// `cron.enabled`.
    pub enabled: bool,
    pub jobs: usize,
    /// Firings under way.
    pub running: usize,
    /// When the timer wakes next.
    pub next_wake_at_ms: Option<u64>,
    /// Why `jobs.json` cannot be read, if it cannot (runtime jobs are then read-only).
    pub store_error: Option<String>,
}

/// Why the scheduler refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("no cron job {0:?}")]
    NotFound(String),
    #[error("a cron job {0:?} exists already")]
    Exists(String),
    #[error("cron job {0:?} comes from the {1}: change it there")]
    ReadOnly(String, JobOrigin),
    #[error("invalid cron job: {0}")]
    Invalid(String),
    #[error("the cron store: {0}")]
    Store(String),
    #[error("cron is disabled (cron.enabled is false)")]
    Disabled,
    #[error("cron job {0:?} did not start (disabled, or its firing could not be recorded)")]
    NotStarted(String),
}

/// Where the scheduler tells of firings: the control plane's `cron` event (a layer above, so the
/// gateway hands an implementation over at construction).
pub trait CronEvents: Send + Sync {
    /// `event` is OpenClaw's `cron` payload: `{jobId, action: "started" | "finished", runAtMs,
    /// status, error?, nextRunAtMs?}`.
    fn publish(&self, event: &serde_json::Value);
}

/// What the operator API holds of cron: the scheduler's address and the store (the runs logs
/// are read from disk, not through the actor).
#[derive(Clone)]
pub struct CronHandle {
    pub scheduler: ActorRef<CronScheduler>,
    pub store: CronStore,
}

/// The `cron` tool over `scheduler`, for the gateway to register.
pub(crate) fn tool(
    config: &Config,
    scheduler: ActorRef<CronScheduler>,
) -> Arc<dyn crate::agent::tools::Tool> {
    Arc::new(tool::CronTool {
        scheduler,
        allow_targets: config.tools.message.allow_targets.clone(),
    })
}

/// The spec of `/gateway/cron` and its address (reserved before the toolbox is built, since
/// the `cron` tool needs it); `sender` delivers answers (the running channels), `events` tells
/// operators of firings.
pub(crate) fn spec(
    config: &Config,
    state_dir: &Path,
    router: ActorRef<SessionRouter>,
    sender: Option<Arc<dyn ChatSender>>,
    events: Option<Arc<dyn CronEvents>>,
) -> (ChildSpec, ActorRef<CronScheduler>) {
    let settings = scheduler::CronSettings {
        enabled: config.cron.enabled,
        misfire: config.cron.misfire,
        config_jobs: config.cron.jobs.clone(),
        heartbeat: config.agents.defaults.heartbeat.clone(),
        workspace: crate::config::workspace::workspace_dir(config, state_dir),
    };
    let permits = usize::try_from(config.cron.max_concurrent_runs.max(1)).unwrap_or(1);
    let deps = Arc::new(FiringDeps {
        store: CronStore::new(state_dir),
        router,
        sender,
        events,
        permits: Arc::new(tokio::sync::Semaphore::new(permits)),
    });
    ChildSpec::actor_with_capacity("cron", "cron", 1024, move |cx| {
        scheduler::CronScheduler::new(cx.clone(), settings.clone(), Arc::clone(&deps))
    })
}
