//! The steps every inbound path shares (WhatsApp and Telegram webhooks, the Telegram poller):
//! reading a body within the size limit, and journaling records before the platform is
//! acknowledged, then handing the new ones to the channel actor.

use std::sync::atomic::Ordering::Relaxed;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

use super::actor::Deliver;
use super::hub::ChannelHandle;
use super::journal::{Accepted, InboundRecord, Journal, JournalError};

/// A JSON error answer in the gateway's usual shape.
pub(crate) fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "ok": false,
        "error": { "code": code, "message": message.into() },
    }))
}

/// Reads the whole body, refusing with 413 past `limit` bytes (by `Content-Length` before
/// reading, or as soon as the stream passes it).
pub(crate) async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, HttpResponse> {
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the body is larger than channels.webhookMaxBytes ({limit} bytes)"),
        )
    };
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                format!("reading the body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Journals `records` (durably) and hands the new ones to the channel's actor. The caller
/// acknowledges the platform only after this returns `Ok`; on `Err` the platform should retry.
pub(crate) async fn accept(
    journal: &Journal,
    channel: &ChannelHandle,
    records: Vec<InboundRecord>,
) -> Result<(), JournalError> {
    if records.is_empty() {
        return Ok(());
    }
    let accepted = journal.accept(records).await?;
    let mut fresh = Vec::with_capacity(accepted.len());
    for outcome in accepted {
        match outcome {
            Accepted::New(entry) => fresh.push(entry),
            Accepted::Duplicate { .. } => {
                channel.stats.duplicates.fetch_add(1, Relaxed);
            }
        }
    }
    channel
        .stats
        .received
        .fetch_add(fresh.len() as u64, Relaxed);
    if !fresh.is_empty() {
        // A full mailbox or a restarting actor only delays them: the actor's sweep finds every
        // pending entry in the journal.
        let _ = channel.actor.tell(Deliver(fresh));
    }
    Ok(())
}
