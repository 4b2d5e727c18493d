//! A test actor whose every behaviour (crash, fail, stop, block) is triggered by a message, and
//! helpers to start trees and wait for conditions in virtual time.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::{Actor, ActorContext, AsyncContext, Context, Handler, Message, WrapFuture};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::{ActorRef, ChildContext, ChildSpec, Managed, Registry, RestartType};

/// What the fixtures record: start instants (virtual time) and the order in which actors stopped.
#[derive(Default, Clone)]
pub(crate) struct Journal {
    pub(crate) starts: Arc<Mutex<Vec<(String, Instant)>>>,
    pub(crate) stops: Arc<Mutex<Vec<String>>>,
}

impl Journal {
    pub(crate) fn starts_of(&self, name: &str) -> usize {
        self.starts
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .count()
    }

    pub(crate) fn start_instants(&self, name: &str) -> Vec<Instant> {
        self.starts
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, at)| *at)
            .collect()
    }

    pub(crate) fn stops(&self) -> Vec<String> {
        self.stops.lock().unwrap().clone()
    }
}

pub(crate) struct Worker {
    pub(crate) name: String,
    pub(crate) cx: ChildContext,
    pub(crate) journal: Journal,
    pub(crate) count: u32,
    pub(crate) ignore_shutdown: bool,
    pub(crate) handled: Arc<AtomicU32>,
}

impl Actor for Worker {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Context<Self>) {
        self.journal
            .starts
            .lock()
            .unwrap()
            .push((self.name.clone(), Instant::now()));
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.journal.stops.lock().unwrap().push(self.name.clone());
    }
}

impl Managed for Worker {
    fn shutdown(&mut self, ctx: &mut Context<Self>) {
        if !self.ignore_shutdown {
            ctx.stop();
        }
    }
}

/// Increments and returns the counter (state is fresh after a restart).
pub(crate) struct Bump;
impl Message for Bump {
    type Result = u32;
}
impl Handler<Bump> for Worker {
    type Result = u32;
    fn handle(&mut self, _: Bump, _: &mut Context<Self>) -> u32 {
        self.handled.fetch_add(1, SeqCst);
        self.count += 1;
        self.count
    }
}

pub(crate) struct Crash;
impl Message for Crash {
    type Result = ();
}
impl Handler<Crash> for Worker {
    type Result = ();
    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("boom in {}", self.name);
    }
}

pub(crate) struct Fail;
impl Message for Fail {
    type Result = ();
}
impl Handler<Fail> for Worker {
    type Result = ();
    fn handle(&mut self, _: Fail, ctx: &mut Context<Self>) {
        let cx = self.cx.clone();
        cx.fail(ctx, "asked to fail");
    }
}

pub(crate) struct StopNormally;
impl Message for StopNormally {
    type Result = ();
}
impl Handler<StopNormally> for Worker {
    type Result = ();
    fn handle(&mut self, _: StopNormally, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Holds the mailbox (no other message is handled) until the sender side is dropped or fires.
pub(crate) struct Block(pub oneshot::Receiver<()>);
impl Message for Block {
    type Result = ();
}
impl Handler<Block> for Worker {
    type Result = ();
    fn handle(&mut self, Block(release): Block, ctx: &mut Context<Self>) {
        ctx.wait(
            async move {
                let _ = release.await;
            }
            .into_actor(self),
        );
    }
}

/// Answers where the worker runs: its thread and its arbiter number (see `crate::Arbiters`).
pub(crate) struct Where;
impl Message for Where {
    type Result = Option<(std::thread::ThreadId, u32)>;
}
impl Handler<Where> for Worker {
    type Result = Option<(std::thread::ThreadId, u32)>;
    fn handle(&mut self, _: Where, _: &mut Context<Self>) -> Self::Result {
        Some((std::thread::current().id(), crate::current_arbiter_number()))
    }
}

crate::mailbox!(Worker: Bump, Crash, Fail, StopNormally, Block, Where);

/// A worker spec named `name` with the given restart type and mailbox capacity.
pub(crate) fn worker(
    name: &str,
    restart: RestartType,
    capacity: usize,
    journal: &Journal,
) -> (ChildSpec, ActorRef<Worker>) {
    worker_with(
        name,
        restart,
        capacity,
        journal,
        false,
        Arc::new(AtomicU32::new(0)),
    )
}

pub(crate) fn worker_with(
    name: &str,
    restart: RestartType,
    capacity: usize,
    journal: &Journal,
    ignore_shutdown: bool,
    handled: Arc<AtomicU32>,
) -> (ChildSpec, ActorRef<Worker>) {
    let journal = journal.clone();
    let owned = name.to_string();
    let (spec, actor) =
        ChildSpec::actor_with_capacity(name, "worker", capacity, move |cx| Worker {
            name: owned.clone(),
            cx: cx.clone(),
            journal: journal.clone(),
            count: 0,
            ignore_shutdown,
            handled: Arc::clone(&handled),
        });
    (spec.restart(restart), actor)
}

/// Polls `condition` in virtual time (1 ms steps, at most 10 virtual minutes) and fails the test
/// with `what` if it never holds.
pub(crate) async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// [`eventually`] in real time (at most 10 s), for tests with actors on other arbiters: their
/// clocks cannot be paused from the test's thread.
pub(crate) async fn eventually_real(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out (10 s) waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

pub(crate) fn state_of(registry: &Registry, path: &str) -> Option<crate::ActorState> {
    registry.find_by_path(path).map(|a| a.state)
}

/// A supervisor that restarts at once and practically never gives up.
pub(crate) fn quick(strategy: crate::Strategy) -> crate::SupervisorSpec {
    crate::SupervisorSpec::new(strategy)
        .backoff(crate::Backoff::none())
        .intensity(crate::Intensity {
            max_restarts: 100,
            period: Duration::from_secs(10),
        })
}
