//! Helpers for the tools tests: a gateway on the OpenAI emulator, scripted tool calls, and
//! reading the tool results and offered tools back from the requests the emulator received.

use serde_json::Value;

use super::agent::gateway_with_root;
use super::Gateway;
use pincer_emulators::{Emulator, Reply};

/// A gateway whose model is `openai/m` on `emulator`; `extra` goes into `agents.defaults`,
/// `root` at the config's top level.
pub fn gateway(emulator: &Emulator, extra: &str, root: &str) -> Gateway {
    gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", emulator)],
        extra,
        root,
    )
}

/// A tool call whose arguments are `args`, sent in two fragments.
pub fn call(id: &str, name: &str, args: Value) -> Reply {
    let text = args.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    Reply::tool_call(id, name, &[a, b])
}

/// The content of the tool result answering `call_id` in a request the emulator received.
pub fn tool_result(body: &Value, call_id: &str) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == call_id)
        .and_then(|m| m["content"].as_str())
        .unwrap_or_else(|| panic!("no result for {call_id} in {body}"))
        .to_string()
}

/// The tool names offered in a request.
pub fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(String::from))
        .collect()
}
