//! `health` (WS `health`, `GET /admin/health`): readiness, uptime and the figures an operator
//! looks at first; and the probes' answers (`/healthz`, `/readyz`), read by `pincer health`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ApiError, Operator};
use crate::monitor::alerts::{AlertEvent, Level};
use crate::monitor::sample::Sample;

/// `health` takes no parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HealthRequest {}

/// The `health` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Ready to take traffic (`notReady` is empty).
    pub ok: bool,
    /// `ready` or `not ready`.
    pub status: String,
    pub not_ready: Vec<String>,
    pub uptime_ms: u64,
    /// Link state per enabled channel.
    pub channels: BTreeMap<String, Link>,
    /// Actors in the registry.
    pub actors: usize,
    pub alerts: Vec<Alert>,
    /// The latest system sample (none until the sampler took one).
    pub system: Option<SystemSample>,
    /// Operators connected over WebSocket.
    pub clients: usize,
    // What follows is OpenClaw's health summary (its `openclaw health` and `gateway health`
    // render these fields).
    /// When this was taken (Unix ms).
    pub ts: u64,
    /// How long taking it took.
    pub duration_ms: u64,
    /// The channels in the order to show them, and what to call them.
    pub channel_order: Vec<String>,
    pub channel_labels: BTreeMap<String, String>,
    /// Pincer has no heartbeat yet: always 0.
    pub heartbeat_seconds: u64,
    /// The one agent, `main`.
    pub default_agent_id: String,
    pub agents: Vec<AgentHealth>,
    pub sessions: SessionsHealth,
}

/// The agent, as OpenClaw's health summary lists agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentHealth {
    pub agent_id: String,
    pub is_default: bool,
    pub heartbeat: Heartbeat,
    pub sessions: SessionsHealth,
}

/// The agent's heartbeat: none (Pincer has no scheduled heartbeat yet), said the way
/// OpenClaw says a disabled one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub enabled: bool,
    pub every: String,
    pub every_ms: Option<u64>,
    pub prompt: String,
    pub target: String,
    pub ack_max_chars: u64,
}

impl Heartbeat {
    fn disabled() -> Self {
        Heartbeat {
            enabled: false,
            every: "disabled".to_string(),
            every_ms: None,
            prompt: String::new(),
            target: "none".to_string(),
            ack_max_chars: 0,
        }
    }
}

/// The session store: where it is, how many sessions, the most recent few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsHealth {
    pub path: String,
    pub count: usize,
    pub recent: Vec<RecentSession>,
}

/// One recently updated session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentSession {
    pub key: String,
    pub updated_at: Option<u64>,
    /// Milliseconds since its last update.
    pub age: Option<u64>,
}

/// One channel's link, as `/readyz`, `health` and `/admin/channels` show it, with the fields
/// of OpenClaw's channel summary (`configured`, `linked`, `healthState`, `lastError`), which
/// its clients render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub healthy: bool,
    /// What the link is doing (`connected`, or why not).
    pub link: String,
    /// Whether the config gives the channel what it needs to run.
    #[serde(default)]
    pub configured: bool,
    /// `healthy`, under OpenClaw's name.
    #[serde(default)]
    pub linked: bool,
    /// `healthy`, or `unhealthy` (`lastError` says why).
    #[serde(default)]
    pub health_state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// An active alert of the monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// `fired` or `cleared`.
    pub state: String,
    /// `warning` or `critical`.
    pub level: String,
    pub metric: String,
    pub current_value: f64,
    pub threshold: f64,
    pub message: String,
}

impl From<AlertEvent> for Alert {
    fn from(event: AlertEvent) -> Self {
        let level = match event.level {
            Level::Warning => "warning",
            Level::Critical => "critical",
        };
        Alert {
            state: event.state.to_string(),
            level: level.to_string(),
            metric: event.metric.to_string(),
            current_value: event.current_value,
            threshold: event.threshold,
            message: event.message,
        }
    }
}

/// One reading of the machine and of this process: the monitor's own sample, which is the wire
/// shape too (one struct, so the two cannot drift).
pub(crate) type SystemSample = Sample;

/// `GET /healthz`: the process is up and serving HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    pub ok: bool,
    /// Always `live`.
    pub status: String,
}

impl Live {
    /// The only answer there is: if this is read, the process is live.
    pub fn now() -> Self {
        Live {
            ok: true,
            status: "live".to_string(),
        }
    }
}

/// `GET /readyz`: ready (200) or not (503, naming what is not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ready {
    pub ok: bool,
    /// `ready` or `not ready`.
    pub status: String,
    /// What keeps the gateway from being ready; absent when it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ready: Vec<String>,
    /// Every enabled channel's link. A channel whose platform refuses its token at run time is
    /// reported here, not counted against readiness: the rest still works and the link may come
    /// back. One the config leaves without credentials is counted (it is in `notReady`).
    pub channels: BTreeMap<String, Link>,
}

impl Operator {
    /// The readiness probe's answer.
    pub fn ready(&self) -> Ready {
        let problems = self.readiness.problems(&self.registry);
        Ready {
            ok: problems.is_empty(),
            status: if problems.is_empty() {
                "ready"
            } else {
                "not ready"
            }
            .to_string(),
            not_ready: problems,
            channels: self.links(),
        }
    }

    /// `health`, as an operation.
    pub async fn health(&self, _request: HealthRequest) -> Result<Health, ApiError> {
        Ok(self.health_now())
    }

    /// `health` now (also the `hello-ok` snapshot and the periodic `health` event).
    pub fn health_now(&self) -> Health {
        let started = std::time::Instant::now();
        let problems = self.readiness.problems(&self.registry);
        let channels = self.links();
        let channel_order: Vec<String> = channels.keys().cloned().collect();
        let channel_labels = channel_order
            .iter()
            .map(|name| {
                let label = crate::channels::registry::find(name)
                    .map_or(name.as_str(), |plugin| plugin.labels().platform);
                (name.clone(), label.to_string())
            })
            .collect();
        let sessions = self.sessions_health();
        let mut health = Health {
            ok: problems.is_empty(),
            status: if problems.is_empty() {
                "ready"
            } else {
                "not ready"
            }
            .to_string(),
            not_ready: problems,
            uptime_ms: self.uptime_ms(),
            channels,
            actors: self.registry.len(),
            alerts: self.alerts(),
            system: self.monitor.latest(),
            clients: self.clients.client_count(),
            ts: crate::clock::now_ms(),
            duration_ms: 0,
            channel_order,
            channel_labels,
            heartbeat_seconds: 0,
            default_agent_id: "main".to_string(),
            agents: vec![AgentHealth {
                agent_id: "main".to_string(),
                is_default: true,
                heartbeat: Heartbeat::disabled(),
                sessions: sessions.clone(),
            }],
            sessions,
        };
        health.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        health
    }

    /// The session store's summary: its five most recently updated sessions.
    pub(super) fn sessions_health(&self) -> SessionsHealth {
        let store = &self.engine.store;
        let (count, all) = store.recent(5);
        let now = crate::clock::now_ms();
        SessionsHealth {
            path: store.dir().join("sessions.json").display().to_string(),
            count,
            recent: all
                .into_iter()
                .map(|s| RecentSession {
                    age: Some(now.saturating_sub(s.updated_ms)),
                    updated_at: Some(s.updated_ms),
                    key: s.key,
                })
                .collect(),
        }
    }

    pub(super) fn alerts(&self) -> Vec<Alert> {
        self.monitor
            .active_alerts()
            .into_iter()
            .map(Alert::from)
            .collect()
    }

    /// Link state per enabled channel (the channels layer reports it as JSON).
    pub(super) fn links(&self) -> BTreeMap<String, Link> {
        let mut links: BTreeMap<String, Link> = serde_json::from_value(self.channels.links())
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "the channels' link states do not read as links");
                BTreeMap::new()
            });
        for link in links.values_mut() {
            link.linked = link.healthy;
            link.health_state = if link.healthy { "healthy" } else { "unhealthy" }.to_string();
            link.last_error = (!link.healthy).then(|| link.link.clone());
        }
        links
    }
}
