//! How a supervisor is described (`SupervisorSpec`) and the messages it receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::Message;

use super::Supervisor;
use crate::address::ActorRef;
use crate::child::{ActorStarter, ChildContext, ChildSpec};
use crate::exit::ExitReason;
use crate::mailbox::MailboxStats;
use crate::policy::{Backoff, Intensity, RestartType, Strategy};
use crate::registry::ActorId;

/// Mailbox bound of a supervisor: it only receives start and terminate requests (bounded) and child
/// exits (always admitted), so a generous bound costs nothing.
const SUPERVISOR_MAILBOX: usize = 1024;

/// How long a supervisor child gets to stop all of its own children. Supervisors should outwait
/// their workers (OTP uses `infinity`); 30 s covers several workers at their 5 s default.
const SUPERVISOR_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// How to build a supervisor: its strategy, limits and static children.
pub struct SupervisorSpec {
    strategy: Strategy,
    intensity: Intensity,
    backoff: Backoff,
    children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// A supervisor with `strategy`, the default intensity and backoff, and no children yet.
    pub fn new(strategy: Strategy) -> Self {
        SupervisorSpec {
            strategy,
            intensity: Intensity::default(),
            backoff: Backoff::default(),
            children: Vec::new(),
        }
    }

    /// How many restarts it may perform in a period before it escalates.
    pub fn intensity(mut self, intensity: Intensity) -> Self {
        self.intensity = intensity;
        self
    }

    /// The delay between a child's failure and its restart.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Adds a static child; children start in the order they are added and stop in reverse.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// Turns the spec into a (permanent) child of another supervisor, with the address that reaches
    /// every incarnation of the new supervisor.
    pub fn into_child(self, id: impl Into<String>) -> (ChildSpec, ActorRef<Supervisor>) {
        let stats = Arc::new(MailboxStats::new(SUPERVISOR_MAILBOX));
        let me = ActorRef::<Supervisor>::new(Arc::clone(&stats));
        let params = Params {
            strategy: self.strategy,
            intensity: self.intensity,
            backoff: self.backoff,
        };
        let shared = Arc::new(Mutex::new(self.children));
        let factory = {
            let me = me.clone();
            move |cx: &ChildContext| {
                Supervisor::new(cx.clone(), me.clone(), params, Arc::clone(&shared))
            }
        };
        let spec = ChildSpec {
            id: id.into(),
            kind: "supervisor",
            restart: RestartType::Permanent,
            shutdown_timeout: SUPERVISOR_SHUTDOWN_TIMEOUT,
            stats,
            starter: Box::new(ActorStarter::new(factory, me.clone())),
            entry: None,
            forget_when_done: false,
            arbiter: None,
        };
        (spec, me)
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Params {
    pub(super) strategy: Strategy,
    pub(super) intensity: Intensity,
    pub(super) backoff: Backoff,
}

/// Adds a dynamic child and starts it at once.
pub struct StartChild(pub ChildSpec);

impl Message for StartChild {
    type Result = Result<ActorId, StartError>;
}

/// Stops a child (gracefully, within its shutdown timeout) and forgets it. Replies whether a child
/// with that id existed.
pub struct TerminateChild(pub String);

impl Message for TerminateChild {
    type Result = bool;
}

/// Why [`StartChild`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The supervisor already has a child with this id.
    #[error("a child with id {0:?} already exists")]
    AlreadyExists(String),
    /// The supervisor is stopping and starts nothing new.
    #[error("the supervisor is shutting down")]
    ShuttingDown,
}

/// A child's exit, reported by the incarnation's task.
pub(super) struct ChildExited {
    pub(super) key: u64,
    pub(super) generation: u64,
    pub(super) reason: ExitReason,
}

impl Message for ChildExited {
    type Result = ();
}
