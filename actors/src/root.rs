//! Starting a supervision tree, stopping it, and learning how it ended.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::address::ActorRef;
use crate::child::ChildContext;
use crate::exit::ExitReason;
use crate::registry::{ActorState, Registry};
use crate::supervisor::{Supervisor, SupervisorSpec};

/// The top of a supervision tree. The root has no parent to escalate to: when it gives up, its
/// exit reason is handed to whoever holds this handle (the gateway exits non-zero and lets the
/// service manager restart the process).
pub struct RootHandle {
    supervisor: ActorRef<Supervisor>,
    entry: Arc<crate::registry::ActorEntry>,
    exit: oneshot::Receiver<ExitReason>,
    exited: Option<ExitReason>,
}

impl RootHandle {
    /// Starts the root supervisor `name` (path `/name`) on the current actix arbiter.
    pub fn start(registry: &Registry, name: &str, spec: SupervisorSpec) -> RootHandle {
        let (mut child, supervisor) = spec.into_child(name);
        let entry = registry.register(
            child.kind,
            format!("/{name}"),
            None,
            Arc::clone(&child.stats),
        );
        child.starter.bind(&entry);
        let cx = ChildContext {
            registry: registry.clone(),
            entry: Arc::clone(&entry),
        };
        let (tx, rx) = oneshot::channel();
        entry.begin_incarnation();
        let exit_entry = Arc::clone(&entry);
        let notify = Box::new(move |reason: ExitReason| {
            let entry = exit_entry;
            entry.set_state(if reason.is_abnormal() {
                ActorState::Failed
            } else {
                ActorState::Stopped
            });
            if reason.is_abnormal() {
                entry.record_error(reason.describe());
            }
            let _ = tx.send(reason);
        });
        // The root is never restarted, so its incarnation handle is not kept: it is stopped through
        // its Shutdown message, and its own destructor stops its children whatever happens.
        let _incarnation = child.starter.start(&cx, None, notify);
        RootHandle {
            supervisor,
            entry,
            exit: rx,
            exited: None,
        }
    }

    /// The root supervisor's address, to add children at run time.
    pub fn supervisor(&self) -> &ActorRef<Supervisor> {
        &self.supervisor
    }

    /// Asks the whole tree to stop in order (children in reverse start order, each within its
    /// shutdown timeout). Returns `false` if the root is already gone.
    pub fn shutdown(&self) -> bool {
        self.entry.request_shutdown();
        self.supervisor.tell_system(crate::Shutdown)
    }

    /// Waits until the root supervisor has stopped, and says why. Cancel-safe: dropping the future
    /// and calling `wait` again keeps waiting for the same exit.
    pub async fn wait(&mut self) -> ExitReason {
        if let Some(reason) = &self.exited {
            return reason.clone();
        }
        // The sender is dropped without a value only if the root's task vanished without running its
        // exit hook, which the kit's panic guards rule out; treat it as killed.
        let reason = (&mut self.exit).await.unwrap_or(ExitReason::Killed);
        self.exited = Some(reason.clone());
        reason
    }
}
