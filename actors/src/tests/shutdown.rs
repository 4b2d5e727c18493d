//! Orderly shutdown: reverse start order, per-child timeouts, removal of dynamic children.

use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use super::fixtures::*;
use crate::{
    ActorState, Backoff, ExitReason, Registry, RestartType, RootHandle, Strategy, SupervisorSpec,
    TerminateChild,
};

#[actix::test]
async fn shutdown_stops_children_in_reverse_start_order() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (a, _) = worker("a", RestartType::Permanent, 8, &journal);
    let (b, _) = worker("b", RestartType::Permanent, 8, &journal);
    let (inner_c, _) = worker("c", RestartType::Permanent, 8, &journal);
    let (inner, _) = SupervisorSpec::new(Strategy::OneForOne)
        .child(inner_c)
        .into_child("inner");
    let mut root = RootHandle::start(
        &registry,
        "root",
        SupervisorSpec::new(Strategy::OneForOne)
            .child(a)
            .child(inner)
            .child(b),
    );
    eventually("all started", || journal.starts_of("b") == 1).await;

    assert!(root.shutdown());
    assert_eq!(root.wait().await, ExitReason::Shutdown);
    assert_eq!(journal.stops(), vec!["b", "c", "a"]);
    for path in [
        "/root",
        "/root/a",
        "/root/b",
        "/root/inner",
        "/root/inner/c",
    ] {
        assert_eq!(
            state_of(&registry, path),
            Some(ActorState::Stopped),
            "{path}"
        );
    }
}

#[actix::test]
async fn a_child_that_ignores_shutdown_is_killed_after_its_timeout() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (stubborn, _) = worker_with(
        "stubborn",
        RestartType::Permanent,
        8,
        &journal,
        true,
        Arc::new(AtomicU32::new(0)),
    );
    let stubborn = stubborn.shutdown_timeout(Duration::from_secs(2));
    let mut root = RootHandle::start(
        &registry,
        "root",
        SupervisorSpec::new(Strategy::OneForOne)
            .backoff(Backoff::none())
            .child(stubborn),
    );
    eventually("started", || journal.starts_of("stubborn") == 1).await;

    let asked = tokio::time::Instant::now();
    root.shutdown();
    assert_eq!(root.wait().await, ExitReason::Shutdown);
    let took = asked.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "took {took:?}"
    );
    let last_error = registry
        .find_by_path("/root/stubborn")
        .and_then(|a| a.last_error);
    assert_eq!(
        last_error.as_deref(),
        Some("killed after its shutdown timeout")
    );
}

#[actix::test]
async fn terminate_child_stops_and_forgets_a_dynamic_child() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let root = RootHandle::start(&registry, "root", SupervisorSpec::new(Strategy::OneForOne));
    let (spec, session) = worker("agent:main:main", RestartType::Permanent, 8, &journal);
    root.supervisor()
        .ask(crate::StartChild(spec))
        .await
        .expect("delivered")
        .expect("started");
    assert_eq!(session.ask(Bump).await, Ok(1));

    assert!(root
        .supervisor()
        .ask(TerminateChild("agent:main:main".into()))
        .await
        .expect("delivered"));
    eventually("the session is stopped", || !session.is_running()).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        journal.starts_of("agent:main:main"),
        1,
        "a terminated permanent child is not restarted"
    );
    assert_eq!(
        state_of(&registry, "/root/agent:main:main"),
        Some(ActorState::Stopped)
    );
    assert!(!root
        .supervisor()
        .ask(TerminateChild("nobody".into()))
        .await
        .expect("delivered"));
}
