//! The OpenAI-compatible endpoints against the real binary and the model emulators: what a
//! stateless chat sends the model (history, system, sampling, the client's tools, in both wire
//! formats), client-side tool calls, validation and error statuses; `/v1/responses`; and the
//! official `openai` Python SDK against both.

mod chat;
mod chat_errors;
mod responses;
mod sdk;

use serde_json::Value;

use crate::support::agent::gateway_with;
use crate::support::{http_post, Gateway, Response};
use pincer_emulators::Emulator;

/// A gateway whose one model is served by `emulator` in its own wire format, with `extra`
/// added to `agents.defaults` (e.g. `, maxAttempts: 1`).
pub fn gateway_for(emulator: &Emulator, anthropic: bool, extra: &str) -> Gateway {
    if anthropic {
        gateway_with(
            &["claude/m"],
            &[("claude", "anthropic-messages", emulator)],
            extra,
        )
    } else {
        gateway_with(
            &["gpt/m"],
            &[("gpt", "openai-completions", emulator)],
            extra,
        )
    }
}

/// POSTs `body` to `path` with the gateway's token.
pub fn post(gateway: &Gateway, path: &str, body: &Value) -> Response {
    let bearer = format!("Bearer {}", gateway.token());
    http_post(
        gateway.addr,
        path,
        &[("Authorization", bearer.as_str())],
        body,
    )
}

/// The JSON `data:` events of an SSE answer (not `[DONE]`).
pub fn sse_events(response: &Response) -> Vec<Value> {
    response
        .text
        .split("\n\n")
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|data| *data != "[DONE]")
        .map(|data| serde_json::from_str(data).unwrap_or_else(|e| panic!("not JSON ({e}): {data}")))
        .collect()
}
