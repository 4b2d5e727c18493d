//! The `Supervisor` actor: OTP supervision on actix.
//!
//! A supervisor owns an ordered list of children (static ones from its [`SupervisorSpec`], dynamic
//! ones added with [`StartChild`]). When a child exits on its own, the supervisor decides from the
//! child's restart type whether to restart it, checks its restart intensity (escalating to its own
//! parent when exceeded), and restarts after the child's backoff delay. Under one_for_one the
//! restart is a timer of its own; under one_for_all and rest_for_one it is a small plan: stop the
//! affected siblings in reverse start order, wait the delay, start them again in order. The plan
//! runs one step at a time; a "stop" step waits for the child's exit (or kills it after its
//! shutdown timeout). The same plan performs an orderly shutdown: stop every child in reverse
//! order, then stop.
//!
//! A supervisor is itself a kit actor, so it shows in the registry with its mailbox, and a
//! supervisor can be the child of another supervisor.

use std::collections::VecDeque;
use std::mem;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, ActorContext, AsyncContext, Context, Handler, SpawnHandle};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

mod spec;

pub use spec::{StartChild, StartError, SupervisorSpec, TerminateChild};

use self::spec::{ChildExited, Params};
use crate::address::ActorRef;
use crate::child::{ChildContext, ChildSpec, Incarnation};
use crate::exit::ExitReason;
use crate::managed::Managed;
use crate::policy::{jitter_random, RestartLog, RestartType, Strategy};
use crate::registry::{ActorEntry, ActorId, ActorState};

struct Slot {
    key: u64,
    spec: ChildSpec,
    entry: Arc<ActorEntry>,
    /// The child's place among the static children, `None` for dynamic ones.
    static_order: Option<usize>,
    running: Option<Running>,
    /// Consecutive failures, for the backoff exponent.
    attempts: u32,
    remove_on_exit: bool,
}

struct Running {
    generation: u64,
    since: Instant,
    incarnation: Incarnation,
    stopping: bool,
}

enum Step {
    Stop(u64),
    Start(u64),
    Delay(Duration),
    Finish,
}

enum Waiting {
    Nothing,
    ChildStop(u64),
    Delay(SpawnHandle),
}

/// A supervisor actor. Build one with [`SupervisorSpec`] and start it with
/// [`crate::RootHandle::start`] or as a child of another supervisor.
pub struct Supervisor {
    cx: ChildContext,
    me: ActorRef<Supervisor>,
    params: Params,
    shared_specs: Arc<Mutex<Vec<ChildSpec>>>,
    slots: Vec<Slot>,
    plan: VecDeque<Step>,
    waiting: Waiting,
    restart_log: RestartLog,
    terminating: bool,
    next_key: u64,
    next_generation: u64,
    next_static: usize,
    /// Static children removed in this incarnation, with their order (see `remove_slot`).
    retired: Vec<(usize, ChildSpec)>,
}

impl Supervisor {
    /// Builds an incarnation and starts its static children right away (in order), so that their
    /// addresses accept messages as soon as the supervisor's own start returns.
    fn new(
        cx: ChildContext,
        me: ActorRef<Supervisor>,
        params: Params,
        shared_specs: Arc<Mutex<Vec<ChildSpec>>>,
    ) -> Self {
        let specs = mem::take(
            &mut *shared_specs
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let mut supervisor = Supervisor {
            cx,
            me,
            params,
            shared_specs,
            slots: Vec::new(),
            plan: VecDeque::new(),
            waiting: Waiting::Nothing,
            restart_log: RestartLog::default(),
            terminating: false,
            next_key: 1,
            next_generation: 1,
            next_static: 0,
            retired: Vec::new(),
        };
        let keys: Vec<u64> = specs
            .into_iter()
            .map(|spec| supervisor.add_slot(spec, true))
            .collect();
        for key in keys {
            supervisor.start_slot(key);
        }
        supervisor
    }

    fn add_slot(&mut self, spec: ChildSpec, is_static: bool) -> u64 {
        let static_order = is_static.then(|| {
            self.next_static += 1;
            self.next_static - 1
        });
        let key = self.next_key;
        self.next_key += 1;
        let path = format!("{}/{}", self.cx.path(), spec.id);
        let entry = match spec.existing_entry() {
            Some(entry) => entry,
            None => {
                let entry = self.cx.registry.register(
                    spec.kind,
                    path,
                    Some(self.cx.id()),
                    Arc::clone(&spec.stats),
                );
                spec.starter.bind(&entry);
                entry
            }
        };
        self.slots.push(Slot {
            key,
            spec,
            entry,
            static_order,
            running: None,
            attempts: 0,
            remove_on_exit: false,
        });
        key
    }

    /// Forgets a child. A static child's spec is kept aside: like OTP's `init/1`, the next
    /// incarnation of this supervisor starts every static child again, whatever became of it here.
    fn remove_slot(&mut self, index: usize) {
        let slot = self.slots.remove(index);
        if let Some(order) = slot.static_order {
            let mut spec = slot.spec;
            spec.entry = Some(slot.entry);
            self.retired.push((order, spec));
        }
    }

    /// Unregisters a child being removed after a normal end, if its spec asked for that.
    fn forget_if_done(&self, index: usize, reason: &ExitReason) {
        let slot = &self.slots[index];
        // A child that needed restarts stays visible for the grace period even if it ended well:
        // its restarts and last error are what an operator looks for.
        if slot.spec.forget_when_done
            && !reason.is_abnormal()
            && slot.entry.restarts() == 0
            && slot.static_order.is_none()
        {
            self.cx.registry.unregister(slot.entry.id());
        }
    }

    fn index_of(&self, key: u64) -> Option<usize> {
        self.slots.iter().position(|slot| slot.key == key)
    }

    fn start_slot(&mut self, key: u64) {
        // A restart timer may fire after shutdown began; nothing starts then.
        if self.terminating {
            return;
        }
        let Some(index) = self.index_of(key) else {
            return;
        };
        let generation = self.next_generation;
        self.next_generation += 1;
        let me = self.me.clone();
        let registry = self.cx.registry.clone();
        let slot = &mut self.slots[index];
        if slot.running.is_some() {
            return;
        }
        slot.entry.begin_incarnation();
        let child_cx = ChildContext {
            registry,
            entry: Arc::clone(&slot.entry),
        };
        let notify = Box::new(move |reason: ExitReason| {
            // If the supervisor is gone, its destructor already stopped this child.
            let _ = me.tell_system(ChildExited {
                key,
                generation,
                reason,
            });
        });
        let incarnation = slot
            .spec
            .starter
            .start(&child_cx, slot.spec.arbiter.as_ref(), notify);
        debug!(
            path = slot.entry.path(),
            restarts = slot.entry.restarts(),
            "child started"
        );
        slot.running = Some(Running {
            generation,
            since: Instant::now(),
            incarnation,
            stopping: false,
        });
    }

    /// Asks a running child to stop and arms its kill timer. Returns whether there is an exit to
    /// wait for.
    fn begin_stop(&mut self, key: u64, ctx: &mut Context<Self>) -> bool {
        let Some(index) = self.index_of(key) else {
            return false;
        };
        let slot = &mut self.slots[index];
        let timeout = slot.spec.shutdown_timeout;
        let Some(running) = slot.running.as_mut() else {
            return false;
        };
        if running.stopping {
            return true;
        }
        running.stopping = true;
        let generation = running.generation;
        if !running.incarnation.request_stop() || timeout.is_zero() {
            running.incarnation.kill();
        } else {
            ctx.run_later(timeout, move |supervisor, _ctx| {
                supervisor.kill_if_still_stopping(key, generation)
            });
        }
        true
    }

    fn kill_if_still_stopping(&mut self, key: u64, generation: u64) {
        let Some(index) = self.index_of(key) else {
            return;
        };
        let slot = &self.slots[index];
        if let Some(running) = &slot.running {
            if running.generation == generation && running.stopping {
                warn!(
                    path = slot.entry.path(),
                    timeout_ms = slot.spec.shutdown_timeout.as_millis() as u64,
                    "child did not stop in time; killing it"
                );
                running.incarnation.kill();
            }
        }
    }

    fn advance(&mut self, ctx: &mut Context<Self>) {
        while matches!(self.waiting, Waiting::Nothing) {
            let Some(step) = self.plan.pop_front() else {
                return;
            };
            match step {
                Step::Stop(key) => {
                    if self.begin_stop(key, ctx) {
                        self.waiting = Waiting::ChildStop(key);
                    }
                }
                Step::Start(key) => self.start_slot(key),
                Step::Delay(delay) if delay.is_zero() => {}
                Step::Delay(delay) => {
                    let handle = ctx.run_later(delay, |supervisor, ctx| {
                        supervisor.waiting = Waiting::Nothing;
                        supervisor.advance(ctx);
                    });
                    self.waiting = Waiting::Delay(handle);
                }
                Step::Finish => {
                    for slot in &self.slots {
                        slot.entry.set_state(ActorState::Stopped);
                    }
                    ctx.stop();
                    return;
                }
            }
        }
    }

    fn child_exited(&mut self, exited: ChildExited, ctx: &mut Context<Self>) {
        let ChildExited {
            key,
            generation,
            reason,
        } = exited;
        let Some(index) = self.index_of(key) else {
            return;
        };
        let slot = &mut self.slots[index];
        if slot.running.as_ref().map(|r| r.generation) != Some(generation) {
            return;
        }
        let Some(running) = slot.running.take() else {
            return;
        };
        if running.stopping || self.terminating {
            self.requested_exit_done(index, key, reason, ctx);
        } else {
            self.spontaneous_exit(index, reason, running.since.elapsed(), ctx);
        }
    }

    /// A child we asked to stop has stopped (or one stopped while we are terminating anyway).
    fn requested_exit_done(
        &mut self,
        index: usize,
        key: u64,
        reason: ExitReason,
        ctx: &mut Context<Self>,
    ) {
        let slot = &mut self.slots[index];
        if matches!(
            reason,
            ExitReason::Killed | ExitReason::Panicked(_) | ExitReason::Failed(_)
        ) {
            slot.entry.record_error(reason.describe());
        }
        debug!(path = slot.entry.path(), reason = %reason.describe(), "child stopped");
        let remove = slot.remove_on_exit || slot.spec.restart == RestartType::Temporary;
        if self.terminating || remove {
            slot.entry.set_state(ActorState::Stopped);
        } else {
            slot.entry.set_state(ActorState::Restarting);
        }
        if remove {
            self.forget_if_done(index, &reason);
            self.remove_slot(index);
        }
        if matches!(self.waiting, Waiting::ChildStop(waited) if waited == key) {
            self.waiting = Waiting::Nothing;
            self.advance(ctx);
        }
    }

    fn spontaneous_exit(
        &mut self,
        index: usize,
        reason: ExitReason,
        lived: Duration,
        ctx: &mut Context<Self>,
    ) {
        let params = self.params;
        let slot = &mut self.slots[index];
        let abnormal = reason.is_abnormal();
        if abnormal {
            warn!(path = slot.entry.path(), reason = %reason.describe(), "child exited abnormally");
            slot.entry.record_error(reason.describe());
        } else {
            debug!(path = slot.entry.path(), reason = %reason.describe(), "child exited");
        }
        let restart = match slot.spec.restart {
            RestartType::Permanent => true,
            RestartType::Transient => abnormal,
            RestartType::Temporary => false,
        };
        if !restart {
            slot.entry.set_state(if abnormal {
                ActorState::Failed
            } else {
                ActorState::Stopped
            });
            self.forget_if_done(index, &reason);
            self.remove_slot(index);
            return;
        }
        let path = slot.entry.path().to_string();
        if !self
            .restart_log
            .try_record(params.intensity, Instant::now())
        {
            let why = format!(
                "restart intensity exceeded ({} restarts in {} ms); last failure: {path} {}",
                params.intensity.max_restarts,
                params.intensity.period.as_millis(),
                reason.describe()
            );
            self.slots[index].entry.set_state(ActorState::Failed);
            self.escalate(why, ctx);
            return;
        }
        let slot = &mut self.slots[index];
        slot.entry.set_state(ActorState::Restarting);
        if lived >= params.backoff.reset_after {
            slot.attempts = 0;
        }
        let delay = params.backoff.delay(slot.attempts, jitter_random());
        slot.attempts = slot.attempts.saturating_add(1);
        let failed_key = slot.key;
        info!(path = %path, delay_ms = delay.as_millis() as u64, strategy = ?params.strategy, "restarting child");
        let group: Vec<u64> = match params.strategy {
            Strategy::OneForOne => {
                // Independent children restart on their own timers, so that one child's backoff
                // never delays another's restart.
                if delay.is_zero() {
                    self.start_slot(failed_key);
                } else {
                    ctx.run_later(delay, move |supervisor, _ctx| {
                        supervisor.start_slot(failed_key)
                    });
                }
                return;
            }
            Strategy::OneForAll => self.slots.iter().map(|s| s.key).collect(),
            Strategy::RestForOne => self.slots[index..].iter().map(|s| s.key).collect(),
        };
        for &key in group.iter().rev().filter(|&&k| k != failed_key) {
            self.plan.push_back(Step::Stop(key));
        }
        self.plan.push_back(Step::Delay(delay));
        for &key in &group {
            self.plan.push_back(Step::Start(key));
        }
        self.advance(ctx);
    }

    /// Gives up: stops every child, then stops as failed so that the parent applies its policy.
    fn escalate(&mut self, why: String, ctx: &mut Context<Self>) {
        error!(path = self.cx.path(), reason = %why, "supervisor escalating");
        self.cx.entry.set_pending_failure(why);
        self.begin_termination(ctx);
    }

    fn begin_termination(&mut self, ctx: &mut Context<Self>) {
        if self.terminating {
            return;
        }
        self.terminating = true;
        self.plan.clear();
        if let Waiting::Delay(handle) = mem::replace(&mut self.waiting, Waiting::Nothing) {
            ctx.cancel_future(handle);
        }
        for slot in self.slots.iter().rev() {
            self.plan.push_back(Step::Stop(slot.key));
        }
        self.plan.push_back(Step::Finish);
        self.advance(ctx);
    }
}

impl ChildSpec {
    /// The registry entry a static child got from an earlier incarnation of its supervisor, so
    /// that a restarted supervisor's children keep their ids and addresses.
    fn existing_entry(&self) -> Option<Arc<ActorEntry>> {
        self.entry.clone()
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

impl Drop for Supervisor {
    /// Whatever ended this incarnation (an orderly stop, a panic, being killed), no child may outlive
    /// it, and the static specs go back for the next incarnation.
    fn drop(&mut self) {
        let mut returned = mem::take(&mut self.retired);
        for mut slot in self.slots.drain(..) {
            if let Some(running) = slot.running.take() {
                running.incarnation.kill();
            }
            slot.entry.set_state(ActorState::Stopped);
            if let Some(order) = slot.static_order {
                slot.spec.entry = Some(slot.entry);
                returned.push((order, slot.spec));
            }
        }
        returned.sort_by_key(|(order, _)| *order);
        let mut shared = self
            .shared_specs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shared.extend(returned.into_iter().map(|(_, spec)| spec));
    }
}

impl Managed for Supervisor {
    fn shutdown(&mut self, ctx: &mut Context<Self>) {
        self.begin_termination(ctx);
    }
}

impl Handler<ChildExited> for Supervisor {
    type Result = ();

    fn handle(&mut self, exited: ChildExited, ctx: &mut Context<Self>) {
        self.child_exited(exited, ctx);
    }
}

impl Handler<StartChild> for Supervisor {
    type Result = Result<ActorId, StartError>;

    fn handle(&mut self, StartChild(spec): StartChild, _ctx: &mut Context<Self>) -> Self::Result {
        if self.terminating {
            return Err(StartError::ShuttingDown);
        }
        if self.slots.iter().any(|slot| slot.spec.id == spec.id) {
            return Err(StartError::AlreadyExists(spec.id));
        }
        let key = self.add_slot(spec, false);
        self.start_slot(key);
        Ok(self
            .slots
            .last()
            .map(|slot| slot.entry.id())
            .unwrap_or_default())
    }
}

impl Handler<TerminateChild> for Supervisor {
    type Result = bool;

    fn handle(&mut self, TerminateChild(id): TerminateChild, ctx: &mut Context<Self>) -> bool {
        let Some(index) = self.slots.iter().position(|slot| slot.spec.id == id) else {
            return false;
        };
        let key = self.slots[index].key;
        self.slots[index].remove_on_exit = true;
        if !self.begin_stop(key, ctx) {
            self.slots[index].entry.set_state(ActorState::Stopped);
            self.remove_slot(index);
        }
        true
    }
}

crate::mailbox!(Supervisor: ChildExited, StartChild, TerminateChild);
