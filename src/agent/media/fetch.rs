//! Downloading one media reference and keeping it under `<state>/media/`.
//!
//! The size limit of the reference's kind is applied three times: to the size the webhook
//! declared, to the size the platform's lookup gives, and while streaming (the download stops
//! the moment it passes the limit, whatever the server said). The file is checked against the
//! platform's SHA-256 (hex or base64, as WhatsApp and others give it), then written atomically
//! (temp file, rename) with mode 0600 in a 0700 folder, named after its own SHA-256 and an
//! extension derived from its MIME type: never from a name that came from outside.

use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine as _;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::config::MediaConfig;
use crate::sessions::media::{MediaError, MediaKind, MediaRef, MediaSource};

/// A downloaded, checked and stored file.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub mime: String,
    pub millis: u64,
}

/// Why a fetch failed, for the model's note and the run's retry decision.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The download failed for a network reason or a 5xx: a later attempt may succeed.
    #[error("the download failed: {0}")]
    Network(String),
    /// The server refused it (a 4xx): trying again will not help.
    #[error("the download was refused: HTTP {0}")]
    Refused(u16),
    #[error("the file could not be stored: {0}")]
    Store(String),
}

impl FetchError {
    /// Whether the run should retry the turn rather than tell the model.
    pub(crate) fn is_passing(&self) -> bool {
        matches!(
            self,
            FetchError::Network(_) | FetchError::Media(MediaError::Unavailable(_))
        )
    }
}

/// The size limit for `kind`.
pub(crate) fn limit_of(config: &MediaConfig, kind: MediaKind) -> u64 {
    let limits = &config.max_bytes;
    match kind {
        MediaKind::Image => limits.image,
        MediaKind::Voice => limits.voice,
        MediaKind::Audio => limits.audio,
        MediaKind::Video => limits.video,
        MediaKind::Document => limits.document,
        MediaKind::Sticker => limits.sticker,
    }
}

/// Refuses a size over the kind's limit.
pub(crate) fn check_size(
    config: &MediaConfig,
    kind: MediaKind,
    size: u64,
) -> Result<(), MediaError> {
    let limit = limit_of(config, kind);
    if size > limit {
        return Err(MediaError::TooLarge { kind, size, limit });
    }
    Ok(())
}

/// Refuses a MIME type `media.accept.<kind>` does not list (a kind not listed accepts all).
pub(crate) fn check_type(
    config: &MediaConfig,
    kind: MediaKind,
    mime: &str,
) -> Result<(), MediaError> {
    let Some(accepted) = config.accept.get(kind.name()) else {
        return Ok(());
    };
    let mime = super::essence(mime);
    let matches = accepted.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.strip_suffix("/*") {
            Some(family) => mime.split('/').next() == Some(family),
            None => pattern == mime,
        }
    });
    if matches {
        Ok(())
    } else {
        Err(MediaError::Refused(format!("{kind} {mime}")))
    }
}

/// Downloads `media` through `source` with `http`, checks it and stores it in `dir`.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    config: &MediaConfig,
    dir: &Path,
    source: &dyn MediaSource,
    media: &MediaRef,
) -> Result<Fetched, FetchError> {
    let started = Instant::now();
    if let Some(size) = media.size {
        check_size(config, media.kind, size)?;
    }
    let located = source.locate(media).await?;
    if let Some(size) = located.size {
        check_size(config, media.kind, size)?;
    }
    let mime = located
        .mime
        .clone()
        .or_else(|| media.mime.clone())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    check_type(config, media.kind, &mime)?;
    let mut request = http.get(&located.url);
    if let Some(token) = &located.bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| FetchError::Network(crate::net::http::error_chain(&e)))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(FetchError::Network(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(FetchError::Refused(status.as_u16()));
    }
    let limit = limit_of(config, media.kind);
    if let Some(size) = response.content_length() {
        check_size(config, media.kind, size)?;
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| FetchError::Network(crate::net::http::error_chain(&e)))?;
        let size = (bytes.len() + chunk.len()) as u64;
        if size > limit {
            return Err(MediaError::TooLarge {
                kind: media.kind,
                size,
                limit,
            }
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let digest = Sha256::digest(&bytes);
    let expected = located.sha256.as_deref().or(media.sha256.as_deref());
    if let Some(expected) = expected {
        if !digest_matches(&digest, expected) {
            return Err(MediaError::Corrupt.into());
        }
    }
    let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{sha256}.{}", extension_of(&mime)));
    let storing = (path.clone(), bytes.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || store(&storing.2, &storing.0, &storing.1))
        .await
        .map_err(|e| FetchError::Store(e.to_string()))?
        .map_err(|e| FetchError::Store(e.to_string()))?;
    Ok(Fetched {
        path,
        bytes,
        mime,
        millis: started.elapsed().as_millis() as u64,
    })
}

/// Writes the file privately and atomically; the same content is already there when its name
/// exists (the name is its hash), so it is not written twice.
fn store(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::fsutil::create_private_dir(dir)?;
    if path.is_file() {
        return Ok(());
    }
    crate::fsutil::write_private(path, bytes)
}

/// Whether `digest` is `expected`, written in hex or in base64 (standard or URL-safe).
pub(crate) fn digest_matches(digest: &[u8], expected: &str) -> bool {
    let expected = expected.trim();
    if expected.len() == 64 && expected.chars().all(|c| c.is_ascii_hexdigit()) {
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        return hex.eq_ignore_ascii_case(expected);
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    engines.iter().any(|engine| {
        engine
            .decode(expected)
            .is_ok_and(|decoded| decoded.as_slice() == digest)
    })
}

/// A short, safe file extension for `mime` (`jpg`, `ogg`, `pdf`; `bin` for anything unknown).
pub(crate) fn extension_of(mime: &str) -> &'static str {
    let mime = super::essence(mime);
    match mime.as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "text/markdown" => "md",
        "text/csv" => "csv",
        "application/json" => "json",
        _ => "bin",
    }
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
