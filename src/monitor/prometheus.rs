//! `GET /metrics`: everything the monitor knows, in the Prometheus text exposition format (0.0.4).
//!
//! Per-actor figures are aggregated by actor kind and state, never one series per session, so the
//! number of series stays small however many sessions are live.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use pincer_actors::{ActorSnapshot, ActorState};

use super::Monitor;
use crate::agent::failover::Cooldowns;

/// Writes one metric family.
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(self.text, "{name}{labels} {}", number(*value));
        }
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help, &[(String::new(), value)]);
    }
}

fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else if value.is_nan() {
        "NaN".into()
    } else if value > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// Escapes a label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders the exposition.
pub(crate) fn render(monitor: &Monitor, actors: &[ActorSnapshot], cooldowns: &Cooldowns) -> String {
    let mut out = Exposition {
        text: String::new(),
    };
    let counters = monitor.metrics.counters();
    out.single(
        "pincer_uptime_seconds",
        "gauge",
        "Seconds since the gateway started.",
        counters.uptime_seconds,
    );
    out.single(
        "pincer_http_requests_total",
        "counter",
        "HTTP requests answered.",
        counters.http_requests as f64,
    );
    out.single(
        "pincer_http_errors_total",
        "counter",
        "HTTP requests answered with a 5xx status.",
        counters.http_errors as f64,
    );
    out.single(
        "pincer_http_requests_per_second",
        "gauge",
        "Request rate over the last sampling interval.",
        counters.requests_per_second,
    );
    out.single(
        "pincer_http_error_rate",
        "gauge",
        "Share of 5xx answers over the last sampling interval.",
        counters.error_rate,
    );
    out.single(
        "pincer_active_connections",
        "gauge",
        "Open HTTP connections.",
        counters.active_connections as f64,
    );
    out.single(
        "pincer_agent_turns_total",
        "counter",
        "Turns that ended (answered or failed).",
        counters.turns as f64,
    );
    out.single(
        "pincer_agent_turns_failed_total",
        "counter",
        "Turns that ended without an answer.",
        counters.turns_failed as f64,
    );
    out.single(
        "pincer_agent_response_seconds_average",
        "gauge",
        "Mean turn duration.",
        counters.average_response_seconds,
    );
    out.family(
        "pincer_agent_tokens_total",
        "counter",
        "Model tokens used.",
        &[
            ("{direction=\"input\"}".into(), counters.tokens_in as f64),
            ("{direction=\"output\"}".into(), counters.tokens_out as f64),
        ],
    );
    let sessions = actors
        .iter()
        .filter(|a| a.kind == "session" && a.state == ActorState::Running)
        .count();
    out.single(
        "pincer_agent_active_sessions",
        "gauge",
        "Session actors in memory.",
        sessions as f64,
    );

    if let Some(sample) = monitor.latest() {
        out.single(
            "pincer_system_cpu_usage_ratio",
            "gauge",
            "Machine CPU usage, 0 to 1.",
            sample.cpu_usage,
        );
        out.single(
            "pincer_system_memory_usage_ratio",
            "gauge",
            "Machine memory in use, 0 to 1.",
            sample.memory_usage,
        );
        out.single(
            "pincer_system_memory_total_bytes",
            "gauge",
            "Machine memory.",
            sample.memory_total_bytes as f64,
        );
        out.single(
            "pincer_system_disk_usage_ratio",
            "gauge",
            "Usage of the filesystem holding the state directory, 0 to 1.",
            sample.disk_usage,
        );
        out.single(
            "pincer_system_disk_available_bytes",
            "gauge",
            "Free space on the filesystem holding the state directory.",
            sample.disk_available_bytes as f64,
        );
        out.family(
            "pincer_system_network_bytes_per_second",
            "gauge",
            "Network throughput of all interfaces.",
            &[
                (
                    "{direction=\"in\"}".into(),
                    sample.network_in_bytes_per_second,
                ),
                (
                    "{direction=\"out\"}".into(),
                    sample.network_out_bytes_per_second,
                ),
            ],
        );
        out.single(
            "pincer_process_cpu_usage_cores",
            "gauge",
            "CPU used by the gateway, in cores.",
            sample.process_cpu_usage,
        );
        out.single(
            "pincer_process_resident_memory_bytes",
            "gauge",
            "Resident memory of the gateway.",
            sample.process_rss_bytes as f64,
        );
    }
    out.single(
        "pincer_memory_guard_shedding",
        "gauge",
        "Whether the memory guard is shedding load (1) or not (0).",
        if monitor.shedding().is_some() {
            1.0
        } else {
            0.0
        },
    );

    let mut by_kind: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
    let mut by_state: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for actor in actors {
        let totals = by_kind.entry(actor.kind).or_default();
        totals[0] += actor.mailbox.queued as f64;
        totals[1] += actor.mailbox.handled as f64;
        totals[2] += f64::from(actor.restarts);
        totals[3] += actor.mailbox.rejected_full as f64;
        *by_state
            .entry((actor.kind, actor.state.as_str()))
            .or_default() += 1.0;
    }
    let per_kind = |index: usize| -> Vec<(String, f64)> {
        by_kind
            .iter()
            .map(|(kind, totals)| (format!("{{kind=\"{}\"}}", label(kind)), totals[index]))
            .collect()
    };
    out.family(
        "pincer_actors",
        "gauge",
        "Actors by kind and state.",
        &by_state
            .iter()
            .map(|((kind, state), count)| {
                (
                    format!("{{kind=\"{}\",state=\"{state}\"}}", label(kind)),
                    *count,
                )
            })
            .collect::<Vec<_>>(),
    );
    out.family(
        "pincer_mailbox_queued",
        "gauge",
        "Messages waiting in mailboxes, by actor kind.",
        &per_kind(0),
    );
    out.family(
        "pincer_mailbox_handled_total",
        "counter",
        "Messages handled, by actor kind.",
        &per_kind(1),
    );
    out.family(
        "pincer_actor_restarts_total",
        "counter",
        "Restarts, by actor kind.",
        &per_kind(2),
    );
    out.family(
        "pincer_mailbox_rejected_total",
        "counter",
        "Messages refused by full mailboxes, by actor kind.",
        &per_kind(3),
    );

    let alerts = monitor.active_alerts();
    out.family(
        "pincer_alerts_active",
        "gauge",
        "Threshold alerts firing now.",
        &alerts
            .iter()
            .map(|a| {
                (
                    format!("{{metric=\"{}\",level=\"{:?}\"}}", label(a.metric), a.level)
                        .to_lowercase(),
                    1.0,
                )
            })
            .collect::<Vec<_>>(),
    );
    out.family(
        "pincer_provider_cooldown_seconds",
        "gauge",
        "Seconds a model provider is still skipped after rate-limit, auth or quota errors.",
        &cooldowns
            .view(Instant::now())
            .iter()
            .map(|c| {
                (
                    format!("{{provider=\"{}\"}}", label(&c.provider)),
                    c.remaining_ms as f64 / 1000.0,
                )
            })
            .collect::<Vec<_>>(),
    );
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the exposition line by line the way a Prometheus parser would.
    #[test]
    fn the_exposition_is_well_formed() {
        let monitor = Monitor::default();
        monitor.publish_sample(super::super::sample::Sample {
            cpu_usage: 0.25,
            ..Default::default()
        });
        let text = render(&monitor, &[], &Cooldowns::default());
        let mut declared = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut parts = rest.split(' ');
                let name = parts.next().expect("name");
                assert!(matches!(parts.next(), Some("gauge" | "counter")), "{line}");
                assert!(declared.insert(name.to_string()), "{name} declared twice");
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("series and value");
            let name = series.split('{').next().expect("name");
            assert!(declared.contains(name), "{name} used before its TYPE line");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{name}"
            );
            assert!(
                value.parse::<f64>().is_ok() || ["NaN", "+Inf", "-Inf"].contains(&value),
                "{line}"
            );
            if let Some(labels) = series.strip_prefix(name) {
                assert!(
                    labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                    "{line}"
                );
            }
        }
        assert!(
            text.contains("pincer_system_cpu_usage_ratio 0.25"),
            "{text}"
        );
    }
}
