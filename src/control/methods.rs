//! The protocol's methods (everything but chat, which is in [`super::chat`]) and the dispatch:
//! an unknown method is refused, then the connection's scopes are checked against
//! [`super::scopes`], then `idempotencyKey` is handled for side-effecting methods, then the method
//! runs.

use std::sync::Arc;

use actix_web::web;
use futures_util::future::LocalBoxFuture;
use pincer_actors::TerminateChild;
use serde_json::{json, Value};
use tracing::warn;

use super::chat;
use super::connection::Outbox;
use super::frames::{code, string_param, ErrorShape, Request};
use super::idempotency::Claim;
use super::scopes::{self, ScopeSet};
use crate::channels::hub::KNOWN;
use crate::channels::pairing::{PairingError, APPROVED_MESSAGE};
use crate::web::AppState;

/// Methods advertised in `hello-ok.features.methods`.
pub const METHODS: [&str; 15] = [
    "health",
    "status",
    "chat.send",
    "chat.history",
    "chat.abort",
    "agent",
    "send",
    "sessions.list",
    "sessions.reset",
    "pairing.list",
    "pairing.approve",
    "actors.list",
    "logs.tail",
    "config.get",
    "presence",
];

/// Methods whose repeat with the same `idempotencyKey` must not repeat the work.
const SIDE_EFFECTS: [&str; 5] = [
    "chat.send",
    "agent",
    "send",
    "sessions.reset",
    "pairing.approve",
];

/// What a method runs with.
pub struct Call {
    pub state: web::Data<AppState>,
    pub outbox: Outbox,
    pub conn_id: String,
    /// What the client was granted at `connect`.
    pub scopes: ScopeSet,
}

/// Runs `request`; the future's output is the `res` payload or error.
pub fn dispatch(
    call: Arc<Call>,
    request: Request,
) -> LocalBoxFuture<'static, Result<Value, ErrorShape>> {
    Box::pin(async move {
        let Request {
            id, method, params, ..
        } = request;
        if !METHODS.contains(&method.as_str()) {
            return Err(unknown_method(&method));
        }
        // Before the idempotency claim: a refused call must not see (or hold) another's answer.
        if let Err(refusal) = scopes::required(&method).check(&method, call.scopes) {
            warn!(conn = %call.conn_id, %method, missing = %refusal.missing,
                granted = %call.scopes, "request refused: missing scope");
            return Err(ErrorShape::missing_scope(&refusal));
        }
        let key = SIDE_EFFECTS
            .contains(&method.as_str())
            .then(|| params["idempotencyKey"].as_str().map(str::to_string))
            .flatten();
        let control = Arc::clone(&call.state.control);
        if let Some(key) = &key {
            match control.idempotency.claim(&method, key) {
                Claim::New => {}
                Claim::InFlight => {
                    return Err(ErrorShape::unavailable(
                        "a request with this idempotencyKey is still being handled; retry",
                    ))
                }
                Claim::Done(answer) => {
                    return answer.map_err(|(code, message)| ErrorShape::new(code, message))
                }
            }
        }
        let result = run(&call, &id, &method, params).await;
        if let Some(key) = key {
            let stored = result.clone().map_err(|e| (e.code, e.message.clone()));
            control.idempotency.finish(&method, &key, stored);
        }
        result
    })
}

async fn run(call: &Arc<Call>, id: &str, method: &str, params: Value) -> Result<Value, ErrorShape> {
    let state = &call.state;
    match method {
        "health" => Ok(health(state)),
        "status" => Ok(crate::web::admin_sessions::status_json(state)),
        "presence" => Ok(state.control.presence_json(usize::MAX)),
        "chat.send" => chat::send(call, &params).await,
        "chat.history" => chat::history(call, &params).await,
        "chat.abort" => chat::abort(call, &params).await,
        "agent" => chat::agent(call, id, &params).await,
        "send" => send(state, &params).await,
        "sessions.list" => {
            let mut sessions = blocking(state, |s| s.engine.store.list()).await?;
            sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
            Ok(json!({ "count": sessions.len(), "sessions": sessions }))
        }
        "sessions.reset" => {
            let key = string_param(&params, "key")
                .or_else(|_| string_param(&params, "sessionKey"))?
                .to_string();
            let name = key.clone();
            match blocking(state, move |s| s.engine.store.reset(&name)).await? {
                Ok(true) => {
                    let _ = state.sessions.tell(TerminateChild(key.clone()));
                    Ok(json!({ "ok": true, "reset": key }))
                }
                Ok(false) => Err(ErrorShape::new(
                    code::NOT_FOUND,
                    format!("no session {key:?}"),
                )),
                Err(error) => Err(ErrorShape::new(code::INTERNAL, error.to_string())),
            }
        }
        "pairing.list" => {
            let channel = channel_param(&params)?;
            let name = channel.clone();
            let (requests, approved) = blocking(state, move |s| {
                (
                    s.channels.pairing.list(&name),
                    s.channels.pairing.approved(&name),
                )
            })
            .await?;
            Ok(
                json!({ "channel": channel, "requests": requests.map_err(pairing_error)?,
                "approved": approved.map_err(pairing_error)? }),
            )
        }
        "pairing.approve" => {
            let channel = channel_param(&params)?;
            let code = string_param(&params, "code")?.to_string();
            let name = channel.clone();
            let approved = blocking(state, move |s| s.channels.pairing.approve(&name, &code))
                .await?
                .map_err(pairing_error)?;
            let notified = if params["notify"] == true {
                Some(
                    state
                        .channels
                        .notify(&channel, &approved.id, APPROVED_MESSAGE)
                        .await,
                )
            } else {
                None
            };
            Ok(
                json!({ "ok": true, "channel": channel, "approved": approved,
                "notified": notified.as_ref().map(Result::is_ok),
                "notifyError": notified.and_then(Result::err) }),
            )
        }
        "actors.list" => {
            let actors = state.registry.snapshot();
            Ok(
                json!({ "generatedAtMs": crate::clock::now_ms(), "count": actors.len(),
                "actors": actors, "tree": state.registry.tree() }),
            )
        }
        "logs.tail" => logs_tail(state, &params).await,
        "config.get" => {
            let config = &state.control.config;
            match params["path"].as_str().filter(|p| !p.is_empty()) {
                None => Ok(json!({ "config": config })),
                Some(path) => {
                    let value = path.split('.').try_fold(config, |v, key| v.get(key));
                    match value {
                        Some(value) => Ok(json!({ "path": path, "value": value })),
                        None => Err(ErrorShape::new(
                            code::NOT_FOUND,
                            format!("no config key {path:?}"),
                        )),
                    }
                }
            }
        }
        other => Err(unknown_method(other)),
    }
}

fn unknown_method(method: &str) -> ErrorShape {
    ErrorShape::invalid(format!(
        "unknown method {method:?} (methods: {})",
        METHODS.join(", ")
    ))
}

/// Liveness, readiness and the figures an operator looks at first.
pub fn health(state: &AppState) -> Value {
    let problems = state.readiness.problems(&state.registry);
    json!({
        "ok": problems.is_empty(),
        "status": if problems.is_empty() { "ready" } else { "not ready" },
        "notReady": problems,
        "uptimeMs": state.started.elapsed().as_millis() as u64,
        "channels": state.channels.links(),
        "actors": state.registry.len(),
        "alerts": state.monitor.active_alerts(),
        "system": state.monitor.latest(),
        "clients": state.control.client_count(),
    })
}

/// Runs blocking work (file I/O) off the actor thread.
async fn blocking<T: Send + 'static>(
    state: &web::Data<AppState>,
    work: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, ErrorShape> {
    let state = state.clone();
    web::block(move || work(&state))
        .await
        .map_err(|e| ErrorShape::new(code::INTERNAL, e.to_string()))
}

fn channel_param(params: &Value) -> Result<String, ErrorShape> {
    let channel = string_param(params, "channel")?.to_lowercase();
    if KNOWN.contains(&channel.as_str()) {
        Ok(channel)
    } else {
        Err(ErrorShape::invalid(format!(
            "unknown channel {channel:?} (known: {})",
            KNOWN.join(", ")
        )))
    }
}

fn pairing_error(error: PairingError) -> ErrorShape {
    match error {
        PairingError::UnknownCode { .. } => ErrorShape::new(code::NOT_FOUND, error.to_string()),
        other => ErrorShape::new(code::INTERNAL, other.to_string()),
    }
}

/// `send {channel, to, message}`: an outbound message on a channel.
async fn send(state: &AppState, params: &Value) -> Result<Value, ErrorShape> {
    let channel = channel_param(params)?;
    let to = string_param(params, "to")?;
    let text = string_param(params, "message").or_else(|_| string_param(params, "text"))?;
    state
        .channels
        .notify(&channel, to, text)
        .await
        .map_err(|why| ErrorShape::new(code::UNAVAILABLE, why))?;
    Ok(json!({ "ok": true, "channel": channel, "to": to }))
}

/// `logs.tail {lines?}`: the last lines of the newest log file.
async fn logs_tail(state: &web::Data<AppState>, params: &Value) -> Result<Value, ErrorShape> {
    let lines = params["lines"].as_u64().unwrap_or(100).clamp(1, 1000) as usize;
    let dir = state.control.log_dir.clone();
    let read = web::block(move || -> Result<(String, Vec<String>), String> {
        let newest = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
            .ok_or_else(|| {
                format!(
                    "no log file in {} (logging.transports has no file transport?)",
                    dir.display()
                )
            })?;
        let text = std::fs::read_to_string(newest.path()).map_err(|e| e.to_string())?;
        let all: Vec<&str> = text.lines().collect();
        let tail = all[all.len().saturating_sub(lines)..]
            .iter()
            .map(|l| l.to_string())
            .collect();
        Ok((newest.path().display().to_string(), tail))
    })
    .await
    .map_err(|e| ErrorShape::new(code::INTERNAL, e.to_string()))?;
    let (file, tail) = read.map_err(|why| ErrorShape::new(code::NOT_FOUND, why))?;
    Ok(json!({ "file": file, "lines": tail }))
}
