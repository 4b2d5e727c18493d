//! Threshold alerts with hysteresis (the seed's `MonitoringSystem.checkThresholds`): an alert fires
//! once when a figure crosses its threshold, and is reported cleared once when the figure falls
//! 10% below it, so a value hovering at the threshold does not flood the log or the webhook.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Thresholds;

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Critical,
}

/// A change of alert state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    /// `fired` or `cleared`.
    pub state: &'static str,
    pub level: Level,
    pub metric: &'static str,
    pub current_value: f64,
    pub threshold: f64,
    pub message: String,
}

/// Figures the thresholds apply to, 0 to 1.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Figures {
    pub cpu_usage: f64,
    pub memory_usage: f64,
    pub error_rate: f64,
}

/// The state of every alert between evaluations.
#[derive(Debug, Default)]
pub(crate) struct AlertBook {
    active: BTreeMap<&'static str, AlertEvent>,
}

/// A figure, its value, and its thresholds from the most severe down.
type Rule<'a> = (&'static str, f64, &'a [(Level, f64)]);

/// Hysteresis: an alert clears once its figure is below this fraction of the threshold.
const CLEAR_FRACTION: f64 = 0.9;

impl AlertBook {
    /// The alerts firing now (the event that fired each), for status output.
    pub(crate) fn active(&self) -> Vec<AlertEvent> {
        self.active.values().cloned().collect()
    }

    /// Applies `figures` and returns the alerts that fired or cleared.
    pub(crate) fn evaluate(
        &mut self,
        figures: Figures,
        thresholds: &Thresholds,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        let rules: [Rule<'_>; 3] = [
            (
                "system.cpuUsage",
                figures.cpu_usage,
                &[
                    (Level::Critical, thresholds.cpu_critical),
                    (Level::Warning, thresholds.cpu_warning),
                ],
            ),
            (
                "system.memoryUsage",
                figures.memory_usage,
                &[(Level::Critical, thresholds.memory_critical)],
            ),
            (
                "gateway.errorRate",
                figures.error_rate,
                &[(Level::Critical, thresholds.error_rate_critical)],
            ),
        ];
        for (metric, value, levels) in rules {
            let crossed = levels
                .iter()
                .find(|(_, threshold)| value > *threshold)
                .copied();
            let current = self.active.get(metric).map(|e| (e.level, e.threshold));
            let fires = match (current, crossed) {
                (None, Some(crossed)) => Some(crossed),
                (Some((current, _)), Some((level, threshold))) if level > current => {
                    Some((level, threshold))
                }
                (Some((current, threshold)), _) if value < threshold * CLEAR_FRACTION => {
                    self.active.remove(metric);
                    events.push(event("cleared", current, metric, value, threshold));
                    crossed
                }
                _ => None,
            };
            if let Some((level, threshold)) = fires {
                let fired = event("fired", level, metric, value, threshold);
                self.active.insert(metric, fired.clone());
                events.push(fired);
            }
        }
        events
    }
}

fn event(
    state: &'static str,
    level: Level,
    metric: &'static str,
    value: f64,
    threshold: f64,
) -> AlertEvent {
    let what = match metric {
        "system.cpuUsage" => "CPU usage",
        "system.memoryUsage" => "Memory usage",
        _ => "Error rate",
    };
    let message = if state == "fired" {
        format!(
            "{what} is {}high: {:.0}% (threshold {:.0}%)",
            if level == Level::Critical {
                "critically "
            } else {
                ""
            },
            value * 100.0,
            threshold * 100.0
        )
    } else {
        format!("{what} is back to normal: {:.0}%", value * 100.0)
    };
    AlertEvent {
        state,
        level,
        metric,
        current_value: value,
        threshold,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(value: f64) -> Figures {
        Figures {
            cpu_usage: value,
            ..Figures::default()
        }
    }

    #[test]
    fn an_alert_fires_once_per_episode_and_clears_once() {
        let thresholds = Thresholds::default();
        let mut book = AlertBook::default();
        let fired = book.evaluate(cpu(0.85), &thresholds);
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].state, fired[0].level), ("fired", Level::Warning));
        assert!(
            book.evaluate(cpu(0.86), &thresholds).is_empty(),
            "still high: no repeat"
        );
        assert!(
            book.evaluate(cpu(0.79), &thresholds).is_empty(),
            "just under: hysteresis holds it"
        );
        let cleared = book.evaluate(cpu(0.5), &thresholds);
        assert_eq!(cleared.len(), 1);
        assert_eq!(cleared[0].state, "cleared");
        assert!(book.evaluate(cpu(0.5), &thresholds).is_empty());
    }

    #[test]
    fn a_warning_escalates_to_critical_and_errors_have_their_own_alert() {
        let thresholds = Thresholds::default();
        let mut book = AlertBook::default();
        book.evaluate(cpu(0.85), &thresholds);
        let escalated = book.evaluate(cpu(0.97), &thresholds);
        assert_eq!(
            (escalated[0].state, escalated[0].level),
            ("fired", Level::Critical)
        );
        let errors = book.evaluate(
            Figures {
                cpu_usage: 0.97,
                error_rate: 0.5,
                ..Figures::default()
            },
            &thresholds,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].metric, "gateway.errorRate");
        assert_eq!(book.active().len(), 2);
    }
}
