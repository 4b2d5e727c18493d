//! `status` (WS `status`, `GET /admin/status`, `pincer status`): the engine's state: the model
//! chain, run permits and waiting runs, sessions, provider cooldowns, alerts, load shedding; with
//! the fields of OpenClaw's status summary, so that its `openclaw status` renders them.

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
    // What follows is OpenClaw's status summary (its `openclaw status` reads these fields).
    /// This gateway's version.
    pub runtime_version: String,
    /// No scheduled heartbeat yet: no agent has one.
    pub heartbeat: StatusHeartbeat,
    /// One line per channel (`WhatsApp: linked`).
    pub channel_summary: Vec<String>,
    /// Pincer queues no system events: always empty.
    pub queued_system_events: Vec<String>,
    /// Pincer has no background task registry: every count is 0.
    pub tasks: TaskCounts,
    pub task_audit: TaskAudit,
    pub sessions: StatusSessions,
    /// What OpenClaw's CLI shows of the agents.
    pub cli_projection: CliProjection,
}

/// The agents' heartbeats (none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusHeartbeat {
    pub default_agent_id: String,
    pub agents: Vec<String>,
}

/// Background tasks by state (OpenClaw's task registry summary; all zero here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCounts {
    pub total: u64,
    pub active: u64,
    pub terminal: u64,
    pub failures: u64,
    pub by_status: std::collections::BTreeMap<String, u64>,
    pub by_runtime: std::collections::BTreeMap<String, u64>,
}

/// Findings of OpenClaw's task audit (none here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskAudit {
    pub total: u64,
    pub warnings: u64,
    pub errors: u64,
    pub by_code: std::collections::BTreeMap<String, u64>,
}

/// The session store, overall and for the one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusSessions {
    pub paths: Vec<String>,
    pub count: usize,
    pub defaults: super::sessions::SessionDefaults,
    pub recent: Vec<super::health::RecentSession>,
    pub by_agent: Vec<AgentSessions>,
}

/// One agent's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSessions {
    pub agent_id: String,
    pub path: String,
    pub count: usize,
    pub recent: Vec<super::health::RecentSession>,
}

/// The agents as OpenClaw's CLI lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliProjection {
    pub agents: CliAgents,
}

/// The one agent, `main`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CliAgents {
    pub default_id: String,
    pub ownership: String,
    pub selection_required: bool,
    pub rows: Vec<CliAgent>,
}

/// An agent's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliAgent {
    pub id: String,
    pub name: String,
}

fn zeros(names: &[&str]) -> std::collections::BTreeMap<String, u64> {
    names.iter().map(|n| (n.to_string(), 0)).collect()
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
        let sessions = self.sessions_health();
        let links = self.links();
        let channel_summary = links
            .iter()
            .map(|(name, link)| {
                let label = crate::channels::registry::find(name)
                    .map_or(name.as_str(), |plugin| plugin.labels().platform);
                match (link.configured, link.healthy) {
                    (false, _) => format!("{label}: not configured ({})", link.link),
                    (true, true) => format!("{label}: linked"),
                    (true, false) => format!("{label}: {}", link.link),
                }
            })
            .collect();
        let model = self.engine.settings.models.first().cloned();
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
            runtime_version: env!("CARGO_PKG_VERSION").to_string(),
            heartbeat: StatusHeartbeat {
                default_agent_id: "main".to_string(),
                agents: Vec::new(),
            },
            channel_summary,
            queued_system_events: Vec::new(),
            tasks: TaskCounts {
                by_status: zeros(&[
                    "queued",
                    "running",
                    "succeeded",
                    "failed",
                    "timed_out",
                    "cancelled",
                    "lost",
                ]),
                by_runtime: zeros(&["subagent", "acp", "cli", "cron"]),
                ..TaskCounts::default()
            },
            task_audit: TaskAudit {
                by_code: zeros(&[
                    "stale_queued",
                    "stale_running",
                    "lost",
                    "delivery_failed",
                    "missing_cleanup",
                    "inconsistent_timestamps",
                ]),
                ..TaskAudit::default()
            },
            sessions: StatusSessions {
                paths: vec![sessions.path.clone()],
                count: sessions.count,
                defaults: super::sessions::SessionDefaults {
                    model,
                    context_tokens: None,
                },
                recent: sessions.recent.clone(),
                by_agent: vec![AgentSessions {
                    agent_id: "main".to_string(),
                    path: sessions.path,
                    count: sessions.count,
                    recent: sessions.recent,
                }],
            },
            cli_projection: CliProjection {
                agents: CliAgents {
                    default_id: "main".to_string(),
                    ownership: "sole".to_string(),
                    selection_required: false,
                    rows: vec![CliAgent {
                        id: "main".to_string(),
                        name: "main".to_string(),
                    }],
                },
            },
        })
    }
}
