//! The resource manager (the seed's `ResourceManager`, as an actor): agent runs take a permit
//! before calling a model, so that at most `agents.maxConcurrentRuns` model calls are in flight;
//! the rest wait in arrival order. A run is refused outright when the machine is short of memory
//! (less than 5% of it, or 64 MiB, available), read from the real system with `sysinfo`, and while
//! the memory guard sheds load (see `monitor`).
//!
//! Waiting runs are visible: the actor publishes "in use / max, waiting, oldest wait" as its status
//! in `/admin/actors`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Actor, AsyncContext, Context, Handler, Message};
use pincer_actors::{ActorRef, ChildContext, Managed};
use tokio::sync::oneshot;

use crate::monitor::Monitor;

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
    pub reply: oneshot::Sender<Result<(), PermitError>>,
}

impl Message for Acquire {
    type Result = ();
}

/// Gives a permit back (sent by [`Permit`]'s destructor).
pub struct Release;

impl Message for Release {
    type Result = ();
}

/// A granted permit; dropping it releases the slot.
pub struct Permit {
    manager: ActorRef<ResourceManager>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        // The manager's mailbox is unbounded; this fails only if the manager restarted, and a
        // restarted manager starts with every slot free.
        let _ = self.manager.tell(Release);
    }
}

/// Waits for a permit from `manager`.
pub async fn acquire(manager: &ActorRef<ResourceManager>) -> Result<Permit, PermitError> {
    let (reply, granted) = oneshot::channel();
    manager
        .tell(Acquire { reply })
        .map_err(|_| PermitError::Unavailable)?;
    match granted.await {
        // No await between receiving the grant and owning the permit: no slot can leak.
        Ok(Ok(())) => Ok(Permit {
            manager: manager.clone(),
        }),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(PermitError::Unavailable),
    }
}

struct Waiter {
    since: Instant,
    reply: oneshot::Sender<Result<(), PermitError>>,
}

/// The actor.
pub struct ResourceManager {
    cx: ChildContext,
    max: usize,
    in_use: usize,
    waiting: VecDeque<Waiter>,
    monitor: Arc<Monitor>,
    /// `None` when the platform offers no memory figures; runs are then never refused for memory.
    system: Option<sysinfo::System>,
    memory_checked: Option<(Instant, u64)>,
}

impl ResourceManager {
    pub fn new(cx: ChildContext, max_concurrent_runs: u32, monitor: Arc<Monitor>) -> Self {
        ResourceManager {
            cx,
            max: usize::try_from(max_concurrent_runs.max(1)).unwrap_or(1),
            in_use: 0,
            waiting: VecDeque::new(),
            monitor,
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

    fn grant(&mut self, reply: oneshot::Sender<Result<(), PermitError>>) {
        if let Some(reason) = self.monitor.shedding() {
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
        self.in_use += 1;
        if reply.send(Ok(())).is_err() {
            // The run went away while waiting.
            self.in_use -= 1;
        }
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

impl Handler<Release> for ResourceManager {
    type Result = ();

    fn handle(&mut self, _: Release, _: &mut Context<Self>) {
        self.in_use = self.in_use.saturating_sub(1);
        self.serve_waiting();
    }
}

pincer_actors::mailbox!(ResourceManager: Acquire, Release);
