//! The seed's `inspectSession`: what the store knows of one session without reading its
//! transcript (the index entry and the file's size and modification time).

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
}
