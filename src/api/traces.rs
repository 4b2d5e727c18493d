//! `sessions.traces` (WS, `GET /admin/sessions/{key}/traces?last=N&run=R`, `pincer trace`): the
//! timelines the runs of a session recorded: model calls with time to first token and tokens, tool
//! calls with durations.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::operator::blocking;
use super::params::{number, required};
use super::{ApiError, Operator};
use crate::sessions::Entry;

/// `sessions.traces {key, last?, run?}`: the last 10 runs by default, or only run `run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TracesRequest {
    #[serde(alias = "sessionKey")]
    pub key: String,
    #[serde(default, deserialize_with = "number")]
    pub last: Option<usize>,
    /// A run id (`<session key>#<turn id>`).
    #[serde(default)]
    pub run: Option<String>,
}

/// The recorded runs of a session, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traces {
    /// The session key.
    pub session: String,
    pub traces: Vec<TraceRecord>,
}

/// One run's trace line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceRecord {
    pub ts_ms: u64,
    pub turn: String,
    /// `<session key>#<turn id>`.
    pub run: String,
    pub trace: RunTrace,
}

/// The timeline and totals of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunTrace {
    pub steps: Vec<TraceStep>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum TraceStep {
    /// A model call.
    Model {
        model: String,
        duration_ms: u64,
        /// None when no token came (the call failed or answered nothing).
        first_token_ms: Option<u64>,
        input_tokens: u64,
        output_tokens: u64,
        tool_calls: usize,
    },
    /// A tool call.
    Tool {
        name: String,
        duration_ms: u64,
        is_error: bool,
    },
    /// A media download (a channel message's photo, voice note, document).
    Download {
        /// The media kind (`image`, `voice`, ...).
        media: String,
        bytes: u64,
        duration_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A voice note or audio file transcribed.
    Transcription {
        media: String,
        bytes: u64,
        duration_ms: u64,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

impl TraceRecord {
    /// The trace a transcript line holds, if it holds one that reads as a trace (runs write them;
    /// one that does not read is skipped and logged).
    fn of(entry: Entry) -> Option<Self> {
        let Entry::Trace {
            ts_ms,
            turn,
            run,
            trace,
        } = entry
        else {
            return None;
        };
        match serde_json::from_value(trace) {
            Ok(trace) => Some(TraceRecord {
                ts_ms,
                turn,
                run,
                trace,
            }),
            Err(error) => {
                tracing::warn!(%run, %error, "a recorded run trace does not read as one; skipped");
                None
            }
        }
    }
}

impl Operator {
    /// `sessions.traces`.
    pub async fn session_traces(&self, request: TracesRequest) -> Result<Traces, ApiError> {
        let key = required("key", &request.key)?.to_string();
        let store = Arc::clone(&self.engine.store);
        let name = key.clone();
        let entries = blocking(move || store.load(&name)).await??;
        let mut traces: Vec<TraceRecord> = entries
            .into_iter()
            .filter_map(TraceRecord::of)
            .filter(|t| request.run.as_deref().is_none_or(|run| t.run == run))
            .collect();
        let keep = request.last.unwrap_or(10);
        traces.drain(..traces.len().saturating_sub(keep));
        Ok(Traces {
            session: key,
            traces,
        })
    }
}
