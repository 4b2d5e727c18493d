//! Mailbox figures: the bound is exact, and the queued gauge cannot drift.

use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use proptest::prelude::{prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as PropStrategy;
use tokio::sync::oneshot;

use super::fixtures::*;
use crate::{Backoff, Registry, RestartType, RootHandle, SendError, Strategy, SupervisorSpec};

#[actix::test]
async fn a_full_bounded_mailbox_rejects_and_counts() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let (spec, worker) = worker("w", RestartType::Permanent, 3, &journal);
    let _root = RootHandle::start(
        &registry,
        "root",
        SupervisorSpec::new(Strategy::OneForOne).child(spec),
    );

    let (release, blocked) = oneshot::channel();
    worker.tell(Block(blocked)).expect("first message fits");
    eventually("the worker is blocked", || worker.stats().queued() == 0).await;
    for _ in 0..3 {
        worker.tell(Bump).expect("fits within capacity 3");
    }
    assert!(
        matches!(worker.tell(Bump), Err(SendError::Full(Bump))),
        "the fourth message must be refused"
    );
    assert!(matches!(worker.ask(Bump).await, Err(crate::AskError::Full)));

    let figures = worker.stats().snapshot();
    assert_eq!(
        (figures.queued, figures.max_queued, figures.rejected_full),
        (3, 3, 2)
    );
    assert_eq!(
        figures.handling.as_ref().map(|h| h.message),
        None,
        "Block's handler returned; the wait holds the mailbox"
    );

    release.send(()).expect("worker waiting");
    eventually("the queue drains", || {
        worker.stats().queued() == 0 && worker.stats().snapshot().handled == 4
    })
    .await;
    let figures = worker.stats().snapshot();
    assert_eq!(
        (figures.enqueued, figures.handled, figures.dropped),
        (4, 4, 0)
    );
    assert_eq!(figures.handler_time.count, 4);
}

#[derive(Debug, Clone)]
enum Op {
    Tell,
    AskAndCancel,
    AskAndWait,
    Crash,
    Block,
    Release,
}

fn op() -> impl PropStrategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Tell),
        2 => Just(Op::AskAndCancel),
        1 => Just(Op::AskAndWait),
        1 => Just(Op::Crash),
        1 => Just(Op::Block),
        2 => Just(Op::Release),
    ]
}

/// Runs `ops` against a worker and returns the final figures once everything settled.
fn run_ops(ops: Vec<Op>) -> (usize, crate::MailboxSnapshot) {
    let system = actix::System::new();
    system.block_on(async move {
        tokio::time::pause();
        let registry = Registry::default();
        let journal = Journal::default();
        let handled = Arc::new(AtomicU32::new(0));
        let (spec, worker) = worker_with("w", RestartType::Permanent, 16, &journal, false, handled);
        let _root = RootHandle::start(
            &registry,
            "root",
            SupervisorSpec::new(Strategy::OneForOne)
                .backoff(Backoff::none())
                .intensity(crate::Intensity {
                    max_restarts: 10_000,
                    period: std::time::Duration::from_secs(1),
                }),
        );
        _root
            .supervisor()
            .ask(crate::StartChild(spec))
            .await
            .expect("delivered")
            .expect("started");
        let mut releases = Vec::new();
        for op in ops {
            match op {
                Op::Tell => {
                    let _ = worker.tell(Bump);
                }
                Op::AskAndCancel => drop(worker.ask(Bump)),
                Op::AskAndWait => {
                    let pending = worker.ask(Bump);
                    // Never wait on a blocked worker forever: give it a bounded virtual time.
                    let _ =
                        tokio::time::timeout(std::time::Duration::from_millis(5), pending).await;
                }
                Op::Crash => {
                    let _ = worker.tell(Crash);
                }
                Op::Block => {
                    let (tx, rx) = oneshot::channel();
                    if worker.tell(Block(rx)).is_ok() {
                        releases.push(tx);
                    }
                }
                Op::Release => {
                    if !releases.is_empty() {
                        let _ = releases.remove(0).send(());
                    }
                }
            }
            tokio::task::yield_now().await;
        }
        drop(releases);
        eventually("the mailbox settles", || {
            worker.stats().queued() == 0 && worker.stats().snapshot().handling.is_none()
        })
        .await;
        (worker.stats().queued(), worker.stats().snapshot())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn the_queued_gauge_returns_to_zero_under_any_sequence(ops in proptest::collection::vec(op(), 1..60)) {
        let (queued, figures) = run_ops(ops);
        prop_assert_eq!(queued, 0);
        // Every admitted message was handled or dropped, none counted twice.
        prop_assert_eq!(figures.enqueued, figures.handled + figures.dropped, "{:?}", figures);
    }
}

#[test]
fn crashing_with_a_full_queue_counts_every_queued_message_as_dropped() {
    let (queued, figures) = run_ops(vec![
        Op::Block,
        Op::Tell,
        Op::Tell,
        Op::Crash,
        Op::Tell,
        Op::Release,
    ]);
    assert_eq!(queued, 0);
    // Block, Tell, Tell, Crash handled or dropped; the Tell after Crash sits behind the crash.
    assert!(figures.dropped >= 1, "{figures:?}");
    assert_eq!(figures.enqueued, figures.handled + figures.dropped);
}
