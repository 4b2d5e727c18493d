//! The media side of the Graph emulator, as the Cloud API documents it: `GET /{version}/{media-id}`
//! (bearer required) answers `{messaging_product, url, mime_type, sha256, file_size, id}`, and the
//! `url` (on the emulator itself, in the shape of Meta's `lookaside.fbsbx.com` links) serves the
//! bytes, again only with the bearer token. Unknown ids answer the Graph error Meta gives
//! (`100`, "Unsupported get request", HTTP 400). Tests register files with
//! [`super::GraphApi::add_media`].

use std::io::Write;
use std::net::TcpStream;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::super::connection::{write_status, Request};
use super::super::lock;
use super::Shared;

/// The download path (Meta's is `https://lookaside.fbsbx.com/whatsapp_business/attachments/`).
const DOWNLOAD_PATH: &str = "/whatsapp_business/attachments/";

/// A file the emulator serves.
#[derive(Debug, Clone)]
pub(super) struct StoredMedia {
    pub(super) mime: String,
    pub(super) bytes: Vec<u8>,
}

/// What a test needs to refer to a registered file in a webhook.
#[derive(Debug, Clone)]
pub struct MediaInfo {
    pub id: String,
    pub mime_type: String,
    /// As webhooks carry it: base64 of the SHA-256.
    pub sha256_base64: String,
    /// As the media lookup answers it: lowercase hex of the SHA-256.
    pub sha256_hex: String,
    pub file_size: usize,
}

impl MediaInfo {
    pub(super) fn of(id: &str, mime: &str, bytes: &[u8]) -> MediaInfo {
        let digest = Sha256::digest(bytes);
        MediaInfo {
            id: id.to_string(),
            mime_type: mime.to_string(),
            sha256_base64: base64(&digest),
            sha256_hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
            file_size: bytes.len(),
        }
    }
}

/// Standard base64 with padding (the emulators depend on nothing but serde and sha2).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Answers a media lookup or download; `None`: the request is not one (the send endpoint's).
pub(super) fn answer(
    shared: &Shared,
    request: &Request,
    out: &mut TcpStream,
) -> Option<std::io::Result<bool>> {
    if request.method != "GET" {
        return None;
    }
    let route = request.route();
    let authorized = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(shared.token.as_str());
    if route == DOWNLOAD_PATH {
        let id = query_value(request.query(), "mid").unwrap_or_default();
        let stored = lock(&shared.state).media.get(&id).cloned();
        return Some(match (authorized, stored) {
            (false, _) => write_status(out, 401, &token_error().to_string(), None).map(|()| true),
            (true, None) => write_status(out, 404, "", None).map(|()| true),
            (true, Some(media)) => {
                lock(&shared.state).media_downloads.push(id);
                shared.changed.notify_all();
                while lock(&shared.state).stall_downloads {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                write_bytes(out, &media).map(|()| true)
            }
        });
    }
    let segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let [version, id] = segments[..] else {
        return None;
    };
    if !version.starts_with('v') {
        return None;
    }
    let (status, body) = lookup(shared, request, id, authorized);
    Some(write_status(out, status, &body.to_string(), None).map(|()| true))
}

fn lookup(shared: &Shared, request: &Request, id: &str, authorized: bool) -> (u16, Value) {
    if !authorized {
        return (401, token_error());
    }
    let mut state = lock(&shared.state);
    state.media_lookups.push(id.to_string());
    shared.changed.notify_all();
    let Some(media) = state.media.get(id) else {
        let message = format!(
            "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded \
             due to missing permissions, or does not support this operation."
        );
        let error = json!({"error": {"message": message, "type": "GraphMethodException",
            "code": 100, "error_subcode": 33, "fbtrace_id": "AEmuMedia"}});
        return (400, error);
    };
    let host = request.header("host").unwrap_or("127.0.0.1");
    let info = MediaInfo::of(id, &media.mime, &media.bytes);
    let url = format!("http://{host}{DOWNLOAD_PATH}?mid={id}&ext=1&hash=ARb");
    (
        200,
        json!({"messaging_product": "whatsapp", "url": url, "mime_type": info.mime_type,
            "sha256": info.sha256_hex, "file_size": info.file_size, "id": id}),
    )
}

fn token_error() -> Value {
    json!({"error": {"message": "Error validating access token", "type": "OAuthException",
        "code": 190, "fbtrace_id": "AEmuMedia"}})
}

fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn write_bytes(out: &mut TcpStream, media: &StoredMedia) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
        media.mime,
        media.bytes.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(&media.bytes)?;
    out.flush()
}
