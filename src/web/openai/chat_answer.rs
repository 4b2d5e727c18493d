//! A chat completion's answer in OpenAI's shapes: the `chat.completion` object, and the
//! `chat.completion.chunk` server-sent events of a streamed one (the role first, the text as it
//! comes, the client's tool calls each in one chunk, the finish reason, the usage when asked,
//! then `[DONE]`).

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::run::{Answer, Step};
use crate::providers::{ToolCall, Usage};

fn usage(usage: &Usage) -> Value {
    json!({
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

fn finish_reason(answer: &Answer) -> &'static str {
    if answer.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    }
}

/// OpenAI's wire form of a tool call (its arguments as a string of JSON).
fn tool_call(call: &ToolCall) -> Value {
    json!({
        "id": call.id, "type": "function",
        "function": { "name": call.name, "arguments": call.arguments.to_string() },
    })
}

/// The non-streamed answer.
pub(crate) fn completion(answer: &Answer, id: &str, created: u64, model: &str) -> Value {
    let mut message = json!({ "role": "assistant", "content": answer.text });
    if !answer.tool_calls.is_empty() {
        message["tool_calls"] = answer.tool_calls.iter().map(tool_call).collect();
        if answer.text.is_empty() {
            message["content"] = Value::Null;
        }
    }
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{ "index": 0, "message": message, "finish_reason": finish_reason(answer) }],
        "usage": usage(&answer.usage),
        "x_pincer": { "answered_by": answer.model },
    })
}

/// The chunk stream of a streamed answer.
pub(crate) fn chunks(
    steps: impl Stream<Item = Step>,
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let chunk = move |choices: Value, usage: Option<Value>| {
        let mut data = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": choices,
        });
        if let Some(usage) = usage {
            data["usage"] = usage;
        } else if include_usage {
            data["usage"] = Value::Null;
        }
        format!("data: {data}\n\n")
    };
    let delta = |delta: Value, finish: Value| json!([{ "index": 0, "delta": delta, "finish_reason": finish }]);
    let first = chunk(
        delta(json!({ "role": "assistant", "content": "" }), Value::Null),
        None,
    );
    let rest = steps.map(move |step| {
        let text = match step {
            Step::Delta(piece) => chunk(delta(json!({ "content": piece }), Value::Null), None),
            Step::Done(answer) => {
                let mut out = String::new();
                for (index, call) in answer.tool_calls.iter().enumerate() {
                    let mut wire = tool_call(call);
                    wire["index"] = json!(index);
                    out.push_str(&chunk(
                        delta(json!({ "tool_calls": [wire] }), Value::Null),
                        None,
                    ));
                }
                out.push_str(&chunk(
                    delta(json!({}), json!(finish_reason(&answer))),
                    None,
                ));
                if include_usage {
                    out.push_str(&chunk(json!([]), Some(usage(&answer.usage))));
                }
                out.push_str("data: [DONE]\n\n");
                out
            }
            Step::Failed(error) => {
                format!(
                    "data: {}\n\ndata: [DONE]\n\n",
                    json!({ "error": error.body() })
                )
            }
        };
        Ok(Bytes::from(text))
    });
    futures_util::stream::once(async move { Ok(Bytes::from(first)) }).chain(rest)
}
