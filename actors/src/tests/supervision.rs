//! Restart semantics: restart types, strategies, intensity and escalation, backoff.

use std::time::Duration;

use futures_util::FutureExt;

use super::fixtures::*;
use crate::{
    ActorState, AskError, Backoff, ChildSpec, ExitReason, Intensity, Registry, RestartType,
    RootHandle, StartChild, Strategy, SupervisorSpec,
};

#[actix::test]
async fn a_panicking_handler_is_restarted_behind_the_same_address_with_fresh_state() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 8, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));

    assert_eq!(worker.ask(Bump).await, Ok(1));
    assert_eq!(
        worker.ask(Crash).await,
        Err(AskError::Stopped),
        "the crashing request gets an error, not a hang"
    );
    eventually("the worker is restarted", || {
        journal.starts_of("w") == 2 && worker.is_running()
    })
    .await;

    assert_eq!(
        worker.ask(Bump).await,
        Ok(1),
        "same ActorRef reaches the new incarnation, state rebuilt"
    );
    let snapshot = registry.find_by_path("/root/w").expect("worker registered");
    assert_eq!(snapshot.restarts, 1);
    assert_eq!(snapshot.state, ActorState::Running);
    let last_error = snapshot.last_error.unwrap_or_default();
    assert!(
        last_error.contains("panicked: boom in w"),
        "last_error = {last_error:?}"
    );
}

#[actix::test]
async fn transient_children_restart_after_failure_but_not_after_a_normal_exit() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("t", RestartType::Transient, 8, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));

    worker.tell(Fail).expect("accepted");
    eventually("restart after a reported failure", || {
        journal.starts_of("t") == 2 && worker.is_running()
    })
    .await;
    let last_error = registry.find_by_path("/root/t").and_then(|a| a.last_error);
    assert_eq!(last_error.as_deref(), Some("failed: asked to fail"));

    worker.tell(StopNormally).expect("accepted");
    eventually("the transient child is stopped", || {
        state_of(&registry, "/root/t") == Some(ActorState::Stopped)
    })
    .await;
    // Let any (wrong) restart happen before checking that none did.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        journal.starts_of("t"),
        2,
        "a normal exit must not restart a transient child"
    );
    assert!(!worker.is_running());
    assert!(matches!(
        worker.tell(Bump),
        Err(crate::SendError::NotRunning(Bump))
    ));
}

#[actix::test]
async fn temporary_children_are_never_restarted() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("once", RestartType::Temporary, 8, &journal);
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));
    let _ = worker.ask(Crash).await;
    eventually("the temporary child is marked failed", || {
        state_of(&registry, "/root/once") == Some(ActorState::Failed)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(journal.starts_of("once"), 1);
}

#[actix::test]
async fn exceeding_the_restart_intensity_escalates_to_the_parent() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 8, &journal);
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 2,
            period: Duration::from_secs(10),
        })
        .child(spec);
    let (inner_spec, inner_ref) = inner.into_child("inner");
    let _root = RootHandle::start(
        &registry,
        "root",
        quick(Strategy::OneForOne).child(inner_spec),
    );

    for round in 1..=2 {
        let _ = worker.ask(Crash).await;
        eventually("the worker comes back", || {
            journal.starts_of("w") == round + 1 && worker.is_running()
        })
        .await;
    }
    let inner_before = registry
        .find_by_path("/root/inner")
        .expect("inner registered");
    assert_eq!(
        inner_before.restarts, 0,
        "two restarts are within the intensity"
    );

    let _ = worker.ask(Crash).await;
    eventually("the parent restarts the escalating supervisor", || {
        registry
            .find_by_path("/root/inner")
            .is_some_and(|a| a.restarts == 1 && a.state == ActorState::Running)
            && worker.is_running()
    })
    .await;
    let inner_after = registry
        .find_by_path("/root/inner")
        .expect("inner registered");
    let why = inner_after.last_error.unwrap_or_default();
    assert!(
        why.contains("restart intensity exceeded"),
        "inner last_error = {why:?}"
    );
    assert!(inner_ref.is_running());
    assert_eq!(
        inner_after.id, inner_before.id,
        "a restarted supervisor keeps its identity"
    );
    assert_eq!(
        worker.ask(Bump).await,
        Ok(1),
        "the worker was rebuilt under the new supervisor"
    );
    assert!(
        registry.find_by_path("/root/w").is_none(),
        "children stay under their supervisor's path"
    );
    assert!(registry.find_by_path("/root/inner/w").is_some());
}

#[actix::test]
async fn a_root_that_exceeds_its_intensity_ends_the_tree_as_failed() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 8, &journal);
    let root_spec = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 1,
            period: Duration::from_secs(10),
        })
        .child(spec);
    let mut root = RootHandle::start(&registry, "root", root_spec);
    let _ = worker.ask(Crash).await;
    eventually("first restart", || {
        journal.starts_of("w") == 2 && worker.is_running()
    })
    .await;
    let _ = worker.ask(Crash).await;
    let reason = root.wait().await;
    assert!(
        matches!(&reason, ExitReason::Failed(why) if why.contains("restart intensity exceeded")),
        "root exit = {reason:?}"
    );
    assert_eq!(state_of(&registry, "/root"), Some(ActorState::Failed));
}

#[actix::test]
async fn one_for_all_restarts_every_sibling_stopping_them_in_reverse_order() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (a, _) = worker("a", RestartType::Permanent, 8, &journal);
    let (b, b_ref) = worker("b", RestartType::Permanent, 8, &journal);
    let (c, _) = worker("c", RestartType::Permanent, 8, &journal);
    let _root = RootHandle::start(
        &registry,
        "root",
        quick(Strategy::OneForAll).child(a).child(b).child(c),
    );
    eventually("all started", || journal.starts_of("c") == 1).await;

    let _ = b_ref.ask(Crash).await;
    eventually("all restarted", || {
        ["a", "b", "c"].iter().all(|n| journal.starts_of(n) == 2)
    })
    .await;
    assert_eq!(
        journal.stops(),
        vec!["b", "c", "a"],
        "b crashed, then c and a were stopped in reverse order"
    );
}

#[actix::test]
async fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (a, _) = worker("a", RestartType::Permanent, 8, &journal);
    let (b, b_ref) = worker("b", RestartType::Permanent, 8, &journal);
    let (c, _) = worker("c", RestartType::Permanent, 8, &journal);
    let _root = RootHandle::start(
        &registry,
        "root",
        quick(Strategy::RestForOne).child(a).child(b).child(c),
    );
    eventually("all started", || journal.starts_of("c") == 1).await;

    let _ = b_ref.ask(Crash).await;
    eventually("b and c restarted", || {
        journal.starts_of("b") == 2 && journal.starts_of("c") == 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        journal.starts_of("a"),
        1,
        "a started before b and is left alone"
    );
}

#[actix::test]
async fn backoff_grows_between_restarts_and_resets_after_a_stable_period() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 8, &journal);
    let backoff = Backoff {
        min: Duration::from_millis(100),
        max: Duration::from_secs(1),
        random_factor: 0.0,
        reset_after: Duration::from_secs(5),
    };
    let sup = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(backoff)
        .intensity(Intensity {
            max_restarts: 100,
            period: Duration::from_secs(1),
        })
        .child(spec);
    let _root = RootHandle::start(&registry, "root", sup);

    let mut crash_times = Vec::new();
    for round in 1..=4 {
        crash_times.push(tokio::time::Instant::now());
        let _ = worker.ask(Crash).await;
        eventually("restart", || {
            journal.starts_of("w") == round + 1 && worker.is_running()
        })
        .await;
    }
    let starts = journal.start_instants("w");
    let delays: Vec<u128> = (0..4)
        .map(|i| (starts[i + 1] - crash_times[i]).as_millis())
        .collect();
    // Each delay is the backoff plus at most a few 1 ms polling steps of virtual time.
    for (delay, expected) in delays.iter().zip([100u128, 200, 400, 800]) {
        assert!(
            (expected..expected + 10).contains(delay),
            "delays {delays:?} should be about 100, 200, 400, 800 ms"
        );
    }

    tokio::time::sleep(Duration::from_secs(6)).await;
    let crash = tokio::time::Instant::now();
    let _ = worker.ask(Crash).await;
    eventually("restart after a stable period", || {
        journal.starts_of("w") == 6 && worker.is_running()
    })
    .await;
    let after_reset = (*journal.start_instants("w").last().unwrap() - crash).as_millis();
    assert!(
        (100..110).contains(&after_reset),
        "backoff should reset to 100 ms, was {after_reset} ms"
    );
}

#[actix::test]
async fn a_panic_in_started_is_caught_and_restarted() {
    tokio::time::pause();
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::sync::Arc;

    struct Fragile;
    impl actix::Actor for Fragile {
        type Context = actix::Context<Self>;
        fn started(&mut self, _: &mut Self::Context) {
            panic!("cannot start");
        }
    }
    impl crate::Managed for Fragile {}
    crate::mailbox!(Fragile:);

    let registry = Registry::default();
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&attempts);
    let (spec, _fragile) = ChildSpec::actor("fragile", "worker", move |_| {
        counter.fetch_add(1, SeqCst);
        Fragile
    });
    let sup = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 3,
            period: Duration::from_secs(10),
        })
        .child(spec);
    let mut root = RootHandle::start(&registry, "root", sup);
    let reason = root.wait().await;
    assert_eq!(attempts.load(SeqCst), 4, "first start plus three restarts");
    assert!(
        matches!(reason, ExitReason::Failed(_)),
        "root exit = {reason:?}"
    );
}

#[actix::test]
async fn tasks_are_supervised_like_actors() {
    tokio::time::pause();
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::sync::Arc;

    let registry = Registry::default();
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    // Fails, then panics, then succeeds: a transient task is retried until it completes.
    let task = ChildSpec::task("run-1", "run", move |_| {
        let attempt = counter.fetch_add(1, SeqCst);
        async move {
            match attempt {
                0 => Err("provider returned 529".to_string()),
                1 => panic!("stream parser bug"),
                _ => Ok(()),
            }
        }
        .boxed_local()
    });
    let root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne));
    let id = root
        .supervisor()
        .ask(StartChild(task))
        .await
        .expect("delivered")
        .expect("started");
    eventually("the task completes", || {
        registry
            .get(id)
            .is_some_and(|a| a.state == ActorState::Stopped)
    })
    .await;
    assert_eq!(runs.load(SeqCst), 3);
    let run = registry
        .get(id)
        .expect("still visible during the grace period");
    assert_eq!(run.restarts, 2);
    assert_eq!(
        run.last_error.as_deref(),
        Some("panicked: stream parser bug")
    );
    assert_eq!(run.path, "/root/run-1");
}

#[actix::test]
async fn dynamic_children_refuse_duplicate_ids() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne));
    let (first, _) = worker("dup", RestartType::Permanent, 8, &journal);
    let (second, _) = worker("dup", RestartType::Permanent, 8, &journal);
    assert!(root
        .supervisor()
        .ask(StartChild(first))
        .await
        .expect("delivered")
        .is_ok());
    let refused = root
        .supervisor()
        .ask(StartChild(second))
        .await
        .expect("delivered");
    assert_eq!(refused, Err(crate::StartError::AlreadyExists("dup".into())));
}

#[actix::test]
async fn one_for_one_backoffs_of_different_children_do_not_queue_behind_each_other() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (a, a_ref) = worker("a", RestartType::Permanent, 8, &journal);
    let (b, b_ref) = worker("b", RestartType::Permanent, 8, &journal);
    let backoff = Backoff {
        min: Duration::from_secs(1),
        max: Duration::from_secs(1),
        random_factor: 0.0,
        reset_after: Duration::from_secs(60),
    };
    let sup = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(backoff)
        .intensity(Intensity {
            max_restarts: 100,
            period: Duration::from_secs(10),
        })
        .child(a)
        .child(b);
    let _root = RootHandle::start(&registry, "root", sup);
    let crashed = tokio::time::Instant::now();
    let _ = a_ref.ask(Crash).await;
    let _ = b_ref.ask(Crash).await;
    eventually("both restarted", || {
        journal.starts_of("a") == 2 && journal.starts_of("b") == 2
    })
    .await;
    let took = crashed.elapsed();
    assert!(
        took < Duration::from_millis(1100),
        "both restart after one backoff, not two in a row: {took:?}"
    );
}

#[actix::test]
async fn a_factory_that_panics_fails_its_child_not_the_supervisor() {
    tokio::time::pause();
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    use std::sync::Arc;

    let registry = Registry::default();
    let journal = Journal::default();
    let (steady, steady_ref) = worker("steady", RestartType::Permanent, 8, &journal);
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&attempts);
    let (fragile, _) = ChildSpec::actor("fragile", "worker", move |cx: &crate::ChildContext| {
        if counter.fetch_add(1, SeqCst) == 0 {
            panic!("constructor bug");
        }
        Worker {
            name: "fragile".into(),
            cx: cx.clone(),
            journal: Journal::default(),
            count: 0,
            ignore_shutdown: false,
            handled: Arc::new(AtomicU32::new(0)),
        }
    });
    let _root = RootHandle::start(
        &registry,
        "root",
        quick(Strategy::OneForOne).child(steady).child(fragile),
    );
    eventually("the fragile child is restarted", || {
        registry
            .find_by_path("/root/fragile")
            .is_some_and(|a| a.state == ActorState::Running && a.restarts == 1)
    })
    .await;
    assert_eq!(attempts.load(SeqCst), 2);
    assert_eq!(
        journal.starts_of("steady"),
        1,
        "its sibling was not disturbed"
    );
    assert_eq!(steady_ref.ask(Bump).await, Ok(1));
    let last_error = registry
        .find_by_path("/root/fragile")
        .and_then(|a| a.last_error)
        .unwrap_or_default();
    assert!(last_error.contains("constructor bug"), "{last_error}");
}

#[actix::test]
async fn a_restarted_supervisor_starts_every_static_child_again() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (done, done_ref) = worker("done", RestartType::Transient, 8, &journal);
    let (fragile, fragile_ref) = worker("fragile", RestartType::Permanent, 8, &journal);
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 0,
            period: Duration::from_secs(10),
        })
        .child(done)
        .child(fragile);
    let (inner_spec, _) = inner.into_child("inner");
    let _root = RootHandle::start(
        &registry,
        "root",
        quick(Strategy::OneForOne).child(inner_spec),
    );

    done_ref.tell(StopNormally).expect("accepted");
    eventually("the transient child finished", || {
        !done_ref.is_running() && journal.starts_of("done") == 1
    })
    .await;
    // The next failure exceeds the inner supervisor's intensity: its parent restarts it.
    let _ = fragile_ref.ask(Crash).await;
    eventually("the inner supervisor came back with both children", || {
        journal.starts_of("done") == 2 && journal.starts_of("fragile") == 2 && done_ref.is_running()
    })
    .await;
    assert_eq!(
        journal.starts_of("done"),
        2,
        "as OTP's init/1 would, the new incarnation starts it again"
    );
}

#[actix::test]
async fn children_that_forget_when_done_leave_the_registry_unless_they_failed() {
    tokio::time::pause();
    let registry = Registry::default();
    let root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne));
    let ok = ChildSpec::task("quick", "tool", |_| async { Ok(()) }.boxed_local())
        .restart(RestartType::Temporary)
        .forget_when_done();
    let failing = ChildSpec::task("broken", "tool", |_| {
        async { Err("bad input".to_string()) }.boxed_local()
    })
    .restart(RestartType::Temporary)
    .forget_when_done();
    let ok_id = root
        .supervisor()
        .ask(StartChild(ok))
        .await
        .expect("delivered")
        .expect("started");
    let failed_id = root
        .supervisor()
        .ask(StartChild(failing))
        .await
        .expect("delivered")
        .expect("started");
    eventually("the failure is recorded", || {
        registry
            .get(failed_id)
            .is_some_and(|a| a.state == ActorState::Failed)
    })
    .await;
    eventually("the normal end is forgotten", || {
        registry.get(ok_id).is_none()
    })
    .await;
    assert_eq!(
        registry
            .get(failed_id)
            .and_then(|a| a.last_error)
            .as_deref(),
        Some("failed: bad input")
    );
}
