//! Chat over the protocol: `chat.send` (answer streamed as `chat` and `agent` events to every
//! connected operator), `agent` (two-stage: `accepted`, then the final answer on the same request
//! id), `chat.history` and `chat.abort`.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::bus::EventBus;
use super::frames::{code, response, string_param, ErrorShape};
use super::methods::Call;
use crate::providers::{ChatMessage, Usage};
use crate::sessions::actor::Abort;
use crate::sessions::key::{is_valid, MAIN};
use crate::sessions::router::GetSession;
use crate::sessions::submit::submit;
use crate::sessions::Entry;
use crate::sessions::RunEvent;

fn session_param(params: &Value) -> Result<String, ErrorShape> {
    let key = params["sessionKey"].as_str().unwrap_or(MAIN);
    if is_valid(key) {
        Ok(key.to_string())
    } else {
        Err(ErrorShape::invalid(format!("invalid sessionKey {key:?}")))
    }
}

fn run_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    format!(
        "run-{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Starts a turn and returns its event stream.
async fn start(
    call: &Call,
    session: &str,
    message: String,
) -> Result<mpsc::UnboundedReceiver<RunEvent>, ErrorShape> {
    let (listener, events) = mpsc::unbounded_channel();
    submit(&call.state.router, session, message, listener, None)
        .await
        .map_err(ErrorShape::unavailable)?;
    Ok(events)
}

/// Publishes the turn's events until it ends; the answer or the error.
async fn stream(
    bus: &EventBus,
    run: &str,
    session: &str,
    mut events: mpsc::UnboundedReceiver<RunEvent>,
) -> Result<(String, Usage), String> {
    let mut seq = 0u64;
    let mut next = || {
        seq += 1;
        seq
    };
    let now = crate::clock::now_ms;
    bus.publish(
        "agent",
        &json!({ "runId": run, "seq": next(), "stream": "lifecycle", "ts": now(),
        "data": { "phase": "start", "sessionKey": session } }),
    );
    let mut text = String::new();
    while let Some(event) = events.recv().await {
        match event {
            RunEvent::Delta(piece) => {
                text.push_str(&piece);
                let seq = next();
                bus.publish(
                    "agent",
                    &json!({ "runId": run, "seq": seq, "stream": "assistant",
                    "ts": now(), "data": { "delta": piece } }),
                );
                bus.publish(
                    "chat",
                    &json!({ "runId": run, "sessionKey": session, "seq": seq,
                    "state": "delta", "deltaText": piece,
                    "message": { "role": "assistant", "content": text } }),
                );
            }
            RunEvent::ToolCall { name } => {
                bus.publish(
                    "agent",
                    &json!({ "runId": run, "seq": next(), "stream": "tool",
                    "ts": now(), "data": { "name": name } }),
                );
            }
            RunEvent::Final { text, usage, .. } => {
                let seq = next();
                bus.publish("chat", &json!({ "runId": run, "sessionKey": session, "seq": seq,
                    "state": "final", "message": { "role": "assistant", "content": text },
                    "usage": { "inputTokens": usage.input_tokens, "outputTokens": usage.output_tokens } }));
                bus.publish(
                    "agent",
                    &json!({ "runId": run, "seq": next(), "stream": "lifecycle",
                    "ts": now(), "data": { "phase": "end" } }),
                );
                return Ok((text, usage));
            }
            RunEvent::Failed { error, .. } => {
                bus.publish(
                    "chat",
                    &json!({ "runId": run, "sessionKey": session, "seq": next(),
                    "state": "error", "errorMessage": error }),
                );
                bus.publish(
                    "agent",
                    &json!({ "runId": run, "seq": next(), "stream": "lifecycle",
                    "ts": now(), "data": { "phase": "error", "error": error } }),
                );
                return Err(error);
            }
        }
    }
    let error = "the turn ended without an answer (the gateway is stopping?)".to_string();
    bus.publish(
        "chat",
        &json!({ "runId": run, "sessionKey": session, "seq": next(),
        "state": "error", "errorMessage": error }),
    );
    Err(error)
}

/// `chat.send {sessionKey?, message, idempotencyKey?}` → `{runId, status:"started"}`.
pub async fn send(call: &Arc<Call>, params: &Value) -> Result<Value, ErrorShape> {
    let session = session_param(params)?;
    let message = string_param(params, "message")?.to_string();
    let run = run_id();
    let events = start(call, &session, message).await?;
    let bus = call.state.control.bus.clone();
    let (run_for_task, session_for_task) = (run.clone(), session.clone());
    actix_web::rt::spawn(async move {
        let _ = stream(&bus, &run_for_task, &session_for_task, events).await;
    });
    Ok(json!({ "runId": run, "sessionKey": session, "status": "started" }))
}

/// `agent {message, sessionKey?, idempotencyKey?}`: answers `accepted` at once on the same id,
/// then the final result.
pub async fn agent(call: &Arc<Call>, id: &str, params: &Value) -> Result<Value, ErrorShape> {
    let session = session_param(params)?;
    let message = string_param(params, "message")?.to_string();
    let run = run_id();
    let events = start(call, &session, message).await?;
    call.outbox.send(response(
        id,
        &Ok(
            json!({ "runId": run, "sessionKey": session, "status": "accepted",
            "acceptedAt": crate::clock::now_ms() }),
        ),
    ));
    match stream(&call.state.control.bus, &run, &session, events).await {
        Ok((text, usage)) => Ok(json!({ "runId": run, "sessionKey": session, "status": "ok",
            "result": { "text": text, "usage": { "inputTokens": usage.input_tokens,
                "outputTokens": usage.output_tokens } } })),
        Err(error) => Err(ErrorShape {
            details: Some(json!({ "runId": run })),
            ..ErrorShape::new(code::UNAVAILABLE, error)
        }),
    }
}

/// `chat.history {sessionKey?, limit?}`: the transcript's messages, oldest first.
pub async fn history(call: &Arc<Call>, params: &Value) -> Result<Value, ErrorShape> {
    let session = session_param(params)?;
    let limit = params["limit"].as_u64().unwrap_or(200).clamp(1, 2000) as usize;
    let state = call.state.clone();
    let key = session.clone();
    let entries = actix_web::web::block(move || state.engine.store.load(&key))
        .await
        .map_err(|e| ErrorShape::new(code::INTERNAL, e.to_string()))?
        .map_err(|e| ErrorShape::new(code::INTERNAL, e.to_string()))?;
    let messages: Vec<Value> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Message { ts_ms, turn, message, .. } => Some(match message {
                ChatMessage::User { content } => {
                    json!({ "role": "user", "content": content, "ts": ts_ms, "turn": turn })
                }
                ChatMessage::Assistant { text, tool_calls } => json!({ "role": "assistant",
                    "content": text, "toolCalls": tool_calls.iter().map(|c| &c.name).collect::<Vec<_>>(),
                    "ts": ts_ms, "turn": turn }),
                ChatMessage::Tool { name, content, is_error, .. } => json!({ "role": "tool",
                    "name": name, "content": content, "isError": is_error, "ts": ts_ms, "turn": turn }),
            }),
            Entry::TurnFailed {
                ts_ms, turn, error, ..
            } => {
                Some(json!({ "role": "error", "content": error, "ts": ts_ms, "turn": turn }))
            }
            _ => None,
        })
        .collect();
    let skip = messages.len().saturating_sub(limit);
    Ok(json!({ "sessionKey": session, "messages": messages[skip..] }))
}

/// `chat.abort {sessionKey?}`: stops the running turn of the session.
pub async fn abort(call: &Arc<Call>, params: &Value) -> Result<Value, ErrorShape> {
    let session = session_param(params)?;
    let actor = call
        .state
        .router
        .ask(GetSession(session.clone()))
        .await
        .map_err(|e| ErrorShape::unavailable(e.to_string()))?
        .map_err(ErrorShape::unavailable)?;
    let aborted = actor
        .ask(Abort)
        .await
        .map_err(|e| ErrorShape::unavailable(e.to_string()))?;
    Ok(json!({ "sessionKey": session, "aborted": aborted }))
}
