//! The WhatsApp Cloud API webhook, as data: the `X-Hub-Signature-256` check over the raw body and
//! the notification envelope (`entry[].changes[].value` with `messages`, `contacts`, `statuses`,
//! `errors`) turned into journal records. The lists are read element by element, so a malformed
//! message is skipped and counted while the rest of its batch is kept; what each message kind
//! becomes is [`super::message_kinds`]'s. No I/O here; the HTTP handlers are in
//! [`super::routes`].

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::message_kinds;
use super::wire::{WireContact, WireMessage};
use crate::channels::journal::InboundRecord;
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

/// A change's value. Its lists are read element by element (see [`parse`]), so one bad element
/// costs only itself.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChangeValue {
    metadata: Option<Metadata>,
    contacts: Vec<Value>,
    messages: Vec<Value>,
    statuses: Vec<Value>,
    errors: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    phone_number_id: String,
    #[serde(default)]
    display_phone_number: Option<String>,
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
    /// Changes for other phone numbers or fields.
    pub skipped: usize,
    /// Elements of `messages`, `contacts`, `statuses` or `errors` that could not be read: skipped,
    /// the rest of the batch kept.
    pub malformed: usize,
    /// What was wrong with each malformed element, for the log.
    pub problems: Vec<String>,
}

impl Parsed {
    fn malformed(&mut self, what: String) {
        self.malformed += 1;
        self.problems.push(what);
    }
}

/// Reads one list element as `T`, or records why it could not be read.
fn element<T: serde::de::DeserializeOwned>(
    parsed: &mut Parsed,
    list: &str,
    index: usize,
    raw: Value,
) -> Option<T> {
    let id = raw
        .get("id")
        .and_then(Value::as_str)
        .map(|id| format!(" ({id})"))
        .unwrap_or_default();
    match serde_json::from_value(raw) {
        Ok(value) => Some(value),
        Err(e) => {
            parsed.malformed(format!("{list}[{index}]{id}: {e}"));
            None
        }
    }
}

/// Parses a notification body; `Err` (a 400) only when the body is not a WhatsApp notification
/// at all. Within it, each message, contact, status and error is read on its own: a malformed
/// one is skipped and counted ([`Parsed::malformed`]), the others are kept.
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
        let business_number = value
            .metadata
            .as_ref()
            .and_then(|m| m.display_phone_number.clone());
        let contacts: Vec<WireContact> = value
            .contacts
            .into_iter()
            .enumerate()
            .filter_map(|(i, raw)| element(&mut parsed, "contacts", i, raw))
            .collect();
        for (i, raw) in value.messages.into_iter().enumerate() {
            let Some(message) = element::<WireMessage>(&mut parsed, "messages", i, raw) else {
                continue;
            };
            let name = sender_name(&contacts, &message);
            let platform_id = message.id.clone();
            match message_kinds::map(message, business_number.as_deref()) {
                Ok(mapped) => parsed.messages.push(InboundRecord {
                    channel: super::LABELS.channel.into(),
                    account: phone_number_id.to_string(),
                    platform_id,
                    sender: mapped.sender,
                    sender_name: name,
                    chat: mapped.chat,
                    body: mapped.body,
                    received_ms,
                }),
                Err(why) => parsed.malformed(format!("messages[{i}]: {why}")),
            }
        }
        for (i, raw) in value.statuses.into_iter().enumerate() {
            if let Some(s) = element::<Status>(&mut parsed, "statuses", i, raw) {
                parsed.statuses.push(StatusUpdate {
                    message_id: s.id,
                    status: s.status,
                    recipient: s.recipient_id,
                    errors: s.errors,
                    tag: s.biz_opaque_callback_data,
                });
            }
        }
        for (i, raw) in value.errors.into_iter().enumerate() {
            if let Some(error) = element(&mut parsed, "errors", i, raw) {
                parsed.errors.push(error);
            }
        }
    }
    Ok(parsed)
}

/// The sender's profile name (or username) from the change's contacts: matched on `wa_id`,
/// or on the business-scoped `user_id` for a contact without one.
fn sender_name(contacts: &[WireContact], message: &WireMessage) -> Option<String> {
    let matches = |c: &&WireContact| {
        let by_number = message.from.is_some() && c.wa_id.is_some() && c.wa_id == message.from;
        let by_user = message.from_user_id.is_some()
            && c.user_id.is_some()
            && c.user_id == message.from_user_id;
        by_number || by_user
    };
    let profile = contacts.iter().find(matches)?.profile.as_ref()?;
    profile
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| profile.username.clone())
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "kinds_tests.rs"]
mod kinds_tests;
