//! Provider cooldowns: a provider that answered "rate limited", "unauthorised" or "out of quota"
//! is skipped for a while, so that the fallbacks answer instead of every turn hitting a wall.
//!
//! The cooldown grows 1 min, 5 min, 25 min, capped at 1 h, unless the provider said how long to
//! wait (`Retry-After`), which wins. A provider that stayed unavailable through its retries
//! (overloaded, 5xx, unreachable) while a fallback exists cools down on a shorter ladder (10 s,
//! 20 s, 40 s, ... capped at 5 min): outages of that kind are often brief, and the cooldown only
//! spares every turn the retries before the fallback. A success resets it. The state is shared by
//! every run (a `Mutex` touched once per model call) and shown by `pincer status`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

const BASE: Duration = Duration::from_secs(60);
const CAP: Duration = Duration::from_secs(3600);
const UNAVAILABLE_BASE: Duration = Duration::from_secs(10);
const UNAVAILABLE_CAP: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
struct State {
    level: u32,
    until: Option<Instant>,
    reason: String,
    /// The cause passes by itself (rate limit, overload), unlike a refused key or an empty
    /// account, which need the operator.
    passing: bool,
}

impl State {
    /// A failure of a call that began before the cooldown in force (calls overlap) is no new
    /// evidence: it does not lengthen the cooldown, unless the provider says how long to wait.
    fn still_cooling(&self, now: Instant, retry_after: Option<Duration>) -> Option<Duration> {
        let until = self.until.filter(|until| *until > now)?;
        retry_after.is_none().then(|| until - now)
    }
}

/// A provider being skipped: for how long, and whether the cause passes by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooling {
    pub left: Duration,
    pub passing: bool,
}

/// Cooldowns by provider id.
#[derive(Debug, Default)]
pub struct Cooldowns {
    providers: Mutex<HashMap<String, State>>,
}

/// One provider's cooldown, for status output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CooldownView {
    pub provider: String,
    pub remaining_ms: u64,
    pub level: u32,
    pub reason: String,
}

impl Cooldowns {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.providers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `provider` stays skipped, if it does.
    pub fn remaining(&self, provider: &str, now: Instant) -> Option<Duration> {
        self.cooling(provider, now).map(|cooling| cooling.left)
    }

    /// Whether `provider` is being skipped, for how long and why.
    pub fn cooling(&self, provider: &str, now: Instant) -> Option<Cooling> {
        let providers = self.lock();
        let state = providers.get(provider)?;
        let until = state.until?;
        (until > now).then(|| Cooling {
            left: until - now,
            passing: state.passing,
        })
    }

    /// Starts (or lengthens) a cooldown; returns its length. `passing`: the cause goes away by
    /// itself (a rate limit), so a turn that finds every model cooling down may be retried later.
    pub fn cool_down(
        &self,
        provider: &str,
        retry_after: Option<Duration>,
        reason: &str,
        passing: bool,
        now: Instant,
    ) -> Duration {
        let mut providers = self.lock();
        let state = providers.entry(provider.to_string()).or_default();
        if let Some(left) = state.still_cooling(now, retry_after) {
            return left;
        }
        let scheduled = BASE
            .checked_mul(5u32.saturating_pow(state.level))
            .unwrap_or(CAP)
            .min(CAP);
        let length = retry_after.unwrap_or(scheduled).min(CAP);
        state.level = state.level.saturating_add(1);
        state.until = Some(now + length);
        state.reason = reason.to_string();
        state.passing = passing;
        length
    }

    /// Starts (or lengthens) the short cooldown of a provider that stayed unavailable through its
    /// retries; returns its length.
    pub fn cool_down_unavailable(&self, provider: &str, reason: &str, now: Instant) -> Duration {
        let mut providers = self.lock();
        let state = providers.entry(provider.to_string()).or_default();
        if let Some(left) = state.still_cooling(now, None) {
            return left;
        }
        let length = UNAVAILABLE_BASE
            .checked_mul(2u32.saturating_pow(state.level))
            .unwrap_or(UNAVAILABLE_CAP)
            .min(UNAVAILABLE_CAP);
        state.level = state.level.saturating_add(1);
        state.until = Some(now + length);
        state.reason = reason.to_string();
        state.passing = true;
        length
    }

    /// A successful call ends the provider's cooldown history.
    pub fn succeeded(&self, provider: &str) {
        self.lock().remove(provider);
    }

    /// Current cooldowns, for `pincer status`.
    pub fn view(&self, now: Instant) -> Vec<CooldownView> {
        let mut list: Vec<CooldownView> = self
            .lock()
            .iter()
            .filter_map(|(provider, state)| {
                let until = state.until.filter(|u| *u > now)?;
                Some(CooldownView {
                    provider: provider.clone(),
                    remaining_ms: u64::try_from((until - now).as_millis()).unwrap_or(u64::MAX),
                    level: state.level,
                    reason: state.reason.clone(),
                })
            })
            .collect();
        list.sort_by(|a, b| a.provider.cmp(&b.provider));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldowns_grow_by_five_cap_at_an_hour_and_reset_on_success() {
        let cooldowns = Cooldowns::default();
        let now = Instant::now();
        let mut at = now;
        let lengths: Vec<u64> = (0..4)
            .map(|_| {
                let length = cooldowns.cool_down("openai", None, "429", true, at);
                at += length;
                length.as_secs()
            })
            .collect();
        assert_eq!(lengths, vec![60, 300, 1500, 3600]);
        assert!(cooldowns.remaining("openai", now).is_some());
        cooldowns.succeeded("openai");
        assert_eq!(cooldowns.remaining("openai", now), None);
        assert_eq!(
            cooldowns
                .cool_down("openai", None, "429", true, now)
                .as_secs(),
            60
        );
    }

    #[test]
    fn unavailable_providers_cool_down_briefly_then_longer() {
        let cooldowns = Cooldowns::default();
        let mut at = Instant::now();
        let lengths: Vec<u64> = (0..7)
            .map(|_| {
                let length = cooldowns.cool_down_unavailable("anthropic", "529", at);
                at += length;
                length.as_secs()
            })
            .collect();
        assert_eq!(lengths, vec![10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(cooldowns.view(at - Duration::from_secs(1))[0].reason, "529");
    }

    #[test]
    fn overlapping_failures_do_not_lengthen_a_cooldown() {
        let cooldowns = Cooldowns::default();
        let now = Instant::now();
        assert_eq!(
            cooldowns.cool_down_unavailable("a", "529", now).as_secs(),
            10
        );
        // Calls that started before the cooldown fail a moment later: no escalation.
        let later = now + Duration::from_secs(1);
        assert_eq!(
            cooldowns.cool_down_unavailable("a", "529", later).as_secs(),
            9
        );
        assert_eq!(
            cooldowns.cool_down("a", None, "429", true, later).as_secs(),
            9
        );
        // After it ends, the next failure is the next level.
        let after = now + Duration::from_secs(11);
        assert_eq!(
            cooldowns.cool_down_unavailable("a", "529", after).as_secs(),
            20
        );
    }

    #[test]
    fn retry_after_wins_over_the_schedule() {
        let cooldowns = Cooldowns::default();
        let now = Instant::now();
        let length =
            cooldowns.cool_down("anthropic", Some(Duration::from_secs(7)), "429", true, now);
        assert_eq!(length, Duration::from_secs(7));
        assert_eq!(
            cooldowns.remaining("anthropic", now + Duration::from_secs(8)),
            None
        );
        assert_eq!(cooldowns.view(now).len(), 1);
    }
}
