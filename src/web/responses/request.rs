//! A `/v1/responses` request body, read and checked: `input` (a string, or `message`,
//! `function_call` and `function_call_output` items), `instructions`, `previous_response_id`,
//! `store`, function tools, `tool_choice`, `temperature`, `top_p`, `max_output_tokens`.
//! Fields the gateway does not use (`metadata`, `reasoning`, `truncation`, ...) are ignored,
//! and so are `reasoning` and `item_reference` items.

use serde::Deserialize;
use serde_json::Value;

use crate::providers::{ChatMessage, Sampling, ToolCall, ToolSpec};
use crate::web::openai::conversation::{self, text_of};
use crate::web::openai::errors::ApiError;

#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    model: Option<String>,
    input: Value,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    previous_response_id: Option<String>,
    #[serde(default)]
    store: Option<bool>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    max_output_tokens: Option<i64>,
    #[serde(default)]
    tools: Option<Vec<Value>>,
    #[serde(default)]
    tool_choice: Option<Value>,
}

/// A checked responses request.
#[derive(Debug)]
pub(crate) struct ResponsesCall {
    pub model: Option<String>,
    pub instructions: Option<String>,
    pub previous_response_id: Option<String>,
    /// Default true, as in OpenAI's API.
    pub store: bool,
    pub stream: bool,
    pub user: Option<String>,
    /// The input's system and developer messages.
    pub system: Vec<String>,
    /// The input's other items, in the engine's terms.
    pub messages: Vec<ChatMessage>,
    pub sampling: Sampling,
    pub max_tokens: Option<u32>,
    pub tools: Vec<ToolSpec>,
    /// The tools and tool choice as sent, echoed in the response object.
    pub tools_echo: Value,
    pub tool_choice_echo: Value,
}

impl ResponsesCall {
    /// Reads `body`: 400 naming the field for anything the gateway cannot use.
    pub(crate) fn parse(body: &[u8]) -> Result<ResponsesCall, ApiError> {
        let body: Body = serde_json::from_slice(body)
            .map_err(|e| ApiError::malformed(format!("invalid request body: {e}")))?;
        let tools = body
            .tools
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, tool)| {
                let at = format!("tools[{i}]");
                if tool["type"] != "function" {
                    return Err(ApiError::invalid(
                        format!("{at}.type"),
                        "only function tools are supported",
                    ));
                }
                conversation::tool_spec(&at, tool)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sampling = Sampling {
            temperature: conversation::temperature(body.temperature)?,
            top_p: conversation::top_p(body.top_p)?,
            stop: Vec::new(),
            tool_choice: conversation::tool_choice(body.tool_choice.as_ref(), &["name"], &tools)?,
        };
        let mut system = Vec::new();
        let mut messages = Vec::new();
        match &body.input {
            Value::String(text) => messages.push(ChatMessage::User {
                content: text.clone(),
                images: Vec::new(),
            }),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    read_item(i, item, &mut system, &mut messages)?;
                }
            }
            _ => {
                return Err(ApiError::invalid(
                    "input",
                    "input must be a string or an array of items",
                ))
            }
        }
        Ok(ResponsesCall {
            model: body.model,
            instructions: body.instructions.filter(|i| !i.trim().is_empty()),
            previous_response_id: body.previous_response_id,
            store: body.store.unwrap_or(true),
            stream: body.stream,
            user: body.user,
            system,
            messages,
            sampling,
            max_tokens: conversation::max_tokens("max_output_tokens", body.max_output_tokens)?,
            tools,
            tools_echo: body
                .tools
                .map(Value::from)
                .unwrap_or_else(|| Value::Array(Vec::new())),
            tool_choice_echo: body.tool_choice.unwrap_or_else(|| Value::from("auto")),
        })
    }
}

fn read_item(
    i: usize,
    item: &Value,
    system: &mut Vec<String>,
    messages: &mut Vec<ChatMessage>,
) -> Result<(), ApiError> {
    let at = |field: &str| format!("input[{i}].{field}");
    let kind = item["type"].as_str().unwrap_or("message");
    match kind {
        "message" => {
            let text = text_of(&item["content"]).unwrap_or_default();
            match item["role"].as_str().unwrap_or_default() {
                "system" | "developer" => system.push(text),
                "user" => messages.push(ChatMessage::User {
                    content: text,
                    images: Vec::new(),
                }),
                "assistant" => messages.push(ChatMessage::Assistant {
                    text,
                    tool_calls: Vec::new(),
                }),
                other => {
                    return Err(ApiError::invalid(
                        at("role"),
                        format!("unknown role {other:?} (system, developer, user, assistant)"),
                    ))
                }
            }
        }
        "function_call" => {
            let name = conversation::tool_name(&at("name"), item.get("name"))?;
            let call_id = item["call_id"]
                .as_str()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| ApiError::invalid(at("call_id"), "a function_call needs call_id"))?;
            let arguments = match item["arguments"].as_str() {
                Some(text) if !text.trim().is_empty() => serde_json::from_str(text)
                    .map_err(|e| ApiError::invalid(at("arguments"), format!("not JSON: {e}")))?,
                _ => Value::Object(Default::default()),
            };
            let call = ToolCall {
                id: call_id.to_string(),
                name,
                arguments,
            };
            // Calls of one step follow each other: they join the assistant message before.
            match messages.last_mut() {
                Some(ChatMessage::Assistant { tool_calls, .. }) => tool_calls.push(call),
                _ => messages.push(ChatMessage::Assistant {
                    text: String::new(),
                    tool_calls: vec![call],
                }),
            }
        }
        "function_call_output" => {
            let call_id = item["call_id"]
                .as_str()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid(at("call_id"), "a function_call_output needs call_id")
                })?;
            let content = match &item["output"] {
                Value::String(text) => text.clone(),
                Value::Null => String::new(),
                other => text_of(other).unwrap_or_else(|| other.to_string()),
            };
            messages.push(ChatMessage::Tool {
                call_id: call_id.to_string(),
                name: String::new(),
                content,
                is_error: false,
            });
        }
        "reasoning" | "item_reference" => {}
        other => {
            return Err(ApiError::invalid(
                at("type"),
                format!("unsupported item type {other:?}"),
            ))
        }
    }
    Ok(())
}

/// Names the tool results after the calls they answer, once the whole conversation (stored
/// and new) is known; a result whose call is nowhere is refused.
pub(crate) fn name_results(messages: &mut [ChatMessage]) -> Result<(), ApiError> {
    for position in 0..messages.len() {
        let ChatMessage::Tool { call_id, .. } = &messages[position] else {
            continue;
        };
        let found = messages[..position].iter().rev().find_map(|m| match m {
            ChatMessage::Assistant { tool_calls, .. } => tool_calls
                .iter()
                .find(|c| c.id == *call_id)
                .map(|c| c.name.clone()),
            _ => None,
        });
        let Some(found) = found else {
            return Err(ApiError::invalid(
                "input",
                format!("function_call_output {call_id} answers no earlier function_call"),
            ));
        };
        if let ChatMessage::Tool { name, .. } = &mut messages[position] {
            *name = found;
        }
    }
    Ok(())
}
