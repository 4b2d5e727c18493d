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
        /// On a channel message's user message: the platform's id of that message (WhatsApp
        /// `wamid`, Telegram message id), so that a later edit or deletion of it finds its turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
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
    /// Something said in the session that is not a turn of its own: a group message not
    /// addressed to the agent (context), a reaction, an edit, a deletion. `target` is the
    /// platform id of the message it refers to (for reactions, edits and deletions).
    Note { ts_ms: u64, note: Note },
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
            Entry::Session { .. } | Entry::Note { .. } => None,
            Entry::Message { turn, .. }
            | Entry::TurnFailed { turn, .. }
            | Entry::Trace { turn, .. } => Some(turn),
        }
    }
}

/// A line of a session that is not part of a turn (see [`Entry::Note`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub kind: NoteKind,
    /// Who said or did it (a display name, else the platform id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The message's text (context, an edit's new text) or the reaction's emoji (empty: the
    /// reaction was removed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The platform id of the message it refers to, or of the message itself (context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// It is shown to the model with the session's next turn (group context, and reactions
    /// when `channels.<id>.reactions` is `model`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub for_model: bool,
}

/// What a [`Note`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A group message that did not address the agent.
    Context,
    Reaction,
    /// The message `target` now reads `text`.
    Edit,
    /// The message `target` was deleted by its sender.
    Delete,
}

/// Milliseconds since the Unix epoch, for timestamps in transcripts.
pub(crate) use crate::clock::now_ms;
