//! The OpenAI-compatible entry point: `POST /v1/chat/completions` (streaming and not) and
//! `GET /v1/models`, so that any OpenAI client can talk to the assistant.
//!
//! The gateway keeps the conversation: only the last user message of the request is used, and the
//! session is chosen by the `x-pincer-session-key` header, else the request's `user` field
//! (`agent:main:openai:<user>`); the answer carries the session key in the same header so that
//! the client can continue it. A request with neither is ephemeral: its turn runs in a session
//! kept in memory only (`key::ephemeral`), which leaves nothing on disk and is forgotten once
//! answered, so its answer carries no session key.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{CacheControl, CacheDirective, HeaderName, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{get, post, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::auth::Authorized;
use super::AppState;
use crate::api::scopes::op;
use crate::sessions::key;
use crate::sessions::submit::submit;
use crate::sessions::RunEvent;

const SESSION_HEADER: &str = "x-pincer-session-key";

#[derive(Debug, Deserialize)]
struct ChatCompletionRequest {
    #[serde(default)]
    model: Option<String>,
    messages: Vec<RequestMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RequestMessage {
    role: String,
    #[serde(default)]
    content: Value,
}

fn error(
    status: actix_web::http::StatusCode,
    kind: &str,
    message: impl Into<String>,
) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "error": { "message": message.into(), "type": kind, "param": null, "code": null }
    }))
}

/// The text of a message whose content is a string or an array of `{type:"text", text}` parts.
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => {
            let text: Vec<&str> = parts
                .iter()
                .filter(|p| p["type"] == "text")
                .filter_map(|p| p["text"].as_str())
                .collect();
            (!text.is_empty()).then(|| text.join("\n"))
        }
        _ => None,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[post("/v1/chat/completions")]
pub(crate) async fn chat_completions(
    _auth: Authorized<op::ChatSend>,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let parsed: ChatCompletionRequest = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::warn!(error = %e, "malformed chat completion request");
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                format!("invalid request body: {e}"),
            );
        }
    };
    let Some(text) = parsed
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .and_then(|m| text_of(&m.content))
        .filter(|t| !t.trim().is_empty())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "no user message with text content",
        );
    };
    let session_key = match request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(given) if key::is_valid(given) => given.to_string(),
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                format!("invalid {SESSION_HEADER}"),
            )
        }
        None => match parsed.user.as_deref().filter(|u| key::is_valid(u)) {
            Some(user) => format!("agent:main:openai:{user}"),
            None => key::ephemeral(),
        },
    };
    // Nothing to continue: an ephemeral session's turn is forgotten once answered.
    let ephemeral = key::is_ephemeral(&session_key);
    let (listener, events) = mpsc::unbounded_channel();
    if let Err(why) = submit(&state.router, &session_key, text, listener, None).await {
        return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", why);
    }
    let model = parsed.model.unwrap_or_else(|| "pincer".to_string());
    let header = (!ephemeral).then(|| {
        (
            HeaderName::from_static(SESSION_HEADER),
            HeaderValue::from_str(&session_key)
                .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
        )
    });
    if parsed.stream {
        let mut response = HttpResponse::Ok();
        response
            .content_type("text/event-stream")
            .insert_header(CacheControl(vec![CacheDirective::NoCache]));
        if let Some(header) = header {
            response.insert_header(header);
        }
        response.streaming(sse_stream(events, model))
    } else {
        let mut response = answer(events, &model).await;
        if let Some((name, value)) = header {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

async fn answer(mut events: mpsc::UnboundedReceiver<RunEvent>, model: &str) -> HttpResponse {
    use actix_web::http::StatusCode;
    while let Some(event) = events.recv().await {
        match event {
            RunEvent::Final {
                text,
                usage,
                model: answered_by,
                ..
            } => {
                return HttpResponse::Ok().json(json!({
                    "id": format!("chatcmpl-{}", fresh_id()),
                    "object": "chat.completion",
                    "created": unix_now(),
                    "model": model,
                    "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }],
                    "usage": {
                        "prompt_tokens": usage.input_tokens,
                        "completion_tokens": usage.output_tokens,
                        "total_tokens": usage.input_tokens + usage.output_tokens,
                    },
                    "x_pincer": { "answered_by": answered_by },
                }));
            }
            // A passing cause (every model overloaded or cooling down) is 503: asking again later
            // may work. Anything else is 502.
            RunEvent::Failed {
                error: why,
                retryable: true,
            } => return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", why),
            RunEvent::Failed { error: why, .. } => {
                return error(StatusCode::BAD_GATEWAY, "agent_error", why)
            }
            RunEvent::Delta(_) | RunEvent::ToolCall { .. } => {}
        }
    }
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the turn ended without an answer (the gateway is stopping?)",
    )
}

fn sse_stream(
    events: mpsc::UnboundedReceiver<RunEvent>,
    model: String,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> {
    let id = format!("chatcmpl-{}", fresh_id());
    let created = unix_now();
    let chunk = move |delta: Value, finish: Value, usage: Value| {
        let data = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": if usage.is_null() { json!([{ "index": 0, "delta": delta, "finish_reason": finish }]) } else { json!([]) },
            "usage": usage,
        });
        Bytes::from(format!("data: {data}\n\n"))
    };
    let first = chunk(
        json!({ "role": "assistant", "content": "" }),
        Value::Null,
        Value::Null,
    );
    let state = (events, Some(first), false);
    futures_util::stream::unfold(state, move |(mut events, pending, done)| {
        let chunk = chunk.clone();
        async move {
            if let Some(bytes) = pending {
                return Some((Ok(bytes), (events, None, done)));
            }
            if done {
                return None;
            }
            loop {
                let bytes = match events.recv().await {
                    Some(RunEvent::Delta(piece)) => chunk(json!({ "content": piece }), Value::Null, Value::Null),
                    Some(RunEvent::ToolCall { .. }) => continue,
                    Some(RunEvent::Final { usage, .. }) => {
                        let stop = chunk(json!({}), json!("stop"), Value::Null);
                        let usage = chunk(
                            Value::Null,
                            Value::Null,
                            json!({
                                "prompt_tokens": usage.input_tokens,
                                "completion_tokens": usage.output_tokens,
                                "total_tokens": usage.input_tokens + usage.output_tokens,
                            }),
                        );
                        let mut all = Vec::new();
                        all.extend_from_slice(&stop);
                        all.extend_from_slice(&usage);
                        all.extend_from_slice(b"data: [DONE]\n\n");
                        Bytes::from(all)
                    }
                    Some(RunEvent::Failed { error, .. }) => Bytes::from(format!(
                        "data: {}\n\ndata: [DONE]\n\n",
                        json!({ "error": { "message": error, "type": "agent_error" } })
                    )),
                    None => Bytes::from_static(b"data: {\"error\":{\"message\":\"the turn ended without an answer\",\"type\":\"unavailable\"}}\n\ndata: [DONE]\n\n"),
                };
                let finished = bytes.ends_with(b"data: [DONE]\n\n");
                return Some((Ok(bytes), (events, None, finished)));
            }
        }
    })
}

#[get("/v1/models")]
pub(crate) async fn models(
    _auth: Authorized<op::ModelsList>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let created = unix_now();
    let mut data = vec![
        json!({ "id": "pincer", "object": "model", "created": created, "owned_by": "pincer" }),
    ];
    for model in &state.engine.settings.models {
        data.push(
            json!({ "id": model, "object": "model", "created": created, "owned_by": "pincer" }),
        );
    }
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

/// 64 random bits, hex (request and session ids).
fn fresh_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
