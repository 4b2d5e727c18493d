//! Config sections of operations: monitoring, alert thresholds (the seed's `Thresholds`), the
//! metrics endpoint, and logging (the seed's `LogConfig`). Re-exported from [`super`].

use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// `monitoring`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// How often the system sampler reads CPU, memory, disk and network, in ms; default 5000.
    pub sample_interval_ms: u64,
    /// The seed's alert thresholds.
    pub thresholds: Thresholds,
    /// Alerts are also POSTed as JSON to this URL, when set. A [`Secret`]: a webhook URL (Slack,
    /// Discord, ntfy) is itself the credential that lets anyone post to the channel.
    pub alert_webhook: Option<Secret>,
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

/// `logging`: the seed's `LogConfig`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Least severe level written: `debug`, `info` (default), `warn`, `error`. `--verbose` and
    /// `PINCER_LOG` override it.
    pub level: LogLevel,
    /// Console format: `text` (default, for people) or `json` (for log shippers). Files are
    /// always JSON lines, which `pincer logs` reads.
    pub format: LogFormat,
    /// Where logs go; default console and daily files in `<state>/logs`.
    pub transports: Vec<LogTransport>,
    /// How long and how much the file transport keeps.
    pub retention: LogRetention,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: LogLevel::Info,
            format: LogFormat::Text,
            transports: vec![
                LogTransport {
                    kind: TransportKind::Console,
                    config: TransportConfig::default(),
                },
                LogTransport {
                    kind: TransportKind::File,
                    config: TransportConfig::default(),
                },
            ],
            retention: LogRetention::default(),
        }
    }
}

/// `logging.level`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    #[default]
    Info,
    Warn,
    Error,
}

/// `logging.format`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// One entry of `logging.transports` (the seed's `LogTransport`: `{ type, config }`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogTransport {
    #[serde(rename = "type")]
    pub kind: TransportKind,
    #[serde(default, skip_serializing_if = "TransportConfig::is_empty")]
    pub config: TransportConfig,
}

/// `logging.transports[].type`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Console,
    File,
    Syslog,
    Http,
}

/// `logging.transports[].config`; which keys apply depends on the type.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TransportConfig {
    /// file: the folder of the daily files; default `<state>/logs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// syslog: the local socket; default `/dev/log`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// http: where batches of JSON lines are POSTed (required for http).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// http: lines per POST; default 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// http: longest wait before a partial batch is sent, in ms; default 2000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flush_ms: Option<u64>,
}

impl TransportConfig {
    fn is_empty(&self) -> bool {
        *self == TransportConfig::default()
    }
}

/// `logging.retention`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct LogRetention {
    /// Daily files older than this are removed; default 7.
    pub days: u32,
    /// The files together stay under this size (`"100MB"`, `"1GB"`, `"500KB"`, or bytes); the
    /// oldest go first. Default `"100MB"`.
    pub max_size: String,
}

impl Default for LogRetention {
    fn default() -> Self {
        LogRetention {
            days: 7,
            max_size: "100MB".to_string(),
        }
    }
}

/// Parses a size such as `100MB`, `1.5GB`, `500KB`, `2048` (bytes; powers of 1024).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_like_people_write_them() {
        assert_eq!(parse_size("100MB"), Some(100 * 1024 * 1024));
        assert_eq!(parse_size("1.5 GB"), Some(1536 * 1024 * 1024));
        assert_eq!(parse_size("500kb"), Some(500 * 1024));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("10XB"), None);
    }
}
