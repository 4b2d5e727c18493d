//! The session tools: `sessions_list`, `sessions_history`, `sessions_send`, `session_status`
//! (`sessions_spawn` is in [`super::spawn`]). A sub-agent's row in `sessions_list` names its
//! parent, label and status, so a parent can poll its children.
//!
//! They read the transcripts through the [`SessionStore`](crate::sessions::SessionStore) and talk
//! to other sessions through the router, like any other entry point. A sandboxed session only
//! sees (and only messages) sandboxed sessions: a group chat must not read the owner's main
//! conversation, nor steer the main session, which has more tools than it has. A message sent
//! with `sessions_send` arrives as a user message prefixed with the sender's key, so the
//! receiving model knows it is not from its owner.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::invoke::human;
use super::{args, SessionHandles, Tool, ToolContext};
use crate::providers::{ChatMessage, ToolSpec};
use crate::sessions::{key, Entry, RunEvent};

/// Longest a `sessions_send` waits for the answer.
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Characters of history returned at most.
const MAX_HISTORY_CHARS: usize = 20_000;

fn visible(cx: &ToolContext, handles: &SessionHandles, key: &str) -> Result<(), String> {
    if cx.sandboxed && !handles.is_sandboxed(key) {
        return Err(format!(
            "session {key:?} is not visible from a sandboxed session"
        ));
    }
    Ok(())
}

fn session_arg(arguments: &Value) -> Result<String, String> {
    let key = args::string(arguments, "sessionKey")?;
    if !key::is_valid(key) {
        return Err(format!("{key:?} is not a session key"));
    }
    Ok(key.to_string())
}

fn spec(name: &str, description: &str, parameters: Value) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: description.into(),
        parameters,
    }
}

/// `sessions_list`.
pub(crate) struct SessionsList;

impl Tool for SessionsList {
    fn spec(&self) -> ToolSpec {
        spec(
            "sessions_list",
            "List the sessions (conversations) you can see, most recent first.",
            json!({ "type": "object", "properties": { "limit": { "type": "integer", "minimum": 1 } } }),
        )
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let limit = args::opt_u64(&arguments, "limit")?
                .unwrap_or(50)
                .clamp(1, 500);
            let handles = &cx.sessions;
            let mut sessions: Vec<_> = handles
                .store
                .list()
                .into_iter()
                .filter(|meta| visible(&cx, handles, &meta.key).is_ok())
                .collect();
            sessions.sort_by_key(|meta| std::cmp::Reverse(meta.updated_ms));
            let rows: Vec<Value> = sessions
                .iter()
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|meta| {
                    let mut row = json!({
                        "sessionKey": meta.key, "updated": crate::clock::rfc3339(meta.updated_ms / 1000),
                        "messages": meta.messages, "model": meta.model,
                        "current": meta.key == *cx.session_key,
                    });
                    let child = handles.subagents.as_ref().and_then(|s| s.book.by_child(&meta.key));
                    if let (Some(child), Some(fields)) = (child, row.as_object_mut()) {
                        fields.insert("parentSessionKey".into(), child.parent_session_key.into());
                        fields.insert("label".into(), child.label.into());
                        fields.insert("subagentStatus".into(), child.status.as_str().into());
                    }
                    row
                })
                .collect();
            Ok(json!({ "count": rows.len(), "sessions": rows }).to_string())
        })
    }
}

/// `sessions_history`.
pub(crate) struct SessionsHistory;

impl Tool for SessionsHistory {
    fn spec(&self) -> ToolSpec {
        spec(
            "sessions_history",
            "Read the last messages of a session (yours or another you can see).",
            json!({
                "type": "object",
                "properties": {
                    "sessionKey": { "type": "string" },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100 }
                },
                "required": ["sessionKey"]
            }),
        )
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let key = session_arg(&arguments)?;
            visible(&cx, &cx.sessions, &key)?;
            let limit = args::opt_u64(&arguments, "limit")?
                .unwrap_or(20)
                .clamp(1, 100);
            let store = Arc::clone(&cx.sessions.store);
            let entries =
                super::fs::blocking(move || store.load(&key).map_err(|e| e.to_string())).await?;
            let lines: Vec<String> = entries
                .iter()
                .filter_map(|entry| match entry {
                    Entry::Message { message, .. } => Some(render(message)),
                    _ => None,
                })
                .collect();
            let start = lines
                .len()
                .saturating_sub(usize::try_from(limit).unwrap_or(20));
            let mut out = lines[start..].join("\n");
            if out.len() > MAX_HISTORY_CHARS {
                let cut = out.len() - MAX_HISTORY_CHARS;
                let boundary = (cut..out.len())
                    .find(|i| out.is_char_boundary(*i))
                    .unwrap_or(0);
                out = format!("[... earlier text cut ...]\n{}", &out[boundary..]);
            }
            Ok(if out.is_empty() {
                "no messages".to_string()
            } else {
                out
            })
        })
    }
}

fn render(message: &ChatMessage) -> String {
    match message {
        ChatMessage::User { content, .. } => format!("user: {content}"),
        ChatMessage::Assistant { text, tool_calls } => {
            let calls: Vec<&str> = tool_calls.iter().map(|c| c.name.as_str()).collect();
            if calls.is_empty() {
                format!("assistant: {text}")
            } else {
                format!("assistant: {text} [called {}]", calls.join(", "))
            }
        }
        ChatMessage::Tool {
            name,
            content,
            is_error,
            ..
        } => {
            let short: String = content.chars().take(200).collect();
            let kind = if *is_error { "error" } else { "result" };
            format!("tool {name} {kind}: {short}")
        }
    }
}

/// `sessions_send`.
pub(crate) struct SessionsSend;

impl Tool for SessionsSend {
    fn spec(&self) -> ToolSpec {
        spec(
            "sessions_send",
            "Send a message to another session and wait for its answer (timeoutSeconds, default \
             60, at most 300; 0 sends without waiting).",
            json!({
                "type": "object",
                "properties": {
                    "sessionKey": { "type": "string" },
                    "message": { "type": "string" },
                    "timeoutSeconds": { "type": "integer", "minimum": 0, "maximum": 300 }
                },
                "required": ["sessionKey", "message"]
            }),
        )
    }

    fn timeout(&self) -> Duration {
        MAX_WAIT + Duration::from_secs(10)
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let target = session_arg(&arguments)?;
            let message = args::string(&arguments, "message")?;
            let wait = args::opt_u64(&arguments, "timeoutSeconds")?
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_secs(60))
                .min(MAX_WAIT);
            if target == *cx.session_key {
                return Err("a session cannot send a message to itself".into());
            }
            visible(&cx, &cx.sessions, &target)?;
            let router = &cx.sessions.router;
            if !router.is_running() {
                return Err("the session router is not running".into());
            }
            let text = format!("[message from session {}]\n{message}", cx.session_key);
            let (listener, mut events) = tokio::sync::mpsc::unbounded_channel();
            crate::sessions::submit::submit(router, &target, text, listener, None).await?;
            if wait.is_zero() {
                return Ok(format!("sent to {target}"));
            }
            let answer = tokio::time::timeout(wait, async {
                while let Some(event) = events.recv().await {
                    match event {
                        RunEvent::Final { text, .. } => return Ok(text),
                        RunEvent::Failed { error, .. } => {
                            return Err(format!("{target} failed: {error}"))
                        }
                        _ => {}
                    }
                }
                Err(format!("{target} stopped without answering"))
            })
            .await;
            match answer {
                Ok(Ok(text)) => Ok(json!({ "sessionKey": target, "reply": text }).to_string()),
                Ok(Err(error)) => Err(error),
                Err(_) => Ok(format!(
                    "sent to {target}; no answer within {} (it may still be working on it)",
                    human(wait)
                )),
            }
        })
    }
}

/// `session_status`.
pub(crate) struct SessionStatus;

impl Tool for SessionStatus {
    fn spec(&self) -> ToolSpec {
        spec(
            "session_status",
            "This session's (or another visible session's) message and token counts, model, \
             and whether it is sandboxed.",
            json!({ "type": "object", "properties": { "sessionKey": { "type": "string" } } }),
        )
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let key = match args::opt_string(&arguments, "sessionKey")? {
                Some(_) => session_arg(&arguments)?,
                None => cx.session_key.to_string(),
            };
            visible(&cx, &cx.sessions, &key)?;
            let meta = cx.sessions.store.meta(&key);
            Ok(json!({
                "sessionKey": key,
                "exists": meta.is_some(),
                "main": key == key::MAIN,
                "sandboxed": cx.sessions.is_sandboxed(&key),
                "messages": meta.as_ref().map(|m| m.messages),
                "inputTokens": meta.as_ref().map(|m| m.input_tokens),
                "outputTokens": meta.as_ref().map(|m| m.output_tokens),
                "model": meta.as_ref().and_then(|m| m.model.clone()),
                "time": crate::clock::now_rfc3339(),
            })
            .to_string())
        })
    }
}

#[cfg(test)]
mod tests;
