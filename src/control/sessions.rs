//! The session methods OpenClaw's clients call beyond the operator API's list and history:
//! `sessions.subscribe` (and its `sessions.changed` events), `sessions.describe`,
//! `sessions.resolve`, and the target of a turn (`sessionKey`, else `sessionId`, else the main
//! session), shared by `agent` and `chat.send`.
//!
//! A subscription is this connection's own: a task on the connection's thread reads the
//! store's change notices and puts `sessions.changed` frames in the connection's outbox (no
//! `seq`: they are not part of the bus's numbered stream). It ends when the socket closes. A
//! subscriber that falls behind gets one `sessions.changed` without a key, which tells
//! OpenClaw's clients to reload the whole list.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::frames::ErrorShape;
use super::methods::Call;
use crate::api::params;
use crate::api::sessions::{SessionList, SessionRow, SessionsListRequest};
use crate::sessions::key::{is_valid, MAIN};

/// The session a turn goes to: `sessionKey`; else the stored session whose id is `sessionId`,
/// or a new one keyed `agent:main:explicit:<sessionId>` (OpenClaw's key for an explicit id);
/// else the main session.
pub(crate) fn target(call: &Call, params: &Value) -> Result<String, ErrorShape> {
    let key = match (params["sessionKey"].as_str(), params["sessionId"].as_str()) {
        (Some(key), _) if !key.trim().is_empty() => key.trim().to_string(),
        (_, Some(id)) if !id.trim().is_empty() => {
            let id = id.trim();
            call.operator
                .session_key_of_id(id)
                .unwrap_or_else(|| format!("agent:main:explicit:{id}"))
        }
        _ => MAIN.to_string(),
    };
    if is_valid(&key) {
        Ok(key)
    } else {
        Err(ErrorShape::invalid(format!("invalid session {key:?}")))
    }
}

/// `sessions.subscribe {..list params}`: `{subscribed: true}`, with `list` when params name
/// any list option (OpenClaw's bootstrap in one call).
pub(crate) async fn subscribe(call: &Arc<Call>, params: Value) -> Result<Value, ErrorShape> {
    let wants_list = params.as_object().is_some_and(|p| !p.is_empty());
    if !call.watching_sessions.swap(true, Relaxed) {
        let watcher = call.operator.watch_sessions();
        actix_web::rt::spawn(forward(Arc::clone(call), watcher));
    }
    if !wants_list {
        return Ok(json!({ "subscribed": true }));
    }
    let request: SessionsListRequest = params::parse(params)?;
    let list: SessionList = call.operator.sessions_list(request).await?;
    Ok(json!({ "subscribed": true, "list": list }))
}

/// `sessions.unsubscribe`: no more `sessions.changed` on this connection.
pub(crate) fn unsubscribe(call: &Call) -> Value {
    call.watching_sessions.store(false, Relaxed);
    json!({ "subscribed": false })
}

/// Moves change notices to the connection until it closes or unsubscribes.
async fn forward(
    call: Arc<Call>,
    mut watcher: tokio::sync::broadcast::Receiver<crate::sessions::store::SessionChange>,
) {
    loop {
        let change = tokio::select! {
            change = watcher.recv() => change,
            () = call.outbox.closed() => return,
        };
        if !call.watching_sessions.load(Relaxed) {
            return;
        }
        let payload = match change {
            Ok(change) => {
                let mut payload = json!({ "sessionKey": &*change.key,
                    "reason": change.reason.name(), "ts": crate::clock::now_ms() });
                if let Some(row) = call.operator.session_row(&change.key) {
                    payload["session"] = json!(row);
                    payload["sessionId"] = json!(row.session_id);
                }
                payload
            }
            // Fell behind: a keyless change makes the client reload its list.
            Err(RecvError::Lagged(_)) => {
                json!({ "reason": "resync", "ts": crate::clock::now_ms() })
            }
            Err(RecvError::Closed) => return,
        };
        let frame = json!({ "type": "event", "event": "sessions.changed", "payload": payload });
        call.outbox.send(frame.to_string());
    }
}

/// `sessions.describe {key}`: `{session: row | null}`.
pub(crate) fn describe(call: &Call, params: &Value) -> Result<Value, ErrorShape> {
    let key = session_key(params)?;
    Ok(json!({ "session": call.operator.session_row(&key) }))
}

/// `sessions.resolve {key? | sessionId?}`: the key a client should use, and its row.
pub(crate) fn resolve(call: &Call, params: &Value) -> Result<Value, ErrorShape> {
    let mut params = params.clone();
    if params["sessionKey"].is_null() {
        params["sessionKey"] = params["key"].clone();
    }
    let key = target(call, &params)?;
    let row: Option<SessionRow> = call.operator.session_row(&key);
    Ok(json!({ "ok": true, "key": key, "session": row }))
}

fn session_key(params: &Value) -> Result<String, ErrorShape> {
    let key = params["key"]
        .as_str()
        .or_else(|| params["sessionKey"].as_str())
        .unwrap_or(MAIN);
    if is_valid(key) {
        Ok(key.to_string())
    } else {
        Err(ErrorShape::invalid(format!("invalid session key {key:?}")))
    }
}
