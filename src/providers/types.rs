//! The provider-neutral conversation model shared by the agent run, the transcript and every
//! provider client.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ProviderError;

/// One model call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The model name as the provider knows it (the part after `provider/`).
    pub model: String,
    pub system: Option<String>,
    /// The conversation's earlier messages, shared with the session's in-memory history (a
    /// prompt refers to it instead of copying it); sent before `messages`.
    pub history: Arc<Vec<ChatMessage>>,
    /// This turn's messages.
    pub messages: Vec<ChatMessage>,
    /// Shared: the same offered set goes into every call of every turn, so a request (or its
    /// clone for a retry) does not copy the tools' JSON Schemas.
    pub tools: Arc<[ToolSpec]>,
    pub max_tokens: u32,
    /// What the client asked of the sampling (the OpenAI-compatible endpoints); all unset for
    /// a channel's or an operator's turn, where the provider's defaults apply.
    pub sampling: Sampling,
}

/// Sampling settings a client may set per request, mapped to each provider's wire format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sampling {
    /// 0..=2 (OpenAI's range; Anthropic's is 0..=1, so its body caps it at 1).
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// Sequences that end the answer (at most 4, OpenAI's limit).
    pub stop: Vec<String>,
    /// Whether and which tool the model must call; `None`: the provider's default (auto).
    pub tool_choice: Option<ToolChoice>,
}

/// The model's freedom to call tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool call.
    None,
    /// At least one tool call.
    Required,
    /// A call of this tool.
    Function(String),
}

impl ChatRequest {
    /// Every message of the conversation, in order: the history, then this turn's.
    pub fn conversation(&self) -> impl Iterator<Item = &ChatMessage> + Clone {
        self.history.iter().chain(self.messages.iter())
    }

    /// How many messages `conversation` yields.
    pub fn conversation_len(&self) -> usize {
        self.history.len() + self.messages.len()
    }
}

/// A message of the conversation. Serialised into transcripts, so the shape is stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    User {
        content: String,
        /// Images the user sent with the message (a channel's photo), kept as files; only the
        /// current turn's are sent as image input (see [`ImagePart::data`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<ImagePart>,
    },
    Assistant {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, answering the assistant message that made it.
    Tool {
        call_id: String,
        name: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

impl ChatMessage {
    /// A user message of text only.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage::User {
            content: content.into(),
            images: Vec::new(),
        }
    }
}

/// An image of a user message: the stored file and its type. The transcript keeps the path; the
/// bytes are read by the run when it builds the request of the turn the image came with, so
/// serialising a body does no I/O and the history's images cost no prompt space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePart {
    /// `image/jpeg`, `image/png`, ...
    pub media_type: String,
    /// Where the file is kept (`<state>/media/<sha256>.<ext>`).
    pub path: String,
    /// The file's bytes in base64, filled by the run for the current turn's call and never
    /// persisted. An image without it (one from an earlier turn) goes to the model as a short
    /// text note instead.
    #[serde(skip)]
    pub data: Option<Arc<str>>,
}

impl ImagePart {
    /// The note the model reads for an image it is not shown.
    pub fn note(&self) -> &'static str {
        "[an image sent earlier; not shown again]"
    }
}

impl ChatRequest {
    /// The request for a model that takes no image input: each image of this turn becomes a
    /// note in its message's text.
    pub fn without_images(&self) -> ChatRequest {
        let mut request = self.clone();
        for message in &mut request.messages {
            if let ChatMessage::User { content, images } = message {
                for _ in images.drain(..) {
                    if !content.is_empty() {
                        content.push('\n');
                    }
                    content.push_str("[the user sent an image, but this model cannot see images]");
                }
            }
        }
        request
    }
}

/// A complete tool call (arguments fully received and parsed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// A tool the model may call: name, description and JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// Token counts of one model call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    Other(String),
}

/// What a provider stream yields, in order: any number of `Text` and `ToolCall` (a tool call is
/// emitted once its arguments are complete), at most one `Usage`, then `Finished`. A stream that
/// ends without `Finished` was cut off.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Text(String),
    ToolCall(ToolCall),
    Usage(Usage),
    Finished(StopReason),
}

/// The event stream of one model call.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;
