//! What the store knows of its sessions without reading a transcript: the seed's
//! `inspectSession` (one session's index entry, its file's size and modification time) and the
//! most recently updated few (health summaries, asked at every connect, so they neither copy
//! nor sort the whole index).

use std::fs;

use serde::Serialize;

use super::{SessionMeta, SessionStore};

/// What `pincer sessions show` reports (the seed's `inspectSession`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub key: String,
    pub exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_ms: Option<u64>,
    pub message_count: u64,
    pub token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SessionMeta>,
}

impl SessionStore {
    /// The seed's `inspectSession`: existence, size, modification time, counts, metadata.
    pub fn inspect(&self, key: &str) -> Inspection {
        let Some(meta) = self.meta(key) else {
            return Inspection {
                key: key.to_string(),
                exists: false,
                session_id: None,
                size: None,
                last_modified_ms: None,
                message_count: 0,
                token_count: 0,
                metadata: None,
            };
        };
        let file = fs::metadata(self.file_of(&meta.session_id)).ok();
        Inspection {
            key: key.to_string(),
            exists: file.is_some(),
            session_id: Some(meta.session_id.clone()),
            size: file.as_ref().map(|m| m.len()),
            last_modified_ms: file
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            message_count: meta.messages,
            token_count: meta.input_tokens + meta.output_tokens,
            metadata: Some(meta),
        }
    }

    /// How many sessions are stored, and the `n` most recently updated, newest first.
    pub fn recent(&self, n: usize) -> (usize, Vec<SessionMeta>) {
        let guard = self.lock();
        let sessions = &guard.0.sessions;
        let mut top: Vec<&SessionMeta> = Vec::with_capacity(n + 1);
        for meta in sessions.values() {
            let at = top.partition_point(|m| m.updated_ms >= meta.updated_ms);
            if at < n {
                top.insert(at, meta);
                top.truncate(n);
            }
        }
        (sessions.len(), top.into_iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ChatMessage;
    use crate::sessions::Entry;

    #[test]
    fn the_most_recent_sessions_come_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::open(dir.path()).unwrap();
        for key in [
            "agent:main:a",
            "agent:main:b",
            "agent:main:c",
            "agent:main:b",
        ] {
            let entry = Entry::Message {
                ts_ms: 1,
                turn: "t".into(),
                message: ChatMessage::User {
                    content: "hi".into(),
                    images: Vec::new(),
                },
                usage: None,
                model: None,
                members: Vec::new(),
                source: None,
            };
            store.append(key, &[entry]).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        let (count, recent) = store.recent(2);
        let keys: Vec<&str> = recent.iter().map(|m| m.key.as_str()).collect();
        assert_eq!((count, keys), (3, vec!["agent:main:b", "agent:main:c"]));
        assert_eq!(store.recent(0).1.len(), 0);
        assert_eq!(store.recent(10).1.len(), 3);
    }
}
