//! Operator endpoints for sessions and runs: `GET /admin/sessions`, `GET /admin/sessions/{key}`
//! (the seed's `inspectSession`), `POST /admin/sessions/{key}/reset`,
//! `GET /admin/sessions/{key}/traces?last=N`, and `GET /admin/status` (permits, waiting runs,
//! provider cooldowns, live sessions). The CLI's `sessions`, `trace` and `status` commands use them
//! while a gateway runs.

use std::time::Instant;

use actix_web::{get, post, web, HttpResponse};
use pincer_actors::{ActorState, TerminateChild};
use serde::Deserialize;
use serde_json::json;

use super::auth::Authorized;
use super::AppState;
use crate::control::scopes::op;
use crate::sessions::Entry;

fn not_found(message: String) -> HttpResponse {
    HttpResponse::NotFound()
        .json(json!({ "ok": false, "error": { "code": "NOT_FOUND", "message": message } }))
}

#[get("/admin/sessions")]
pub async fn list(_auth: Authorized<op::SessionsList>, state: web::Data<AppState>) -> HttpResponse {
    let mut sessions = state.engine.store.list();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.updated_ms));
    HttpResponse::Ok().json(json!({ "count": sessions.len(), "sessions": sessions }))
}

#[get("/admin/sessions/{key}")]
pub async fn show(
    _auth: Authorized<op::SessionsInspect>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.engine.store.inspect(&key))
}

#[post("/admin/sessions/{key}/reset")]
pub async fn reset(
    _auth: Authorized<op::SessionsReset>,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> HttpResponse {
    let key = key.into_inner();
    match state.engine.store.reset(&key) {
        Ok(true) => {
            // A live actor holds no conversation state, but stopping it frees its memory now.
            let _ = state.sessions.tell(TerminateChild(key.clone()));
            HttpResponse::Ok().json(json!({ "ok": true, "reset": key }))
        }
        Ok(false) => not_found(format!("no session {key:?}")),
        Err(error) => HttpResponse::InternalServerError().json(
            json!({ "ok": false, "error": { "code": "STORE", "message": error.to_string() } }),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct TraceQuery {
    last: Option<usize>,
    run: Option<String>,
}

#[get("/admin/sessions/{key}/traces")]
pub async fn traces(
    _auth: Authorized<op::SessionsInspect>,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: web::Query<TraceQuery>,
) -> HttpResponse {
    let entries = match state.engine.store.load(&key) {
        Ok(entries) => entries,
        Err(error) => return not_found(error.to_string()),
    };
    let mut traces: Vec<serde_json::Value> = entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Trace {
                ts_ms,
                turn,
                run,
                trace,
            } => Some(json!({ "tsMs": ts_ms, "turn": turn, "run": run, "trace": trace })),
            _ => None,
        })
        .filter(|t| query.run.as_deref().is_none_or(|run| t["run"] == run))
        .collect();
    let keep = query.last.unwrap_or(10);
    if traces.len() > keep {
        traces.drain(..traces.len() - keep);
    }
    HttpResponse::Ok().json(json!({ "session": key.into_inner(), "traces": traces }))
}

#[get("/admin/status")]
pub async fn status(_auth: Authorized<op::Status>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(status_json(&state))
}

/// The engine's status (also the WebSocket `status` method).
pub fn status_json(state: &AppState) -> serde_json::Value {
    let actors = state.registry.snapshot();
    let status_of = |path: &str| {
        actors
            .iter()
            .find(|a| a.path == path)
            .and_then(|a| a.status.clone())
    };
    let runs_in_flight = actors
        .iter()
        .filter(|a| a.kind == "run" && a.state == ActorState::Running)
        .count();
    let live_sessions = actors
        .iter()
        .filter(|a| a.kind == "session" && a.state == ActorState::Running)
        .count();
    json!({
        "uptimeMs": state.started.elapsed().as_millis() as u64,
        "models": state.engine.settings.models,
        "resources": status_of("/gateway/monitor/resources"),
        "router": status_of("/gateway/router"),
        "runsInFlight": runs_in_flight,
        "liveSessions": live_sessions,
        "storedSessions": state.engine.store.list().len(),
        "cooldowns": state.engine.cooldowns.view(Instant::now()),
        "alerts": state.monitor.active_alerts(),
        "shedding": state.monitor.shedding(),
        "safeMode": state.readiness.safe_mode(),
        "notReady": state.readiness.problems(&state.registry),
    })
}
