//! The OpenAI audio transcription endpoint, `POST /v1/audio/transcriptions`: a
//! `multipart/form-data` body (parts `file`, `model`, `response_format`, optional `language`)
//! parsed for real (boundary from the `content-type`, each part's `content-disposition` name and
//! file name, its `content-type`, its bytes up to the next delimiter), recorded for tests and
//! answered `{"text": ...}` (a queued transcript, else a default), as OpenAI answers
//! `response_format=json`. Also files hosted for download tests (`GET` of a hosted path answers
//! its bytes), standing in for a platform's media URL.

use std::net::TcpStream;

use serde_json::json;

use super::connection::{write_status, Request};
use super::{lock, Shared};

/// The transcript given when none is queued.
pub const DEFAULT_TRANSCRIPT: &str = "this is the emulator's transcript";

/// One transcription request as the emulator parsed it.
#[derive(Debug, Clone, Default)]
pub struct Transcription {
    pub file: Vec<u8>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub model: Option<String>,
    pub response_format: Option<String>,
    pub language: Option<String>,
    pub authorization: Option<String>,
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body with `boundary`; `None` when it is malformed.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = &body[find(body, &delimiter)? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after_head = &rest[head_end + 4..];
        let mut next = b"\r\n".to_vec();
        next.extend_from_slice(&delimiter);
        let data_end = find(after_head, &next)?;
        let mut part = Part {
            name: String::new(),
            file_name: None,
            content_type: None,
            data: after_head[..data_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':')?;
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    part.name = parameter(value, "name")?;
                    part.file_name = parameter(value, "filename");
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
        rest = &after_head[data_end + next.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `name="value"` from a header's parameters.
fn parameter(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|piece| {
        let (key, value) = piece.trim().split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"').to_string())
    })
}

/// Answers a transcription request; 400 in OpenAI's shape when the body is not what the API
/// takes.
pub(super) fn answer(
    shared: &Shared,
    request: &Request,
    out: &mut TcpStream,
) -> std::io::Result<bool> {
    let content_type = request.header("content-type").unwrap_or("");
    let boundary = content_type.split(';').find_map(|p| {
        p.trim()
            .strip_prefix("boundary=")
            .map(|b| b.trim_matches('"').to_string())
    });
    let parts = boundary.and_then(|b| parse_multipart(&request.body, &b));
    let Some(parts) = parts else {
        return refuse(out, "Could not parse multipart form");
    };
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
    };
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return refuse(out, "you must provide a file");
    };
    let Some(model) = text("model") else {
        return refuse(out, "you must provide a model parameter");
    };
    lock(&shared.transcriptions).push(Transcription {
        file: file.data.clone(),
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        model: Some(model),
        response_format: text("response_format"),
        language: text("language"),
        authorization: request.header("authorization").map(str::to_string),
    });
    let transcript = lock(&shared.transcripts)
        .pop_front()
        .unwrap_or_else(|| DEFAULT_TRANSCRIPT.to_string());
    write_status(out, 200, &json!({ "text": transcript }).to_string(), None).map(|()| true)
}

fn refuse(out: &mut TcpStream, message: &str) -> std::io::Result<bool> {
    let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}});
    write_status(out, 400, &body.to_string(), None).map(|()| true)
}

/// Answers `GET` of a hosted file with its bytes and type.
pub(super) fn serve_file(out: &mut TcpStream, bytes: &[u8], mime: &str) -> std::io::Result<bool> {
    use std::io::Write;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {mime}\r\ncontent-length: {}\r\n\r\n",
        bytes.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(bytes)?;
    out.flush()?;
    Ok(true)
}
