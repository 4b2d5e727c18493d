//! Reserved addresses: an actor's address handed out before its spec exists, so that a peer
//! built earlier can hold it at construction (no address patched in afterwards).

use super::fixtures::*;
use crate::{Registry, Reserved, RootHandle, SendError, Strategy};

#[actix::test]
async fn a_reserved_address_reaches_the_child_once_its_spec_is_started() {
    tokio::time::pause();
    let registry = Registry::default();
    let journal = Journal::default();
    let reserved = Reserved::<Worker>::new(4);
    let early = reserved.actor_ref().clone();
    assert!(!early.is_running());
    assert!(matches!(early.tell(Bump), Err(SendError::NotRunning(_))));
    let owned = journal.clone();
    let spec = reserved.into_spec("r", "worker", move |cx| Worker {
        name: "r".into(),
        cx: cx.clone(),
        journal: owned.clone(),
        count: 0,
        ignore_shutdown: false,
        handled: Default::default(),
    });
    let _root = RootHandle::start(&registry, "root", quick(Strategy::OneForOne).child(spec));
    eventually("the reserved child runs", || early.is_running()).await;
    assert_eq!(early.ask(Bump).await, Ok(1));
    assert_eq!(
        early.stats().capacity(),
        4,
        "the reserved capacity is the mailbox's"
    );
    assert_eq!(early.path(), Some("/root/r"));
}
