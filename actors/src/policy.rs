//! Restart policy: what a supervisor restarts, how often it may, and how long it waits.
//!
//! These are plain values and pure functions so they can be tested without running actors. The
//! [`crate::Supervisor`] applies them.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// When a child is restarted after it exits (OTP's `restart` field of a child spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartType {
    /// Always restarted: long-lived services (the web actor, channel links, supervisors).
    Permanent,
    /// Restarted only after an abnormal exit (failure, panic): work that may finish, such as an agent
    /// run, which must be retried when it crashes but not when it completed.
    Transient,
    /// Never restarted: one-shot work whose failure is reported, not retried.
    Temporary,
}

/// Which siblings are restarted along with a failed child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Only the failed child: children that do not depend on one another.
    OneForOne,
    /// Every child: children that only make sense together.
    OneForAll,
    /// The failed child and the children started after it, which may depend on it.
    RestForOne,
}

/// How many restarts a supervisor may perform within a period before it gives up and escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Intensity {
    /// Restarts allowed within `period`; one more escalates.
    pub max_restarts: u32,
    /// The sliding window the restarts are counted in.
    #[serde(serialize_with = "serialize_ms")]
    pub period: Duration,
}

impl Default for Intensity {
    /// Three restarts in ten seconds. OTP's default (1 in 5 s) assumes instant restarts; with backoff
    /// (0.5 s, 1 s, 2 s, ...) a child that fails on every start uses its three restarts in about 3.5 s
    /// and the fourth failure escalates well inside the window, while a child that fails once in a
    /// while (after running for longer than the period) never escalates.
    fn default() -> Self {
        Intensity {
            max_restarts: 3,
            period: Duration::from_secs(10),
        }
    }
}

/// Remembers recent restarts to enforce an [`Intensity`].
#[derive(Debug, Default)]
pub(crate) struct RestartLog {
    recent: VecDeque<Instant>,
}

impl RestartLog {
    /// Records a restart at `now` if the intensity allows one more; `false` means the limit is
    /// exceeded and the supervisor must escalate.
    pub(crate) fn try_record(&mut self, intensity: Intensity, now: Instant) -> bool {
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) > intensity.period {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() >= intensity.max_restarts as usize {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

/// Delay between a failure and the restart, growing exponentially (Akka's formula):
/// `min(max, min_delay * 2^attempt) * (1 + random * random_factor)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Backoff {
    /// The delay before the first restart.
    #[serde(serialize_with = "serialize_ms")]
    pub min: Duration,
    /// The longest delay, however many restarts came before.
    #[serde(serialize_with = "serialize_ms")]
    pub max: Duration,
    /// Jitter, so that children that failed together do not restart together (0.2 = up to +20%).
    pub random_factor: f64,
    /// A child that ran at least this long before failing starts over at `min`.
    #[serde(serialize_with = "serialize_ms")]
    pub reset_after: Duration,
}

impl Default for Backoff {
    /// 0.5 s doubling to 30 s with 20% jitter, reset after 10 s of stable running: a crash caused by
    /// a passing condition (a provider hiccup) is retried quickly, a persistent one stops hammering
    /// its dependency, and the reset matches the intensity period.
    fn default() -> Self {
        Backoff {
            min: Duration::from_millis(500),
            max: Duration::from_secs(30),
            random_factor: 0.2,
            reset_after: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// No waiting at all (for tests and for children whose restart is cheap and harmless).
    pub fn none() -> Self {
        Backoff {
            min: Duration::ZERO,
            max: Duration::ZERO,
            random_factor: 0.0,
            reset_after: Duration::ZERO,
        }
    }

    /// The delay before restart number `attempt` (0-based), given a random number in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let factor = 2f64.powi(i32::try_from(attempt.min(62)).unwrap_or(62));
        let grown = self.min.as_secs_f64() * factor;
        let capped = grown.min(self.max.as_secs_f64());
        let jitter = 1.0 + random.clamp(0.0, 1.0) * self.random_factor.max(0.0);
        Duration::from_secs_f64(capped * jitter)
    }
}

/// A number in `[0, 1)` for jitter. Jitter needs no cryptographic quality; std's randomly keyed
/// hasher gives a fresh value per call without another dependency.
pub(crate) fn jitter_random() -> f64 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    let bits = RandomState::new().hash_one(std::time::SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn serialize_ms<S: serde::Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_and_caps_at_max() {
        let backoff = Backoff {
            min: Duration::from_secs(3),
            max: Duration::from_secs(30),
            random_factor: 0.2,
            reset_after: Duration::from_secs(10),
        };
        let delays: Vec<u64> = (0..6).map(|n| backoff.delay(n, 0.0).as_secs()).collect();
        assert_eq!(delays, vec![3, 6, 12, 24, 30, 30]);
    }

    #[test]
    fn jitter_only_lengthens_and_is_bounded_by_the_factor() {
        let backoff = Backoff::default();
        let base = backoff.delay(2, 0.0);
        let most = backoff.delay(2, 0.999_999);
        assert!(most > base, "{most:?} should exceed {base:?}");
        assert!(
            most <= base.mul_f64(1.2),
            "{most:?} exceeds +20% of {base:?}"
        );
        for _ in 0..100 {
            let r = jitter_random();
            assert!((0.0..1.0).contains(&r), "jitter {r} out of range");
        }
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(u32::MAX, 0.0), backoff.max);
    }

    #[test]
    fn intensity_allows_max_restarts_per_period_then_refuses() {
        let intensity = Intensity {
            max_restarts: 3,
            period: Duration::from_secs(10),
        };
        let mut log = RestartLog::default();
        let t0 = Instant::now();
        assert!(log.try_record(intensity, t0));
        assert!(log.try_record(intensity, t0 + Duration::from_secs(1)));
        assert!(log.try_record(intensity, t0 + Duration::from_secs(2)));
        assert!(!log.try_record(intensity, t0 + Duration::from_secs(3)));
        // Once the oldest restarts leave the window, restarts are allowed again.
        assert!(log.try_record(intensity, t0 + Duration::from_secs(12)));
    }
}
