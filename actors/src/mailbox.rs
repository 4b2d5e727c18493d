//! Instrumented mailboxes.
//!
//! actix keeps its queue length private and lets `do_send` ignore capacity, so the kit counts from the
//! outside. Every message is wrapped in an [`Envelope`] holding a [`QueueGuard`]; the guard is created
//! when the message is admitted and released exactly once: when the handler opens the envelope, or when
//! the envelope is dropped unhandled (a cancelled `ask`, or a mailbox dropped with its dead actor). The
//! "queued now" gauge is therefore exact and returns to 0 whatever happens.
//!
//! Per-message cost is a handful of relaxed atomics; nothing here takes a lock.

#![allow(
    unsafe_code,
    reason = "the busy gauge stores a `&'static str` behind an atomic pointer, read back in `snapshot`"
)]

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix::dev::{MessageResponse, OneshotSender};
use actix::{Actor, Message};
use serde::Serialize;

/// A fixed origin for the microsecond timestamps stored in atomics.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn micros_since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The counters of one actor's mailbox, shared by its [`crate::ActorRef`], its envelopes and the
/// registry. It outlives restarts, so the figures describe the actor across incarnations.
#[derive(Debug)]
pub struct MailboxStats {
    capacity: AtomicUsize,
    queued: AtomicUsize,
    max_queued: AtomicUsize,
    enqueued: AtomicU64,
    handled: AtomicU64,
    rejected_full: AtomicU64,
    dropped: AtomicU64,
    handling: AtomicPtr<&'static str>,
    handling_since_us: AtomicU64,
    handler_ns_total: AtomicU64,
    handler_ns_max: AtomicU64,
}

/// Why a message could not be admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MailboxFull;

impl MailboxStats {
    /// `capacity` 0 means unbounded (used for tasks, which have no mailbox).
    pub fn new(capacity: usize) -> Self {
        MailboxStats {
            capacity: AtomicUsize::new(capacity),
            queued: AtomicUsize::new(0),
            max_queued: AtomicUsize::new(0),
            enqueued: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            rejected_full: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            handling: AtomicPtr::new(ptr::null_mut()),
            handling_since_us: AtomicU64::new(0),
            handler_ns_total: AtomicU64::new(0),
            handler_ns_max: AtomicU64::new(0),
        }
    }

    /// The bound, 0 for unbounded.
    pub fn capacity(&self) -> usize {
        self.capacity.load(Relaxed)
    }

    /// Messages admitted and not yet taken by a handler (nor dropped).
    pub fn queued(&self) -> usize {
        self.queued.load(Relaxed)
    }

    /// Admits one message if the bound allows it. The compare-and-swap makes the bound exact even
    /// with many concurrent senders; a refusal is counted.
    pub(crate) fn admit(self: &Arc<Self>) -> Result<QueueGuard, MailboxFull> {
        let capacity = self.capacity();
        let now_queued = if capacity == 0 {
            self.queued.fetch_add(1, Relaxed) + 1
        } else {
            match self
                .queued
                .fetch_update(Relaxed, Relaxed, |q| (q < capacity).then_some(q + 1))
            {
                Ok(previous) => previous + 1,
                Err(_) => {
                    self.rejected_full.fetch_add(1, Relaxed);
                    return Err(MailboxFull);
                }
            }
        };
        Ok(self.admitted(now_queued))
    }

    /// Admits a system message (shutdown, child exit) whatever the bound: control traffic must never
    /// be refused, or a full mailbox could not even be stopped.
    pub(crate) fn admit_always(self: &Arc<Self>) -> QueueGuard {
        let now_queued = self.queued.fetch_add(1, Relaxed) + 1;
        self.admitted(now_queued)
    }

    fn admitted(self: &Arc<Self>, now_queued: usize) -> QueueGuard {
        self.enqueued.fetch_add(1, Relaxed);
        self.max_queued.fetch_max(now_queued, Relaxed);
        QueueGuard {
            stats: Arc::clone(self),
            opened: false,
        }
    }

    fn begin_handling(&self, name: &'static &'static str) {
        self.handling_since_us.store(micros_since_epoch(), Relaxed);
        self.handling
            .store(name as *const &'static str as *mut &'static str, Release);
    }

    fn end_handling(&self, started: Instant) {
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.handling.store(ptr::null_mut(), Release);
        self.handled.fetch_add(1, Relaxed);
        self.handler_ns_total.fetch_add(nanos, Relaxed);
        self.handler_ns_max.fetch_max(nanos, Relaxed);
    }

    /// A consistent-enough copy of the figures for display (each counter is read once, relaxed).
    pub fn snapshot(&self) -> MailboxSnapshot {
        let handled = self.handled.load(Relaxed);
        let total_ns = self.handler_ns_total.load(Relaxed);
        let current = self.handling.load(Acquire);
        let handling = if current.is_null() {
            None
        } else {
            // SAFETY: the pointer only ever holds `&'static &'static str` values (see `begin_handling`).
            let message: &'static str = unsafe { *current };
            let since_us = self.handling_since_us.load(Relaxed);
            Some(Handling {
                message,
                for_ms: micros_since_epoch().saturating_sub(since_us) / 1000,
            })
        };
        MailboxSnapshot {
            capacity: self.capacity(),
            queued: self.queued(),
            max_queued: self.max_queued.load(Relaxed),
            enqueued: self.enqueued.load(Relaxed),
            handled,
            rejected_full: self.rejected_full.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            handling,
            handler_time: HandlerTime {
                count: handled,
                mean_us: total_ns.checked_div(handled).unwrap_or(0) / 1000,
                max_us: self.handler_ns_max.load(Relaxed) / 1000,
            },
        }
    }
}

/// The figures of one mailbox at one moment, as served by `/admin/actors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxSnapshot {
    /// How many messages the mailbox holds at most.
    pub capacity: usize,
    /// Messages waiting now.
    pub queued: usize,
    /// The highest number ever waiting at once.
    pub max_queued: usize,
    /// Messages accepted since the actor was registered.
    pub enqueued: u64,
    /// Messages whose handler has run.
    pub handled: u64,
    /// Sends refused because the mailbox was full.
    pub rejected_full: u64,
    /// Accepted messages never handled (the actor stopped with them queued).
    pub dropped: u64,
    /// The message being handled now, if any: a stuck actor shows here with how long it has been stuck.
    pub handling: Option<Handling>,
    /// How long handlers take.
    pub handler_time: HandlerTime,
}

/// What an actor is busy with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handling {
    /// The message's type name.
    pub message: &'static str,
    /// How long its handler has been running, in milliseconds.
    pub for_ms: u64,
}

/// Time spent inside handlers (the synchronous part; asynchronous replies run on the actor's
/// context afterwards and are not included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandlerTime {
    /// Handlers run.
    pub count: u64,
    /// Their mean duration, in microseconds.
    pub mean_us: u64,
    /// The longest one, in microseconds.
    pub max_us: u64,
}

/// Holds one slot of the "queued now" gauge; releases it exactly once, on drop.
#[derive(Debug)]
pub(crate) struct QueueGuard {
    stats: Arc<MailboxStats>,
    opened: bool,
}

impl Drop for QueueGuard {
    fn drop(&mut self) {
        self.stats.queued.fetch_sub(1, Relaxed);
        if !self.opened {
            self.stats.dropped.fetch_add(1, Relaxed);
        }
    }
}

/// A message on its way through an instrumented mailbox. Only the kit builds envelopes; the
/// [`mailbox!`](crate::mailbox!) macro writes the handlers that open them.
pub struct Envelope<M> {
    message: M,
    guard: QueueGuard,
}

impl<M: Message> Message for Envelope<M> {
    type Result = M::Result;
}

impl<M> Envelope<M> {
    pub(crate) fn new(message: M, guard: QueueGuard) -> Self {
        Envelope { message, guard }
    }

    /// Takes the message back undelivered; the queue slot is released and counted as dropped.
    pub(crate) fn into_message(self) -> M {
        self.message
    }

    /// Takes the message out, releasing its queue slot and marking the actor busy with `name` until
    /// the returned guard drops (also when the handler panics).
    #[doc(hidden)]
    pub fn open(self, name: &'static &'static str) -> (M, HandlingGuard) {
        let Envelope { message, mut guard } = self;
        guard.opened = true;
        let stats = Arc::clone(&guard.stats);
        drop(guard);
        stats.begin_handling(name);
        let handling = HandlingGuard {
            stats,
            started: Instant::now(),
        };
        (message, handling)
    }
}

/// Marks the actor as busy while alive; records the handler time when dropped.
#[doc(hidden)]
pub struct HandlingGuard {
    stats: Arc<MailboxStats>,
    started: Instant,
}

impl Drop for HandlingGuard {
    fn drop(&mut self) {
        self.stats.end_handling(self.started);
    }
}

/// The reply of an envelope handler: delegates to whatever the actor's own handler returned, so every
/// actix response type (`MessageResult`, `ResponseFuture`, `ResponseActFuture`, ...) keeps working.
pub struct Delegated<R, M>(pub R, pub PhantomData<fn() -> M>);

impl<A, M, R> MessageResponse<A, Envelope<M>> for Delegated<R, M>
where
    A: Actor,
    M: Message,
    R: MessageResponse<A, M>,
{
    fn handle(self, ctx: &mut A::Context, tx: Option<OneshotSender<M::Result>>) {
        self.0.handle(ctx, tx)
    }
}

/// Declares which messages an actor receives through its instrumented mailbox, and gives it the
/// kit's system messages. Invoke it exactly once per actor, after its `Handler` impls:
///
/// ```text
/// pincer_actors::mailbox!(Counter: Increment, Get);
/// ```
///
/// It writes, for each message, a handler for `Envelope<Msg>` that opens the envelope (updating the
/// mailbox figures) and calls the actor's own `Handler<Msg>`; and handlers for the kit's `Shutdown`
/// and `InjectPanic` (which panics, see `fault.rs`).
#[macro_export]
macro_rules! mailbox {
    ($actor:ty : $($message:ty),* $(,)?) => {
        $(
            impl $crate::__private::actix::Handler<$crate::Envelope<$message>> for $actor {
                type Result = $crate::Delegated<
                    <$actor as $crate::__private::actix::Handler<$message>>::Result,
                    $message,
                >;

                fn handle(
                    &mut self,
                    envelope: $crate::Envelope<$message>,
                    ctx: &mut Self::Context,
                ) -> Self::Result {
                    static NAME: &str = stringify!($message);
                    let (message, _handling) = envelope.open(&NAME);
                    $crate::Delegated(
                        <$actor as $crate::__private::actix::Handler<$message>>::handle(self, message, ctx),
                        ::std::marker::PhantomData,
                    )
                }
            }
        )*

        impl $crate::__private::actix::Handler<$crate::Envelope<$crate::Shutdown>> for $actor {
            type Result = ();

            fn handle(
                &mut self,
                envelope: $crate::Envelope<$crate::Shutdown>,
                ctx: &mut Self::Context,
            ) {
                static NAME: &str = "Shutdown";
                let (_shutdown, _handling) = envelope.open(&NAME);
                <$actor as $crate::Managed>::shutdown(self, ctx);
            }
        }

        impl $crate::__private::actix::Handler<$crate::Envelope<$crate::InjectPanic>> for $actor {
            type Result = ();

            fn handle(
                &mut self,
                envelope: $crate::Envelope<$crate::InjectPanic>,
                _ctx: &mut Self::Context,
            ) {
                static NAME: &str = "InjectPanic";
                let (fault, _handling) = envelope.open(&NAME);
                panic!("injected fault: {}", fault.0);
            }
        }
    };
}
