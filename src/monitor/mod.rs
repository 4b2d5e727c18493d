//! Monitoring: real system figures, the seed's `Metrics`, threshold alerts, the memory guard, and
//! their Prometheus exposition.
//!
//! Three actors under `/gateway/monitor` (next to the resource manager):
//! - `sampler` (`actors.rs`): reads the system every `monitoring.sampleIntervalMs` ([`sample`]),
//!   publishes the reading, and applies the memory guard: above 80% of `agents.memoryLimit` RSS the
//!   gateway sheds load (idle sessions are evicted, new runs are refused with a clear message) until
//!   RSS falls under 70%;
//! - `metrics`: turns the hot-path counters ([`metrics`]) into rates once per interval;
//! - `alerts`: applies the seed's thresholds with hysteresis ([`alerts`]) every
//!   `thresholds.checkInterval`, logging each alert once and clearing it once, and POSTs it to
//!   `monitoring.alertWebhook` when set.
//!
//! Their results live in [`Monitor`], shared (`Arc`) with the HTTP handlers, so `/metrics`
//! ([`prometheus`]) and `/admin/metrics` never wait on an actor.

pub(crate) mod actors;
pub(crate) mod alerts;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod prometheus;
pub(crate) mod sample;

use std::sync::{Arc, Mutex, RwLock};

use serde_json::{json, Value};

use self::alerts::AlertEvent;
use self::metrics::Metrics;
use self::sample::Sample;
use crate::agent::resources::Shedding;

/// Shared monitoring state.
#[derive(Debug, Default)]
pub struct Monitor {
    pub metrics: Arc<Metrics>,
    latest: RwLock<Option<Sample>>,
    active_alerts: Mutex<Vec<AlertEvent>>,
    /// The memory guard's verdict, shared with the resource manager (which refuses new runs).
    shedding: Arc<Shedding>,
}

impl Monitor {
    pub fn latest(&self) -> Option<Sample> {
        self.latest
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn publish_sample(&self, sample: Sample) {
        *self.latest.write().unwrap_or_else(|p| p.into_inner()) = Some(sample);
    }

    pub fn active_alerts(&self) -> Vec<AlertEvent> {
        self.active_alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_active_alerts(&self, alerts: Vec<AlertEvent>) {
        *self.active_alerts.lock().unwrap_or_else(|p| p.into_inner()) = alerts;
    }

    /// Why new runs are refused, while the memory guard sheds load.
    pub fn shedding(&self) -> Option<String> {
        self.shedding.reason()
    }

    pub(crate) fn set_shedding(&self, reason: Option<String>) {
        self.shedding.set(reason);
    }

    /// The flag the memory guard sets, for the resource manager.
    pub fn shedding_flag(&self) -> Arc<Shedding> {
        Arc::clone(&self.shedding)
    }

    /// The seed's `Metrics` interface, filled with measured figures.
    pub fn seed_metrics(&self, active_sessions: usize) -> Value {
        let counters = self.metrics.counters();
        let sample = self.latest().unwrap_or_default();
        json!({
            "gateway": {
                "uptime": counters.uptime_seconds,
                "activeConnections": counters.active_connections,
                "requestsPerSecond": counters.requests_per_second,
                "errorRate": counters.error_rate,
            },
            "agents": {
                "activeSessions": active_sessions,
                "averageResponseTime": counters.average_response_seconds * 1000.0,
                "tokenUsage": {
                    "input": counters.tokens_in,
                    "output": counters.tokens_out,
                    "total": counters.tokens_in + counters.tokens_out,
                },
            },
            "system": {
                "cpuUsage": sample.cpu_usage,
                "memoryUsage": sample.memory_usage,
                "diskUsage": sample.disk_usage,
                "networkIO": { "in": sample.network_in_bytes_per_second, "out": sample.network_out_bytes_per_second },
            },
            "process": { "cpuUsage": sample.process_cpu_usage, "rssBytes": sample.process_rss_bytes },
        })
    }
}
