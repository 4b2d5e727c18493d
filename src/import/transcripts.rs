//! OpenClaw's session transcripts converted to Pincer's, under the session keys Pincer routes the
//! same conversations to.
//!
//! OpenClaw (file-backed homes) keeps `agents/<id>/sessions/sessions.json`, an index from session
//! key to `sessionId`, and one JSONL transcript per id: a `session` header, then entries with
//! `id`/`parentId` (a tree: edits and retries branch it). The conversation is the path from the
//! last entry back to the root; its `message` entries are `user`, `assistant` (text and
//! `toolCall` blocks) and `toolResult` messages. Each user message starts a Pincer turn
//! (`import-<n>`), so the history Pincer sends upstream is the same conversation.
//!
//! Keys ([`map_key`]): `agent:main:main` stays; a direct message's key keeps its shape (the
//! import writes OpenClaw's `session.dmScope` into the config) with the sender spelt as Pincer's
//! channel spells it (WhatsApp numbers without `+`), and a per-account key gets Pincer's account
//! (the Telegram bot's id). Groups, rooms, cron and hook sessions, other agents and channels
//! Pincer lacks are reported, not imported.

use std::collections::HashMap;

use serde_json::Value;

use super::config_channels::sender_id;
use crate::config::DmScope;
use crate::providers::{ChatMessage, ToolCall, Usage};
use crate::sessions::Entry;

/// One converted session.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Converted {
    /// The OpenClaw key.
    pub from: String,
    /// The Pincer key.
    pub key: String,
    pub entries: Vec<Entry>,
    /// Complete turns (a question and its final answer).
    pub turns: usize,
    /// Lines that did not parse, with the first one's number.
    pub bad_lines: usize,
    pub first_bad_line: Option<usize>,
}

/// Where a Pincer channel's account id comes from, for per-account keys.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accounts {
    /// The Telegram bot's id (the number before `:` in its token).
    pub telegram: Option<String>,
}

/// The Pincer key of the OpenClaw session `key`, or why it is not imported.
pub(crate) fn map_key(key: &str, scope: DmScope, accounts: &Accounts) -> Result<String, String> {
    if key.starts_with("cron:") {
        return Err(
            "a cron job's session: not imported (recreate the job with `pincer cron add`)".into(),
        );
    }
    if key.starts_with("hook:") {
        return Err("a webhook's session: Pincer has no hooks yet".into());
    }
    let parts: Vec<&str> = key.split(':').collect();
    let mapped = match parts.as_slice() {
        ["agent", agent, ..] if *agent != "main" => {
            return Err(format!("agent {agent:?}: Pincer has one agent (main)"))
        }
        ["agent", "main", "main"] => Some(key.to_string()),
        [.., "group" | "channel" | "room", _] | [.., "group" | "channel" | "room", _, _, _] => {
            return Err("a group or room: Pincer has no group support yet".into())
        }
        ["agent", "main", "direct", peer] => {
            let peer = sender_id("whatsapp", peer).ok_or("an unrecognised sender id")?;
            Some(format!("agent:main:direct:{peer}"))
        }
        ["agent", "main", channel, "direct", peer] => {
            known_channel(channel)?;
            let peer = sender_id(channel, peer).ok_or("an unrecognised sender id")?;
            Some(format!("agent:main:{channel}:direct:{peer}"))
        }
        ["agent", "main", channel, _account, "direct", peer] => {
            known_channel(channel)?;
            let peer = sender_id(channel, peer).ok_or("an unrecognised sender id")?;
            let account = match *channel {
                "telegram" => accounts
                    .telegram
                    .clone()
                    .ok_or("a per-account Telegram key, but no bot token to take the bot's id from")?,
                _ => {
                    return Err(
                        "a per-account WhatsApp key: Pincer's account is the Cloud API phoneNumberId, which OpenClaw does not know"
                            .into(),
                    )
                }
            };
            Some(format!("agent:main:{channel}:{account}:direct:{peer}"))
        }
        _ => None,
    };
    let mapped = mapped.unwrap_or_else(|| key.to_string());
    if !crate::sessions::key::is_valid(&mapped) {
        return Err("not a session key Pincer accepts".into());
    }
    // A direct key made under another scope than the imported one would never be routed to.
    let shape_scope = match parts.as_slice() {
        ["agent", "main", "direct", _] => Some(DmScope::PerPeer),
        ["agent", "main", _, "direct", _] => Some(DmScope::PerChannelPeer),
        ["agent", "main", _, _, "direct", _] => Some(DmScope::PerAccountChannelPeer),
        _ => None,
    };
    if let Some(shape) = shape_scope {
        if shape != scope {
            return Err(format!(
                "a direct-message key of another session.dmScope than the imported one ({}); \
                 imported, it would never be continued",
                scope_name(scope)
            ));
        }
    }
    Ok(mapped)
}

fn scope_name(scope: DmScope) -> &'static str {
    match scope {
        DmScope::Main => "main",
        DmScope::PerPeer => "per-peer",
        DmScope::PerChannelPeer => "per-channel-peer",
        DmScope::PerAccountChannelPeer => "per-account-channel-peer",
    }
}

fn known_channel(channel: &str) -> Result<(), String> {
    if matches!(channel, "whatsapp" | "telegram") {
        Ok(())
    } else {
        Err(format!("Pincer has no {channel} channel"))
    }
}

/// The session index: key → transcript id, from `sessions.json`.
pub(crate) fn read_index(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let map = value.as_object().ok_or("not a JSON object")?;
    let mut out = Vec::new();
    for (key, entry) in map {
        if let Some(id) = entry.get("sessionId").and_then(Value::as_str) {
            out.push((key.clone(), id.to_string()));
        }
    }
    Ok(out)
}

/// Converts one transcript's text.
pub(crate) fn convert(from: &str, key: &str, text: &str) -> Converted {
    let mut bad_lines = 0;
    let mut first_bad_line = None;
    let mut lines: Vec<Value> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => lines.push(value),
            _ => {
                bad_lines += 1;
                first_bad_line.get_or_insert(index + 1);
            }
        }
    }
    let path = active_path(&lines);
    let mut entries = Vec::new();
    let mut turn: Option<String> = None;
    let mut turns = 0;
    let mut number = 0;
    let mut last_complete = false;
    for line in path {
        if line.get("type").and_then(Value::as_str) != Some("message") {
            continue;
        }
        let Some(message) = line.get("message") else {
            continue;
        };
        let ts_ms = message
            .get("timestamp")
            .and_then(Value::as_u64)
            .unwrap_or_else(crate::clock::now_ms);
        let Some((chat, usage, model)) = chat_message(message) else {
            continue;
        };
        if matches!(chat, ChatMessage::User { .. }) {
            if last_complete {
                turns += 1;
            }
            number += 1;
            turn = Some(format!("import-{number}"));
        }
        // Lines before the first question belong to no turn Pincer could replay.
        let Some(turn) = turn.clone() else {
            continue;
        };
        last_complete =
            matches!(&chat, ChatMessage::Assistant { tool_calls, .. } if tool_calls.is_empty());
        entries.push(Entry::Message {
            ts_ms,
            turn,
            message: chat,
            usage,
            model,
            members: Vec::new(),
            source: None,
        });
    }
    if last_complete {
        turns += 1;
    }
    Converted {
        from: from.to_string(),
        key: key.to_string(),
        entries,
        turns,
        bad_lines,
        first_bad_line,
    }
}

/// The entries on the path from the last one back to the root, in order (all of them, in file
/// order, when the transcript has no tree ids).
fn active_path(lines: &[Value]) -> Vec<&Value> {
    let ids: HashMap<&str, usize> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| Some((line.get("id")?.as_str()?, index)))
        .collect();
    let leaf = lines.iter().rposition(|line| {
        line.get("id").is_some() && line.get("type").and_then(Value::as_str) != Some("session")
    });
    let Some(mut at) = leaf else {
        return lines.iter().collect();
    };
    let mut path = vec![at];
    // Bounded by the number of lines, so a parent cycle cannot loop forever.
    while path.len() <= lines.len() {
        let parent = lines[at]
            .get("parentId")
            .and_then(Value::as_str)
            .and_then(|id| ids.get(id));
        match parent {
            Some(&index) if !path.contains(&index) => {
                path.push(index);
                at = index;
            }
            _ => break,
        }
    }
    path.reverse();
    path.into_iter().map(|index| &lines[index]).collect()
}

/// The text of a content field: a string, or the `text` blocks of a list (images noted).
fn text_of(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => {
            let parts: Vec<String> = blocks
                .iter()
                .filter_map(|block| match block.get("type").and_then(Value::as_str) {
                    Some("text") => block
                        .get("text")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    Some("image") => Some("[image]".to_string()),
                    _ => None,
                })
                .collect();
            parts.join("\n")
        }
        _ => String::new(),
    }
}

type Converted3 = (ChatMessage, Option<Usage>, Option<String>);

/// One OpenClaw message as Pincer's, with its usage and model; `None` for what is not part of
/// the conversation (an empty failed reply, custom messages).
fn chat_message(message: &Value) -> Option<Converted3> {
    match message.get("role").and_then(Value::as_str)? {
        "user" => Some((
            ChatMessage::User {
                content: text_of(message.get("content")),
                images: Vec::new(),
            },
            None,
            None,
        )),
        "assistant" => {
            let text = text_of(message.get("content"));
            let tool_calls: Vec<ToolCall> = message
                .get("content")
                .and_then(Value::as_array)
                .map(|blocks| {
                    blocks
                        .iter()
                        .filter(|b| b.get("type").and_then(Value::as_str) == Some("toolCall"))
                        .filter_map(|b| {
                            Some(ToolCall {
                                id: b.get("id")?.as_str()?.to_string(),
                                name: b.get("name")?.as_str()?.to_string(),
                                arguments: b.get("arguments").cloned().unwrap_or(Value::Null),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if text.is_empty() && tool_calls.is_empty() {
                return None;
            }
            let usage = message.get("usage").map(|u| Usage {
                input_tokens: u.get("input").and_then(Value::as_u64).unwrap_or(0),
                output_tokens: u.get("output").and_then(Value::as_u64).unwrap_or(0),
            });
            let model = match (
                message.get("provider").and_then(Value::as_str),
                message.get("model").and_then(Value::as_str),
            ) {
                (Some(provider), Some(model)) => Some(format!("{provider}/{model}")),
                (None, Some(model)) => Some(model.to_string()),
                _ => None,
            };
            Some((ChatMessage::Assistant { text, tool_calls }, usage, model))
        }
        "toolResult" => Some((
            ChatMessage::Tool {
                call_id: message.get("toolCallId")?.as_str()?.to_string(),
                name: message
                    .get("toolName")
                    .and_then(Value::as_str)
                    .unwrap_or("tool")
                    .to_string(),
                content: text_of(message.get("content")),
                is_error: message
                    .get("isError")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            },
            None,
            None,
        )),
        _ => None,
    }
}

#[cfg(test)]
#[path = "transcripts_tests.rs"]
mod tests;
