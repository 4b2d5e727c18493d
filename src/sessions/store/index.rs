//! The session index, `sessions.json`: one [`SessionMeta`] per stored session, a cache of what
//! the transcripts say (rebuilt from a file's header and lines when it lacks a session).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::file::read_entries;
use crate::sessions::Entry;

/// What the index keeps per session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionMeta {
    pub key: String,
    pub session_id: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub messages: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub model: Option<String>,
}

impl SessionMeta {
    /// A session just started.
    pub(super) fn new(key: &str, session_id: String, now: u64) -> SessionMeta {
        SessionMeta {
            key: key.to_string(),
            session_id,
            created_ms: now,
            updated_ms: now,
            messages: 0,
            input_tokens: 0,
            output_tokens: 0,
            model: None,
        }
    }

    /// Counts one line of the session.
    pub(super) fn count(&mut self, entry: &Entry) {
        if let Entry::Message { usage, model, .. } = entry {
            self.messages += 1;
            if let Some(usage) = usage {
                self.input_tokens += usage.input_tokens;
                self.output_tokens += usage.output_tokens;
            }
            if model.is_some() {
                self.model = model.clone();
            }
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct IndexFile {
    pub(super) version: u32,
    pub(super) sessions: BTreeMap<String, SessionMeta>,
}

/// Rebuilds an index entry from a transcript file (header plus counts).
pub(super) fn rebuild_meta(path: &Path) -> Option<SessionMeta> {
    let entries = read_entries(path).ok()?;
    let Entry::Session {
        key,
        id,
        created_ms,
    } = entries.first()?
    else {
        return None;
    };
    let mut meta = SessionMeta::new(key, id.clone(), *created_ms);
    for entry in &entries {
        if let Entry::Message { ts_ms, .. } = entry {
            meta.updated_ms = meta.updated_ms.max(*ts_ms);
        }
        meta.count(entry);
    }
    Some(meta)
}
