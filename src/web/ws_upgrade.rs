//! `GET /ws`, and `GET /` when it asks for a WebSocket (OpenClaw's clients default to
//! `ws://host:18789` with no path): the HTTP side of the control plane's WebSocket.
//!
//! This adapter owns what HTTP owns: the browser-origin check (a foreign page is refused before
//! anything is said, with no challenge and no credential check, so no lockout entry), the frame
//! limit on every byte of the upgrade, the upgrade itself, and the connection tracker's note
//! that an unproven socket may be replaced. It then hands the socket to
//! [`crate::control::socket::accept`] with narrow handles, the auth gate among them (as a
//! [`crate::control::socket::Authenticate`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use actix_web::guard::GuardContext;
use actix_web::{get, web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use tracing::warn;

use super::auth::{AuthGate, AuthRejection};
use super::connections::PendingProof;
use super::origin::RequestFacts;
use super::AppState;
use crate::control::frame_limit::FrameLimit;
use crate::control::frames::ErrorShape;
use crate::control::socket::{self, Authenticate, Handshake, Refused};
use crate::control::PRE_AUTH_MAX;

#[get("/ws")]
pub(crate) async fn upgrade(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    serve(request, body, state).await
}

/// `GET /` with `Upgrade: websocket`: the same socket as `/ws`. Registered before the Control
/// UI's page, which answers every other `GET /`.
#[get("/", guard = "asks_for_websocket")]
pub(crate) async fn upgrade_at_root(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    serve(request, body, state).await
}

/// Whether the request asks to be upgraded to a WebSocket (`Upgrade: websocket`, any case).
fn asks_for_websocket(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
        })
}

async fn serve(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    // The upgrade itself completes even when the origin is refused, so that the refusal reaches
    // the page (a refused HTTP upgrade shows in a browser as a bare 1006).
    let refusal = state.origins.check(&RequestFacts::of(&request, true)).err();
    // Every byte of the connection (an upgrade request's body included) passes the frame limit,
    // which refuses an oversized frame by its header, before its payload is buffered.
    let limit = FrameLimit::new(PRE_AUTH_MAX);
    let body = web::Payload::from_request(&request, &mut limit.guard(body.into_inner())).await?;
    let (response, session, stream) = actix_ws::handle(&request, body)?;
    if let Some(refusal) = refusal {
        warn!(peer = ?request.peer_addr(), code = refusal.code(), "WebSocket upgrade refused: {refusal}");
        socket::refuse_upgrade(
            session,
            ErrorShape::new(refusal.code(), refusal.to_string()),
        );
        return Ok(response);
    }
    // Until `hello-ok`, a newcomer from the same address may take this connection's place.
    let proof = request.extensions().get::<PendingProof>().cloned();
    let on_authenticated =
        proof.map(|proof| Box::new(move || proof.prove()) as Box<dyn FnOnce() + Send>);
    let peer = request.peer_addr().map(|a| a.ip());
    let origin = request
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let handshake = Handshake {
        operator: Arc::clone(&state.operator),
        control: Arc::clone(&state.control),
        router: state.router.clone(),
        auth: Arc::new(Gate(state.clone())),
    };
    socket::accept(
        handshake,
        session,
        stream,
        limit,
        on_authenticated,
        peer,
        origin,
    );
    Ok(response)
}

/// The HTTP auth gate, as the control plane's [`Authenticate`].
struct Gate(web::Data<AppState>);

impl Gate {
    fn gate(&self) -> &AuthGate {
        &self.0.auth
    }
}

impl Authenticate for Gate {
    fn check(
        &self,
        peer: Option<IpAddr>,
        origin: Option<&str>,
        header: Option<&str>,
        now: Instant,
    ) -> Result<(), Refused> {
        self.gate()
            .check(peer, origin, header, now)
            .map_err(|rejection| match rejection {
                AuthRejection::Missing => Refused::Missing,
                AuthRejection::Invalid => Refused::Invalid,
                AuthRejection::LockedOut { retry_after } => Refused::LockedOut { retry_after },
            })
    }
}
