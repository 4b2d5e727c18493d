//! Supervision across arbiters: a child placed on another thread with `ChildSpec::on` is started,
//! restarted, escalated, stopped, measured and fault-injected exactly like a local one. These tests
//! run in real time (a paused clock only governs the test's own thread), with instant restarts.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::oneshot;

use super::fixtures::*;
use crate::{
    ActorState, Arbiters, AskError, Backoff, ChildSpec, ExitReason, Intensity, Registry,
    RestartType, RootHandle, StartChild, Strategy, SupervisorSpec,
};

/// A worker spec placed on `arbiters`' arbiter for `name`.
fn placed(
    arbiters: &Arbiters,
    name: &str,
    restart: RestartType,
    journal: &Journal,
) -> (ChildSpec, crate::ActorRef<Worker>) {
    let (spec, worker) = worker(name, restart, 16, journal);
    (spec.on(arbiters.for_key(name)), worker)
}

#[actix::test]
async fn a_child_on_another_arbiter_runs_there_and_takes_messages_sent_right_after_its_start() {
    let arbiters = Arbiters::start(2);
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = placed(&arbiters, "w", RestartType::Permanent, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));

    // Sent before the arbiter has built the actor: queued in its mailbox, not refused.
    let first = worker.ask(Bump);
    assert_eq!(first.await, Ok(1));
    let (thread, number) = worker.ask(Where).await.ok().flatten().expect("answers");
    assert_ne!(
        thread,
        std::thread::current().id(),
        "the worker runs on its own arbiter, not the supervisor's"
    );
    let expected = u32::try_from(arbiters.index_for("w") + 1).expect("small");
    assert_eq!(number, expected, "it runs on the arbiter its key hashes to");
    let snapshot = registry.find_by_path("/root/w").expect("registered");
    assert_eq!(
        snapshot.arbiter, expected,
        "the registry shows where it runs"
    );
    assert_eq!(snapshot.state, ActorState::Running);
    assert_eq!(
        registry.find_by_path("/root").map(|s| s.arbiter),
        Some(0),
        "the supervisor stays on the test's arbiter"
    );
}

#[actix::test]
async fn a_panic_on_another_arbiter_restarts_the_child_there_behind_the_same_address() {
    let arbiters = Arbiters::start(2);
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = placed(&arbiters, "w", RestartType::Permanent, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));

    assert_eq!(worker.ask(Bump).await, Ok(1));
    let (before, _) = worker.ask(Where).await.ok().flatten().expect("answers");
    assert_eq!(
        worker.ask(Crash).await,
        Err(AskError::Stopped),
        "the crashing request gets an error, not a hang"
    );
    eventually_real("the worker is restarted", || {
        journal.starts_of("w") == 2 && worker.is_running()
    })
    .await;
    assert_eq!(worker.ask(Bump).await, Ok(1), "fresh state, same address");
    let (after, _) = worker.ask(Where).await.ok().flatten().expect("answers");
    assert_eq!(before, after, "the new incarnation is on the same arbiter");
    let snapshot = registry.find_by_path("/root/w").expect("registered");
    assert_eq!(snapshot.restarts, 1);
    let last_error = snapshot.last_error.unwrap_or_default();
    assert!(
        last_error.contains("panicked: boom in w"),
        "last_error = {last_error:?}"
    );
}

#[actix::test]
async fn repeated_panics_on_another_arbiter_escalate_to_the_supervisor() {
    let arbiters = Arbiters::start(1);
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = placed(&arbiters, "w", RestartType::Permanent, &journal);
    let strict = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 1,
            period: Duration::from_secs(60),
        })
        .child(spec);
    let mut root = RootHandle::start(&registry, "root", strict);

    for round in 1..=2 {
        eventually_real("the worker's next incarnation is running", || {
            journal.starts_of("w") == round && worker.is_running()
        })
        .await;
        assert_eq!(worker.ask(Bump).await, Ok(1), "round {round}");
        let _ = worker.ask(Crash).await;
    }
    let reason = tokio::time::timeout(Duration::from_secs(10), root.wait())
        .await
        .expect("the root gives up within 10 s");
    assert!(
        reason.is_abnormal(),
        "the second panic exceeds the intensity and the root exits abnormally: {reason:?}"
    );
}

#[actix::test]
async fn mailbox_figures_and_fault_injection_work_for_a_child_on_another_arbiter() {
    let arbiters = Arbiters::start(2);
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = placed(&arbiters, "w", RestartType::Permanent, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));
    assert_eq!(worker.ask(Bump).await, Ok(1));
    let id = registry.find_by_path("/root/w").expect("registered").id;

    let (release, hold) = oneshot::channel();
    worker.tell(Block(hold)).expect("accepted");
    let queued: Vec<_> = (0..3).map(|_| worker.ask(Bump)).collect();
    eventually_real("three messages wait behind the blocked one", || {
        registry.get(id).is_some_and(|s| s.mailbox.queued == 3)
    })
    .await;
    let _ = release.send(());
    for (n, answer) in queued.into_iter().enumerate() {
        assert_eq!(answer.await, Ok(u32::try_from(n).expect("small") + 2));
    }

    registry.inject_panic(id, "drill").expect("delivered");
    eventually_real("the injected panic restarts the worker", || {
        journal.starts_of("w") == 2 && worker.is_running()
    })
    .await;
    let snapshot = registry.get(id).expect("registered");
    assert_eq!(
        snapshot.last_error.as_deref(),
        Some("panicked: injected fault: drill")
    );
    assert_eq!(worker.ask(Bump).await, Ok(1));
}

#[actix::test]
async fn a_task_on_another_arbiter_is_retried_after_a_panic_and_an_error() {
    let arbiters = Arbiters::start(2);
    let registry = Registry::default();
    let root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne));
    let attempts = Arc::new(AtomicU32::new(0));
    let threads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let counted = Arc::clone(&attempts);
    let seen = Arc::clone(&threads);
    let spec = ChildSpec::task("job", "task", move |_cx| {
        let attempt = counted.fetch_add(1, SeqCst) + 1;
        seen.lock()
            .expect("lock")
            .push(crate::current_arbiter_number());
        async move {
            match attempt {
                1 => panic!("first attempt panics"),
                2 => Err("second attempt fails".to_string()),
                _ => Ok(()),
            }
        }
        .boxed_local()
    })
    .on(arbiters.handles()[1].clone());
    root.supervisor()
        .ask(StartChild(spec))
        .await
        .expect("asked")
        .expect("started");
    eventually_real("the third attempt ends normally", || {
        attempts.load(SeqCst) == 3
            && registry.find_by_path("/root/job").map(|s| s.state) == Some(ActorState::Stopped)
    })
    .await;
    assert_eq!(
        *threads.lock().expect("lock"),
        vec![2, 2, 2],
        "every attempt ran on the arbiter it was placed on"
    );
    let snapshot = registry.find_by_path("/root/job").expect("registered");
    assert_eq!(snapshot.restarts, 2);
}

#[actix::test]
async fn a_supervisor_on_another_arbiter_keeps_its_children_there_and_shuts_down_in_order() {
    let arbiters = Arbiters::start(2);
    let registry = Registry::default();
    let journal = Journal::default();
    let (a, first) = worker("a", RestartType::Permanent, 8, &journal);
    let (b, second) = worker("b", RestartType::Permanent, 8, &journal);
    let (inner, _inner_ref) = quick(Strategy::OneForAll)
        .child(a)
        .child(b)
        .into_child("inner");
    let inner = inner.on(arbiters.handles()[0].clone());
    let mut root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(inner));

    eventually_real("both workers run", || {
        first.is_running() && second.is_running()
    })
    .await;
    let (_, where_a) = first.ask(Where).await.ok().flatten().expect("answers");
    let (_, where_b) = second.ask(Where).await.ok().flatten().expect("answers");
    assert_eq!(
        (where_a, where_b),
        (1, 1),
        "children start on their supervisor's arbiter"
    );

    // one_for_all across the arbiter: a crash of `a` restarts `b` too.
    let _ = first.ask(Crash).await;
    eventually_real("both restarted", || {
        journal.starts_of("a") == 2
            && journal.starts_of("b") == 2
            && first.is_running()
            && second.is_running()
    })
    .await;

    assert!(root.shutdown());
    let reason = tokio::time::timeout(Duration::from_secs(10), root.wait())
        .await
        .expect("the tree stops within 10 s");
    assert_eq!(reason, ExitReason::Shutdown);
    let stops = journal.stops();
    let last_two: Vec<&str> = stops.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(last_two, ["a", "b"], "reverse start order: {stops:?}");
    arbiters.stop_and_join();
}
