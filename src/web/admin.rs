//! `GET /admin/actors[?flat=1]` and `GET /admin/actors/{id}`: the live supervision tree with every
//! actor's mailbox figures, read straight from the registry (no actor is asked, so the endpoint
//! answers even when actors are stuck, which is when it is needed). With `gateway.faultInjection`,
//! `POST /admin/actors/{id}/panic` crashes one on purpose, to watch its supervisor handle it.

use actix_web::{get, post, web, HttpResponse};
use pincer_actors::FaultError;
use serde::Deserialize;
use serde_json::json;

use super::auth::Authorized;
use super::AppState;
use crate::control::scopes::op;

#[derive(Debug, Deserialize)]
pub struct ActorsQuery {
    /// `1`/`true` for a flat list sorted by path instead of a tree.
    flat: Option<String>,
}

#[get("/admin/actors")]
pub async fn list_actors(
    _auth: Authorized<op::ActorsList>,
    state: web::Data<AppState>,
    query: web::Query<ActorsQuery>,
) -> HttpResponse {
    let flat = matches!(query.flat.as_deref(), Some("1" | "true" | "yes"));
    let body = if flat {
        let actors = state.registry.snapshot();
        json!({ "generatedAtMs": crate::clock::now_ms(), "count": actors.len(), "actors": actors })
    } else {
        json!({
            "generatedAtMs": crate::clock::now_ms(),
            "count": state.registry.len(),
            "actors": state.registry.tree(),
        })
    };
    HttpResponse::Ok().json(body)
}

#[get("/admin/actors/{id}")]
pub async fn get_actor(
    _auth: Authorized<op::ActorsList>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let found = id.parse::<u64>().ok().and_then(|id| state.registry.get(id));
    match found {
        Some(actor) => HttpResponse::Ok().json(actor),
        None => HttpResponse::NotFound().json(json!({
            "ok": false,
            "error": { "code": "NOT_FOUND", "message": format!("no actor with id {id}") },
        })),
    }
}

/// The body of `POST /admin/actors/{id}/panic` (optional).
#[derive(Debug, Default, Deserialize)]
pub struct PanicRequest {
    /// The panic's message, shown as the actor's last error.
    #[serde(default)]
    message: Option<String>,
}

#[post("/admin/actors/{id}/panic")]
pub async fn panic_actor(
    _auth: Authorized<op::ActorsPanic>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Option<web::Json<PanicRequest>>,
) -> HttpResponse {
    if !state.fault_injection {
        return error(
            actix_web::http::StatusCode::FORBIDDEN,
            "FAULT_INJECTION_DISABLED",
            "fault injection is off; set gateway.faultInjection: true to allow it (never in production)"
                .to_string(),
        );
    }
    let Ok(actor) = id.parse::<u64>() else {
        return error(
            actix_web::http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no actor with id {id}"),
        );
    };
    let message = body
        .and_then(|body| body.into_inner().message)
        .unwrap_or_else(|| "requested through /admin/actors".to_string());
    match state.registry.inject_panic(actor, &message) {
        Ok(()) => {
            tracing::warn!(actor, %message, "fault injected: the actor will panic");
            HttpResponse::Accepted().json(json!({ "ok": true, "id": actor, "message": message }))
        }
        Err(fault @ FaultError::UnknownActor(_)) => error(
            actix_web::http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            fault.to_string(),
        ),
        Err(fault @ FaultError::NotRunning(_)) => error(
            actix_web::http::StatusCode::CONFLICT,
            "NOT_RUNNING",
            fault.to_string(),
        ),
    }
}

fn error(status: actix_web::http::StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "ok": false,
        "error": { "code": code, "message": message },
    }))
}
