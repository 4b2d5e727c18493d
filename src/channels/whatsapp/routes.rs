//! `GET /webhooks/whatsapp` (Meta's subscription handshake) and `POST /webhooks/whatsapp`
//! (notifications). These routes sit outside the gateway's bearer auth: Meta cannot send a
//! token, so the HMAC signature with the app secret is what authenticates a POST, checked over
//! the raw bytes before anything is parsed.
//!
//! A POST is answered 200 only after its messages are durable in the journal; anything else
//! makes Meta deliver it again, and the journal's dedup drops what was already accepted.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;
use tracing::{debug, error, warn};

use super::plugin::WhatsAppWebhook;
use super::webhook::{parse, verify_signature};
use crate::channels::actor::{parse_reply_tag, Confirmed};
use crate::channels::hub::Channels;
use crate::channels::ingress::{accept, read_body, refuse};

fn disabled() -> HttpResponse {
    refuse(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "the WhatsApp channel is not enabled (channels.whatsapp.enabled)",
    )
}

/// The subscription handshake: echo `hub.challenge` when `hub.verify_token` matches.
#[get("/webhooks/whatsapp")]
pub(crate) async fn verify(
    query: web::Query<HashMap<String, String>>,
    channels: web::Data<Channels>,
) -> HttpResponse {
    let Some((_, whatsapp)) = channels.webhook::<WhatsAppWebhook>(super::LABELS.channel) else {
        return disabled();
    };
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query
        .get("hub.verify_token")
        .map(String::as_str)
        .unwrap_or("");
    let expected = whatsapp.verify_token.expose().as_bytes();
    let matches = !expected.is_empty() && bool::from(token.as_bytes().ct_eq(expected));
    match (mode, query.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if matches => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(challenge.clone()),
        _ => {
            warn!("WhatsApp webhook verification refused (wrong hub.verify_token or hub.mode)");
            HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("verification failed")
        }
    }
}

/// A notification: messages, delivery statuses, errors.
#[post("/webhooks/whatsapp")]
pub(crate) async fn receive(
    request: HttpRequest,
    payload: web::Payload,
    channels: web::Data<Channels>,
) -> HttpResponse {
    let Some((channel, whatsapp)) = channels.webhook::<WhatsAppWebhook>(super::LABELS.channel)
    else {
        return disabled();
    };
    let stats = &channel.stats;
    let body = match read_body(&request, payload, channels.webhook_max_bytes).await {
        Ok(body) => body,
        Err(response) => {
            stats.rejected.fetch_add(1, Relaxed);
            warn!(
                status = response.status().as_u16(),
                "WhatsApp webhook body refused"
            );
            return response;
        }
    };
    let signature = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if let Err(why) = verify_signature(whatsapp.app_secret.expose().as_bytes(), &body, signature) {
        stats.rejected.fetch_add(1, Relaxed);
        warn!(%why, peer = ?request.peer_addr(), "WhatsApp webhook refused");
        return refuse(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", why.to_string());
    }
    let parsed = match parse(&body, &whatsapp.phone_number_id) {
        Ok(parsed) => parsed,
        Err(why) => {
            stats.rejected.fetch_add(1, Relaxed);
            warn!(%why, "malformed WhatsApp webhook");
            return refuse(StatusCode::BAD_REQUEST, "INVALID_REQUEST", why);
        }
    };
    for status in &parsed.statuses {
        // Any status of a tagged reply proves it reached WhatsApp: the entry is done, so a
        // replay after a crash does not answer it twice.
        if let Some((id, received_ms)) = status.tag.as_deref().and_then(parse_reply_tag) {
            if channels.journal.done_if_received_at(id, received_ms).await {
                let _ = channel.actor.tell(Confirmed { id });
            }
        }
        if status.status == "failed" {
            stats.delivery_failures.fetch_add(1, Relaxed);
            let errors: Vec<String> = status.errors.iter().map(|e| e.describe()).collect();
            warn!(message = %status.message_id, recipient = ?status.recipient, errors = %errors.join("; "), "WhatsApp reports a message it could not deliver");
        } else {
            debug!(message = %status.message_id, status = %status.status, "WhatsApp delivery status");
        }
    }
    for problem in &parsed.errors {
        warn!(error = %problem.describe(), "WhatsApp reports an error");
    }
    if parsed.malformed > 0 {
        stats.malformed.fetch_add(parsed.malformed as u64, Relaxed);
        warn!(
            malformed = parsed.malformed,
            problems = %parsed.problems.join("; "),
            "WhatsApp webhook elements skipped (the rest of the batch is processed)"
        );
    }
    if parsed.skipped > 0 {
        stats.refused.fetch_add(parsed.skipped as u64, Relaxed);
        debug!(
            skipped = parsed.skipped,
            "WhatsApp changes for other numbers or fields skipped"
        );
    }
    match accept(&channels.journal, channel, parsed.messages).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(why) => {
            error!(%why, "WhatsApp messages could not be journaled; Meta will deliver them again");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the message could not be stored; retry later",
            )
        }
    }
}
