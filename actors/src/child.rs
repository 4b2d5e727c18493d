//! Child specs, and starting one incarnation of a child.
//!
//! A [`ChildSpec`] says how to (re)create a child: a factory for an actor or a task, its restart
//! type, its shutdown timeout, its mailbox capacity, and the arbiter it runs on. Starting it spawns
//! the incarnation on that arbiter (the supervisor's own unless [`ChildSpec::on`] names another)
//! inside `catch_unwind`, so a panic anywhere in the actor (a handler, a lifecycle hook, a future
//! spawned on its context) or in the task ends the incarnation with [`ExitReason::Panicked`]
//! instead of silently killing it, and the supervisor is always told how it ended.
//!
//! A child on another arbiter is supervised exactly like a local one. Its mailbox is made on the
//! supervisor's thread and installed behind the child's [`ActorRef`] before the incarnation is
//! built, so messages sent right after the start are queued, not refused; the factory then runs
//! on the child's arbiter (its actor or future need not be `Send`); its exit comes back to the
//! supervisor as a message, as every exit does; stopping and killing it are a message and an
//! abort handle, both thread-safe.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;

use actix::dev::channel;
use actix::{ActorContext, Addr, ArbiterHandle, Context};
use futures_util::future::{AbortHandle, AbortRegistration, Abortable, Either, LocalBoxFuture};
use futures_util::FutureExt;

use crate::address::ActorRef;
use crate::exit::ExitReason;
use crate::fault::{self, InjectPanic};
use crate::mailbox::MailboxStats;
use crate::managed::{Managed, Shutdown};
use crate::policy::RestartType;
use crate::registry::{ActorEntry, ActorId, Registry};

/// Mailbox bound when a spec does not set one. A personal assistant's actors rarely have more than a
/// few messages waiting; 64 absorbs bursts, and a mailbox that fills up points at a stuck actor,
/// which is better reported to the sender than hidden behind unbounded memory growth.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 64;

/// How long a worker gets to stop after being asked (OTP's default for workers).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What a child knows about itself: its registry entry and the registry. Actors keep it to name
/// their own children or to report a failure with [`ChildContext::fail`].
#[derive(Debug, Clone)]
pub struct ChildContext {
    pub(crate) registry: Registry,
    pub(crate) entry: Arc<ActorEntry>,
}

impl ChildContext {
    /// The actor's number, stable across restarts.
    pub fn id(&self) -> ActorId {
        self.entry.id()
    }

    /// The actor's place in the tree, e.g. `/gateway/sessions/agent:main:main`.
    pub fn path(&self) -> &str {
        self.entry.path()
    }

    /// The registry this actor is listed in, to look up or inject into its peers.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Publishes a one-line status shown with the actor in `/admin/actors` (e.g. "3/4 permits,
    /// 2 waiting"). Cheap enough for every state change, not for every message.
    pub fn set_status(&self, status: impl Into<String>) {
        self.entry.set_status(Some(status.into()));
    }

    /// Stops the actor as failed: its supervisor restarts it if its restart type says so, and the
    /// reason shows as `last_error` in the registry.
    pub fn fail<C: ActorContext>(&self, ctx: &mut C, reason: impl Into<String>) {
        self.entry.set_pending_failure(reason.into());
        ctx.stop();
    }
}

/// How to run a child, as a supervisor holds it.
pub struct ChildSpec {
    pub(crate) id: String,
    pub(crate) kind: &'static str,
    pub(crate) restart: RestartType,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) stats: Arc<MailboxStats>,
    pub(crate) starter: Box<dyn Starter>,
    /// Set once the child has been registered, so that it keeps its entry across restarts of its
    /// supervisor.
    pub(crate) entry: Option<Arc<ActorEntry>>,
    /// Leave the registry at once after a normal exit (see [`ChildSpec::forget_when_done`]).
    pub(crate) forget_when_done: bool,
    /// The arbiter the child runs on; `None`: its supervisor's.
    pub(crate) arbiter: Option<ArbiterHandle>,
}

impl std::fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("restart", &self.restart)
            .field("own_arbiter", &self.arbiter.is_some())
            .finish()
    }
}

impl ChildSpec {
    /// A permanent actor child created by `factory` on every (re)start, with the default capacity.
    /// Returns the spec and the address that will reach every incarnation.
    pub fn actor<A, F>(
        id: impl Into<String>,
        kind: &'static str,
        factory: F,
    ) -> (ChildSpec, ActorRef<A>)
    where
        A: Managed,
        F: FnMut(&ChildContext) -> A + Send + 'static,
    {
        ChildSpec::actor_with_capacity(id, kind, DEFAULT_MAILBOX_CAPACITY, factory)
    }

    /// Like [`ChildSpec::actor`] with an explicit mailbox bound (0 = unbounded).
    pub fn actor_with_capacity<A, F>(
        id: impl Into<String>,
        kind: &'static str,
        capacity: usize,
        factory: F,
    ) -> (ChildSpec, ActorRef<A>)
    where
        A: Managed,
        F: FnMut(&ChildContext) -> A + Send + 'static,
    {
        let reserved = Reserved::new(capacity);
        let actor_ref = reserved.actor_ref().clone();
        (reserved.into_spec(id, kind, factory), actor_ref)
    }

    /// A transient task child: a future made by `factory` on every (re)start. `Ok` is a normal exit,
    /// `Err` a failure. Tasks have no mailbox; stopping one drops its future.
    pub fn task<F>(id: impl Into<String>, kind: &'static str, factory: F) -> ChildSpec
    where
        F: FnMut(&ChildContext) -> LocalBoxFuture<'static, Result<(), String>> + Send + 'static,
    {
        ChildSpec {
            id: id.into(),
            kind,
            restart: RestartType::Transient,
            shutdown_timeout: Duration::ZERO,
            stats: Arc::new(MailboxStats::new(0)),
            starter: Box::new(TaskStarter {
                factory: Arc::new(Mutex::new(factory)),
            }),
            entry: None,
            forget_when_done: false,
            arbiter: None,
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: RestartType) -> Self {
        self.restart = restart;
        self
    }

    /// A child that ends normally (or is shut down) leaves the registry at once instead of staying
    /// visible for the grace period. For short-lived children started at high rates (one per tool
    /// call), whose successful ends nobody needs to look at: thousands a second would otherwise
    /// pile up until the next snapshot prunes them. Abnormal ends, and children that were
    /// restarted on the way, still linger, so that an operator can see what failed and why.
    pub fn forget_when_done(mut self) -> Self {
        self.forget_when_done = true;
        self
    }

    /// Runs the child on `arbiter` (another thread) instead of its supervisor's, to spread actors
    /// over cores. Everything else is unchanged: the same restarts, escalation, registry entry,
    /// mailbox figures and fault injection. Each incarnation is built on that arbiter; a child
    /// whose arbiter has stopped ends as killed.
    pub fn on(mut self, arbiter: ArbiterHandle) -> Self {
        self.arbiter = Some(arbiter);
        self
    }

    /// Sets how long the child may take to stop before it is dropped.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The child's id under its supervisor (unique among its siblings).
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// An actor's address handed out before its child spec is written, for two actors that need
/// each other's address when they are built (one is given the other's address, the other's
/// factory captures something that holds the first's). Like the address that comes with a spec,
/// it answers [`crate::SendError::NotRunning`] until the child is started, and then reaches
/// every incarnation.
#[derive(Debug)]
pub struct Reserved<A: Managed> {
    actor_ref: ActorRef<A>,
    stats: Arc<MailboxStats>,
}

impl<A: Managed> Reserved<A> {
    /// Reserves an address whose mailbox holds `capacity` messages (0 = unbounded).
    pub fn new(capacity: usize) -> Self {
        let stats = Arc::new(MailboxStats::new(capacity));
        Reserved {
            actor_ref: ActorRef::new(Arc::clone(&stats)),
            stats,
        }
    }

    /// The address; clone it for whoever needs it before the spec exists.
    pub fn actor_ref(&self) -> &ActorRef<A> {
        &self.actor_ref
    }

    /// The permanent actor child behind the reserved address, created by `factory` on every
    /// (re)start (see [`ChildSpec::actor`]). Consumes the reservation: one address, one spec.
    pub fn into_spec<F>(self, id: impl Into<String>, kind: &'static str, factory: F) -> ChildSpec
    where
        F: FnMut(&ChildContext) -> A + Send + 'static,
    {
        ChildSpec {
            id: id.into(),
            kind,
            restart: RestartType::Permanent,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            stats: self.stats,
            starter: Box::new(ActorStarter::new(factory, self.actor_ref)),
            entry: None,
            forget_when_done: false,
            arbiter: None,
        }
    }
}

/// Called once, from whichever thread the incarnation ran on, when it ends. Supervisors turn it
/// into a message to themselves, so the exit is handled on the supervisor's own thread.
pub(crate) type ExitNotifier = Box<dyn FnOnce(ExitReason) + Send>;

/// A running incarnation, as its supervisor controls it.
pub(crate) struct Incarnation {
    /// Asks for a graceful stop; `false` when there is nothing to ask (tasks, dead actors).
    request_stop: Box<dyn FnMut() -> bool>,
    abort: AbortHandle,
}

impl Incarnation {
    pub(crate) fn request_stop(&mut self) -> bool {
        (self.request_stop)()
    }

    /// Drops the incarnation's future where it stands (OTP's `brutal_kill`).
    pub(crate) fn kill(&self) {
        self.abort.abort();
    }
}

/// Type-erased "start one incarnation", implemented for actors and tasks. `arbiter`: where it
/// runs (`None`: the calling thread's arbiter).
pub(crate) trait Starter: Send {
    fn start(
        &mut self,
        cx: &ChildContext,
        arbiter: Option<&ArbiterHandle>,
        notify: ExitNotifier,
    ) -> Incarnation;
    fn bind(&self, _entry: &Arc<ActorEntry>) {}
}

/// A factory shared with the arbiter that calls it (it runs where the incarnation lives).
type SharedFactory<F> = Arc<Mutex<F>>;

fn call_factory<F: FnMut(&ChildContext) -> T, T>(
    factory: &SharedFactory<F>,
    cx: &ChildContext,
) -> std::thread::Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut factory = factory.lock().unwrap_or_else(|p| p.into_inner());
        (factory)(cx)
    }))
}

pub(crate) struct ActorStarter<A: Managed, F> {
    factory: SharedFactory<F>,
    actor_ref: ActorRef<A>,
}

impl<A: Managed, F> ActorStarter<A, F> {
    pub(crate) fn new(factory: F, actor_ref: ActorRef<A>) -> Self {
        ActorStarter {
            factory: Arc::new(Mutex::new(factory)),
            actor_ref,
        }
    }
}

impl<A, F> Starter for ActorStarter<A, F>
where
    A: Managed,
    F: FnMut(&ChildContext) -> A + Send + 'static,
{
    fn bind(&self, entry: &Arc<ActorEntry>) {
        self.actor_ref.bind_entry(Arc::clone(entry));
    }

    fn start(
        &mut self,
        cx: &ChildContext,
        arbiter: Option<&ArbiterHandle>,
        notify: ExitNotifier,
    ) -> Incarnation {
        // The mailbox exists before the actor: installed now, it queues what is sent while the
        // incarnation is being built, wherever that happens.
        let (sender, receiver) = channel::channel::<A>(0);
        let generation = self.actor_ref.install(Addr::new(sender));
        let fault_ref = self.actor_ref.clone();
        cx.entry.set_fault_hook(Box::new(move |message| {
            fault_ref.tell_system(InjectPanic(message.to_string()))
        }));
        let (abort, registration) = AbortHandle::new_pair();
        let exit = ExitOnce::new(notify);
        let factory = Arc::clone(&self.factory);
        let child_cx = cx.clone();
        let actor_ref = self.actor_ref.clone();
        run_on(arbiter, move || {
            child_cx.entry.mark_arbiter();
            // A factory that panics fails this child, not the supervisor that started it.
            let actor = match call_factory(&factory, &child_cx) {
                Ok(actor) => actor,
                Err(panic) => {
                    actor_ref.uninstall(generation);
                    exit.fire(ExitReason::from_panic(panic));
                    return;
                }
            };
            let mut ctx = Context::<A>::with_receiver(receiver);
            // The kit bounds the mailbox itself (see address.rs); actix's bound must never
            // interfere.
            ctx.set_mailbox_capacity(0);
            let future = ctx.into_future(actor);
            let entry = Arc::clone(&child_cx.entry);
            spawn_guarded(registration, future, move |outcome| {
                actor_ref.uninstall(generation);
                let reason = match outcome {
                    Outcome::Completed(()) => match entry.take_pending_failure() {
                        Some(failure) => ExitReason::Failed(failure),
                        None if entry.shutdown_requested() => ExitReason::Shutdown,
                        None => ExitReason::Normal,
                    },
                    Outcome::Panicked(reason) => reason,
                    Outcome::Killed => ExitReason::Killed,
                };
                exit.fire(reason);
            });
        });
        let stop_ref = self.actor_ref.clone();
        let stop_entry = Arc::clone(&cx.entry);
        Incarnation {
            request_stop: Box::new(move || {
                stop_entry.request_shutdown();
                stop_ref.tell_system(Shutdown)
            }),
            abort,
        }
    }
}

struct TaskStarter<F> {
    factory: SharedFactory<F>,
}

impl<F> Starter for TaskStarter<F>
where
    F: FnMut(&ChildContext) -> LocalBoxFuture<'static, Result<(), String>> + Send + 'static,
{
    fn start(
        &mut self,
        cx: &ChildContext,
        arbiter: Option<&ArbiterHandle>,
        notify: ExitNotifier,
    ) -> Incarnation {
        let (hook, trigger) = fault::task_trigger();
        cx.entry.set_fault_hook(hook);
        let (abort, registration) = AbortHandle::new_pair();
        let exit = ExitOnce::new(notify);
        let factory = Arc::clone(&self.factory);
        let child_cx = cx.clone();
        run_on(arbiter, move || {
            child_cx.entry.mark_arbiter();
            let future = match call_factory(&factory, &child_cx) {
                Ok(future) => future,
                Err(panic) => {
                    exit.fire(ExitReason::from_panic(panic));
                    return;
                }
            };
            // An injected fault panics inside the guarded future, exactly where a task's own
            // panic would be caught.
            let future = async move {
                let fault = std::pin::pin!(fault::panic_when_triggered(trigger));
                match futures_util::future::select(future, fault).await {
                    Either::Left((result, _)) => result,
                    Either::Right((never, _)) => match never {},
                }
            };
            let entry = Arc::clone(&child_cx.entry);
            spawn_guarded(registration, future, move |outcome| {
                let reason = match outcome {
                    Outcome::Completed(Ok(())) if entry.shutdown_requested() => {
                        ExitReason::Shutdown
                    }
                    Outcome::Completed(Ok(())) => ExitReason::Normal,
                    Outcome::Completed(Err(failure)) => ExitReason::Failed(failure),
                    Outcome::Panicked(reason) => reason,
                    Outcome::Killed => ExitReason::Killed,
                };
                exit.fire(reason);
            });
        });
        let stop_entry = Arc::clone(&cx.entry);
        Incarnation {
            request_stop: Box::new(move || {
                stop_entry.request_shutdown();
                false
            }),
            abort,
        }
    }
}

/// Runs `job` (which builds and spawns an incarnation) on `arbiter`, or here when it is `None`.
/// A job its arbiter never runs (the arbiter has stopped) is dropped, and its [`ExitOnce`] then
/// reports the incarnation as killed.
fn run_on(arbiter: Option<&ArbiterHandle>, job: impl FnOnce() + Send + 'static) {
    match arbiter {
        Some(arbiter) => {
            if !arbiter.spawn_fn(job) {
                tracing::warn!("a child's arbiter has stopped; the child cannot start there");
            }
        }
        None => job(),
    }
}

/// The exit report of one incarnation, sent exactly once: by [`ExitOnce::fire`], or as
/// [`ExitReason::Killed`] if it is dropped unfired (its arbiter stopped with the incarnation
/// still queued or running, which drops its future without an outcome).
struct ExitOnce(Option<ExitNotifier>);

impl ExitOnce {
    fn new(notify: ExitNotifier) -> Self {
        ExitOnce(Some(notify))
    }

    fn fire(mut self, reason: ExitReason) {
        if let Some(notify) = self.0.take() {
            notify(reason);
        }
    }
}

impl Drop for ExitOnce {
    fn drop(&mut self) {
        if let Some(notify) = self.0.take() {
            notify(ExitReason::Killed);
        }
    }
}

enum Outcome<T> {
    Completed(T),
    Panicked(ExitReason),
    Killed,
}

/// Spawns `future` on the current arbiter, abortable through `registration`, catching panics
/// both while it runs and while it is dropped (an actix context runs `stopping`/`stopped` from its
/// destructor), then calls `finish`.
fn spawn_guarded<T: 'static>(
    registration: AbortRegistration,
    future: impl std::future::Future<Output = T> + 'static,
    finish: impl FnOnce(Outcome<T>) + 'static,
) {
    actix::spawn(async move {
        let mut guarded = Box::pin(Abortable::new(
            AssertUnwindSafe(future).catch_unwind(),
            registration,
        ));
        let outcome = match (&mut guarded).await {
            Ok(Ok(value)) => Outcome::Completed(value),
            Ok(Err(panic)) => Outcome::Panicked(ExitReason::from_panic(panic)),
            Err(_aborted) => Outcome::Killed,
        };
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(move || drop(guarded))) {
            Ok(()) => outcome,
            Err(panic) => match outcome {
                Outcome::Completed(_) => Outcome::Panicked(ExitReason::from_panic(panic)),
                other => other,
            },
        };
        finish(outcome);
    });
}
