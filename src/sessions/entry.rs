//! The lines of a transcript file.
//!
//! A transcript is JSONL: a `session` header line (so the file alone says which session it is and
//! the index can be rebuilt from the files), then one line per persisted step of each turn. A turn
//! is complete once it has an assistant message without tool calls, or a `turn_failed` line; an
//! agent run that restarts reads its turn's lines back to continue from the last persisted step.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::providers::{ChatMessage, Usage};

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// First line of every file.
    Session {
        key: String,
        id: String,
        created_ms: u64,
    },
    /// A message of turn `turn` (user input, assistant step, tool result).
    Message {
        ts_ms: u64,
        turn: String,
        message: ChatMessage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Usage>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        /// On a turn's user message: the ids of the journaled messages it answers, in order,
        /// when that is not just the turn's own id (a `collect` turn joins several). Written in
        /// the same line as the user message, so a message's turn is durable the moment that
        /// turn's question is: after a crash, a replayed message finds the turn it belongs to
        /// instead of being asked again in another one. Empty (and absent from the file) for a
        /// turn that answers one message, or none (the HTTP API).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<String>,
    },
    /// The turn ended without an answer; `error` is what the asker was told. A `retryable`
    /// failure does not end the turn for good: the same turn id may be asked again and answered.
    TurnFailed {
        ts_ms: u64,
        turn: String,
        error: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retryable: bool,
    },
    /// Timeline and totals of one run (an attempt of a turn), for `pincer trace`.
    Trace {
        ts_ms: u64,
        turn: String,
        run: String,
        trace: Value,
    },
}

impl Entry {
    /// The turn this line belongs to, if any.
    pub fn turn(&self) -> Option<&str> {
        match self {
            Entry::Session { .. } => None,
            Entry::Message { turn, .. }
            | Entry::TurnFailed { turn, .. }
            | Entry::Trace { turn, .. } => Some(turn),
        }
    }
}

/// Milliseconds since the Unix epoch, for timestamps in transcripts.
pub(crate) use crate::clock::now_ms;
