//! What a cron job's schedule means: its kinds as written (OpenClaw's `schedule {kind: "at" |
//! "every" | "cron"}`), checked and compiled into a [`Schedule`] that says when the next firing
//! after an instant is. Pure time arithmetic on Unix milliseconds, so the scheduler, the config's
//! validation and the tests share it; 5-field cron expressions (6 with seconds) in an IANA time
//! zone come from `croner` over `chrono-tz`.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A schedule as written in a job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum ScheduleSpec {
    /// Once, at an RFC 3339 time (`2026-12-24T18:00:00+01:00`) or Unix milliseconds.
    At { at: AtTime },
    /// Every `every` (`90s`, `30m`, `2h`, `1d`, or milliseconds), counted from `anchorMs`
    /// (default the Unix epoch, so `30m` fires at :00 and :30).
    Every {
        every: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor_ms: Option<u64>,
    },
    /// A cron expression (`0 8 * * 1-5`; a 6th leading field is seconds) in `tz` (an IANA zone,
    /// default UTC).
    Cron {
        expr: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tz: Option<String>,
    },
}

/// The time of a one-shot job, as written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AtTime {
    Millis(u64),
    Text(String),
}

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0:?} is not a time: use RFC 3339 (2026-12-24T18:00:00Z) or Unix milliseconds")]
    BadTime(String),
    #[error("{0:?} is not a duration of at least 1s (like \"90s\", \"30m\", \"2h\", \"1d\")")]
    BadDuration(String),
    #[error("{0:?} is not a cron expression: {1}")]
    BadCron(String, String),
    #[error("{0:?} is not an IANA time zone (like \"Europe/Paris\")")]
    BadZone(String),
}

/// A schedule ready to answer "when next".
#[derive(Debug, Clone)]
pub enum Schedule {
    At(u64),
    Every { period_ms: u64, anchor_ms: u64 },
    Cron(Box<croner::Cron>, Tz),
}

/// Milliseconds of a duration: a number of milliseconds, or a number with `ms`, `s`, `m`, `h`
/// or `d`.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// Unix milliseconds of an RFC 3339 time or a number of milliseconds.
pub fn parse_time_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<u64>() {
        return Some(ms);
    }
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    u64::try_from(time.timestamp_millis()).ok()
}

impl Schedule {
    /// Checks `spec` and makes it usable.
    pub fn compile(spec: &ScheduleSpec) -> Result<Schedule, ScheduleError> {
        match spec {
            ScheduleSpec::At { at } => match at {
                AtTime::Millis(ms) => Ok(Schedule::At(*ms)),
                AtTime::Text(text) => parse_time_ms(text)
                    .map(Schedule::At)
                    .ok_or_else(|| ScheduleError::BadTime(text.clone())),
            },
            ScheduleSpec::Every { every, anchor_ms } => match parse_duration_ms(every) {
                Some(period_ms) if period_ms >= 1000 => Ok(Schedule::Every {
                    period_ms,
                    anchor_ms: anchor_ms.unwrap_or(0),
                }),
                _ => Err(ScheduleError::BadDuration(every.clone())),
            },
            ScheduleSpec::Cron { expr, tz } => {
                let zone = match tz.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
                    None => Tz::UTC,
                    Some(name) => name
                        .parse::<Tz>()
                        .map_err(|_| ScheduleError::BadZone(name.to_string()))?,
                };
                let cron = croner::Cron::new(expr.trim())
                    .with_seconds_optional()
                    .parse()
                    .map_err(|error| ScheduleError::BadCron(expr.clone(), error.to_string()))?;
                Ok(Schedule::Cron(Box::new(cron), zone))
            }
        }
    }

    /// The first firing strictly after `after_ms`, or none (a one-shot job whose time has
    /// passed, a cron expression that never matches again).
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        match self {
            Schedule::At(at) => (*at > after_ms).then_some(*at),
            Schedule::Every {
                period_ms,
                anchor_ms,
            } => {
                if after_ms < *anchor_ms {
                    return Some(*anchor_ms);
                }
                let periods = (after_ms - anchor_ms) / period_ms + 1;
                periods
                    .checked_mul(*period_ms)
                    .and_then(|offset| anchor_ms.checked_add(offset))
            }
            Schedule::Cron(cron, zone) => {
                let first = cron_next(cron, zone, after_ms, false)?;
                if first > after_ms {
                    return Some(first);
                }
                // croner counts whole seconds: from the next second on, that second included.
                let next_second = (after_ms / 1000 + 1).checked_mul(1000)?;
                cron_next(cron, zone, next_second, true).filter(|t| *t > after_ms)
            }
        }
    }

    /// The latest firing in `(after_ms, until_ms]`, if any (what a `runOnce` catch-up fires);
    /// cron expressions are walked at most `limit` firings, then the last one found is taken.
    pub fn latest_between(&self, after_ms: u64, until_ms: u64, limit: usize) -> Option<u64> {
        let first = self.next_after(after_ms).filter(|t| *t <= until_ms)?;
        match self {
            Schedule::At(_) => Some(first),
            Schedule::Every {
                period_ms,
                anchor_ms,
            } => Some(anchor_ms + (until_ms - anchor_ms) / period_ms * period_ms),
            Schedule::Cron(..) => {
                let mut latest = first;
                for _ in 0..limit {
                    match self.next_after(latest) {
                        Some(next) if next <= until_ms => latest = next,
                        _ => break,
                    }
                }
                Some(latest)
            }
        }
    }
}

/// croner's next occurrence from `from_ms` in `zone`, as Unix milliseconds.
fn cron_next(cron: &croner::Cron, zone: &Tz, from_ms: u64, inclusive: bool) -> Option<u64> {
    let start = zone
        .timestamp_millis_opt(i64::try_from(from_ms).ok()?)
        .single()?;
    let next = cron.find_next_occurrence(&start, inclusive).ok()?;
    u64::try_from(next.with_timezone(&Utc).timestamp_millis()).ok()
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
