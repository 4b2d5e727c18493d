//! Files in the Telegram emulator: a test registers bytes under a `file_id`
//! ([`BotApi::add_file`]), `getFile` answers a `File` object (`file_id`, `file_unique_id`,
//! `file_size`, `file_path`), and `GET /file/bot<TOKEN>/<file_path>` serves the bytes. Files over
//! the Bot API's 20 MB download limit answer `getFile` with "file is too big", as Telegram does.

use std::io::Write;
use std::net::TcpStream;

use serde_json::{json, Value};

use super::super::connection::Request;
use super::super::lock;
use super::{BotApi, Shared};

/// The largest file a bot may download.
const DOWNLOAD_LIMIT: usize = 20 * 1024 * 1024;

impl BotApi {
    /// Registers `bytes` as the file `file_id`; returns its `file_path` (`documents/file_N`).
    pub fn add_file(&self, file_id: &str, bytes: &[u8]) -> String {
        let mut state = lock(&self.shared.state);
        let path = format!("documents/file_{}", state.hosted.len());
        state
            .hosted
            .insert(file_id.to_string(), (path.clone(), bytes.to_vec()));
        path
    }

    /// The `file_path` of every download served, in order.
    pub fn downloads(&self) -> Vec<String> {
        lock(&self.shared.state).downloads.clone()
    }
}

/// `getFile`: the `File` object, or 400 for an unknown id or a file over 20 MB.
pub(super) fn get_file(shared: &Shared, file_id: Option<String>) -> Result<Value, (u16, String)> {
    let file_id = file_id.ok_or((400, "Bad Request: file_id is empty".to_string()))?;
    let state = lock(&shared.state);
    let (path, bytes) = state
        .hosted
        .get(&file_id)
        .ok_or((400, "Bad Request: invalid file_id".to_string()))?;
    if bytes.len() > DOWNLOAD_LIMIT {
        return Err((400, "Bad Request: file is too big".to_string()));
    }
    Ok(
        json!({"file_id": file_id, "file_unique_id": format!("u{}", path.len()),
        "file_size": bytes.len(), "file_path": path}),
    )
}

/// `GET /file/bot<TOKEN>/<file_path>`: the bytes, 404 for an unknown path, 401 for a wrong
/// token. Returns false when the route is not a file download.
pub(super) fn download(
    shared: &Shared,
    request: &Request,
    out: &mut TcpStream,
) -> std::io::Result<Option<bool>> {
    let Some(rest) = request.route().strip_prefix("/file/bot") else {
        return Ok(None);
    };
    let (status, body, kind) = match rest.split_once('/') {
        Some((token, path)) if token == shared.token => {
            let mut state = lock(&shared.state);
            let found = state
                .hosted
                .values()
                .find(|(p, _)| p == path)
                .map(|(_, bytes)| bytes.clone());
            match found {
                Some(bytes) => {
                    state.downloads.push(path.to_string());
                    shared.changed.notify_all();
                    (200, bytes, "application/octet-stream")
                }
                None => (
                    404,
                    br#"{"ok":false,"error_code":404,"description":"Not Found"}"#.to_vec(),
                    "application/json",
                ),
            }
        }
        _ => (
            401,
            br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#.to_vec(),
            "application/json",
        ),
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(&body)?;
    out.flush()?;
    Ok(Some(true))
}
