//! A `/v1/chat/completions` request body, read and checked: its messages in the engine's terms
//! (`ChatMessage`), its system text, sampling settings and function tools. Fields the gateway
//! does not use (`n`, `presence_penalty`, ...) are ignored, as OpenAI-compatible servers do.

use serde::Deserialize;
use serde_json::Value;

use super::conversation::{self, text_of, Stateless};
use super::errors::ApiError;
use crate::providers::{ChatMessage, Sampling, ToolCall, ToolSpec};

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    messages: Vec<Value>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    max_tokens: Option<i64>,
    #[serde(default)]
    max_completion_tokens: Option<i64>,
    #[serde(default)]
    stop: Option<Value>,
    #[serde(default)]
    tools: Option<Vec<Value>>,
    #[serde(default)]
    tool_choice: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// A checked chat completion request.
#[derive(Debug)]
pub(crate) struct ChatCall {
    pub model: Option<String>,
    pub stream: bool,
    /// `stream_options.include_usage`: a last chunk carries the usage.
    pub include_usage: bool,
    pub user: Option<String>,
    /// The whole conversation as the client sent it.
    pub conversation: Stateless,
}

impl ChatCall {
    /// Reads `body`: 400 naming the field for anything the gateway cannot use.
    pub(crate) fn parse(body: &[u8]) -> Result<ChatCall, ApiError> {
        let body: Body = serde_json::from_slice(body)
            .map_err(|e| ApiError::malformed(format!("invalid request body: {e}")))?;
        let tools = match &body.tools {
            Some(tools) => tools
                .iter()
                .enumerate()
                .map(|(i, tool)| function_tool(i, tool))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let sampling = Sampling {
            temperature: conversation::temperature(body.temperature)?,
            top_p: conversation::top_p(body.top_p)?,
            stop: conversation::stop(body.stop.as_ref())?,
            tool_choice: conversation::tool_choice(
                body.tool_choice.as_ref(),
                &["function", "name"],
                &tools,
            )?,
        };
        let max_tokens = match body.max_completion_tokens {
            Some(n) => conversation::max_tokens("max_completion_tokens", Some(n))?,
            None => conversation::max_tokens("max_tokens", body.max_tokens)?,
        };
        let mut system = Vec::new();
        let mut messages = Vec::with_capacity(body.messages.len());
        for (i, message) in body.messages.iter().enumerate() {
            match read_message(i, message, &messages)? {
                Read::System(text) => system.push(text),
                Read::Message(message) => messages.push(message),
            }
        }
        Ok(ChatCall {
            model: body.model,
            stream: body.stream,
            include_usage: body.stream_options.is_some_and(|o| o.include_usage),
            user: body.user,
            conversation: Stateless {
                messages,
                system,
                sampling,
                max_tokens,
                tools,
            },
        })
    }

    /// The last user message's text (what a server-side session's turn answers).
    pub(crate) fn last_user_text(&self) -> Option<&str> {
        self.conversation
            .messages
            .iter()
            .rev()
            .find_map(|m| match m {
                ChatMessage::User { content, .. } if !content.trim().is_empty() => {
                    Some(content.as_str())
                }
                _ => None,
            })
    }
}

enum Read {
    System(String),
    Message(ChatMessage),
}

fn read_message(i: usize, message: &Value, earlier: &[ChatMessage]) -> Result<Read, ApiError> {
    let at = |field: &str| format!("messages[{i}].{field}");
    let content = message.get("content").unwrap_or(&Value::Null);
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(match role {
        "system" | "developer" => Read::System(text_of(content).unwrap_or_default()),
        "user" => Read::Message(ChatMessage::User {
            content: text_of(content)
                .ok_or_else(|| ApiError::invalid(at("content"), "a user message needs text"))?,
            images: Vec::new(),
        }),
        "assistant" => {
            let calls = match message.get("tool_calls") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(calls)) => calls
                    .iter()
                    .enumerate()
                    .map(|(j, call)| tool_call(&at(&format!("tool_calls[{j}]")), call))
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(ApiError::invalid(
                        at("tool_calls"),
                        "tool_calls must be an array",
                    ))
                }
            };
            Read::Message(ChatMessage::Assistant {
                text: text_of(content).unwrap_or_default(),
                tool_calls: calls,
            })
        }
        "tool" => {
            let call_id = message
                .get("tool_call_id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid(at("tool_call_id"), "a tool message needs tool_call_id")
                })?;
            let name = earlier
                .iter()
                .rev()
                .find_map(|m| match m {
                    ChatMessage::Assistant { tool_calls, .. } => {
                        tool_calls.iter().find(|c| c.id == call_id)
                    }
                    _ => None,
                })
                .map(|call| call.name.clone())
                .ok_or_else(|| {
                    ApiError::invalid(
                        at("tool_call_id"),
                        format!("no earlier assistant message made tool call {call_id}"),
                    )
                })?;
            Read::Message(ChatMessage::Tool {
                call_id: call_id.to_string(),
                name,
                content: text_of(content).unwrap_or_default(),
                is_error: false,
            })
        }
        other => {
            return Err(ApiError::invalid(
                at("role"),
                format!("unknown role {other:?} (system, developer, user, assistant, tool)"),
            ))
        }
    })
}

/// `{id, type: "function", function: {name, arguments: "<JSON>"}}`.
fn tool_call(at: &str, call: &Value) -> Result<ToolCall, ApiError> {
    let function = &call["function"];
    let name = conversation::tool_name(&format!("{at}.function.name"), function.get("name"))?;
    let id = call["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid(format!("{at}.id"), "a tool call needs an id"))?;
    let arguments = match function.get("arguments") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(Value::String(text)) if text.trim().is_empty() => Value::Object(Default::default()),
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            ApiError::invalid(format!("{at}.function.arguments"), format!("not JSON: {e}"))
        })?,
        Some(other) => other.clone(),
    };
    Ok(ToolCall {
        id: id.to_string(),
        name,
        arguments,
    })
}

/// `{type: "function", function: {name, description, parameters}}`.
fn function_tool(i: usize, tool: &Value) -> Result<ToolSpec, ApiError> {
    let at = format!("tools[{i}]");
    if tool["type"] != "function" {
        return Err(ApiError::invalid(
            format!("{at}.type"),
            "only function tools are supported",
        ));
    }
    conversation::tool_spec(&format!("{at}.function"), &tool["function"])
}
