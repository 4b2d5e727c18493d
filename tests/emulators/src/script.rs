//! The scripted replies: a [`Script`] writes one [`Reply`] in the wire format of the emulated
//! API (OpenAI chunks ending in `[DONE]`, Anthropic named events ending in `message_stop`), with
//! deterministic ids and token usage; also the text of the default `echo:` answer.

use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use super::connection::{canonical_message, error_body, write_status, Sse};
use super::{Api, Reply};

/// The text of the last user message (plain text; tool results are skipped).
pub(super) fn last_user_text(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    for message in messages.iter().rev() {
        if message["role"] != "user" {
            continue;
        }
        match &message["content"] {
            Value::String(text) => return text.clone(),
            Value::Array(blocks) => {
                let text: Vec<&str> = blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect();
                if !text.is_empty() {
                    return text.join(" ");
                }
            }
            _ => {}
        }
    }
    String::new()
}

/// What one reply needs to know about the request it answers.
pub(super) struct Script {
    pub(super) api: Api,
    pub(super) model: String,
    pub(super) input_tokens: u64,
}

impl Script {
    /// Writes `reply`; `Ok(false)` when the connection must not be reused.
    pub(super) fn play(&self, reply: &Reply, out: &mut TcpStream) -> std::io::Result<bool> {
        match reply {
            Reply::Status {
                code,
                body,
                retry_after,
            } => {
                let body = body
                    .clone()
                    .unwrap_or_else(|| error_body(self.api, *code, canonical_message(*code)));
                write_status(out, *code, &body, *retry_after).map(|()| true)
            }
            Reply::Text(pieces) => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(pieces, true) {
                    sse.chunk(&event)?;
                }
                sse.finish()
            }
            Reply::ToolCall {
                id,
                name,
                argument_fragments,
            } => {
                let mut sse = Sse::start(out)?;
                for event in self.tool_events(id, name, argument_fragments) {
                    sse.chunk(&event)?;
                }
                sse.finish()
            }
            Reply::MidStreamError { text, error_type } => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(text, false) {
                    sse.chunk(&event)?;
                }
                sse.chunk(&self.error_event(error_type))?;
                sse.finish()
            }
            Reply::Stall(silence) => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(&["stalling".to_string()], false) {
                    sse.chunk(&event)?;
                }
                thread::sleep(*silence);
                sse.cut()
            }
            Reply::DropConnection => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(&["cut short".to_string()], false) {
                    sse.chunk(&event)?;
                }
                sse.cut()
            }
            Reply::Raw(pieces) => {
                let mut sse = Sse::start(out)?;
                for piece in pieces {
                    sse.chunk(piece)?;
                    thread::sleep(Duration::from_millis(5));
                }
                sse.finish()
            }
        }
    }

    /// The events of a text answer; `complete: false` stops after the text (no stop reason,
    /// usage or end marker).
    fn text_events(&self, pieces: &[String], complete: bool) -> Vec<String> {
        let output = pieces.len() as u64;
        match self.api {
            Api::OpenAi => {
                let mut events = vec![
                    self.openai_chunk(json!({"role": "assistant", "content": ""}), Value::Null)
                ];
                events.extend(
                    pieces
                        .iter()
                        .map(|p| self.openai_chunk(json!({"content": p}), Value::Null)),
                );
                if complete {
                    events.push(self.openai_chunk(json!({}), json!("stop")));
                    events.extend(self.openai_end(output));
                }
                events
            }
            Api::Anthropic => {
                let mut events = vec![
                    self.message_start(),
                    anthropic_event(
                        "content_block_start",
                        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                    ),
                    anthropic_event("ping", json!({"type": "ping"})),
                ];
                events.extend(pieces.iter().map(|p| {
                    anthropic_event(
                        "content_block_delta",
                        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}),
                    )
                }));
                if complete {
                    events.push(anthropic_event(
                        "content_block_stop",
                        json!({"type": "content_block_stop", "index": 0}),
                    ));
                    events.extend(self.anthropic_end("end_turn", output));
                }
                events
            }
        }
    }

    fn tool_events(&self, id: &str, name: &str, fragments: &[String]) -> Vec<String> {
        let output = fragments.len() as u64;
        match self.api {
            Api::OpenAi => {
                let start = json!({"role": "assistant", "content": null, "tool_calls": [
                    {"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}
                ]});
                let mut events = vec![self.openai_chunk(start, Value::Null)];
                events.extend(fragments.iter().map(|fragment| {
                    self.openai_chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}),
                        Value::Null,
                    )
                }));
                events.push(self.openai_chunk(json!({}), json!("tool_calls")));
                events.extend(self.openai_end(output));
                events
            }
            Api::Anthropic => {
                let mut events = vec![
                    self.message_start(),
                    anthropic_event(
                        "content_block_start",
                        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
                    ),
                ];
                let delta = |partial: &str| {
                    anthropic_event(
                        "content_block_delta",
                        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": partial}}),
                    )
                };
                events.push(delta(""));
                events.extend(fragments.iter().map(|f| delta(f)));
                events.push(anthropic_event(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": 0}),
                ));
                events.extend(self.anthropic_end("tool_use", output));
                events
            }
        }
    }

    fn error_event(&self, error_type: &str) -> String {
        let message = match error_type {
            "overloaded_error" => "Overloaded",
            _ => "The server had an error while processing your request.",
        };
        match self.api {
            Api::OpenAi => format!(
                "data: {}\n\n",
                json!({"error": {"message": message, "type": error_type, "param": null, "code": null}})
            ),
            Api::Anthropic => anthropic_event(
                "error",
                json!({"type": "error", "error": {"type": error_type, "message": message}}),
            ),
        }
    }

    fn openai_chunk(&self, delta: Value, finish_reason: Value) -> String {
        let chunk = json!({
            "id": "chatcmpl-emulator",
            "object": "chat.completion.chunk",
            "created": 1_694_268_190,
            "model": self.model,
            "system_fingerprint": "fp_emulator",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
            "usage": null,
        });
        format!("data: {chunk}\n\n")
    }

    /// The usage chunk (`choices: []`) and `[DONE]`.
    fn openai_end(&self, output: u64) -> Vec<String> {
        let usage = json!({
            "id": "chatcmpl-emulator",
            "object": "chat.completion.chunk",
            "created": 1_694_268_190,
            "model": self.model,
            "choices": [],
            "usage": {
                "prompt_tokens": self.input_tokens,
                "completion_tokens": output,
                "total_tokens": self.input_tokens + output,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        });
        vec![format!("data: {usage}\n\n"), "data: [DONE]\n\n".to_string()]
    }

    fn message_start(&self) -> String {
        anthropic_event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_emulator", "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": 1},
            }}),
        )
    }

    /// `message_delta` with the stop reason and cumulative usage, then `message_stop`.
    fn anthropic_end(&self, stop_reason: &str, output: u64) -> Vec<String> {
        vec![
            anthropic_event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": output}}),
            ),
            anthropic_event("message_stop", json!({"type": "message_stop"})),
        ]
    }
}

fn anthropic_event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}
