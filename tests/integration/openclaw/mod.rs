//! OpenClaw's own CLI (`openclaw`, the npm package pinned in `scripts/ci/openclaw.sh`) against a
//! real Pincer gateway: the commands a person runs, each configured the ways OpenClaw allows
//! (`--url`/`--token`, `OPENCLAW_GATEWAY_URL`/`OPENCLAW_GATEWAY_TOKEN`, `gateway.mode: "remote"`
//! in `~/.openclaw/openclaw.json`), with the model emulator behind the gateway. Each test checks
//! what the CLI prints, and where a turn is involved, that Pincer stored it and the model got it.
//!
//! `.ci/run` installs the CLI and exports `PINCER_OPENCLAW_BIN`; without it the tests say why and
//! skip, except under `CI`, where they fail. `docs/openclaw-compat.md` keeps the resulting matrix.

mod agent;
mod calls;
mod chat;
mod cli;
mod health;
mod logs;
mod refusals;
mod tui;

use pincer_emulators::Emulator;

use crate::support::agent::gateway_with;
use crate::support::Gateway;

/// A gateway whose model is `emulator` (OpenAI's chat completions API), zero-config otherwise.
pub fn model_gateway(emulator: &Emulator) -> Gateway {
    gateway_with(
        &["openai/test-model"],
        &[("openai", "openai-completions", emulator)],
        "",
    )
}

/// The texts of the messages of `role` in a list of chat messages: `content` as a string, or
/// OpenClaw's list of `{type: "text", text}` parts joined.
pub fn texts_of(messages: &serde_json::Value, role: &str) -> Vec<String> {
    messages
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == role)
        .map(|m| match &m["content"] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            _ => String::new(),
        })
        .collect()
}

/// A session's messages through Pincer's own API (`GET /admin/sessions/{key}/history`), once it
/// holds at least `at_least` of them (panics with what it holds after 30 s).
pub fn pincer_history(gateway: &Gateway, key: &str, at_least: usize) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let response = gateway.get_authed(&format!("/admin/sessions/{key}/history"));
        let messages = response.body["messages"].clone();
        if messages.as_array().map_or(0, Vec::len) >= at_least {
            return messages;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "session {key} never held {at_least} messages: {} {}",
            response.status,
            response.text
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The sessions Pincer stores (`GET /admin/sessions`): their `key`, `sessionId`, counts.
pub fn pincer_sessions(gateway: &Gateway) -> Vec<serde_json::Value> {
    let listed = gateway.get_authed("/admin/sessions");
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The key of the stored session named by `name`: its key contains it, or its `sessionId` is
/// it (`openclaw agent --session-id` names a session by id). Panics listing the sessions.
pub fn pincer_session_named(gateway: &Gateway, name: &str, context: &str) -> String {
    let sessions = pincer_sessions(gateway);
    sessions
        .iter()
        .find(|s| s["sessionId"] == name || s["key"].as_str().is_some_and(|k| k.contains(name)))
        .and_then(|s| s["key"].as_str().map(String::from))
        .unwrap_or_else(|| {
            panic!("Pincer stores no session named {name:?}; its sessions: {sessions:#?}{context}")
        })
}
