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

/// One reading of the machine and of this process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSample {
    pub at_ms: u64,
    /// Whole machine, 0 to 1.
    pub cpu_usage: f64,
    pub memory_total_bytes: u64,
    pub memory_available_bytes: u64,
    pub memory_usage: f64,
    /// Mount point of the filesystem holding the state directory.
    pub disk_mount: String,
    pub disk_total_bytes: u64,
    pub disk_available_bytes: u64,
    pub disk_usage: f64,
    pub network_in_bytes_per_second: f64,
    pub network_out_bytes_per_second: f64,
    /// This process, in cores.
    pub process_cpu_usage: f64,
    pub process_rss_bytes: u64,
}

impl From<Sample> for SystemSample {
    fn from(s: Sample) -> Self {
        SystemSample {
            at_ms: s.at_ms,
            cpu_usage: s.cpu_usage,
            memory_total_bytes: s.memory_total_bytes,
            memory_available_bytes: s.memory_available_bytes,
            memory_usage: s.memory_usage,
            disk_mount: s.disk_mount,
            disk_total_bytes: s.disk_total_bytes,
            disk_available_bytes: s.disk_available_bytes,
            disk_usage: s.disk_usage,
            network_in_bytes_per_second: s.network_in_bytes_per_second,
            network_out_bytes_per_second: s.network_out_bytes_per_second,
            process_cpu_usage: s.process_cpu_usage,
            process_rss_bytes: s.process_rss_bytes,
        }
    }
}

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
            system: self.monitor.latest().map(SystemSample::from),
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
