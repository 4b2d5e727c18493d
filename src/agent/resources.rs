//! The resource manager (the seed's `ResourceManager`, as an actor): agent runs take a permit
//! before calling a model, so that at most `agents.maxConcurrentRuns` model calls are in flight;
//! the rest wait in arrival order. A run is refused outright when the machine is short of memory
//! (less than 5% of it, or 64 MiB, available), read from the real system with `sysinfo`, and while
//! the memory guard sheds load: the monitor's sampler sets the [`Shedding`] flag this actor is
//! given, so the engine does not depend on the monitor.
//!
//! Waiting runs are visible: the actor publishes "in use / max, waiting, oldest wait" as its status
//! in `/admin/actors`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::{Actor, AsyncContext, Context, Handler, Message, StreamHandler};
use pincer_actors::{ActorRef, ChildContext, Managed};
use tokio::sync::{mpsc, oneshot};

/// Whether new runs are refused while the gateway sheds load, and why. The monitor's memory
/// guard sets it; the resource manager reads it on every grant (a relaxed load when off).
#[derive(Debug, Default)]
pub struct Shedding {
    on: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl Shedding {
    /// Why new runs are refused, while load is shed.
    pub fn reason(&self) -> Option<String> {
        if !self.on.load(Relaxed) {
            return None;
        }
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Starts shedding load for `reason`, or stops (`None`).
    pub fn set(&self, reason: Option<String>) {
        self.on.store(reason.is_some(), Relaxed);
        *self.reason.lock().unwrap_or_else(|p| p.into_inner()) = reason;
    }
}

/// Why a permit was not granted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermitError {
    #[error("the machine is short of memory ({available_mb} MiB available, runs need {needed_mb} MiB); try again later")]
    ShortOfMemory { available_mb: u64, needed_mb: u64 },
    #[error("{0}; try again later")]
    Shedding(String),
    #[error("the resource manager is not running")]
    Unavailable,
}

/// Asks for a permit; the answer comes through `reply`.
pub struct Acquire {
    pub reply: oneshot::Sender<Result<Permit, PermitError>>,
}

impl Message for Acquire {
    type Result = ();
}

/// A granted permit; dropping it releases the slot.
///
/// The manager creates the permit and sends it to the run, so a run that goes away at any point
/// (even between the grant and its first look at it) drops the permit and frees the slot. The
/// release goes to the incarnation that granted it: a restarted manager, which starts with every
/// slot free, never receives releases for permits it did not grant.
pub struct Permit {
    release: mpsc::UnboundedSender<()>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let _ = self.release.send(());
    }
}

/// Waits for a permit from `manager`.
pub(crate) async fn acquire(manager: &ActorRef<ResourceManager>) -> Result<Permit, PermitError> {
    let (reply, granted) = oneshot::channel();
    manager
        .tell(Acquire { reply })
        .map_err(|_| PermitError::Unavailable)?;
    granted.await.unwrap_or(Err(PermitError::Unavailable))
}

type Reply = oneshot::Sender<Result<Permit, PermitError>>;

struct Waiter {
    since: Instant,
    reply: Reply,
}

/// The actor.
pub struct ResourceManager {
    cx: ChildContext,
    max: usize,
    in_use: usize,
    waiting: VecDeque<Waiter>,
    shedding: Arc<Shedding>,
    /// Where this incarnation's permits report their release.
    release: Option<mpsc::UnboundedSender<()>>,
    /// `None` when the platform offers no memory figures; runs are then never refused for memory.
    system: Option<sysinfo::System>,
    memory_checked: Option<(Instant, u64)>,
}

impl ResourceManager {
    pub fn new(cx: ChildContext, max_concurrent_runs: u32, shedding: Arc<Shedding>) -> Self {
        ResourceManager {
            cx,
            max: usize::try_from(max_concurrent_runs.max(1)).unwrap_or(1),
            in_use: 0,
            waiting: VecDeque::new(),
            shedding,
            release: None,
            system: sysinfo::System::new()
                .map_err(|error| tracing::warn!(%error, "no system memory figures; the memory check is off"))
                .ok(),
            memory_checked: None,
        }
    }

    /// Available memory in MiB, read at most once a second (reading /proc/meminfo is cheap, but
    /// not free at thousands of runs per second).
    fn available_mb(&mut self) -> u64 {
        let now = Instant::now();
        let Some(system) = self.system.as_mut() else {
            return u64::MAX;
        };
        if let Some((at, mb)) = self.memory_checked {
            if now.duration_since(at) < Duration::from_secs(1) {
                return mb;
            }
        }
        system.refresh_memory();
        let mb = system.available_memory() / (1024 * 1024);
        self.memory_checked = Some((now, mb));
        mb
    }

    /// The least memory a run may start with: 5% of the machine, at least 64 MiB.
    fn floor_mb(&self) -> u64 {
        let total = self
            .system
            .as_ref()
            .map(|s| s.total_memory() / (1024 * 1024))
            .unwrap_or(0);
        (total / 20).max(64)
    }

    fn grant(&mut self, reply: Reply) {
        if let Some(reason) = self.shedding.reason() {
            let _ = reply.send(Err(PermitError::Shedding(reason)));
            return;
        }
        let available_mb = self.available_mb();
        let needed_mb = self.floor_mb();
        if available_mb < needed_mb {
            let _ = reply.send(Err(PermitError::ShortOfMemory {
                available_mb,
                needed_mb,
            }));
            return;
        }
        let Some(release) = self.release.clone() else {
            let _ = reply.send(Err(PermitError::Unavailable));
            return;
        };
        self.in_use += 1;
        // If the run went away, the permit comes back in the error and is dropped here, which
        // queues its release like any other.
        let _ = reply.send(Ok(Permit { release }));
    }

    fn serve_waiting(&mut self) {
        while self.in_use < self.max {
            let Some(waiter) = self.waiting.pop_front() else {
                break;
            };
            if !waiter.reply.is_closed() {
                self.grant(waiter.reply);
            }
        }
        self.publish();
    }

    fn publish(&self) {
        let oldest = self
            .waiting
            .front()
            .map(|w| format!(", oldest waiting {} ms", w.since.elapsed().as_millis()))
            .unwrap_or_default();
        self.cx.set_status(format!(
            "{}/{} runs, {} waiting{oldest}",
            self.in_use,
            self.max,
            self.waiting.len()
        ));
    }
}

impl Actor for ResourceManager {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let (release, released) = mpsc::unbounded_channel::<()>();
        self.release = Some(release);
        ctx.add_stream(futures_util::stream::unfold(
            released,
            |mut released| async move { released.recv().await.map(|()| ((), released)) },
        ));
        self.publish();
        // Keeps the "oldest waiting" figure current while runs wait.
        ctx.run_interval(Duration::from_secs(1), |manager, _| {
            if !manager.waiting.is_empty() {
                manager.waiting.retain(|w| !w.reply.is_closed());
                manager.publish();
            }
        });
    }
}

impl Managed for ResourceManager {}

impl Handler<Acquire> for ResourceManager {
    type Result = ();

    fn handle(&mut self, Acquire { reply }: Acquire, _: &mut Context<Self>) {
        if self.in_use < self.max && self.waiting.is_empty() {
            self.grant(reply);
        } else {
            self.waiting.push_back(Waiter {
                since: Instant::now(),
                reply,
            });
        }
        self.publish();
    }
}

impl StreamHandler<()> for ResourceManager {
    /// A permit was dropped.
    fn handle(&mut self, (): (), _: &mut Context<Self>) {
        self.in_use = self.in_use.saturating_sub(1);
        self.serve_waiting();
    }

    /// The release stream never ends while the manager holds its sender; nothing to do.
    fn finished(&mut self, _: &mut Context<Self>) {}
}

pincer_actors::mailbox!(ResourceManager: Acquire);
