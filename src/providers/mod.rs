//! Model providers: the clients that stream an answer from an LLM.
//!
//! The agent run speaks one provider-neutral language ([`types`]): a [`ChatRequest`] in, a stream
//! of [`StreamEvent`]s out (text deltas, complete tool calls, usage, the stop reason). Each wire
//! protocol has its own module that translates both ways and classifies failures into a
//! [`ProviderError`] whose kind drives retries, cooldowns and failover:
//! - `openai`: OpenAI Chat Completions with SSE (also Ollama, vLLM, llama.cpp servers);
//! - `anthropic`: Anthropic Messages with SSE;
//! - `embeddings`: the OpenAI-compatible `POST /embeddings` client memory search uses;
//! - `catalog`: resolves `provider/model` refs to a configured client (built-ins plus
//!   `models.providers.<id>`).

pub mod anthropic;
pub mod catalog;
pub mod embeddings;
pub(crate) mod error;
pub(crate) mod http_error;
pub mod openai;
mod openai_body;
pub mod sse;
pub(crate) mod types;

#[cfg(test)]
mod image_tests;

pub use error::{ErrorKind, ProviderError};
pub use types::{
    ChatMessage, ChatRequest, EventStream, ImagePart, Sampling, StopReason, StreamEvent, ToolCall,
    ToolChoice, ToolSpec, Usage,
};
