//! Notices that a stored session changed (a step appended, the session reset), for the clients
//! that watch the session list (`sessions.subscribe` over the WebSocket protocol).
//!
//! A broadcast channel: each watcher holds its own receiver, and a notice is only sent while
//! someone watches (the receiver count, read under the channel's uncontended lock), so a gateway
//! nobody watches pays almost nothing per append. A watcher that falls behind misses notices (it learns how many) and
//! refreshes its list, as OpenClaw's clients do on a gap; nothing waits for it.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::SessionStore;

/// How many notices a watcher may fall behind before it misses some.
const BACKLOG: usize = 256;

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeReason {
    /// Steps were appended (a message, an answer, a trace).
    Updated,
    /// The session was reset (its transcript archived, it left the index).
    Reset,
}

impl ChangeReason {
    /// The name clients see (`reason` of `sessions.changed`).
    pub fn name(self) -> &'static str {
        match self {
            ChangeReason::Updated => "updated",
            ChangeReason::Reset => "reset",
        }
    }
}

/// One notice.
#[derive(Debug, Clone)]
pub struct SessionChange {
    pub key: Arc<str>,
    pub reason: ChangeReason,
}

/// The sending side, held by the store.
#[derive(Debug)]
pub(super) struct Changes(broadcast::Sender<SessionChange>);

impl Default for Changes {
    fn default() -> Self {
        Changes(broadcast::channel(BACKLOG).0)
    }
}

impl Changes {
    /// Tells the watchers, if there are any.
    pub(super) fn notify(&self, key: &str, reason: ChangeReason) {
        if self.0.receiver_count() > 0 {
            let _ = self.0.send(SessionChange {
                key: Arc::from(key),
                reason,
            });
        }
    }
}

impl SessionStore {
    /// A receiver of every change from now on.
    pub fn watch(&self) -> broadcast::Receiver<SessionChange> {
        self.changes.0.subscribe()
    }

    /// The folder of the transcripts and of the index (`sessions.json`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ChatMessage;
    use crate::sessions::Entry;

    #[test]
    fn watchers_hear_of_appends_and_resets_and_nobody_else_pays() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).unwrap();
        let entry = Entry::Message {
            ts_ms: 1,
            turn: "t1".into(),
            message: ChatMessage::User {
                content: "hello".into(),
                images: Vec::new(),
            },
            usage: None,
            model: None,
            members: Vec::new(),
            source: None,
        };
        // No watcher: nothing is queued anywhere.
        store
            .append("agent:main:a", std::slice::from_ref(&entry))
            .unwrap();
        let mut watcher = store.watch();
        assert!(watcher.try_recv().is_err(), "a change from before watching");
        store.append("agent:main:a", &[entry]).unwrap();
        let change = watcher.try_recv().unwrap();
        assert_eq!(
            (&*change.key, change.reason),
            ("agent:main:a", ChangeReason::Updated)
        );
        store.reset("agent:main:a").unwrap();
        assert_eq!(watcher.try_recv().unwrap().reason, ChangeReason::Reset);
        assert_eq!(store.dir(), dir.path());
    }
}
