//! The WhatsApp Cloud API webhook, as data: the `X-Hub-Signature-256` check over the raw body and
//! the notification envelope (`entry[].changes[].value` with `messages`, `statuses`, `errors`)
//! turned into journal records. No I/O here; the HTTP handlers are in [`super::routes`].

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::channels::journal::{InboundRecord, MessageBody};
use crate::clock::now_ms;

/// Why a webhook POST was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not `sha256=<64 hex digits>`")]
    Malformed,
    #[error("the X-Hub-Signature-256 signature does not match the body (wrong app secret?)")]
    Mismatch,
}

/// Checks `header` (`sha256=<hex>`) against HMAC-SHA256(app secret, raw body), in constant time.
pub fn verify_signature(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(default)]
    object: String,
    entry: Vec<NotificationEntry>,
}

#[derive(Debug, Deserialize)]
struct NotificationEntry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    value: ChangeValue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChangeValue {
    metadata: Option<Metadata>,
    contacts: Vec<Contact>,
    messages: Vec<Message>,
    statuses: Vec<Status>,
    errors: Vec<GraphError>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    phone_number_id: String,
}

#[derive(Debug, Deserialize)]
struct Contact {
    wa_id: String,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    from: String,
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<Text>,
    #[serde(default)]
    group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Text {
    body: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    recipient_id: Option<String>,
    #[serde(default)]
    errors: Vec<GraphError>,
    #[serde(default)]
    biz_opaque_callback_data: Option<String>,
}

/// An error object as the Graph API reports it in webhooks.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphError {
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

impl GraphError {
    /// `131047 Re-engagement message: <details>`.
    pub fn describe(&self) -> String {
        let title = self
            .title
            .as_deref()
            .or(self.message.as_deref())
            .unwrap_or("error");
        match self.error_data.as_ref().and_then(|d| d.details.as_deref()) {
            Some(details) => format!("{} {title}: {details}", self.code),
            None => format!("{} {title}", self.code),
        }
    }
}

/// A delivery status of a message the gateway sent.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub message_id: String,
    pub status: String,
    pub recipient: Option<String>,
    pub errors: Vec<GraphError>,
    /// The tag the gateway sent with the message (`biz_opaque_callback_data`).
    pub tag: Option<String>,
}

/// Everything one POST carried, for this gateway's phone number.
#[derive(Debug, Default)]
pub struct Parsed {
    pub messages: Vec<InboundRecord>,
    pub statuses: Vec<StatusUpdate>,
    /// `value.errors`: problems not tied to one message.
    pub errors: Vec<GraphError>,
    /// Group messages (not handled yet) and changes for other phone numbers or fields.
    pub skipped: usize,
}

/// Parses a notification body; `Err` is a message for the 400 answer and the log.
pub fn parse(body: &[u8], phone_number_id: &str) -> Result<Parsed, String> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| format!("not a WhatsApp notification: {e}"))?;
    if notification.object != "whatsapp_business_account" {
        return Err(format!(
            "unexpected object {:?} (expected \"whatsapp_business_account\")",
            notification.object
        ));
    }
    let received_ms = now_ms();
    let mut parsed = Parsed::default();
    for change in notification.entry.into_iter().flat_map(|e| e.changes) {
        let ours = change
            .value
            .metadata
            .as_ref()
            .is_some_and(|m| m.phone_number_id == phone_number_id);
        if change.field != "messages" || !ours {
            parsed.skipped += 1;
            continue;
        }
        let value = change.value;
        for message in value.messages {
            if message.group_id.is_some() {
                parsed.skipped += 1;
                continue;
            }
            let name = value
                .contacts
                .iter()
                .find(|c| c.wa_id == message.from)
                .and_then(|c| c.profile.as_ref())
                .and_then(|p| p.name.clone());
            let body = match (message.kind.as_str(), message.text) {
                ("text", Some(text)) => MessageBody::Text(text.body),
                (kind, _) => MessageBody::Unsupported {
                    kind: if kind.is_empty() {
                        "unknown".into()
                    } else {
                        kind.into()
                    },
                },
            };
            parsed.messages.push(InboundRecord {
                channel: super::LABELS.channel.into(),
                account: phone_number_id.to_string(),
                platform_id: message.id,
                sender: message.from.clone(),
                sender_name: name,
                chat: message.from,
                body,
                received_ms,
            });
        }
        parsed
            .statuses
            .extend(value.statuses.into_iter().map(|s| StatusUpdate {
                message_id: s.id,
                status: s.status,
                recipient: s.recipient_id,
                errors: s.errors,
                tag: s.biz_opaque_callback_data,
            }));
        parsed.errors.extend(value.errors);
    }
    Ok(parsed)
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
