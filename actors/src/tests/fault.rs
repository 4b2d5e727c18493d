//! Fault injection: an injected panic takes the road of a real one, for actors and tasks.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use super::fixtures::*;
use crate::{
    ActorState, Backoff, ChildSpec, FaultError, Intensity, Registry, RestartType, RootHandle,
    StartChild, Strategy, SupervisorSpec,
};

fn quick() -> SupervisorSpec {
    SupervisorSpec::new(Strategy::OneForOne)
        .backoff(Backoff::none())
        .intensity(Intensity {
            max_restarts: 100,
            period: Duration::from_secs(10),
        })
}

#[actix::test]
async fn an_injected_panic_restarts_an_actor_after_the_messages_queued_before_it() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 8, &journal);
    let _root = RootHandle::start(&registry, "root", quick().child(spec));
    assert_eq!(worker.ask(Bump).await, Ok(1));
    let id = registry.find_by_path("/root/w").expect("registered").id;

    let queued = worker.ask(Bump);
    registry.inject_panic(id, "drill").expect("delivered");
    assert_eq!(
        queued.await,
        Ok(2),
        "messages sent before the fault are handled first"
    );
    eventually("the worker is restarted", || {
        journal.starts_of("w") == 2 && worker.is_running()
    })
    .await;
    let snapshot = registry.get(id).expect("registered");
    assert_eq!(snapshot.restarts, 1);
    assert_eq!(
        snapshot.last_error.as_deref(),
        Some("panicked: injected fault: drill")
    );
    assert_eq!(
        worker.ask(Bump).await,
        Ok(1),
        "fresh state after the restart"
    );
}

#[actix::test]
async fn an_injected_panic_restarts_a_transient_task_and_spares_a_finished_one() {
    tokio::time::pause();
    let registry = Registry::default();
    let starts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&starts);
    // The first incarnation waits forever (until the fault); the second completes.
    let task = ChildSpec::task("job", "run", move |_| {
        let start = counter.fetch_add(1, SeqCst);
        async move {
            if start == 0 {
                std::future::pending::<()>().await;
            }
            Ok(())
        }
        .boxed_local()
    })
    .restart(RestartType::Transient);
    let root = RootHandle::start(&registry, "root", quick());
    let id = root
        .supervisor()
        .ask(StartChild(task))
        .await
        .expect("delivered")
        .expect("started");
    eventually("the task runs", || starts.load(SeqCst) == 1).await;
    registry.inject_panic(id, "drill").expect("delivered");
    eventually("the task is restarted and completes", || {
        registry
            .get(id)
            .is_some_and(|a| a.state == ActorState::Stopped)
    })
    .await;
    let snapshot = registry.get(id).expect("visible during the grace period");
    assert_eq!(snapshot.restarts, 1);
    assert_eq!(
        snapshot.last_error.as_deref(),
        Some("panicked: injected fault: drill")
    );
    assert_eq!(
        registry.inject_panic(id, "again"),
        Err(FaultError::NotRunning(id)),
        "a finished task cannot be faulted"
    );
    assert_eq!(
        registry.inject_panic(999_999, "x"),
        Err(FaultError::UnknownActor(999_999))
    );
}
