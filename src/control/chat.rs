//! Chat over the protocol: `chat.send` (answer streamed as `chat` and `agent` events to every
//! connected operator), `agent` (two-stage: `accepted`, then the final answer on the same request
//! id) and `chat.abort`. These stream on the event bus, so they belong to this protocol;
//! `chat.history` is an operator-API operation ([`crate::api::history`]).

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::bus::EventBus;
use super::frames::{code, response, string_param, ErrorShape};
use super::methods::Call;
use super::sessions::target;
use crate::providers::Usage;
use crate::sessions::actor::Abort;
use crate::sessions::key::{is_valid, MAIN};
use crate::sessions::router::GetSession;
use crate::sessions::submit::submit;
use crate::sessions::RunEvent;

fn session_param(params: &Value) -> Result<String, ErrorShape> {
    let key = params["sessionKey"].as_str().unwrap_or(MAIN);
    if is_valid(key) {
        Ok(key.to_string())
    } else {
        Err(ErrorShape::invalid(format!("invalid sessionKey {key:?}")))
    }
}

/// A turn's run id: the client's `idempotencyKey` when it gives one (OpenClaw's clients use it
/// as the run id they then wait for and abort), else a fresh one.
fn run_id_of(params: &Value) -> String {
    params["idempotencyKey"]
        .as_str()
        .filter(|key| !key.is_empty() && key.len() <= 128)
        .map_or_else(run_id, str::to_string)
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
    submit(&call.router, session, message, listener, None)
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
pub(crate) async fn send(call: &Arc<Call>, params: &Value) -> Result<Value, ErrorShape> {
    let session = target(call, params)?;
    let message = string_param(params, "message")?.to_string();
    let run = run_id_of(params);
    let events = start(call, &session, message).await?;
    let bus = call.control.bus.clone();
    let (run_for_task, session_for_task) = (run.clone(), session.clone());
    actix_web::rt::spawn(async move {
        let _ = stream(&bus, &run_for_task, &session_for_task, events).await;
    });
    Ok(json!({ "runId": run, "sessionKey": session, "status": "started" }))
}

/// `agent {message, sessionKey? | sessionId?, idempotencyKey?}`: answers `accepted` at once on
/// the same id, then the final result: `result.payloads[].text` (what OpenClaw's `openclaw
/// agent` prints), with `result.text` and the usage.
pub(crate) async fn agent(call: &Arc<Call>, id: &str, params: &Value) -> Result<Value, ErrorShape> {
    let session = target(call, params)?;
    let message = string_param(params, "message")?.to_string();
    let run = run_id_of(params);
    let events = start(call, &session, message).await?;
    call.outbox.send(response(
        id,
        &Ok(
            json!({ "runId": run, "sessionKey": session, "status": "accepted",
            "acceptedAt": crate::clock::now_ms() }),
        ),
    ));
    match stream(&call.control.bus, &run, &session, events).await {
        Ok((text, usage)) => Ok(json!({ "runId": run, "sessionKey": session, "status": "ok",
            "summary": "completed",
            "result": { "payloads": [{ "text": text }], "text": text,
                "usage": { "inputTokens": usage.input_tokens, "outputTokens": usage.output_tokens },
                "meta": { "sessionKey": session } } })),
        Err(error) => Err(ErrorShape {
            details: Some(json!({ "runId": run })),
            ..ErrorShape::new(code::UNAVAILABLE, error)
        }),
    }
}

/// `chat.abort {sessionKey?}`: stops the running turn of the session.
pub(crate) async fn abort(call: &Arc<Call>, params: &Value) -> Result<Value, ErrorShape> {
    let session = session_param(params)?;
    let actor = call
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
