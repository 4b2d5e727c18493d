//! A response in the Responses API's shapes: the `response` object (its `output` items: one
//! `message` with an `output_text` part, then one `function_call` per call of a client tool),
//! and the server-sent events of a streamed one, each `event: <type>` with a `data:` object
//! carrying its `type` and `sequence_number`.

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use crate::providers::{ToolCall, Usage};
use crate::web::openai::errors::ApiError;
use crate::web::openai::run::{Answer, Step};

/// What the response object says of its request, fixed before the answer.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub id: String,
    /// The id of the message item.
    pub message_id: String,
    pub created_at: u64,
    pub model: String,
    pub instructions: Option<String>,
    pub previous_response_id: Option<String>,
    pub store: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_output_tokens: Option<u32>,
    pub tools: Value,
    pub tool_choice: Value,
}

fn usage(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": { "cached_tokens": 0, "cache_write_tokens": 0 },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": { "reasoning_tokens": 0 },
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

fn text_part(text: &str) -> Value {
    json!({ "type": "output_text", "text": text, "annotations": [] })
}

fn message_item(frame: &Frame, text: &str, status: &str) -> Value {
    let content = if status == "completed" {
        vec![text_part(text)]
    } else {
        Vec::new()
    };
    json!({ "type": "message", "id": frame.message_id, "status": status, "role": "assistant",
            "content": content })
}

fn call_item(call: &ToolCall) -> Value {
    json!({ "type": "function_call", "id": format!("fc_{}", call.id), "call_id": call.id,
            "name": call.name, "arguments": call.arguments.to_string(), "status": "completed" })
}

/// The output items of an answer: its text (when there is any), then its calls.
fn items(frame: &Frame, answer: &Answer) -> Vec<Value> {
    let mut items = Vec::new();
    if !answer.text.is_empty() || answer.tool_calls.is_empty() {
        items.push(message_item(frame, &answer.text, "completed"));
    }
    items.extend(answer.tool_calls.iter().map(call_item));
    items
}

/// The response object; `answer` `Ok` completed, `Err` failed, `None` still in progress.
pub(crate) fn response(frame: &Frame, answer: Option<Result<&Answer, &ApiError>>) -> Value {
    let (status, output, usage_value, error) = match answer {
        None => ("in_progress", Vec::new(), Value::Null, Value::Null),
        Some(Ok(answer)) => (
            "completed",
            items(frame, answer),
            usage(&answer.usage),
            Value::Null,
        ),
        Some(Err(error)) => (
            "failed",
            Vec::new(),
            Value::Null,
            // The SDK knows a closed set of codes: a rate limit, or a server error.
            json!({
                "code": if error.kind == "rate_limit_error" { "rate_limit_exceeded" } else { "server_error" },
                "message": error.message,
            }),
        ),
    };
    json!({
        "id": frame.id, "object": "response", "created_at": frame.created_at, "status": status,
        "model": frame.model, "output": output, "usage": usage_value, "error": error,
        "incomplete_details": null, "instructions": frame.instructions, "metadata": {},
        "previous_response_id": frame.previous_response_id, "store": frame.store,
        "temperature": frame.temperature, "top_p": frame.top_p,
        "max_output_tokens": frame.max_output_tokens, "parallel_tool_calls": true,
        "tools": frame.tools, "tool_choice": frame.tool_choice, "truncation": "disabled",
        "text": { "format": { "type": "text" } },
    })
}

/// Writes the events of one stream, numbering them.
struct Events {
    frame: Frame,
    sequence: u64,
    /// The message item is open (its first text arrived).
    open: bool,
}

impl Events {
    fn push(&mut self, out: &mut String, kind: &str, mut data: Value) {
        data["type"] = json!(kind);
        data["sequence_number"] = json!(self.sequence);
        self.sequence += 1;
        out.push_str(&format!("event: {kind}\ndata: {data}\n\n"));
    }

    fn start(&mut self) -> String {
        let mut out = String::new();
        let response = response(&self.frame, None);
        self.push(
            &mut out,
            "response.created",
            json!({ "response": response }),
        );
        self.push(
            &mut out,
            "response.in_progress",
            json!({ "response": response }),
        );
        out
    }

    fn open_message(&mut self, out: &mut String) {
        if self.open {
            return;
        }
        self.open = true;
        let item = message_item(&self.frame, "", "in_progress");
        self.push(
            out,
            "response.output_item.added",
            json!({ "output_index": 0, "item": item }),
        );
        let id = self.frame.message_id.clone();
        self.push(
            out,
            "response.content_part.added",
            json!({
            "item_id": id, "output_index": 0, "content_index": 0, "part": text_part("") }),
        );
    }

    fn delta(&mut self, piece: &str) -> String {
        let mut out = String::new();
        self.open_message(&mut out);
        let id = self.frame.message_id.clone();
        self.push(
            &mut out,
            "response.output_text.delta",
            json!({
            "item_id": id, "output_index": 0, "content_index": 0, "delta": piece,
            "logprobs": [] }),
        );
        out
    }

    fn done(&mut self, answer: &Answer) -> String {
        let mut out = String::new();
        let id = self.frame.message_id.clone();
        let mut index = 0;
        if !answer.text.is_empty() || answer.tool_calls.is_empty() {
            if !self.open {
                self.open_message(&mut out);
                self.push(
                    &mut out,
                    "response.output_text.delta",
                    json!({
                    "item_id": id, "output_index": 0, "content_index": 0,
                    "delta": answer.text, "logprobs": [] }),
                );
            }
            self.push(
                &mut out,
                "response.output_text.done",
                json!({
                "item_id": id, "output_index": 0, "content_index": 0, "text": answer.text,
                "logprobs": [] }),
            );
            self.push(
                &mut out,
                "response.content_part.done",
                json!({
                "item_id": id, "output_index": 0, "content_index": 0,
                "part": text_part(&answer.text) }),
            );
            let item = message_item(&self.frame, &answer.text, "completed");
            self.push(
                &mut out,
                "response.output_item.done",
                json!({ "output_index": 0, "item": item }),
            );
            index = 1;
        }
        for call in &answer.tool_calls {
            let item = call_item(call);
            let mut added = item.clone();
            added["status"] = json!("in_progress");
            added["arguments"] = json!("");
            self.push(
                &mut out,
                "response.output_item.added",
                json!({
                "output_index": index, "item": added }),
            );
            self.push(
                &mut out,
                "response.function_call_arguments.done",
                json!({
                "item_id": item["id"], "output_index": index, "name": call.name,
                "arguments": item["arguments"] }),
            );
            self.push(
                &mut out,
                "response.output_item.done",
                json!({
                "output_index": index, "item": item }),
            );
            index += 1;
        }
        let response = response(&self.frame, Some(Ok(answer)));
        self.push(
            &mut out,
            "response.completed",
            json!({ "response": response }),
        );
        out
    }

    fn failed(&mut self, error: &ApiError) -> String {
        let mut out = String::new();
        let response = response(&self.frame, Some(Err(error)));
        self.push(&mut out, "response.failed", json!({ "response": response }));
        out
    }
}

/// The event stream of a streamed response.
pub(crate) fn events(
    steps: impl Stream<Item = Step>,
    frame: Frame,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let mut events = Events {
        frame,
        sequence: 0,
        open: false,
    };
    let first = events.start();
    let rest = steps.map(move |step| {
        let text = match step {
            Step::Delta(piece) => events.delta(&piece),
            Step::Done(answer) => events.done(&answer),
            Step::Failed(error) => events.failed(&error),
        };
        Ok(Bytes::from(text))
    });
    futures_util::stream::once(async move { Ok(Bytes::from(first)) }).chain(rest)
}
