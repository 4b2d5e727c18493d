//! `ActorRef`: the address callers hold.
//!
//! It wraps actix's `Addr` with two things actix lacks. First, a hard mailbox bound: admission is a
//! compare-and-swap on the mailbox's queued gauge, so a full mailbox refuses and the caller gets its
//! message back. (actix's own capacity is bypassed by `do_send` and by every fresh `Addr` clone, so
//! the kit sets it to unbounded and enforces the bound itself.) Second, continuity across restarts:
//! when a supervisor restarts a child, the new incarnation's `Addr` is installed behind the same
//! `ActorRef`, which is how "restart with the same address" works. Messages queued in a dead
//! incarnation's mailbox are dropped with it (and counted), as in OTP.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, RwLock};

use actix::dev::ToEnvelope;
use actix::{Addr, Handler, Message};

use crate::mailbox::{Envelope, MailboxStats};
use crate::managed::Managed;
use crate::registry::{ActorEntry, ActorId};

/// The address of a supervised actor, stable across its restarts.
pub struct ActorRef<A: Managed> {
    inner: Arc<RefInner<A>>,
}

struct RefInner<A: Managed> {
    current: RwLock<Option<(u64, Addr<A>)>>,
    next_generation: AtomicU64,
    stats: Arc<MailboxStats>,
    entry: OnceLock<Arc<ActorEntry>>,
}

impl<A: Managed> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A: Managed> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorRef")
            .field("path", &self.path())
            .field("running", &self.is_running())
            .finish()
    }
}

/// A message that could not be delivered; the message is handed back.
pub enum SendError<M> {
    /// The mailbox holds as many messages as its capacity allows.
    Full(M),
    /// The actor is not running (not started yet, restarting, or stopped).
    NotRunning(M),
}

impl<M> SendError<M> {
    /// Gives back the message that could not be delivered, to retry or report it.
    pub fn into_inner(self) -> M {
        match self {
            SendError::Full(m) | SendError::NotRunning(m) => m,
        }
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("mailbox full"),
            SendError::NotRunning(_) => f.write_str("actor not running"),
        }
    }
}

impl<M> std::error::Error for SendError<M> {}

/// Why an `ask` got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AskError {
    /// The mailbox was at capacity when the question was asked.
    #[error("mailbox full")]
    Full,
    /// The actor was not running (not started yet, restarting, or stopped).
    #[error("actor not running")]
    NotRunning,
    /// The actor stopped (or crashed) with the message still queued or being handled.
    #[error("actor stopped before replying")]
    Stopped,
}

impl<A: Managed> ActorRef<A> {
    pub(crate) fn new(stats: Arc<MailboxStats>) -> Self {
        ActorRef {
            inner: Arc::new(RefInner {
                current: RwLock::new(None),
                next_generation: AtomicU64::new(1),
                stats,
                entry: OnceLock::new(),
            }),
        }
    }

    pub(crate) fn bind_entry(&self, entry: Arc<ActorEntry>) {
        // A ref is bound once, when its spec is first added to a supervisor.
        let _ = self.inner.entry.set(entry);
    }

    /// Makes `addr` the current incarnation; returns its generation for [`Self::uninstall`].
    pub(crate) fn install(&self, addr: Addr<A>) -> u64 {
        let generation = self.inner.next_generation.fetch_add(1, Relaxed);
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *current = Some((generation, addr));
        generation
    }

    /// Forgets the incarnation `generation` if it is still the current one.
    pub(crate) fn uninstall(&self, generation: u64) {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.as_ref().is_some_and(|(g, _)| *g == generation) {
            *current = None;
        }
    }

    fn with_addr<R>(&self, f: impl FnOnce(Option<&Addr<A>>) -> R) -> R {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(current
            .as_ref()
            .map(|(_, addr)| addr)
            .filter(|a| a.connected()))
    }

    /// Sends without waiting for a reply. Refused when the mailbox is full or the actor is down.
    pub fn tell<M>(&self, message: M) -> Result<(), SendError<M>>
    where
        A: Handler<Envelope<M>>,
        A::Context: ToEnvelope<A, Envelope<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        self.with_addr(|addr| {
            let Some(addr) = addr else {
                return Err(SendError::NotRunning(message));
            };
            let guard = match self.inner.stats.admit() {
                Ok(guard) => guard,
                Err(_) => return Err(SendError::Full(message)),
            };
            // The mailbox is unbounded at the actix level, so the only failure is a closed mailbox
            // (the actor died after the check above); the guard then counts the message as dropped.
            addr.try_send(Envelope::new(message, guard))
                .map_err(|e| SendError::NotRunning(e.into_inner().into_message()))
        })
    }

    /// Sends and waits for the reply. Admission happens now; the returned future only waits, and
    /// dropping it cancels the message (it is skipped and counted as dropped).
    pub fn ask<M>(&self, message: M) -> impl Future<Output = Result<M::Result, AskError>> + 'static
    where
        A: Handler<Envelope<M>>,
        A::Context: ToEnvelope<A, Envelope<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        let request = self.with_addr(|addr| {
            let addr = addr.ok_or(AskError::NotRunning)?;
            let guard = self.inner.stats.admit().map_err(|_| AskError::Full)?;
            Ok(addr.send(Envelope::new(message, guard)))
        });
        async move {
            match request {
                Ok(request) => request.await.map_err(|_| AskError::Stopped),
                Err(error) => Err(error),
            }
        }
    }

    /// Delivers a control message whatever the bound; `false` when the actor is down.
    pub(crate) fn tell_system<M>(&self, message: M) -> bool
    where
        A: Handler<Envelope<M>>,
        A::Context: ToEnvelope<A, Envelope<M>>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        self.with_addr(|addr| match addr {
            Some(addr) => {
                let guard = self.inner.stats.admit_always();
                addr.try_send(Envelope::new(message, guard)).is_ok()
            }
            None => false,
        })
    }

    /// True while an incarnation is installed and its mailbox open.
    pub fn is_running(&self) -> bool {
        self.with_addr(|addr| addr.is_some())
    }

    /// The mailbox counters (shared with the registry).
    pub fn stats(&self) -> &Arc<MailboxStats> {
        &self.inner.stats
    }

    /// The registry id, once the actor has been added to a supervisor.
    pub fn id(&self) -> Option<ActorId> {
        self.inner.entry.get().map(|entry| entry.id())
    }

    /// The path in the supervision tree, once added to a supervisor.
    pub fn path(&self) -> Option<&str> {
        self.inner.entry.get().map(|entry| entry.path())
    }
}
