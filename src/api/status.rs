//! `status` (WS `status`, `GET /admin/status`, `pincer status`): the engine's state: the model
//! chain, run permits and waiting runs, sessions, provider cooldowns, alerts, load shedding.

use std::time::Instant;

use pincer_actors::ActorState;
use serde::{Deserialize, Serialize};

use super::health::Alert;
use super::{ApiError, Operator};
use crate::agent::failover::CooldownView;

/// `status` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatusRequest {}

/// The `status` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub uptime_ms: u64,
    /// Model refs in failover order.
    pub models: Vec<String>,
    /// The resource manager's one-line status (permits in use, waiting runs).
    pub resources: Option<String>,
    /// The router's one-line status (live sessions, evictions).
    pub router: Option<String>,
    pub runs_in_flight: usize,
    pub live_sessions: usize,
    pub stored_sessions: usize,
    pub cooldowns: Vec<Cooldown>,
    pub alerts: Vec<Alert>,
    /// Why the memory guard sheds load, while it does.
    pub shedding: Option<String>,
    /// The crash-loop breaker's reason, in safe mode.
    pub safe_mode: Option<String>,
    pub not_ready: Vec<String>,
}

/// One provider's cooldown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cooldown {
    pub provider: String,
    pub remaining_ms: u64,
    /// How many cooldowns in a row (each longer).
    pub level: u32,
    pub reason: String,
}

impl From<CooldownView> for Cooldown {
    fn from(view: CooldownView) -> Self {
        Cooldown {
            provider: view.provider,
            remaining_ms: view.remaining_ms,
            level: view.level,
            reason: view.reason,
        }
    }
}

impl Operator {
    /// `status`.
    pub async fn status(&self, _request: StatusRequest) -> Result<Status, ApiError> {
        let actors = self.registry.snapshot();
        let status_of = |path: &str| {
            actors
                .iter()
                .find(|a| a.path == path)
                .and_then(|a| a.status.clone())
        };
        let running = |kind: &str| {
            actors
                .iter()
                .filter(|a| a.kind == kind && a.state == ActorState::Running)
                .count()
        };
        Ok(Status {
            uptime_ms: self.uptime_ms(),
            models: self.engine.settings.models.clone(),
            resources: status_of("/gateway/monitor/resources"),
            router: status_of("/gateway/router"),
            runs_in_flight: running("run"),
            live_sessions: running("session"),
            stored_sessions: self.engine.store.list().len(),
            cooldowns: self
                .engine
                .cooldowns
                .view(Instant::now())
                .into_iter()
                .map(Cooldown::from)
                .collect(),
            alerts: self.alerts(),
            shedding: self.monitor.shedding(),
            safe_mode: self.readiness.safe_mode().map(str::to_string),
            not_ready: self.readiness.problems(&self.registry),
        })
    }
}
