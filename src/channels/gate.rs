//! Send pacing for one channel: the outbound rate limit (`sendsPerSecond`, a GCRA limiter) and
//! the pauses the platform asks for, for the whole channel (throughput limits) or for one
//! recipient (WhatsApp's per-user pair limit). Every send waits at the gate first.
//!
//! Used only from the channel actor's thread, so interior mutability is plain `Cell`/`RefCell`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The gate of one channel.
pub struct SendGate {
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    paused_until: Cell<Option<Instant>>,
    recipients: RefCell<HashMap<String, Instant>>,
}

impl SendGate {
    pub fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        SendGate {
            limiter: RateLimiter::direct(Quota::per_second(rate)),
            clock: DefaultClock::default(),
            paused_until: Cell::new(None),
            recipients: RefCell::new(HashMap::new()),
        }
    }

    /// Waits until a message to `to` may go out.
    pub async fn wait(&self, to: &str) {
        loop {
            let now = Instant::now();
            let channel = self.paused_until.get().filter(|until| *until > now);
            let recipient = self
                .recipients
                .borrow()
                .get(to)
                .copied()
                .filter(|until| *until > now);
            if let Some(until) = channel.max(recipient) {
                tokio::time::sleep_until(until).await;
                continue;
            }
            match self.limiter.check() {
                Ok(()) => return,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await
                }
            }
        }
    }

    /// Holds every send for `pause` (extends, never shortens, a pause in force).
    pub fn pause_channel(&self, pause: Duration) {
        let until = Instant::now() + pause;
        if self
            .paused_until
            .get()
            .is_none_or(|current| current < until)
        {
            self.paused_until.set(Some(until));
        }
    }

    /// Holds sends to `to` for `pause`.
    pub fn pause_recipient(&self, to: &str, pause: Duration) {
        let until = Instant::now() + pause;
        let mut recipients = self.recipients.borrow_mut();
        let now = Instant::now();
        recipients.retain(|_, until| *until > now);
        let entry = recipients.entry(to.to_string()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// Whether the whole channel is paused now (for the actor's status line).
    pub fn paused(&self) -> bool {
        self.paused_until
            .get()
            .is_some_and(|until| until > Instant::now())
    }
}

/// The pause before retry number `attempt` (1-based): 1 s doubling to 30 s, or the platform's
/// own hint (Telegram's `retry_after`) when it gave one.
pub fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
    match hint {
        Some(hint) => hint.min(Duration::from_secs(300)),
        None => Duration::from_secs(1u64 << attempt.saturating_sub(1).min(5))
            .min(Duration::from_secs(30)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_hints() {
        let secs: Vec<u64> = (1..=8).map(|a| backoff(a, None).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(
            backoff(1, Some(Duration::from_secs(41))),
            Duration::from_secs(41)
        );
    }

    #[actix_web::test]
    async fn pauses_hold_only_their_recipient() {
        let gate = SendGate::new(1000);
        let pause = Duration::from_millis(300);
        gate.pause_recipient("a", pause);
        let started = Instant::now();
        gate.wait("b").await;
        assert!(started.elapsed() < pause, "another recipient is not held");
        gate.wait("a").await;
        assert!(started.elapsed() >= pause);
        gate.pause_channel(pause);
        assert!(gate.paused());
        gate.wait("b").await;
        assert!(
            started.elapsed() >= pause * 2,
            "a channel pause holds everyone"
        );
    }
}
