//! `GET /metrics` (Prometheus text; authenticated unless `monitoring.metricsPublic`) and
//! `GET /admin/metrics` (the seed's `Metrics` JSON).

use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use pincer_actors::ActorState;

use super::auth::Authorized;
use super::AppState;
use crate::api::scopes::op;

#[get("/metrics")]
pub(crate) async fn prometheus(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if !state.metrics_public {
        Authorized::<op::Metrics>::extract(&request).await?;
    }
    let actors = state.registry.snapshot();
    let text = crate::monitor::prometheus::render(&state.monitor, &actors, &state.engine.cooldowns);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

#[get("/admin/metrics")]
pub(crate) async fn seed_metrics(
    _auth: Authorized<op::Metrics>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let sessions = state
        .registry
        .snapshot()
        .iter()
        .filter(|a| a.kind == "session" && a.state == ActorState::Running)
        .count();
    HttpResponse::Ok().json(state.monitor.seed_metrics(sessions))
}
