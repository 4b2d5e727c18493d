//! Messages waiting for the models: when a turn fails for a passing reason (every model
//! overloaded, unreachable or cooling down), the channel actor keeps the message in the journal
//! and asks again later instead of apologising. This is the schedule of those second asks.
//!
//! The waits grow 5 s, 10 s, 20 s, ... capped at a minute; a message older than 30 minutes gets
//! the apology instead (an answer that late helps no one). The schedule lives in the actor's
//! incarnation: a restarted actor asks every pending message at once, which is harmless.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::stats::ChannelStats;

const FIRST_WAIT: Duration = Duration::from_secs(5);
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Messages older than this are not deferred again.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(30 * 60);

struct Deferred {
    tries: u32,
    next: Instant,
}

/// The deferred messages of one channel actor, by journal entry id; keeps the channel's
/// `waitingForModel` gauge in step.
pub(crate) struct Deferrals {
    entries: HashMap<u64, Deferred>,
    stats: Arc<ChannelStats>,
}

impl Deferrals {
    pub(crate) fn new(stats: Arc<ChannelStats>) -> Self {
        Deferrals {
            entries: HashMap::new(),
            stats,
        }
    }

    /// True while entry `id` must not be asked again.
    pub(crate) fn holds(&self, id: u64, now: Instant) -> bool {
        self.entries.get(&id).is_some_and(|d| d.next > now)
    }

    /// Whether a message received at `received_ms` (Unix ms) may still be deferred at `now_ms`.
    pub(crate) fn may_defer(received_ms: u64, now_ms: u64) -> bool {
        Duration::from_millis(now_ms.saturating_sub(received_ms)) < GIVE_UP_AFTER
    }

    /// Schedules entry `id`'s next ask; returns the wait.
    pub(crate) fn defer(&mut self, id: u64, now: Instant) -> Duration {
        self.stats.turns_deferred.fetch_add(1, Relaxed);
        let stats = &self.stats;
        let deferred = self.entries.entry(id).or_insert_with(|| {
            stats.waiting_for_model.fetch_add(1, Relaxed);
            Deferred {
                tries: 0,
                next: now,
            }
        });
        let wait = FIRST_WAIT
            .saturating_mul(2u32.saturating_pow(deferred.tries))
            .min(MAX_WAIT);
        deferred.tries = deferred.tries.saturating_add(1);
        deferred.next = now + wait;
        wait
    }

    /// Entry `id` was answered (or given up): it no longer waits.
    pub(crate) fn remove(&mut self, id: u64) {
        if self.entries.remove(&id).is_some() {
            self.stats.waiting_for_model.fetch_sub(1, Relaxed);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Drop for Deferrals {
    /// The next incarnation starts without deferrals, so the gauge must not keep these.
    fn drop(&mut self) {
        let waiting = u64::try_from(self.entries.len()).unwrap_or(u64::MAX);
        self.stats.waiting_for_model.fetch_sub(waiting, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_minute_and_the_gauge_follows() {
        let stats = Arc::new(ChannelStats::new());
        let mut deferrals = Deferrals::new(Arc::clone(&stats));
        let now = Instant::now();
        let waits: Vec<u64> = (0..6).map(|_| deferrals.defer(7, now).as_secs()).collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 60, 60]);
        assert!(deferrals.holds(7, now + Duration::from_secs(59)));
        assert!(!deferrals.holds(7, now + Duration::from_secs(60)));
        deferrals.defer(8, now);
        assert_eq!(stats.waiting_for_model.load(Relaxed), 2);
        assert_eq!(stats.turns_deferred.load(Relaxed), 7);
        deferrals.remove(7);
        assert_eq!(stats.waiting_for_model.load(Relaxed), 1);
        drop(deferrals);
        assert_eq!(
            stats.waiting_for_model.load(Relaxed),
            0,
            "a dead incarnation's deferrals are forgotten"
        );
    }

    #[test]
    fn old_messages_are_not_deferred_again() {
        let received = 1_000_000;
        assert!(Deferrals::may_defer(received, received + 60_000));
        assert!(!Deferrals::may_defer(received, received + 31 * 60_000));
    }
}
