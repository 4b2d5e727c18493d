//! Helpers for engine tests: a gateway whose providers are emulators, and one-call turns.

use serde_json::{json, Value};

use super::{http_post, Gateway, Response};
use pincer_emulators::Emulator;

/// A gateway whose model chain is `models` (refs) with providers pointed at the emulators.
pub fn gateway_with(
    models: &[&str],
    providers: &[(&str, &str, &Emulator)],
    extra: &str,
) -> Gateway {
    gateway_with_root(models, providers, extra, "")
}

/// Like [`gateway_with`], with `root` added at the config's top level (e.g. `messages: {...},`).
pub fn gateway_with_root(
    models: &[&str],
    providers: &[(&str, &str, &Emulator)],
    extra: &str,
    root: &str,
) -> Gateway {
    let providers: Vec<String> = providers
        .iter()
        .map(|(id, api, emulator)| {
            format!(
                "{id}: {{ api: '{api}', baseUrl: '{}', apiKey: 'test-key' }}",
                emulator.base_url()
            )
        })
        .collect();
    let model = if models.len() == 1 {
        format!("'{}'", models[0])
    } else {
        format!(
            "{{ primary: '{}', fallbacks: [{}] }}",
            models[0],
            models[1..]
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let config = format!(
        "{{ {root} agents: {{ defaults: {{ model: {model}, streamIdleSeconds: 5 {extra} }} }}, models: {{ providers: {{ {} }} }} }}",
        providers.join(", ")
    );
    Gateway::start(Some(&config))
}

pub fn ask(gateway: &Gateway, session: &str, text: &str) -> Response {
    let bearer = format!("Bearer {}", gateway.token());
    let body = json!({ "model": "pincer", "messages": [{ "role": "user", "content": text }] });
    http_post(
        gateway.addr,
        "/v1/chat/completions",
        &[
            ("Authorization", bearer.as_str()),
            ("x-pincer-session-key", session),
        ],
        &body,
    )
}

pub fn answer_of(response: &Response) -> String {
    assert_eq!(response.status, 200, "{}", response.text);
    response.body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content in {}", response.text))
        .to_string()
}

/// The texts of the messages of a request the emulator received (OpenAI or Anthropic shape).
pub fn contents(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| match &m["content"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The text deltas of an SSE chat-completion answer, joined.
pub fn streamed_text(response: &Response) -> String {
    response
        .text
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect()
}

/// Sends `text` to a fresh session with `stream: true` and returns the SSE answer.
pub fn ask_streaming(gateway: &Gateway, text: &str) -> Response {
    let bearer = format!("Bearer {}", gateway.token());
    let body = json!({ "stream": true, "messages": [{ "role": "user", "content": text }] });
    http_post(
        gateway.addr,
        "/v1/chat/completions",
        &[("Authorization", bearer.as_str())],
        &body,
    )
}
