//! Config sections of operations: monitoring, alert thresholds (the seed's `Thresholds`), and the
//! metrics endpoint. Re-exported from [`super`].

use serde::{Deserialize, Serialize};

/// `monitoring`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// How often the system sampler reads CPU, memory, disk and network, in ms; default 5000.
    pub sample_interval_ms: u64,
    /// The seed's alert thresholds.
    pub thresholds: Thresholds,
    /// Alerts are also POSTed as JSON to this URL, when set.
    pub alert_webhook: Option<String>,
    /// `GET /metrics` without authentication (for a Prometheus on a trusted network); default
    /// false.
    pub metrics_public: bool,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        MonitoringConfig {
            sample_interval_ms: 5000,
            thresholds: Thresholds::default(),
            alert_webhook: None,
            metrics_public: false,
        }
    }
}

/// `monitoring.thresholds`: the seed's `Thresholds`, as fractions (0.8 = 80%).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Thresholds {
    pub cpu_warning: f64,
    pub cpu_critical: f64,
    pub memory_critical: f64,
    pub error_rate_critical: f64,
    /// How often thresholds are evaluated, in ms; default 60000 (the seed's).
    pub check_interval: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            cpu_warning: 0.8,
            cpu_critical: 0.95,
            memory_critical: 0.9,
            error_rate_critical: 0.1,
            check_interval: 60_000,
        }
    }
}
