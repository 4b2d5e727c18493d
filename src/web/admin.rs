//! `GET /admin/actors[?flat=1]` and `GET /admin/actors/{id}`: the live supervision tree with every
//! actor's mailbox figures, read straight from the registry (no actor is asked, so the endpoint
//! answers even when actors are stuck, which is when it is needed).

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Authorized;
use super::AppState;

#[derive(Debug, Deserialize)]
pub struct ActorsQuery {
    /// `1`/`true` for a flat list sorted by path instead of a tree.
    flat: Option<String>,
}

#[get("/admin/actors")]
pub async fn list_actors(
    _auth: Authorized,
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
    _auth: Authorized,
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
