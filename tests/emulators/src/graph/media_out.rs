//! Outbound media on the Graph emulator: `POST /{version}/{phone_number_id}/media` (multipart:
//! `messaging_product=whatsapp`, `type` = the MIME type, `file`), answered `{"id": ...}` with the
//! file recorded; and `messages` of `type` image, document, audio, video or sticker naming an
//! uploaded `id` (or a `link`), recorded. Refused as the Cloud API refuses: a missing field, a
//! MIME type it does not take for the kind, a file over the kind's limit, a caption on audio or
//! a sticker, an unknown media id.

use serde_json::{json, Value};

use super::super::connection::Request;
use super::super::multipart;
use super::{Shared, State};

/// A file uploaded to `/media`.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The id the emulator answered.
    pub id: String,
    /// The `type` field (the MIME type the sender declared).
    pub mime: String,
    /// The file part's filename and Content-Type.
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A media message the emulator accepted.
#[derive(Debug, Clone)]
pub struct MediaSent {
    pub to: String,
    /// `image`, `document`, `audio`, `video` or `sticker`.
    pub kind: String,
    /// The uploaded media id it names.
    pub media_id: String,
    pub caption: Option<String>,
    pub filename: Option<String>,
    /// The `wamid.EMU<n>` id the emulator answered with.
    pub id: String,
}

/// The kind's accepted MIME types and largest file (Meta's "Supported media types").
fn accepted(kind: &str) -> Option<(&'static [&'static str], usize)> {
    const MB: usize = 1024 * 1024;
    Some(match kind {
        "image" => (&["image/jpeg", "image/png"], 5 * MB),
        "audio" => (
            &[
                "audio/aac",
                "audio/amr",
                "audio/mpeg",
                "audio/mp4",
                "audio/ogg",
            ],
            16 * MB,
        ),
        "video" => (&["video/mp4", "video/3gpp"], 16 * MB),
        "sticker" => (&["image/webp"], 500 * 1024),
        "document" => (&[], 100 * MB),
        _ => return None,
    })
}

/// The kind a MIME type is uploaded as, for the size check.
fn kind_of_mime(mime: &str) -> &'static str {
    ["image", "audio", "video", "sticker"]
        .into_iter()
        .find(|kind| accepted(kind).is_some_and(|(mimes, _)| mimes.contains(&mime)))
        .map_or("document", |kind| {
            if mime == "image/webp" {
                "sticker"
            } else {
                kind
            }
        })
}

/// Answers `POST /media`: `Ok(body)` or `Err(details)` for a `#100` refusal.
pub(super) fn upload(
    shared: &Shared,
    state: &mut State,
    request: &Request,
) -> Result<Value, String> {
    let content_type = request.header("content-type").unwrap_or_default();
    let parts = multipart::parse(content_type, &request.body)
        .ok_or("The request body is not multipart/form-data.")?;
    if multipart::text(&parts, "messaging_product") != Some("whatsapp") {
        return Err("The parameter messaging_product is required.".into());
    }
    let mime = multipart::text(&parts, "type")
        .ok_or("The parameter type is required.")?
        .to_string();
    let file = parts
        .iter()
        .find(|part| part.name == "file" && part.file_name.is_some())
        .ok_or("The parameter file is required.")?;
    let kind = kind_of_mime(&mime);
    let (_, limit) = accepted(kind).unwrap_or((&[], 0));
    if file.data.len() > limit {
        return Err(format!("The {kind} file is over the {limit}-byte limit."));
    }
    state.next_media += 1;
    let id = format!("{}", 4_490_000_000_000_000u64 + state.next_media);
    state.uploads.push(Upload {
        id: id.clone(),
        mime,
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        bytes: file.data.clone(),
    });
    shared.changed.notify_all();
    Ok(json!({ "id": id }))
}

/// A `messages` body of a media type: `None` when it is not one; else what to record, or the
/// `details` of the refusal.
pub(super) fn message(state: &State, body: &Value) -> Option<Result<MediaSent, String>> {
    let kind = body["type"].as_str()?;
    let (mimes, _) = accepted(kind)?;
    Some((|| {
        let to = body["to"].as_str().filter(|to| !to.is_empty());
        let to = to.ok_or("The parameter to is required.")?.to_string();
        let media = &body[kind];
        let caption = media["caption"].as_str().map(str::to_string);
        if caption.is_some() && matches!(kind, "audio" | "sticker") {
            return Err(format!(
                "Param {kind}['caption'] is not allowed for {kind} messages."
            ));
        }
        let media_id = match (media["id"].as_str(), media["link"].as_str()) {
            (Some(id), _) => id.to_string(),
            (None, Some(link)) => link.to_string(),
            (None, None) => return Err(format!("The parameter {kind}['id'] is required.")),
        };
        if media["link"].is_null() {
            let upload = state.uploads.iter().find(|u| u.id == media_id);
            let upload = upload.ok_or_else(|| format!("Media id {media_id} was not found."))?;
            if !mimes.is_empty() && !mimes.contains(&upload.mime.as_str()) {
                return Err(format!("{} is not a supported {kind} type.", upload.mime));
            }
        }
        Ok(MediaSent {
            to,
            kind: kind.to_string(),
            media_id,
            caption,
            filename: media["filename"].as_str().map(str::to_string),
            id: String::new(),
        })
    })())
}
