//! Fault injection: make a running actor or task panic on request, to prove that supervision
//! works on the real system (chaos tests, an operator's drill).
//!
//! An actor gets an [`InjectPanic`] message through its own mailbox, behind the messages already
//! queued, and its handler panics; a task (which has no mailbox) panics at its next poll. Either
//! way the panic takes the same road as a real one: caught around the incarnation, reported as
//! [`crate::ExitReason::Panicked`], restarted per the child's restart type, and shown as the
//! actor's `last_error` and `restarts` in the registry. Each incarnation installs its hook in its
//! registry entry when it starts; [`crate::Registry::inject_panic`] calls it.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use actix::Message;
use tokio::sync::oneshot;

/// The kit's fault-injection message: its handler (written by [`crate::mailbox!`]) panics with
/// the text.
#[derive(Debug, Clone)]
pub struct InjectPanic(pub String);

impl Message for InjectPanic {
    type Result = ();
}

/// Why a panic could not be injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// No actor has this number (it never existed, or it stopped long enough ago to be forgotten).
    #[error("no actor with id {0}")]
    UnknownActor(u64),
    /// The actor exists but is not running (restarting, stopped or failed).
    #[error("actor {0} is not running")]
    NotRunning(u64),
}

/// How one incarnation receives an injected panic: `true` when it was delivered.
pub(crate) type FaultHook = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// The slot in a registry entry holding the current incarnation's hook.
#[derive(Default)]
pub(crate) struct FaultSlot(Mutex<Option<FaultHook>>);

impl std::fmt::Debug for FaultSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaultSlot")
    }
}

impl FaultSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<FaultHook>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn install(&self, hook: FaultHook) {
        *self.lock() = Some(hook);
    }

    /// Delivers `message` to the current incarnation; `false` when there is none to take it.
    pub(crate) fn fire(&self, message: &str) -> bool {
        self.lock().as_ref().is_some_and(|hook| hook(message))
    }
}

/// The task side: a hook that completes `trigger`, and the future a task is raced against.
pub(crate) fn task_trigger() -> (FaultHook, oneshot::Receiver<String>) {
    let (sender, receiver) = oneshot::channel::<String>();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let hook: FaultHook = Box::new(move |message| {
        let taken = sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        taken.is_some_and(|sender| sender.send(message.to_string()).is_ok())
    });
    (hook, receiver)
}

/// Waits for an injected fault and panics with it; pending forever when none comes.
pub(crate) async fn panic_when_triggered(trigger: oneshot::Receiver<String>) -> Infallible {
    match trigger.await {
        Ok(message) => panic!("injected fault: {message}"),
        Err(_no_more_faults) => std::future::pending::<Infallible>().await,
    }
}
