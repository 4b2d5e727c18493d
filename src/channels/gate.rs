//! Send pacing for one channel: the outbound rate limit (`sendsPerSecond`, a GCRA limiter) and
//! the pauses the platform asks for, for the whole channel (throughput limits) or for one
//! recipient (WhatsApp's per-user pair limit). Every send waits at the gate first.
//!
//! A channel-wide throttle ends with a probe, not a stampede: when the pause is over, one send
//! goes out alone; the others wait until it succeeds (then they go, paced by the limiter and the
//! window below) or is throttled again (a longer pause, from the channel's own streak of
//! refusals: 1 s doubling to 30 s, whichever reply happened to probe). So a throttled platform
//! sees one request per pause however many replies are waiting.
//!
//! Sends in flight are bounded by a window, as in TCP's slow start: it starts at
//! [`INITIAL_WINDOW`], grows by one with every success up to [`MAX_WINDOW`], and falls back to
//! the start on a channel-wide throttle. A platform that is throttling from the start (or again
//! after a probe) therefore refuses a handful of sends, not every reply that happened to be ready
//! within one round trip, while a healthy channel reaches full concurrency after a few dozen
//! sends.
//!
//! Used only from the channel actor's thread, so interior mutability is plain `Cell`/`RefCell`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The gate of one channel.
pub(crate) struct SendGate {
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    paused_until: Cell<Option<Instant>>,
    recipients: RefCell<HashMap<String, Instant>>,
    /// Channel-wide refusals in a row (the throttle's backoff level).
    streak: Cell<u32>,
    /// Set by a channel pause, cleared by the next success: sends go one at a time.
    probing: Cell<bool>,
    /// A probe send is out.
    probe_out: Cell<bool>,
    /// Wakes the sends waiting behind a probe when it ends.
    probe_done: Rc<tokio::sync::Notify>,
    /// How many sends may be out at once now (see the module header).
    window: Cell<usize>,
    /// Sends out now, and the wake-up of those waiting for room in the window.
    in_flight: Rc<Cell<usize>>,
    window_freed: Rc<tokio::sync::Notify>,
}

/// The window a channel starts with, and falls back to after a channel-wide throttle.
pub(crate) const INITIAL_WINDOW: usize = 4;
/// The most sends a channel has out at once.
pub(crate) const MAX_WINDOW: usize = 256;

/// A send's pass through the gate. It holds the send's place in the window until it is dropped,
/// so hold it until the send's outcome has been reported.
pub(crate) struct Ticket {
    pub(crate) pass: Pass,
    in_flight: Rc<Cell<usize>>,
    freed: Rc<tokio::sync::Notify>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.in_flight.set(self.in_flight.get().saturating_sub(1));
        self.freed.notify_waiters();
    }
}

/// Whether a send that passed the gate is the channel's probe (see the module header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    Normal,
    Probe,
}

impl SendGate {
    pub(crate) fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        SendGate {
            limiter: RateLimiter::direct(Quota::per_second(rate)),
            clock: DefaultClock::default(),
            paused_until: Cell::new(None),
            recipients: RefCell::new(HashMap::new()),
            streak: Cell::new(0),
            probing: Cell::new(false),
            probe_out: Cell::new(false),
            probe_done: Rc::new(tokio::sync::Notify::new()),
            window: Cell::new(INITIAL_WINDOW),
            in_flight: Rc::new(Cell::new(0)),
            window_freed: Rc::new(tokio::sync::Notify::new()),
        }
    }

    fn ticket(&self, pass: Pass) -> Ticket {
        self.in_flight.set(self.in_flight.get() + 1);
        Ticket {
            pass,
            in_flight: Rc::clone(&self.in_flight),
            freed: Rc::clone(&self.window_freed),
        }
    }

    /// Waits until a message to `to` may go out. A [`Pass::Probe`] must be reported with
    /// [`SendGate::probe_ended`] (or end in [`SendGate::throttled`] / [`SendGate::succeeded`]);
    /// the ticket is held while the send is out.
    pub(crate) async fn wait(&self, to: &str) -> Ticket {
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
            if self.probing.get() {
                if self.probe_out.get() {
                    let done = Rc::clone(&self.probe_done);
                    done.notified().await;
                    continue;
                }
                self.probe_out.set(true);
                return self.ticket(Pass::Probe);
            }
            if self.in_flight.get() >= self.window.get() {
                let freed = Rc::clone(&self.window_freed);
                freed.notified().await;
                continue;
            }
            match self.limiter.check() {
                Ok(()) => return self.ticket(Pass::Normal),
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await
                }
            }
        }
    }

    /// The platform throttled the whole channel: pause every send for the channel's next backoff
    /// (or the platform's hint), then probe. Returns the pause.
    pub(crate) fn throttled(&self, hint: Option<Duration>) -> Duration {
        let streak = self.streak.get().saturating_add(1);
        self.streak.set(streak);
        self.window.set(INITIAL_WINDOW);
        let pause = backoff(streak, hint);
        self.pause_channel(pause);
        pause
    }

    /// A send went through: the throttle (if any) is over and everyone may go.
    pub(crate) fn succeeded(&self) {
        self.streak.set(0);
        self.window.set((self.window.get() + 1).min(MAX_WINDOW));
        if self.probing.replace(false) {
            self.probe_ended();
        }
    }

    /// The probe ended without telling about the channel (a permanent or per-recipient
    /// failure): another send may probe.
    pub(crate) fn probe_ended(&self) {
        self.probe_out.set(false);
        self.probe_done.notify_waiters();
    }

    /// Holds every send for `pause` (extends, never shortens, a pause in force); sends resume
    /// one probe at a time.
    pub(crate) fn pause_channel(&self, pause: Duration) {
        self.probing.set(true);
        self.probe_ended();
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
    pub(crate) fn pause_recipient(&self, to: &str, pause: Duration) {
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
    pub(crate) fn paused(&self) -> bool {
        self.paused_until
            .get()
            .is_some_and(|until| until > Instant::now())
    }
}

/// The pause before retry number `attempt` (1-based): 1 s doubling to 30 s, or the platform's
/// own hint (Telegram's `retry_after`) when it gave one.
pub(crate) fn backoff(attempt: u32, hint: Option<Duration>) -> Duration {
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

    #[actix_web::test]
    async fn after_a_throttle_one_probe_goes_first_and_the_rest_follow_its_success() {
        let gate = Rc::new(SendGate::new(1000));
        assert_eq!(gate.throttled(None), Duration::from_secs(1));
        assert_eq!(
            gate.throttled(None),
            Duration::from_secs(2),
            "the streak grows"
        );
        // Cut the 2 s pause short: the test is about what happens when it ends.
        gate.paused_until
            .set(Some(Instant::now() + Duration::from_millis(50)));
        let started = Instant::now();
        assert_eq!(gate.wait("a").await.pass, Pass::Probe);
        assert!(started.elapsed() >= Duration::from_millis(50));
        // A second sender waits behind the probe...
        let follower = {
            let gate = Rc::clone(&gate);
            tokio::task::spawn_local(async move { gate.wait("b").await.pass })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !follower.is_finished(),
            "no second send while the probe is out"
        );
        // ... until it succeeds.
        gate.succeeded();
        assert_eq!(follower.await.ok(), Some(Pass::Normal));
        assert_eq!(gate.wait("c").await.pass, Pass::Normal);
        assert_eq!(
            gate.throttled(None),
            Duration::from_secs(1),
            "success reset the streak"
        );
    }

    #[actix_web::test]
    async fn the_window_starts_small_grows_with_successes_and_shrinks_on_a_throttle() {
        let gate = Rc::new(SendGate::new(1000));
        let first: Vec<Ticket> = {
            let mut held = Vec::new();
            for _ in 0..INITIAL_WINDOW {
                held.push(gate.wait("a").await);
            }
            held
        };
        let next = {
            let gate = Rc::clone(&gate);
            tokio::task::spawn_local(async move { gate.wait("a").await.pass })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !next.is_finished(),
            "no more than {INITIAL_WINDOW} sends out at first"
        );
        gate.succeeded();
        drop(first);
        assert_eq!(next.await.ok(), Some(Pass::Normal));
        for _ in 0..10 {
            gate.succeeded();
        }
        let wide: Vec<Ticket> = {
            let mut held = Vec::new();
            for _ in 0..INITIAL_WINDOW + 10 {
                held.push(gate.wait("a").await);
            }
            held
        };
        assert_eq!(wide.len(), INITIAL_WINDOW + 10, "successes widened it");
        drop(wide);
        gate.throttled(None);
        assert_eq!(
            gate.window.get(),
            INITIAL_WINDOW,
            "a throttle narrows it again"
        );
    }
}
