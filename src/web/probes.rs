//! Liveness and readiness probes, open without authentication (container health checks and load
//! balancers cannot hold a token, and the answers reveal nothing sensitive).

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use actix_web::{get, web, HttpResponse};
use pincer_actors::{ActorState, Registry};
use serde_json::json;

use super::AppState;

/// What must be running for the gateway to take traffic, and whether it is draining.
#[derive(Debug)]
pub struct Readiness {
    required: Vec<String>,
    draining: AtomicBool,
    safe_mode: Option<String>,
}

impl Readiness {
    /// `required` are supervision-tree paths (e.g. `/gateway/sessions`) that must be running;
    /// `safe_mode` is the crash-loop breaker's reason, when it tripped.
    pub fn new(required: Vec<String>, safe_mode: Option<String>) -> Self {
        Readiness {
            required,
            draining: AtomicBool::new(false),
            safe_mode,
        }
    }

    /// The crash-loop breaker's reason, when the gateway runs in safe mode.
    pub fn safe_mode(&self) -> Option<&str> {
        self.safe_mode.as_deref()
    }

    /// From now on, report not ready (shutdown has begun).
    pub fn start_draining(&self) {
        self.draining.store(true, Relaxed);
    }

    /// The reasons the gateway is not ready; empty when it is.
    pub fn problems(&self, registry: &Registry) -> Vec<String> {
        let mut problems = Vec::new();
        if self.draining.load(Relaxed) {
            problems.push("gateway: shutting down".to_string());
        }
        if let Some(reason) = &self.safe_mode {
            problems.push(format!("safe mode: {reason}"));
        }
        for path in &self.required {
            match registry.find_by_path(path).map(|actor| actor.state) {
                Some(ActorState::Running) => {}
                Some(state) => problems.push(format!("{path}: {}", state.as_str())),
                None => problems.push(format!("{path}: not started")),
            }
        }
        problems
    }
}

/// `GET /healthz` (and `/health`): the process is up and serving HTTP.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    healthz_body()
}

#[get("/health")]
pub async fn health() -> HttpResponse {
    healthz_body()
}

fn healthz_body() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true, "status": "live" }))
}

/// `GET /readyz` (and `/ready`): 200 when every required actor runs, else 503 naming what is not.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    ready_body(&state)
}

#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    ready_body(&state)
}

fn ready_body(state: &AppState) -> HttpResponse {
    let problems = state.readiness.problems(&state.registry);
    // A channel whose platform refuses its token is reported, not counted against readiness:
    // the gateway still serves everything else.
    let channels = state.channels.links();
    if problems.is_empty() {
        HttpResponse::Ok().json(json!({ "ok": true, "status": "ready", "channels": channels }))
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "ok": false,
            "status": "not ready",
            "notReady": problems,
            "channels": channels,
        }))
    }
}
