//! Turning a turn's media references into its user message: image parts, transcripts, document
//! text and notes, with the downloads and transcriptions timed for the run's trace.
//!
//! The message's text is one line (or block) per file, in the order the message had them, then
//! the message's own text (its caption):
//! - an image: an image part (no line);
//! - a voice note or audio: `[voice note, 12 s, transcribed]: <text>`;
//! - a document: `[document "report.pdf" (application/pdf, 120 KB), saved as inbox/report.pdf]`,
//!   followed by its text for text types;
//! - a video or a sticker: `[video, 12 s]`, `[sticker]` (not downloaded);
//! - whatever could not be read: `[image: could not be read: <why>]`.
//!
//! A passing failure (the platform or the network, a transcription server's 5xx) fails the
//! attempt so the run retries it; on the last attempt it becomes a note like any other.

use std::time::Instant;

use serde_json::{json, Value};

use super::documents::{is_text, sanitised_name, save_in_inbox, text_of};
use super::fetch::{extension_of, fetch, Fetched};
use super::transcribe::{transcribe, TranscribeError};
use crate::agent::call::StepError;
use crate::agent::Engine;
use crate::providers::{ChatMessage, ImagePart};
use crate::sessions::media::{Inbound, MediaKind, MediaRef};

/// Image types both model APIs take.
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The line appended to the answer the first time a chat sends audio that nobody transcribes.
pub(crate) const ENABLE_TRANSCRIPTION: &str = "(Voice notes are not transcribed yet. The operator can enable it by setting `media.transcription` in Pincer's config, e.g. `{provider: \"openai\", model: \"whisper-1\"}`.)";

/// A prepared user message and what preparing it took.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub message: ChatMessage,
    /// Download and transcription steps for the run's trace.
    pub trace: Vec<Value>,
    /// A line to append to the turn's answer (how to enable transcription), at most once per chat.
    pub notice: Option<String>,
}

/// Prepares the user message of `text` with `inbound`'s media for `session_key`'s turn.
/// `last_attempt`: passing failures become notes instead of failing the attempt.
pub(crate) async fn prepare(
    engine: &Engine,
    session_key: &str,
    text: &str,
    inbound: &Inbound,
    last_attempt: bool,
) -> Result<Prepared, StepError> {
    let mut lines = Vec::new();
    let mut images = Vec::new();
    let mut trace = Vec::new();
    let mut notice = None;
    for media in &inbound.media {
        let line = match media.kind {
            MediaKind::Video => Some(describe_video(media)),
            MediaKind::Sticker => Some(describe_sticker(media)),
            _ => {
                let fetched =
                    match download(engine, inbound, media, last_attempt, &mut trace).await? {
                        Ok(fetched) => fetched,
                        Err(why) => {
                            lines.push(format!("[{}: could not be read: {why}]", label(media)));
                            continue;
                        }
                    };
                match media.kind {
                    MediaKind::Image => image(&fetched, &mut images),
                    MediaKind::Voice | MediaKind::Audio => Some(
                        audio(
                            engine,
                            inbound,
                            media,
                            fetched,
                            last_attempt,
                            &mut trace,
                            &mut notice,
                        )
                        .await?,
                    ),
                    _ => Some(document(engine, session_key, media, &fetched).await),
                }
            }
        };
        lines.extend(line);
    }
    if !text.trim().is_empty() {
        lines.push(text.to_string());
    }
    Ok(Prepared {
        message: ChatMessage::User {
            content: lines.join("\n"),
            images,
        },
        trace,
        notice,
    })
}

/// Downloads `media`; `Ok(Err(why))` is a failure the model is told of.
async fn download(
    engine: &Engine,
    inbound: &Inbound,
    media: &MediaRef,
    last_attempt: bool,
    trace: &mut Vec<Value>,
) -> Result<Result<Fetched, String>, StepError> {
    let Some(source) = inbound.source.as_deref() else {
        return Ok(Err("the channel gave no way to fetch it".to_string()));
    };
    let http = match engine.catalog.http() {
        Ok(http) => http,
        Err(why) => return Ok(Err(why)),
    };
    let started = Instant::now();
    let stage = &engine.media;
    match fetch(&http, &stage.config, &stage.dir, source, media).await {
        Ok(fetched) => {
            trace.push(json!({
                "kind": "download", "media": media.kind.name(), "bytes": fetched.bytes.len(),
                "durationMs": fetched.millis,
            }));
            Ok(Ok(fetched))
        }
        Err(error) => {
            trace.push(json!({
                "kind": "download", "media": media.kind.name(), "bytes": 0,
                "durationMs": started.elapsed().as_millis() as u64, "error": error.to_string(),
            }));
            tracing::warn!(%error, kind = %media.kind, "a media download failed");
            if error.is_passing() && !last_attempt {
                return Err(StepError::Retryable(error.to_string()));
            }
            Ok(Err(error.to_string()))
        }
    }
}

fn image(fetched: &Fetched, images: &mut Vec<ImagePart>) -> Option<String> {
    let mime = fetched
        .mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&mime.as_str()) {
        return Some(format!(
            "[image: could not be read: {mime} images are not supported]"
        ));
    }
    images.push(ImagePart {
        media_type: mime,
        path: fetched.path.display().to_string(),
        data: None,
    });
    None
}

async fn audio(
    engine: &Engine,
    inbound: &Inbound,
    media: &MediaRef,
    fetched: Fetched,
    last_attempt: bool,
    trace: &mut Vec<Value>,
    notice: &mut Option<String>,
) -> Result<String, StepError> {
    let what = audio_label(media);
    let Some(config) = engine.media.config.transcription.as_ref() else {
        if first_telling(engine, inbound).await {
            *notice = Some(ENABLE_TRANSCRIPTION.to_string());
        }
        return Ok(format!(
            "[{what}: not transcribed, as no transcription service is configured]"
        ));
    };
    let file_name = sanitised_name(
        media.file_name.as_deref(),
        &format!("{}.{}", media.kind.name(), extension_of(&fetched.mime)),
    );
    let bytes = fetched.bytes.len();
    let started = Instant::now();
    match transcribe(
        &engine.catalog,
        config,
        fetched.bytes,
        file_name,
        &fetched.mime,
    )
    .await
    {
        Ok(transcript) => {
            trace.push(json!({
                "kind": "transcription", "media": media.kind.name(), "bytes": bytes,
                "durationMs": transcript.millis, "model": config.model,
            }));
            Ok(format!("[{what}, transcribed]: {}", transcript.text))
        }
        Err(error) => {
            trace.push(json!({
                "kind": "transcription", "media": media.kind.name(), "bytes": bytes,
                "durationMs": started.elapsed().as_millis() as u64, "error": error.to_string(),
                "model": config.model,
            }));
            tracing::warn!(%error, "a transcription failed");
            match error {
                TranscribeError::Passing(why) if !last_attempt => Err(StepError::Retryable(why)),
                error => Ok(format!("[{what}: could not be transcribed: {error}]")),
            }
        }
    }
}

/// Whether this chat is told about enabling transcription now: the first time only, remembered
/// by a marker file (see [`super::MediaStage::told_marker`]).
async fn first_telling(engine: &Engine, inbound: &Inbound) -> bool {
    let marker = engine.media.told_marker(&inbound.channel, &inbound.chat);
    tokio::task::spawn_blocking(move || {
        if marker.exists() {
            return false;
        }
        let made = marker
            .parent()
            .map(crate::fsutil::create_private_dir)
            .transpose()
            .and_then(|_| crate::fsutil::write_private(&marker, b""));
        if let Err(error) = made {
            tracing::warn!(%error, "cannot remember that a chat was told about transcription");
        }
        true
    })
    .await
    .unwrap_or(false)
}

async fn document(
    engine: &Engine,
    session_key: &str,
    media: &MediaRef,
    fetched: &Fetched,
) -> String {
    let name = sanitised_name(
        media.file_name.as_deref(),
        &format!("document.{}", extension_of(&fetched.mime)),
    );
    let shown_name = media
        .file_name
        .as_deref()
        .unwrap_or(&name)
        .replace('"', "'");
    let cx = engine.tools.context(session_key, None);
    let bytes = fetched.bytes.clone();
    let saving = name.clone();
    let saved = tokio::task::spawn_blocking(move || save_in_inbox(&cx, &saving, &bytes))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r);
    let size = human_size(fetched.bytes.len());
    let head = match &saved {
        Ok(path) => format!(
            "[document \"{shown_name}\" ({}, {size}), saved as {path}",
            fetched.mime
        ),
        Err(why) => format!(
            "[document \"{shown_name}\" ({}, {size}), not saved: {why}",
            fetched.mime
        ),
    };
    if is_text(&fetched.mime, &name) {
        match text_of(&fetched.bytes) {
            Some(text) => format!("{head}]:\n{text}"),
            None => format!("{head}; it is not UTF-8 text]"),
        }
    } else if saved.is_ok() {
        format!("{head}; its text is not extracted here: open the file from the workspace]")
    } else {
        format!("{head}]")
    }
}

fn describe_video(media: &MediaRef) -> String {
    match media.duration_s {
        Some(seconds) => format!("[video, {seconds} s]"),
        None => "[video]".to_string(),
    }
}

fn describe_sticker(media: &MediaRef) -> String {
    if media.animated {
        "[animated sticker]".to_string()
    } else {
        "[sticker]".to_string()
    }
}

fn label(media: &MediaRef) -> String {
    match media.kind {
        MediaKind::Voice | MediaKind::Audio => audio_label(media),
        MediaKind::Document => match &media.file_name {
            Some(name) => format!("document \"{}\"", name.replace('"', "'")),
            None => "document".to_string(),
        },
        kind => kind.name().to_string(),
    }
}

fn audio_label(media: &MediaRef) -> String {
    let what = if media.kind == MediaKind::Voice {
        "voice note"
    } else {
        "audio"
    };
    match media.duration_s {
        Some(seconds) => format!("{what}, {seconds} s"),
        None => what.to_string(),
    }
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}
