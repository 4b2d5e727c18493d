//! The registry of live actors: who exists, where in the tree, in what state, with what mailbox.
//!
//! One `DashMap` entry per actor (and per supervised task). It is written when an actor is spawned,
//! restarted or stopped, and read when someone asks for a snapshot; message traffic never touches
//! it (the mailbox figures live in each entry's shared [`MailboxStats`]). Stopped actors stay visible
//! for a grace period so that an operator can still see what just died and why; they are pruned
//! lazily, on snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dashmap::DashMap;
use serde::Serialize;

use crate::fault::{FaultError, FaultHook, FaultSlot};
use crate::mailbox::{MailboxSnapshot, MailboxStats};

/// A process-unique actor number, stable across restarts of the same child.
pub type ActorId = u64;

/// Lifecycle state, as shown to operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    /// Its spec exists and the actor is being started.
    Starting = 0,
    /// Started and handling messages.
    Running = 1,
    /// Failed and waiting (with backoff) to be started again.
    Restarting = 2,
    /// Stopped on purpose (or after a temporary child ended).
    Stopped = 3,
    /// Failed and not restarted (the policy or the intensity said no).
    Failed = 4,
}

impl ActorState {
    /// The lowercase name used in JSON, metrics labels and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorState::Starting => "starting",
            ActorState::Running => "running",
            ActorState::Restarting => "restarting",
            ActorState::Stopped => "stopped",
            ActorState::Failed => "failed",
        }
    }

    fn from_u8(value: u8) -> Self {
        match value {
            0 => ActorState::Starting,
            1 => ActorState::Running,
            2 => ActorState::Restarting,
            3 => ActorState::Stopped,
            _ => ActorState::Failed,
        }
    }
}

/// Everything the registry knows about one actor. Shared (`Arc`) between the registry, the
/// supervisor that owns the actor, and the actor's [`crate::ChildContext`].
#[derive(Debug)]
pub struct ActorEntry {
    id: ActorId,
    kind: &'static str,
    path: String,
    parent: Option<ActorId>,
    state: AtomicU8,
    created_at: SystemTime,
    incarnation_started: Mutex<Instant>,
    restarts: AtomicU32,
    last_error: Mutex<Option<String>>,
    status: Mutex<Option<String>>,
    stopped_at: Mutex<Option<Instant>>,
    pending_failure: Mutex<Option<String>>,
    shutdown_requested: AtomicBool,
    started_once: AtomicBool,
    mailbox: Arc<MailboxStats>,
    fault: FaultSlot,
    /// The arbiter number of the current incarnation's thread (see [`crate::Arbiters`]).
    arbiter: AtomicU32,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic happened while it was held; the data (plain values) is
    // still meaningful, and the registry must keep working after panics by design.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ActorEntry {
    /// Records the thread the current incarnation runs on (called where it is built).
    pub(crate) fn mark_arbiter(&self) {
        self.arbiter
            .store(crate::arbiters::current_arbiter_number(), Relaxed);
    }

    /// The actor's number, stable across restarts.
    pub fn id(&self) -> ActorId {
        self.id
    }

    /// What kind of actor this is (`session`, `channel`, `run`...), for grouping.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The actor's place in the tree, e.g. `/gateway/sessions/agent:main:main`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The current lifecycle state.
    pub fn state(&self) -> ActorState {
        ActorState::from_u8(self.state.load(Relaxed))
    }

    /// How many times the actor has been restarted.
    pub fn restarts(&self) -> u32 {
        self.restarts.load(Relaxed)
    }

    /// Why the actor last failed, if it ever did.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// The figures of its mailbox, shared with the actor's address.
    pub fn mailbox(&self) -> &Arc<MailboxStats> {
        &self.mailbox
    }

    pub(crate) fn set_state(&self, state: ActorState) {
        self.state.store(state as u8, Relaxed);
        let mut stopped_at = lock(&self.stopped_at);
        *stopped_at = matches!(state, ActorState::Stopped | ActorState::Failed).then(Instant::now);
    }

    /// Called when a new incarnation starts; every start after the first counts as a restart.
    pub(crate) fn begin_incarnation(&self) {
        if self.started_once.swap(true, Relaxed) {
            self.restarts.fetch_add(1, Relaxed);
        }
        *lock(&self.incarnation_started) = Instant::now();
        *lock(&self.pending_failure) = None;
        self.shutdown_requested.store(false, Relaxed);
        self.set_state(ActorState::Running);
    }

    /// A one-line, actor-defined summary of what it is doing (permits in use, queue length...).
    pub fn status(&self) -> Option<String> {
        lock(&self.status).clone()
    }

    pub(crate) fn set_status(&self, status: Option<String>) {
        *lock(&self.status) = status;
    }

    /// Installs the current incarnation's fault-injection hook (see `fault.rs`).
    pub(crate) fn set_fault_hook(&self, hook: FaultHook) {
        self.fault.install(hook);
    }

    pub(crate) fn record_error(&self, error: String) {
        *lock(&self.last_error) = Some(error);
    }

    pub(crate) fn set_pending_failure(&self, reason: String) {
        *lock(&self.pending_failure) = Some(reason);
    }

    pub(crate) fn take_pending_failure(&self) -> Option<String> {
        lock(&self.pending_failure).take()
    }

    pub(crate) fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Relaxed);
    }

    pub(crate) fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Relaxed)
    }

    fn expired(&self, grace: Duration) -> bool {
        lock(&self.stopped_at).is_some_and(|at| at.elapsed() > grace)
    }

    /// A serialisable copy of the entry.
    pub fn snapshot(&self) -> ActorSnapshot {
        let created_ms = self
            .created_at
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let state = self.state();
        let running = matches!(state, ActorState::Running);
        ActorSnapshot {
            id: self.id,
            kind: self.kind,
            path: self.path.clone(),
            parent: self.parent,
            state,
            created_at_ms: created_ms,
            uptime_ms: running.then(|| {
                u64::try_from(lock(&self.incarnation_started).elapsed().as_millis())
                    .unwrap_or(u64::MAX)
            }),
            restarts: self.restarts(),
            last_error: self.last_error(),
            status: self.status(),
            arbiter: self.arbiter.load(Relaxed),
            mailbox: self.mailbox.snapshot(),
        }
    }
}

/// One actor as served by `/admin/actors?flat=1`.
#[derive(Debug, Clone, Serialize)]
pub struct ActorSnapshot {
    /// The actor's number, stable across restarts.
    pub id: ActorId,
    /// What kind of actor this is (`session`, `channel`, `run`...).
    pub kind: &'static str,
    /// Its place in the tree, e.g. `/gateway/sessions/agent:main:main`.
    pub path: String,
    /// Its supervisor's number (none for the root).
    pub parent: Option<ActorId>,
    /// Its lifecycle state.
    pub state: ActorState,
    /// When the actor was first registered (Unix milliseconds).
    pub created_at_ms: u64,
    /// Time since the current incarnation started, when running.
    pub uptime_ms: Option<u64>,
    /// How many times it has been restarted.
    pub restarts: u32,
    /// Why it last failed, if it ever did.
    pub last_error: Option<String>,
    /// What the actor says it is doing, if it says (see `ChildContext::set_status`).
    pub status: Option<String>,
    /// Which arbiter (thread) its current or last incarnation runs on: 1..=n for one of the
    /// [`crate::Arbiters`], 0 for the arbiter the tree was started on.
    pub arbiter: u32,
    /// Its mailbox's figures.
    pub mailbox: MailboxSnapshot,
}

/// An actor with its children, as served by `/admin/actors`.
#[derive(Debug, Clone, Serialize)]
pub struct ActorTree {
    /// The actor itself.
    #[serde(flatten)]
    pub actor: ActorSnapshot,
    /// Its children, in start order.
    pub children: Vec<ActorTree>,
}

/// The live-actor registry. Cheap to clone; every clone sees the same actors.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<RegistryInner>,
}

#[derive(Debug)]
struct RegistryInner {
    entries: DashMap<ActorId, Arc<ActorEntry>>,
    next_id: AtomicU64,
    grace: Duration,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new(Registry::DEFAULT_GRACE)
    }
}

/// Registrations between two prunes of expired entries.
const PRUNE_EVERY: u64 = 1024;

impl Registry {
    /// Stopped actors stay visible this long: long enough to look at a crash, short enough that
    /// thousands of evicted sessions do not pile up.
    pub const DEFAULT_GRACE: Duration = Duration::from_secs(60);

    /// An empty registry that keeps stopped actors visible for `grace`.
    pub fn new(grace: Duration) -> Self {
        Registry {
            inner: Arc::new(RegistryInner {
                entries: DashMap::new(),
                next_id: AtomicU64::new(1),
                grace,
            }),
        }
    }

    pub(crate) fn register(
        &self,
        kind: &'static str,
        path: String,
        parent: Option<ActorId>,
        mailbox: Arc<MailboxStats>,
    ) -> Arc<ActorEntry> {
        let id = self.inner.next_id.fetch_add(1, Relaxed);
        let entry = Arc::new(ActorEntry {
            id,
            kind,
            path,
            parent,
            state: AtomicU8::new(ActorState::Starting as u8),
            created_at: SystemTime::now(),
            incarnation_started: Mutex::new(Instant::now()),
            restarts: AtomicU32::new(0),
            last_error: Mutex::new(None),
            status: Mutex::new(None),
            stopped_at: Mutex::new(None),
            pending_failure: Mutex::new(None),
            shutdown_requested: AtomicBool::new(false),
            started_once: AtomicBool::new(false),
            mailbox,
            fault: FaultSlot::default(),
            arbiter: AtomicU32::new(0),
        });
        self.inner.entries.insert(id, Arc::clone(&entry));
        // Amortized pruning: a gateway that nobody inspects still forgets stopped actors (one
        // run per turn would otherwise pile up until the next snapshot).
        if id.is_multiple_of(PRUNE_EVERY) {
            self.prune();
        }
        entry
    }

    /// Forgets an actor at once (a child that asked not to linger after a normal exit).
    pub(crate) fn unregister(&self, id: ActorId) {
        self.inner.entries.remove(&id);
    }

    fn prune(&self) {
        let grace = self.inner.grace;
        self.inner.entries.retain(|_, entry| !entry.expired(grace));
    }

    /// Every known actor, sorted by path (stopped ones within the grace period included).
    pub fn snapshot(&self) -> Vec<ActorSnapshot> {
        self.prune();
        let mut all: Vec<ActorSnapshot> = self
            .inner
            .entries
            .iter()
            .map(|entry| entry.snapshot())
            .collect();
        all.sort_by(|a, b| a.path.cmp(&b.path).then(a.id.cmp(&b.id)));
        all
    }

    /// Makes the running incarnation of actor `id` panic with `message` (an actor in the handler
    /// of an [`crate::InjectPanic`] message, a task at its next poll), so its supervisor handles
    /// it like any crash. For chaos tests and supervision drills; the gateway gates it by config.
    pub fn inject_panic(&self, id: ActorId, message: &str) -> Result<(), FaultError> {
        let entry = self
            .inner
            .entries
            .get(&id)
            .map(|entry| Arc::clone(&entry))
            .ok_or(FaultError::UnknownActor(id))?;
        if entry.state() != ActorState::Running || !entry.fault.fire(message) {
            return Err(FaultError::NotRunning(id));
        }
        Ok(())
    }

    /// One actor by id.
    pub fn get(&self, id: ActorId) -> Option<ActorSnapshot> {
        self.inner.entries.get(&id).map(|entry| entry.snapshot())
    }

    /// The newest actor registered at `path` (a path may be reused after an actor was removed).
    pub fn find_by_path(&self, path: &str) -> Option<ActorSnapshot> {
        self.inner
            .entries
            .iter()
            .filter(|entry| entry.path == path)
            .max_by_key(|entry| entry.id)
            .map(|entry| entry.snapshot())
    }

    /// Number of entries (live and within grace).
    pub fn len(&self) -> usize {
        self.inner.entries.len()
    }

    /// Whether no actor is listed.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.is_empty()
    }

    /// The snapshot arranged as a forest: actors whose parent is gone or absent are roots.
    pub fn tree(&self) -> Vec<ActorTree> {
        let all = self.snapshot();
        let known: std::collections::HashSet<ActorId> = all.iter().map(|a| a.id).collect();
        let mut children: HashMap<ActorId, Vec<ActorSnapshot>> = HashMap::new();
        let mut roots = Vec::new();
        for actor in all {
            match actor.parent.filter(|p| known.contains(p)) {
                Some(parent) => children.entry(parent).or_default().push(actor),
                None => roots.push(actor),
            }
        }
        fn build(
            actor: ActorSnapshot,
            children: &mut HashMap<ActorId, Vec<ActorSnapshot>>,
        ) -> ActorTree {
            let kids = children.remove(&actor.id).unwrap_or_default();
            ActorTree {
                actor,
                children: kids.into_iter().map(|kid| build(kid, children)).collect(),
            }
        }
        roots
            .into_iter()
            .map(|root| build(root, &mut children))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_nests_children_under_parents_and_prunes_after_grace() {
        let registry = Registry::new(Duration::ZERO);
        let root = registry.register(
            "supervisor",
            "/g".into(),
            None,
            Arc::new(MailboxStats::new(8)),
        );
        let child = registry.register(
            "worker",
            "/g/a".into(),
            Some(root.id()),
            Arc::new(MailboxStats::new(8)),
        );
        let tree = registry.tree();
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].children.len(), 1);
        assert_eq!(tree[0].children[0].actor.path, "/g/a");

        child.set_state(ActorState::Stopped);
        std::thread::sleep(Duration::from_millis(2));
        let after = registry.snapshot();
        assert_eq!(
            after.len(),
            1,
            "the stopped child should be pruned after a zero grace: {after:?}"
        );
    }

    #[test]
    fn restarts_count_only_after_the_first_incarnation() {
        let registry = Registry::default();
        let entry = registry.register("worker", "/w".into(), None, Arc::new(MailboxStats::new(1)));
        entry.begin_incarnation();
        entry.begin_incarnation();
        entry.begin_incarnation();
        assert_eq!(entry.restarts(), 2);
        assert_eq!(entry.state(), ActorState::Running);
    }
}
