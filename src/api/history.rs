//! `chat.history` (WS, and `GET /admin/sessions/{key}/history`, `pincer sessions history`): a
//! session's messages, oldest first, read from its transcript.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::operator::blocking;
use super::params::number;
use super::{ApiError, Operator};
use crate::providers::ChatMessage;
use crate::sessions::key::{is_valid, MAIN};
use crate::sessions::{Entry, SessionStore};

/// `chat.history {sessionKey?, limit?}`: the main session and 200 messages by default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoryRequest {
    /// The session (`key` in the HTTP route's path).
    #[serde(default, rename = "sessionKey", alias = "key")]
    pub session_key: Option<String>,
    /// How many of the last messages (1 to 2,000).
    #[serde(default, deserialize_with = "number")]
    pub limit: Option<usize>,
}

/// The last messages of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub session_key: String,
    pub messages: Vec<HistoryMessage>,
}

/// One message of a transcript, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "role",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum HistoryMessage {
    User {
        content: String,
        ts: u64,
        turn: String,
    },
    Assistant {
        content: String,
        /// The names of the tools this step called.
        tool_calls: Vec<String>,
        ts: u64,
        turn: String,
    },
    Tool {
        name: String,
        content: String,
        is_error: bool,
        ts: u64,
        turn: String,
    },
    /// Something said or done in the session outside a turn: group context, a reaction, an
    /// edit, a deletion (`kind`), by `from`, about message `target`.
    Note {
        kind: crate::sessions::entry::NoteKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        ts: u64,
    },
    /// A turn that ended without an answer: what the asker was told.
    Error {
        content: String,
        ts: u64,
        turn: String,
    },
}

impl HistoryMessage {
    /// The message a transcript line holds, if it holds one.
    fn of(entry: Entry) -> Option<Self> {
        Some(match entry {
            Entry::Message {
                ts_ms: ts,
                turn,
                message,
                ..
            } => match message {
                ChatMessage::User { content, .. } => HistoryMessage::User { content, ts, turn },
                ChatMessage::Assistant { text, tool_calls } => HistoryMessage::Assistant {
                    content: text,
                    tool_calls: tool_calls.into_iter().map(|c| c.name).collect(),
                    ts,
                    turn,
                },
                ChatMessage::Tool {
                    name,
                    content,
                    is_error,
                    ..
                } => HistoryMessage::Tool {
                    name,
                    content,
                    is_error,
                    ts,
                    turn,
                },
            },
            Entry::TurnFailed {
                ts_ms, turn, error, ..
            } => HistoryMessage::Error {
                content: error,
                ts: ts_ms,
                turn,
            },
            Entry::Note { ts_ms, note } => HistoryMessage::Note {
                kind: note.kind,
                from: note.from,
                content: note.text,
                target: note.target,
                ts: ts_ms,
            },
            Entry::Session { .. } | Entry::Trace { .. } => return None,
        })
    }
}

/// The last `limit` messages of `session` in `store` (file I/O).
pub(crate) fn history_in(
    store: &SessionStore,
    session: &str,
    limit: usize,
) -> Result<History, ApiError> {
    let mut messages: Vec<HistoryMessage> = store
        .load(session)?
        .into_iter()
        .filter_map(HistoryMessage::of)
        .collect();
    messages.drain(..messages.len().saturating_sub(limit));
    Ok(History {
        session_key: session.to_string(),
        messages,
    })
}

impl Operator {
    /// `chat.history`.
    pub async fn session_history(&self, request: HistoryRequest) -> Result<History, ApiError> {
        let session = request.session_key.unwrap_or_else(|| MAIN.to_string());
        if !is_valid(&session) {
            return Err(ApiError::Invalid(format!("invalid sessionKey {session:?}")));
        }
        let limit = request.limit.unwrap_or(200).clamp(1, 2000);
        let store = Arc::clone(&self.engine.store);
        blocking(move || history_in(&store, &session, limit)).await?
    }
}
