//! Anthropic Messages over SSE.
//!
//! [`AnthropicClient::stream`] translates a [`ChatRequest`] into `POST {base_url}/v1/messages`
//! and the named SSE events back into [`StreamEvent`]s: `text_delta`s become text, a `tool_use`
//! block's `input_json_delta`s are joined and parsed at its `content_block_stop`, and the usage of
//! `message_start` (input) and `message_delta` (cumulative output) becomes one `Usage` just before
//! `Finished`. Anthropic has no `tool` role: tool results travel as `tool_result` blocks of a user
//! message, so consecutive [`ChatMessage::Tool`]s are merged into one.

use std::collections::{BTreeMap, VecDeque};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use serde_json::{json, Map, Value};

use super::error::{ErrorKind, ProviderError};
use super::http_error::{self, ErrorBody};
use super::sse::{self, Decoder, SseEvent};
use super::types::{
    ChatMessage, ChatRequest, EventStream, ImagePart, StopReason, StreamEvent, ToolCall,
    ToolChoice, ToolSpec, Usage,
};
use crate::config::Secret;

/// The API version this client speaks (a config header can override it).
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A configured Anthropic Messages endpoint. Cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct AnthropicClient {
    /// The provider id errors are reported under (`anthropic` or a custom id).
    pub provider_id: String,
    /// Base URL without the API path, e.g. `https://api.anthropic.com`.
    pub base_url: String,
    /// Sent as `x-api-key`.
    pub api_key: Option<Secret>,
    /// Extra headers from `models.providers.<id>.headers` (e.g. `anthropic-beta`).
    pub headers: HeaderMap,
    pub http: reqwest::Client,
}

impl AnthropicClient {
    pub fn new(
        provider_id: impl Into<String>,
        base_url: impl Into<String>,
        api_key: Option<Secret>,
        headers: HeaderMap,
        http: reqwest::Client,
    ) -> Self {
        AnthropicClient {
            provider_id: provider_id.into(),
            base_url: base_url.into(),
            api_key,
            headers,
            http,
        }
    }

    /// Starts one model call. Failures before the first byte of the answer (no connection, a
    /// non-2xx status) are the `Err`; failures later arrive inside the stream.
    pub async fn stream(&self, request: &ChatRequest) -> Result<EventStream, ProviderError> {
        let url = format!("{}/v1/messages", self.base_url.trim_end_matches('/'));
        let mut builder = self
            .http
            .post(url)
            .header(ACCEPT, "text/event-stream")
            .header("anthropic-version", ANTHROPIC_VERSION)
            .json(&request_body(request));
        if let Some(key) = self.api_key.as_ref().filter(|key| !key.is_empty()) {
            let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                ProviderError::new(
                    ErrorKind::NotConfigured,
                    &self.provider_id,
                    "the API key contains characters that cannot be sent in a header",
                )
            })?;
            value.set_sensitive(true);
            builder = builder.header("x-api-key", value);
        }
        let builder = builder.headers(self.headers.clone());
        let response = http_error::send(&self.provider_id, builder).await?;
        Ok(sse::event_stream(
            response,
            &self.provider_id,
            AnthropicDecoder::new(&self.provider_id),
        ))
    }
}

/// The JSON body for `request`.
pub fn request_body(request: &ChatRequest) -> Value {
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "stream": true,
        "messages": messages(request.conversation(), request.conversation_len()),
    });
    if let Some(system) = request.system.as_ref().filter(|s| !s.is_empty()) {
        body["system"] = json!(system);
    }
    if !request.tools.is_empty() {
        body["tools"] = request.tools.iter().map(tool).collect();
    }
    let sampling = &request.sampling;
    if let Some(temperature) = sampling.temperature {
        // Anthropic takes 0..=1; OpenAI's 0..=2 is capped rather than refused.
        body["temperature"] = json!(temperature.min(1.0));
    }
    if let Some(top_p) = sampling.top_p {
        body["top_p"] = json!(top_p);
    }
    if !sampling.stop.is_empty() {
        body["stop_sequences"] = json!(sampling.stop);
    }
    // A choice without tools is an error to both providers.
    if let Some(choice) = sampling
        .tool_choice
        .as_ref()
        .filter(|_| !request.tools.is_empty())
    {
        body["tool_choice"] = match choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Function(name) => json!({"type": "tool", "name": name}),
        };
    }
    body
}

/// The conversation in Anthropic's shape: tool results become `tool_result` blocks of one user
/// message per run of [`ChatMessage::Tool`]s, and text the user sends right after them joins that
/// message (tool results must come first in it).
fn messages<'a>(messages: impl Iterator<Item = &'a ChatMessage>, len: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(len);
    // Whether the last message in `out` is a user message holding tool results.
    let mut open_results = false;
    for message in messages {
        match message {
            ChatMessage::User { content, images } if images.is_empty() => {
                let block = json!({"type": "text", "text": content});
                match out.last_mut() {
                    Some(last) if open_results && !content.is_empty() => push_block(last, block),
                    _ => out.push(json!({"role": "user", "content": content})),
                }
                open_results = false;
            }
            ChatMessage::User { content, images } => {
                let blocks = user_blocks(content, images);
                match out.last_mut() {
                    Some(last) if open_results => {
                        for block in blocks {
                            push_block(last, block);
                        }
                    }
                    _ => out.push(json!({"role": "user", "content": blocks})),
                }
                open_results = false;
            }
            ChatMessage::Assistant { text, tool_calls } => {
                let mut blocks = Vec::with_capacity(tool_calls.len() + 1);
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                blocks.extend(tool_calls.iter().map(|call| {
                    json!({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
                }));
                // The API refuses empty content; an empty turn carries nothing anyway.
                if !blocks.is_empty() {
                    out.push(json!({"role": "assistant", "content": blocks}));
                }
                open_results = false;
            }
            ChatMessage::Tool {
                call_id,
                content,
                is_error,
                ..
            } => {
                let mut block =
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": content});
                if *is_error {
                    block["is_error"] = json!(true);
                }
                match out.last_mut() {
                    Some(last) if open_results => push_block(last, block),
                    _ => out.push(json!({"role": "user", "content": [block]})),
                }
                open_results = true;
            }
        }
    }
    out
}

/// A user message with images: the loaded ones as `image` blocks with base64 sources (first, as
/// Anthropic recommends), then the text, with a note for each image not loaded (an earlier
/// turn's).
fn user_blocks(content: &str, images: &[ImagePart]) -> Vec<Value> {
    let mut blocks: Vec<Value> = images
        .iter()
        .filter_map(|image| {
            let data = image.data.as_deref()?;
            Some(json!({"type": "image", "source": {
                "type": "base64", "media_type": image.media_type, "data": data,
            }}))
        })
        .collect();
    let mut text = content.to_string();
    for image in images.iter().filter(|i| i.data.is_none()) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(image.note());
    }
    if !text.is_empty() {
        blocks.push(json!({"type": "text", "text": text}));
    }
    blocks
}

fn push_block(message: &mut Value, block: Value) {
    if let Some(blocks) = message.get_mut("content").and_then(Value::as_array_mut) {
        blocks.push(block);
    }
}

fn tool(spec: &ToolSpec) -> Value {
    json!({"name": spec.name, "description": spec.description, "input_schema": spec.parameters})
}

/// A `tool_use` block whose input is still arriving.
#[derive(Debug)]
struct PendingTool {
    id: String,
    name: String,
    /// The `input` of `content_block_start`, used when no `input_json_delta` follows.
    initial: Value,
    json: String,
}

/// Turns Messages API events into [`StreamEvent`]s.
pub struct AnthropicDecoder {
    provider: String,
    /// Open `tool_use` blocks by content-block index.
    tools: BTreeMap<u64, PendingTool>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
}

impl AnthropicDecoder {
    /// A decoder for one answer stream of `provider` (also the fuzzers' entry point).
    pub fn new(provider: &str) -> Self {
        AnthropicDecoder {
            provider: provider.to_string(),
            tools: BTreeMap::new(),
            usage: None,
            stop: None,
        }
    }

    fn protocol(&self, message: String) -> ProviderError {
        ProviderError::new(ErrorKind::Protocol, &self.provider, message)
    }

    fn block_start(&mut self, data: &Value, out: &mut VecDeque<StreamEvent>) {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let Some(block) = data.get("content_block") else {
            return;
        };
        let text = |key: &str| {
            block
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                let start = text("text");
                if !start.is_empty() {
                    out.push_back(StreamEvent::Text(start));
                }
            }
            Some("tool_use") => {
                self.tools.insert(
                    index,
                    PendingTool {
                        id: text("id"),
                        name: text("name"),
                        initial: block.get("input").cloned().unwrap_or(Value::Null),
                        json: String::new(),
                    },
                );
            }
            _ => {} // thinking, server tools and future block types
        }
    }

    fn block_delta(&mut self, data: &Value, out: &mut VecDeque<StreamEvent>) {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let Some(delta) = data.get("delta") else {
            return;
        };
        let piece = |key: &str| delta.get(key).and_then(Value::as_str).unwrap_or_default();
        match delta.get("type").and_then(Value::as_str) {
            Some("text_delta") if !piece("text").is_empty() => {
                out.push_back(StreamEvent::Text(piece("text").to_string()));
            }
            Some("input_json_delta") => {
                if let Some(tool) = self.tools.get_mut(&index) {
                    tool.json.push_str(piece("partial_json"));
                }
            }
            _ => {} // thinking_delta, signature_delta, citations, ...
        }
    }

    fn block_stop(
        &mut self,
        data: &Value,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<(), ProviderError> {
        let index = data.get("index").and_then(Value::as_u64).unwrap_or(0);
        let Some(tool) = self.tools.remove(&index) else {
            return Ok(());
        };
        let arguments = if !tool.json.trim().is_empty() {
            serde_json::from_str(&tool.json).map_err(|error| {
                self.protocol(format!(
                    "the input of tool call `{}` is not valid JSON ({error}): {}",
                    tool.name, tool.json
                ))
            })?
        } else if tool.initial.is_object() {
            tool.initial
        } else {
            Value::Object(Map::new())
        };
        out.push_back(StreamEvent::ToolCall(ToolCall {
            id: tool.id,
            name: tool.name,
            arguments,
        }));
        Ok(())
    }

    /// Records usage counts; `message_delta` counts are cumulative, so later values replace.
    fn record_usage(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage.filter(|u| u.is_object()) else {
            return;
        };
        let count = |key: &str| usage.get(key).and_then(Value::as_u64);
        let current = self.usage.get_or_insert_with(Usage::default);
        if let Some(input) = count("input_tokens") {
            // Cached prompt tokens are billed input too. The counts come from the server: a
            // broken one must not make the sum overflow (a panic in debug builds).
            current.input_tokens = input
                .saturating_add(count("cache_creation_input_tokens").unwrap_or(0))
                .saturating_add(count("cache_read_input_tokens").unwrap_or(0));
        }
        if let Some(output) = count("output_tokens") {
            current.output_tokens = output;
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_string()),
    }
}

impl Decoder for AnthropicDecoder {
    fn decode(
        &mut self,
        event: SseEvent,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<bool, ProviderError> {
        let data: Value = serde_json::from_str(&event.data).map_err(|error| {
            self.protocol(format!(
                "event `{}` is not JSON ({error}): {}",
                event.event.as_deref().unwrap_or("message"),
                event.data
            ))
        })?;
        let name = event
            .event
            .as_deref()
            .or_else(|| data.get("type").and_then(Value::as_str))
            .unwrap_or_default();
        match name {
            "message_start" => {
                self.record_usage(data.get("message").and_then(|m| m.get("usage")));
            }
            "content_block_start" => self.block_start(&data, out),
            "content_block_delta" => self.block_delta(&data, out),
            "content_block_stop" => self.block_stop(&data, out)?,
            "message_delta" => {
                if let Some(reason) = data
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.stop = Some(stop_reason(reason));
                }
                self.record_usage(data.get("usage"));
            }
            "message_stop" => {
                if let Some(usage) = self.usage.take() {
                    out.push_back(StreamEvent::Usage(usage));
                }
                let reason = self.stop.take().unwrap_or(StopReason::EndTurn);
                out.push_back(StreamEvent::Finished(reason));
                return Ok(true);
            }
            "error" => {
                let body = ErrorBody::from_value(&data).unwrap_or_default();
                return Err(http_error::from_event(&self.provider, &body));
            }
            _ => {} // ping and event types added after this client was written
        }
        Ok(false)
    }

    fn cut_off(&self) -> ProviderError {
        ProviderError::new(
            ErrorKind::Network,
            &self.provider,
            "the answer stream ended before `message_stop`",
        )
    }
}

#[cfg(test)]
#[path = "anthropic_tests.rs"]
mod tests;
