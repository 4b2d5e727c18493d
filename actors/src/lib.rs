//! # pincer-actors: a supervision and introspection kit on actix
//!
//! actix gives typed messages and mailboxes, but no way to read a mailbox's length, no hard bound for
//! `do_send`, and a `Supervisor` that neither restarts panicked actors nor knows about siblings. This
//! crate adds those missing pieces without knowing anything about chat, sessions or LLMs:
//!
//! - [`mailbox`]: every message travels in an [`Envelope`] that carries a queue guard, so per-actor
//!   figures (queued now, max, enqueued, handled, rejected, dropped, handler time, what is being handled)
//!   are exact and the "queued now" gauge cannot drift.
//! - [`ActorRef`]: the address callers hold. It enforces the mailbox bound and survives restarts: a
//!   restarted child gets a fresh actor and mailbox behind the same `ActorRef`.
//! - [`Registry`]: a `dashmap` of every live actor (and recently stopped ones) with its place in the
//!   supervision tree, state, restarts and last error; touched at spawn, stop and snapshot only.
//! - [`Supervisor`]: OTP semantics: child specs with permanent / transient / temporary restart,
//!   one-for-one / one-for-all / rest-for-one strategies, restart intensity with escalation, Akka-style
//!   backoff with jitter, panics caught and treated as abnormal exits, ordered shutdown with timeouts.
//!
//! ## Layout
//! - `mailbox.rs`: `MailboxStats`, `Envelope`, queue and handling guards, the [`mailbox!`] macro.
//! - `address.rs`: `ActorRef` and its send errors.
//! - `registry.rs`: `Registry`, `ActorEntry`, snapshots and the tree view.
//! - `managed.rs`: the `Managed` trait every kit actor implements, and the `Shutdown` system message.
//! - `fault.rs`: fault injection ([`InjectPanic`], [`Registry::inject_panic`]) for chaos tests.
//! - `child.rs`: `ChildSpec` and the code that starts one incarnation of a child (on its
//!   supervisor's arbiter or another) and reports its exit.
//! - `arbiters.rs`: `Arbiters`, a set of threads to place children on by a key's hash.
//! - `policy.rs`: restart types, strategies, intensity and backoff (pure, unit-tested).
//! - `supervisor/`: the `Supervisor` actor (`mod.rs`) and its spec and messages (`spec.rs`);
//!   `root.rs`: starting a tree and waiting for it.

// The kit is a library others build on: every public item says why it exists.
#![warn(missing_docs)]

mod address;
mod arbiters;
mod child;
mod exit;
mod fault;
mod mailbox;
mod managed;
mod policy;
mod registry;
mod root;
mod supervisor;

#[cfg(test)]
mod tests;

pub use address::{ActorRef, AskError, SendError};
pub use arbiters::{current_arbiter_number, Arbiters};
pub use child::{
    ChildContext, ChildSpec, Reserved, DEFAULT_MAILBOX_CAPACITY, DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use exit::ExitReason;
pub use fault::{FaultError, InjectPanic};
pub use mailbox::{Delegated, Envelope, HandlerTime, Handling, MailboxSnapshot, MailboxStats};
pub use managed::{Managed, Shutdown};
pub use policy::{Backoff, Intensity, RestartType, Strategy};
pub use registry::{ActorEntry, ActorId, ActorSnapshot, ActorState, ActorTree, Registry};
pub use root::RootHandle;
pub use supervisor::{StartChild, StartError, Supervisor, SupervisorSpec, TerminateChild};

/// Re-exports the [`mailbox!`] macro expands to, so users need not name actix themselves.
#[doc(hidden)]
pub mod __private {
    pub use actix;
}
