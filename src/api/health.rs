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
}

/// One channel's link, as `/readyz`, `health` and `/admin/channels` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub healthy: bool,
    /// What the link is doing (`connected`, or why not).
    pub link: String,
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
        let problems = self.readiness.problems(&self.registry);
        Health {
            ok: problems.is_empty(),
            status: if problems.is_empty() {
                "ready"
            } else {
                "not ready"
            }
            .to_string(),
            not_ready: problems,
            uptime_ms: self.uptime_ms(),
            channels: self.links(),
            actors: self.registry.len(),
            alerts: self.alerts(),
            system: self.monitor.latest(),
            clients: self.clients.client_count(),
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
        serde_json::from_value(self.channels.links()).unwrap_or_else(|error| {
            tracing::warn!(%error, "the channels' link states do not read as links");
            BTreeMap::new()
        })
    }
}
