//! Liveness and readiness probes, open without authentication (container health checks and load
//! balancers cannot hold a token, and the answers reveal nothing sensitive). Their answers are the
//! operator API's [`Live`] and [`Ready`] (`pincer health` reads them back); what readiness means is
//! [`crate::api::Readiness`].

use actix_web::{get, web, HttpResponse};

use super::AppState;
use crate::api::{Live, Ready};

/// `GET /healthz` (and `/health`): the process is up and serving HTTP.
#[get("/healthz")]
pub(crate) async fn healthz() -> HttpResponse {
    healthz_body()
}

#[get("/health")]
pub(crate) async fn health() -> HttpResponse {
    healthz_body()
}

fn healthz_body() -> HttpResponse {
    HttpResponse::Ok().json(Live::now())
}

/// `GET /readyz` (and `/ready`): 200 when every required actor runs, else 503 naming what is not.
#[get("/readyz")]
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    ready_body(&state)
}

#[get("/ready")]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    ready_body(&state)
}

fn ready_body(state: &AppState) -> HttpResponse {
    let answer: Ready = state.operator.ready();
    if answer.ok {
        HttpResponse::Ok().json(answer)
    } else {
        HttpResponse::ServiceUnavailable().json(answer)
    }
}
