//! The webhook side of the Graph emulator: what Meta posts to a gateway (wire-formats §1.1–1.3).
//! Payload builders in the exact envelope of the Cloud API, serialised the way Meta sends them
//! (non-ASCII as `\uXXXX` escapes, `/` as `\/`), the `X-Hub-Signature-256` HMAC over exactly
//! those bytes (HMAC-SHA256 written here over `sha2`, no extra dependency), and the raw POST and
//! GET-handshake requests.
//!
//! Change values ([`text_value`], [`status_value`], [`media_value`]) compose into one POST with
//! several entries and changes through [`multi_webhook`]; [`text_webhook`] and friends are the
//! one-change shortcuts.

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::super::client::{encode_query, request, try_request};
use super::error_text;

/// The WhatsApp Business Account id in `entry[].id`.
pub const WABA_ID: &str = "102290129340398";
/// The business number in `metadata.display_phone_number`.
pub const DISPLAY_PHONE_NUMBER: &str = "15550783881";

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let mut mac = [0u8; 32];
    mac.copy_from_slice(&outer);
    mac
}

/// The `X-Hub-Signature-256` value for `body`: `sha256=<lowercase hex HMAC-SHA256>`.
pub fn sign(body: &[u8], app_secret: &str) -> String {
    let mac = hmac_sha256(app_secret.as_bytes(), body);
    let hex: String = mac.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

/// Writes strings the way Meta's webhooks do: every non-ASCII character as a `\uXXXX` escape
/// (UTF-16 surrogate pairs above U+FFFF, lowercase hex) and `/` as `\/`.
struct MetaFormatter;

impl serde_json::ser::Formatter for MetaFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        for ch in fragment.chars() {
            if ch == '/' {
                writer.write_all(b"\\/")?;
            } else if ch.is_ascii() {
                writer.write_all(&[ch as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// `value` serialised as Meta sends it (compact, ASCII-only; see [`MetaFormatter`]).
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, MetaFormatter);
    value
        .serialize(&mut serializer)
        .expect("a JSON value serialises");
    out
}

/// Unix seconds now, as the string Meta sends.
pub(super) fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs().to_string()
}

fn metadata(phone_number_id: &str) -> Value {
    json!({"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id})
}

/// The `contacts` of a change: one per distinct sender, in order of first appearance.
fn contacts<'a>(senders: impl Iterator<Item = &'a str>) -> Value {
    let mut seen = BTreeSet::new();
    let contacts: Vec<Value> = senders
        .filter(|from| seen.insert(*from))
        .map(|from| json!({"profile": {"name": format!("User {from}")}, "wa_id": from}))
        .collect();
    Value::Array(contacts)
}

/// The `value` of a change carrying text messages: `(from, wamid, text)` each.
pub fn text_value(phone_number_id: &str, messages: &[(&str, &str, &str)]) -> Value {
    let timestamp = timestamp();
    let list: Vec<Value> = messages
        .iter()
        .map(|(from, id, text)| {
            json!({"from": from, "id": id, "timestamp": timestamp, "type": "text",
                "text": {"body": text}})
        })
        .collect();
    json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(phone_number_id),
        "contacts": contacts(messages.iter().map(|(from, _, _)| *from)),
        "messages": list,
    })
}

/// The `value` of a change carrying one status of message `wamid` sent to `recipient`
/// (`sent|delivered|read|failed`); `error_code` adds the `errors` array of a failed send.
pub fn status_value(
    phone_number_id: &str,
    wamid: &str,
    recipient: &str,
    status: &str,
    error_code: Option<u32>,
) -> Value {
    let mut entry = json!({"id": wamid, "status": status, "timestamp": timestamp(),
        "recipient_id": recipient});
    if let Some(code) = error_code {
        let (title, details) = error_text(code);
        entry["errors"] = json!([{"code": code, "title": title, "message": title,
            "error_data": {"details": details},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]);
    } else {
        entry["pricing"] = json!({"billable": true, "pricing_model": "CBP", "category": "service"});
    }
    json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(phone_number_id),
        "statuses": [entry],
    })
}

/// The `value` of a change carrying one media message of `kind` (`image`, `audio`, `video`,
/// `document`, `sticker`): `{"type": kind, kind: {"id", "mime_type", "sha256"}}`.
pub fn media_value(phone_number_id: &str, from: &str, wamid: &str, kind: &str) -> Value {
    let mime_type = match kind {
        "image" => "image/jpeg",
        "audio" => "audio/ogg; codecs=opus",
        "video" => "video/mp4",
        "document" => "application/pdf",
        "sticker" => "image/webp",
        _ => "application/octet-stream",
    };
    let mut message = json!({"from": from, "id": wamid, "timestamp": timestamp(), "type": kind});
    message[kind] = json!({"id": "1482318492758294", "mime_type": mime_type,
        "sha256": "mZJFsVbRrBjvSvhFkAbuYuPw3AMXyI6+Jw6Pw6VPCG8="});
    json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(phone_number_id),
        "contacts": contacts(std::iter::once(from)),
        "messages": [message],
    })
}

/// One POST with several entries, each with several changes (`field: "messages"`): each inner
/// list holds the change values of one entry.
pub fn multi_webhook(entries: &[Vec<Value>]) -> Vec<u8> {
    let entries: Vec<Value> = entries
        .iter()
        .map(|changes| {
            let changes: Vec<Value> = changes
                .iter()
                .map(|value| json!({"value": value, "field": "messages"}))
                .collect();
            json!({"id": WABA_ID, "changes": changes})
        })
        .collect();
    encode(&json!({"object": "whatsapp_business_account", "entry": entries}))
}

/// A webhook with text messages `(from, wamid, text)` for `phone_number_id` (wire-formats §1.3).
pub fn text_webhook(phone_number_id: &str, messages: &[(&str, &str, &str)]) -> Vec<u8> {
    multi_webhook(&[vec![text_value(phone_number_id, messages)]])
}

/// A webhook with one status (see [`status_value`]).
pub fn status_webhook(
    phone_number_id: &str,
    wamid: &str,
    recipient: &str,
    status: &str,
    error_code: Option<u32>,
) -> Vec<u8> {
    let value = status_value(phone_number_id, wamid, recipient, status, error_code);
    multi_webhook(&[vec![value]])
}

/// A webhook with one media message (see [`media_value`]).
pub fn media_webhook(phone_number_id: &str, from: &str, wamid: &str, kind: &str) -> Vec<u8> {
    multi_webhook(&[vec![media_value(phone_number_id, from, wamid, kind)]])
}

/// POSTs `body` (exactly these bytes) to the gateway as Meta does, with
/// `X-Hub-Signature-256: <signature>` when given; returns the status and the response body.
pub fn post_webhook(
    addr: SocketAddr,
    path: &str,
    body: &[u8],
    signature: Option<&str>,
) -> (u16, String) {
    try_post_webhook(addr, path, body, signature)
        .unwrap_or_else(|e| panic!("POST http://{addr}{path}: {e}"))
}

/// Like [`post_webhook`], with I/O errors returned.
pub fn try_post_webhook(
    addr: SocketAddr,
    path: &str,
    body: &[u8],
    signature: Option<&str>,
) -> io::Result<(u16, String)> {
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("User-Agent", "facebookexternalua"),
    ];
    if let Some(signature) = signature {
        headers.push(("X-Hub-Signature-256", signature));
    }
    try_request(addr, "POST", path, &headers, Some(body))
}

/// The GET verification handshake: `path?hub.mode=..&hub.challenge=..&hub.verify_token=..`
/// (values percent-encoded); returns the status and the raw response body.
pub fn verify_request(
    addr: SocketAddr,
    path: &str,
    mode: &str,
    token: &str,
    challenge: &str,
) -> (u16, String) {
    let query = encode_query(&[
        ("hub.mode", mode),
        ("hub.challenge", challenge),
        ("hub.verify_token", token),
    ]);
    let separator = if path.contains('?') { '&' } else { '?' };
    let target = format!("{path}{separator}{query}");
    request(
        addr,
        "GET",
        &target,
        &[("User-Agent", "facebookplatform")],
        None,
    )
}
