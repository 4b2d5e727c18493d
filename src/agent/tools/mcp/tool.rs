//! One MCP tool as a [`Tool`]: its spec from the server's listing, a call as `tools/call`, and
//! the result's content blocks rendered as the text the model reads.
//!
//! Text blocks are kept; images and audio become a one-line note (the model would need them as
//! input parts, which tool results do not carry here); embedded resources give their text (or a
//! note), resource links their URI. A result with `isError` is an error result. Everything is cut
//! to the server's `maxResultChars`: what a server returns is untrusted input.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::session::RemoteTool;
use super::ServerSlot;
use crate::agent::tools::{Tool, ToolContext};
use crate::providers::ToolSpec;

/// A tool of an MCP server.
#[derive(Debug)]
pub(crate) struct McpTool {
    pub(crate) slot: Arc<ServerSlot>,
    pub(crate) remote: RemoteTool,
    pub(crate) offered: String,
}

impl McpTool {
    pub(crate) fn new(slot: Arc<ServerSlot>, remote: RemoteTool, offered: String) -> Self {
        McpTool {
            slot,
            remote,
            offered,
        }
    }
}

impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.offered.clone(),
            description: format!(
                "[MCP server {}] {}",
                self.slot.name, self.remote.description
            ),
            parameters: self.remote.input_schema.clone(),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let slot = Arc::clone(&self.slot);
        let name = self.remote.name.clone();
        Box::pin(async move {
            let Some(peer) = slot.peer() else {
                return Err(format!(
                    "the MCP server {} is not connected ({})",
                    slot.name,
                    slot.describe()
                ));
            };
            let arguments = match arguments {
                Value::Null => json!({}),
                other => other,
            };
            let limit = usize::try_from(slot.config.max_result_chars).unwrap_or(usize::MAX);
            let result = peer
                .request("tools/call", json!({"name": name, "arguments": arguments}))
                .await
                .map_err(|e| e.to_string())?;
            let text = cut(render(&result), limit);
            if result.get("isError").and_then(Value::as_bool) == Some(true) {
                Err(text)
            } else {
                Ok(text)
            }
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.slot.config.tool_timeout.max(1))
    }
}

/// The text of a `tools/call` result.
pub(crate) fn render(result: &Value) -> String {
    let blocks = result.get("content").and_then(Value::as_array);
    let mut parts: Vec<String> = blocks.into_iter().flatten().map(render_block).collect();
    if parts.is_empty() {
        if let Some(structured) = result.get("structuredContent") {
            parts.push(structured.to_string());
        }
    }
    parts.join("\n")
}

fn render_block(block: &Value) -> String {
    let field = |key: &str| block.get(key).and_then(Value::as_str).unwrap_or_default();
    match field("type") {
        "text" => field("text").to_string(),
        kind @ ("image" | "audio") => format!(
            "[{kind} {} of {} base64 characters, not shown]",
            field("mimeType"),
            field("data").len()
        ),
        "resource" => {
            let resource = block.get("resource");
            let inner = |key: &str| {
                resource
                    .and_then(|r| r.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            match resource.and_then(|r| r.get("text")).and_then(Value::as_str) {
                Some(text) => format!("[resource {}]\n{text}", inner("uri")),
                None => format!(
                    "[binary resource {} {}, not shown]",
                    inner("uri"),
                    inner("mimeType")
                ),
            }
        }
        "resource_link" => format!("[resource link {} {}]", field("uri"), field("name")),
        other => format!("[a content block of type {other:?}, not shown]"),
    }
}

/// `text` cut to `limit` characters, saying so.
fn cut(text: String, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!(
            "{}\n[cut: the result is longer than {limit} characters]",
            &text[..at]
        ),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_blocks_become_text() {
        let result = json!({"content": [
            {"type": "text", "text": "hello"},
            {"type": "image", "mimeType": "image/png", "data": "AAAA"},
            {"type": "resource", "resource": {"uri": "file:///a", "text": "body"}},
            {"type": "resource_link", "uri": "file:///b", "name": "b"},
        ]});
        assert_eq!(
            render(&result),
            "hello\n[image image/png of 4 base64 characters, not shown]\n[resource file:///a]\nbody\n[resource link file:///b b]"
        );
        assert_eq!(render(&json!({"structuredContent": {"n": 1}})), "{\"n\":1}");
        assert_eq!(
            cut("héllo".into(), 2),
            "hé\n[cut: the result is longer than 2 characters]"
        );
        assert_eq!(cut("hé".into(), 2), "hé");
    }
}
