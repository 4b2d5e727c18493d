//! Why an actor or task stopped: the input to every restart decision.

use std::any::Any;

/// The end of one incarnation of a child, as its supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// It stopped by itself without reporting a failure (a finished task, `ctx.stop()`).
    Normal,
    /// It stopped because its supervisor asked it to.
    Shutdown,
    /// It reported a failure ([`crate::ChildContext::fail`], or a task that returned `Err`).
    Failed(String),
    /// A handler, a lifecycle hook or a task panicked; the panic was caught.
    Panicked(String),
    /// It did not stop within its shutdown timeout and was dropped.
    Killed,
}

impl ExitReason {
    /// Abnormal exits are the ones a transient child is restarted after.
    pub fn is_abnormal(&self) -> bool {
        matches!(
            self,
            ExitReason::Failed(_) | ExitReason::Panicked(_) | ExitReason::Killed
        )
    }

    /// A human-readable description for logs and `last_error`.
    pub fn describe(&self) -> String {
        match self {
            ExitReason::Normal => "exited normally".to_string(),
            ExitReason::Shutdown => "shut down".to_string(),
            ExitReason::Failed(why) => format!("failed: {why}"),
            ExitReason::Panicked(why) => format!("panicked: {why}"),
            ExitReason::Killed => "killed after its shutdown timeout".to_string(),
        }
    }

    /// Turns a caught panic payload into a reason, keeping the panic message when it is a string.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        let message = if let Some(text) = payload.downcast_ref::<&str>() {
            (*text).to_string()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "panic with a non-string payload".to_string()
        };
        ExitReason::Panicked(message)
    }
}
