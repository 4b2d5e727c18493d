//! What both OpenAI-compatible endpoints check and build alike: the sampling settings, the
//! client's function tools, and a stateless conversation split into the history and the turn's
//! opening (see `sessions::TurnRequest`).

use std::sync::Arc;

use serde_json::{json, Value};

use super::errors::ApiError;
use crate::providers::{ChatMessage, Sampling, ToolChoice, ToolSpec};
use crate::sessions::TurnRequest;

/// OpenAI's limit on stop sequences.
const MAX_STOP: usize = 4;

/// `temperature` in 0..=2.
pub(crate) fn temperature(value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(t) if !(0.0..=2.0).contains(&t) => Err(ApiError::invalid(
            "temperature",
            format!("temperature must be between 0 and 2, got {t}"),
        )),
        other => Ok(other),
    }
}

/// `top_p` in 0..=1.
pub(crate) fn top_p(value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(p) if !(0.0..=1.0).contains(&p) => Err(ApiError::invalid(
            "top_p",
            format!("top_p must be between 0 and 1, got {p}"),
        )),
        other => Ok(other),
    }
}

/// A token budget: at least 1.
pub(crate) fn max_tokens(param: &str, value: Option<i64>) -> Result<Option<u32>, ApiError> {
    match value {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(param, format!("{param} must be at least 1"))),
    }
}

/// `stop`: a string or an array of at most four strings.
pub(crate) fn stop(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let bad = || ApiError::invalid("stop", "stop must be a string or an array of strings");
    let stops: Vec<String> = match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .map(|s| s.as_str().map(str::to_string).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    if stops.len() > MAX_STOP {
        return Err(ApiError::invalid(
            "stop",
            format!("at most {MAX_STOP} stop sequences"),
        ));
    }
    Ok(stops.into_iter().filter(|s| !s.is_empty()).collect())
}

/// A function tool's name as OpenAI allows it: 1 to 64 of `a-zA-Z0-9_-`.
pub(crate) fn tool_name(param: &str, name: Option<&Value>) -> Result<String, ApiError> {
    let name = name.and_then(Value::as_str).unwrap_or_default();
    let fits = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if fits {
        Ok(name.to_string())
    } else {
        Err(ApiError::invalid(
            param,
            "a function tool needs a name of 1 to 64 letters, digits, '_' or '-'",
        ))
    }
}

/// One function tool from its `name`, `description` and `parameters` (`at` names the object
/// holding them in the request, for errors).
pub(crate) fn tool_spec(at: &str, function: &Value) -> Result<ToolSpec, ApiError> {
    let name = tool_name(&format!("{at}.name"), function.get("name"))?;
    let parameters = match function.get("parameters") {
        None | Some(Value::Null) => json!({ "type": "object", "properties": {} }),
        Some(schema @ Value::Object(_)) => schema.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                format!("{at}.parameters"),
                "parameters must be a JSON Schema object",
            ))
        }
    };
    Ok(ToolSpec {
        name,
        description: function
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        parameters,
    })
}

/// `tool_choice`: `"auto"`, `"none"`, `"required"`, or an object naming a tool of the request;
/// `path` is where the object holds the name (`["function", "name"]` for chat completions,
/// `["name"]` for responses).
pub(crate) fn tool_choice(
    choice: Option<&Value>,
    path: &[&str],
    tools: &[ToolSpec],
) -> Result<Option<ToolChoice>, ApiError> {
    let bad = |message: &str| ApiError::invalid("tool_choice", message);
    Ok(match choice {
        None | Some(Value::Null) => None,
        Some(Value::String(word)) => Some(match word.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            _ => {
                return Err(bad(
                    "tool_choice must be auto, none, required or a function",
                ))
            }
        }),
        Some(object) => {
            let name = path
                .iter()
                .fold(object, |value, key| &value[*key])
                .as_str()
                .ok_or_else(|| bad("tool_choice names no function"))?;
            if !tools.iter().any(|t| t.name == name) {
                return Err(bad("tool_choice names a function that is not in tools"));
            }
            Some(ToolChoice::Function(name.to_string()))
        }
    })
}

/// The text of a content that is a string or an array of text parts (`text`, `input_text`,
/// `output_text`); other parts (images, files) are not read.
pub(crate) fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let text: Vec<&str> = parts
                .iter()
                .filter(|p| {
                    matches!(
                        p["type"].as_str(),
                        Some("text" | "input_text" | "output_text")
                    )
                })
                .filter_map(|p| p["text"].as_str())
                .collect();
            (!text.is_empty()).then(|| text.join("\n"))
        }
        _ => None,
    }
}

/// A stateless conversation: what the model is to continue, the client's system text, its
/// settings. `at` names the request field of the conversation (`messages`, `input`).
#[derive(Debug)]
pub(crate) struct Stateless {
    pub messages: Vec<ChatMessage>,
    pub system: Vec<String>,
    pub sampling: Sampling,
    pub max_tokens: Option<u32>,
    pub tools: Vec<ToolSpec>,
}

impl Stateless {
    /// Splits the conversation at its last user message (the history before it, the turn's
    /// opening from it), after checking that the model has something to answer: the last
    /// message is the user's or a tool result, and every tool call has its result.
    pub(crate) fn into_turn(self, at: &str) -> Result<(String, TurnRequest), ApiError> {
        let messages = self.messages;
        for (position, message) in messages.iter().enumerate() {
            let ChatMessage::Assistant { tool_calls, .. } = message else {
                continue;
            };
            for call in tool_calls {
                let answered = messages[position..]
                    .iter()
                    .any(|m| matches!(m, ChatMessage::Tool { call_id, .. } if *call_id == call.id));
                if !answered {
                    return Err(ApiError::invalid(
                        at,
                        format!("tool call {} has no tool result after it", call.id),
                    ));
                }
            }
        }
        let Some(last_user) = messages
            .iter()
            .rposition(|m| matches!(m, ChatMessage::User { .. }))
        else {
            return Err(ApiError::invalid(at, "no user message"));
        };
        if matches!(messages.last(), Some(ChatMessage::Assistant { .. })) {
            return Err(ApiError::invalid(
                at,
                "the last message must be the user's or a tool result",
            ));
        }
        let text = match &messages[last_user] {
            ChatMessage::User { content, .. } => content.clone(),
            _ => String::new(),
        };
        let mut history = messages;
        let opening = history.split_off(last_user);
        let system = self.system.join("\n\n");
        Ok((
            text,
            TurnRequest {
                history: Some(Arc::new(history)),
                opening,
                system: (!system.trim().is_empty()).then_some(system),
                sampling: self.sampling,
                max_tokens: self.max_tokens,
                client_tools: Some(self.tools.into()),
                inbound: None,
                model: None,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ToolCall;

    fn user(text: &str) -> ChatMessage {
        ChatMessage::User {
            content: text.into(),
            images: Vec::new(),
        }
    }

    fn stateless(messages: Vec<ChatMessage>) -> Stateless {
        Stateless {
            messages,
            system: vec!["Be kind.".into()],
            sampling: Sampling::default(),
            max_tokens: None,
            tools: Vec::new(),
        }
    }

    #[test]
    fn the_conversation_splits_at_the_last_user_message() {
        let call = ToolCall {
            id: "c1".into(),
            name: "f".into(),
            arguments: json!({}),
        };
        let messages = vec![
            user("one"),
            ChatMessage::Assistant {
                text: "1".into(),
                tool_calls: Vec::new(),
            },
            user("two"),
            ChatMessage::Assistant {
                text: String::new(),
                tool_calls: vec![call],
            },
            ChatMessage::Tool {
                call_id: "c1".into(),
                name: "f".into(),
                content: "ok".into(),
                is_error: false,
            },
        ];
        let (text, turn) = stateless(messages).into_turn("messages").unwrap();
        assert_eq!(text, "two");
        assert_eq!(turn.history.as_deref().map(Vec::len), Some(2));
        assert_eq!(turn.opening.len(), 3);
        assert_eq!(turn.system.as_deref(), Some("Be kind."));
    }

    #[test]
    fn a_conversation_without_anything_to_answer_is_refused() {
        let answered = vec![
            user("one"),
            ChatMessage::Assistant {
                text: "1".into(),
                tool_calls: Vec::new(),
            },
        ];
        assert!(stateless(answered).into_turn("messages").is_err());
        assert!(stateless(Vec::new()).into_turn("messages").is_err());
        let unanswered = vec![
            user("one"),
            ChatMessage::Assistant {
                text: String::new(),
                tool_calls: vec![ToolCall {
                    id: "c9".into(),
                    name: "f".into(),
                    arguments: json!({}),
                }],
            },
            user("two"),
        ];
        let error = stateless(unanswered).into_turn("messages").unwrap_err();
        assert!(error.message.contains("c9"), "{}", error.message);
    }

    #[test]
    fn settings_out_of_range_name_their_field() {
        assert_eq!(
            temperature(Some(2.5)).unwrap_err().param.as_deref(),
            Some("temperature")
        );
        assert_eq!(temperature(Some(0.0)).unwrap(), Some(0.0));
        assert_eq!(stop(Some(&json!("END"))).unwrap(), vec!["END"]);
        assert!(stop(Some(&json!(["a", "b", "c", "d", "e"]))).is_err());
        assert!(stop(Some(&json!(3))).is_err());
        assert!(tool_name("tools[0].function.name", Some(&json!(""))).is_err());
        assert!(tool_name("x", Some(&json!("get_weather"))).is_ok());
    }
}
