//! Operator endpoints for channels and pairing: `GET /admin/channels` (figures, link states, the
//! journal), `GET /admin/pairing/{channel}`, `POST /admin/pairing/{channel}/approve`
//! (`{code, notify?}`), `POST /admin/pairing/{channel}/revoke` (`{id}`), and
//! `POST /admin/channels/{channel}/send` (`{to, text}`). `pincer pairing ...` uses them while a
//! gateway runs (so `--notify` goes through the running channel) and the files directly
//! otherwise.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Authorized;
use super::AppState;
use crate::channels::hub::KNOWN;
use crate::channels::ingress::refuse;
use crate::channels::pairing::{PairingError, APPROVED_MESSAGE};
use crate::control::scopes::op;

#[get("/admin/channels")]
pub async fn status(
    _auth: Authorized<op::ChannelsStatus>,
    state: web::Data<AppState>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.channels.status_json())
}

/// `Some(404 answer)` when `channel` is not one Pincer has.
fn unknown(channel: &str) -> Option<HttpResponse> {
    (!KNOWN.contains(&channel)).then(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("unknown channel {channel:?} (known: {})", KNOWN.join(", ")),
        )
    })
}

fn store_error(error: PairingError) -> HttpResponse {
    match error {
        PairingError::UnknownCode { .. } => {
            refuse(StatusCode::NOT_FOUND, "NOT_FOUND", error.to_string())
        }
        other => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "STORE",
            other.to_string(),
        ),
    }
}

fn blocking_failed(error: actix_web::error::BlockingError) -> HttpResponse {
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        error.to_string(),
    )
}

#[get("/admin/pairing/{channel}")]
pub async fn list_pairing(
    _auth: Authorized<op::PairingList>,
    state: web::Data<AppState>,
    channel: web::Path<String>,
) -> HttpResponse {
    let channel = channel.into_inner();
    if let Some(response) = unknown(&channel) {
        return response;
    }
    let store = state.channels.pairing.clone();
    let name = channel.clone();
    match web::block(move || (store.list(&name), store.approved(&name))).await {
        Ok((Ok(requests), Ok(approved))) => HttpResponse::Ok().json(json!({
            "channel": channel,
            "requests": requests,
            "approved": approved,
        })),
        Ok((Err(error), _)) | Ok((_, Err(error))) => store_error(error),
        Err(error) => blocking_failed(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct Approval {
    code: String,
    #[serde(default)]
    notify: bool,
}

#[post("/admin/pairing/{channel}/approve")]
pub async fn approve(
    _auth: Authorized<op::PairingApprove>,
    state: web::Data<AppState>,
    channel: web::Path<String>,
    body: web::Json<Approval>,
) -> HttpResponse {
    let channel = channel.into_inner();
    if let Some(response) = unknown(&channel) {
        return response;
    }
    let Approval { code, notify } = body.into_inner();
    let store = state.channels.pairing.clone();
    let name = channel.clone();
    let approved = match web::block(move || store.approve(&name, &code)).await {
        Ok(Ok(request)) => request,
        Ok(Err(error)) => return store_error(error),
        Err(error) => return blocking_failed(error),
    };
    let notified = if notify {
        Some(
            state
                .channels
                .notify(&channel, &approved.id, APPROVED_MESSAGE)
                .await,
        )
    } else {
        None
    };
    HttpResponse::Ok().json(json!({
        "ok": true,
        "channel": channel,
        "approved": approved,
        "notified": notified.as_ref().map(|r| r.is_ok()),
        "notifyError": notified.and_then(|r| r.err()),
    }))
}

#[derive(Debug, Deserialize)]
pub struct Revocation {
    id: String,
}

#[post("/admin/pairing/{channel}/revoke")]
pub async fn revoke(
    _auth: Authorized<op::PairingRevoke>,
    state: web::Data<AppState>,
    channel: web::Path<String>,
    body: web::Json<Revocation>,
) -> HttpResponse {
    let channel = channel.into_inner();
    if let Some(response) = unknown(&channel) {
        return response;
    }
    let id = body.into_inner().id;
    let store = state.channels.pairing.clone();
    let (name, sender) = (channel.clone(), id.clone());
    match web::block(move || store.revoke(&name, &sender)).await {
        Ok(Ok(true)) => {
            HttpResponse::Ok().json(json!({ "ok": true, "channel": channel, "revoked": id }))
        }
        Ok(Ok(false)) => refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{id} is not an approved {channel} sender"),
        ),
        Ok(Err(error)) => store_error(error),
        Err(error) => blocking_failed(error),
    }
}

#[derive(Debug, Deserialize)]
pub struct Outbound {
    to: String,
    text: String,
}

#[post("/admin/channels/{channel}/send")]
pub async fn send(
    _auth: Authorized<op::Send>,
    state: web::Data<AppState>,
    channel: web::Path<String>,
    body: web::Json<Outbound>,
) -> HttpResponse {
    let channel = channel.into_inner();
    if let Some(response) = unknown(&channel) {
        return response;
    }
    let Outbound { to, text } = body.into_inner();
    if to.trim().is_empty() || text.trim().is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "`to` and `text` must not be empty",
        );
    }
    match state.channels.notify(&channel, &to, &text).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "ok": true, "channel": channel, "to": to })),
        Err(why) => refuse(StatusCode::BAD_GATEWAY, "SEND_FAILED", why),
    }
}
