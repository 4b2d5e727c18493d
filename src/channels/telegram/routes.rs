//! `POST /webhooks/telegram` (webhook mode): one `Update` per POST, authenticated by the
//! `X-Telegram-Bot-Api-Secret-Token` header (compared in constant time) instead of the gateway
//! token, and answered 200 only once the message is durable in the journal.

use std::sync::atomic::Ordering::Relaxed;

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;
use tracing::{error, warn};

use super::plugin::TelegramWebhook;
use super::update::parse;
use crate::channels::hub::Channels;
use crate::channels::ingress::{accept, read_body, refuse};

#[post("/webhooks/telegram")]
pub(crate) async fn receive(
    request: HttpRequest,
    payload: web::Payload,
    channels: web::Data<Channels>,
) -> HttpResponse {
    let Some((channel, telegram)) = channels
        .webhook::<TelegramWebhook>(super::LABELS.channel)
        .filter(|(_, t)| t.webhook_secret.is_some())
    else {
        return refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "the Telegram channel is not in webhook mode (channels.telegram.mode)",
        );
    };
    let stats = &channel.stats;
    let expected = telegram
        .webhook_secret
        .as_ref()
        .map(|s| s.expose().as_bytes())
        .unwrap_or_default();
    let given = request
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
        stats.rejected.fetch_add(1, Relaxed);
        warn!(peer = ?request.peer_addr(), "Telegram webhook refused: wrong or missing secret token");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "missing or wrong X-Telegram-Bot-Api-Secret-Token",
        );
    }
    let body = match read_body(&request, payload, channels.webhook_max_bytes).await {
        Ok(body) => body,
        Err(response) => {
            stats.rejected.fetch_add(1, Relaxed);
            return response;
        }
    };
    let parsed = serde_json::from_slice(&body)
        .map_err(|e| format!("not JSON: {e}"))
        .and_then(|update| parse(update, &telegram.identity.get()));
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(why) => {
            stats.rejected.fetch_add(1, Relaxed);
            warn!(%why, "malformed Telegram update");
            return refuse(StatusCode::BAD_REQUEST, "INVALID_REQUEST", why);
        }
    };
    let Some(record) = parsed.record else {
        stats.refused.fetch_add(1, Relaxed);
        return HttpResponse::Ok().json(serde_json::json!({ "ok": true }));
    };
    match accept(&channels.journal, channel, vec![record]).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "ok": true })),
        Err(why) => {
            error!(%why, "a Telegram update could not be journaled; Telegram will deliver it again");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "retry later",
            )
        }
    }
}
