//! Sending a file on WhatsApp: the Cloud API's two steps. First `POST /{phone-number-id}/media`
//! (multipart: `messaging_product=whatsapp`, `type` = the MIME type, `file`) answers the media
//! `{id}`; then `POST /{phone-number-id}/messages` with `type: image|document|audio|video|sticker`
//! and that id. Captions are allowed on images, videos and documents only (and documents carry
//! their `filename`); a caption for audio or a sticker follows as a text message, so it is not
//! lost. Failures of either step map through [`super::client::classify`] like text sends.

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{classify, GraphClient};
use crate::channels::transport::{OutboundFile, SendFailure, Transport};
use crate::sessions::media::MediaKind;

const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Deserialize)]
struct Uploaded {
    id: String,
}

/// The Cloud API's message type for a kind (a voice note is an `audio` message of OGG/Opus).
pub(crate) fn message_type(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Voice | MediaKind::Audio => "audio",
        MediaKind::Video => "video",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

/// The `messages` body sending media `id` as `file` describes; and whether its caption must go
/// as a separate text (audio and stickers take none).
pub(crate) fn message_body(to: &str, id: &str, file: &OutboundFile) -> (Value, bool) {
    let kind = message_type(file.kind);
    let mut media = json!({ "id": id });
    let caption = file.caption.as_deref().filter(|c| !c.trim().is_empty());
    let captions = matches!(kind, "image" | "video" | "document");
    if let (Some(caption), true) = (caption, captions) {
        media["caption"] = json!(caption);
    }
    if kind == "document" {
        media["filename"] = json!(file.file_name);
    }
    let mut body = super::client::addressed(to);
    body["type"] = json!(kind);
    body[kind] = media;
    (body, caption.is_some() && !captions)
}

/// Uploads `file` and sends it to `to`.
pub(super) fn send_file(
    client: &GraphClient,
    to: &str,
    file: OutboundFile,
) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
    let (http, url, token) = client.upload_parts();
    let part = match crate::channels::transport::file_part(&file) {
        Ok(part) => part,
        Err(failure) => return async move { Err(failure) }.boxed_local(),
    };
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", file.mime.clone())
        .part("file", part);
    let upload = http
        .post(url)
        .bearer_auth(token.expose())
        .timeout(UPLOAD_TIMEOUT)
        .multipart(form);
    let client = client.clone();
    let to = to.to_string();
    async move {
        // Sent inside the future: reqwest's timeout needs the runtime that polls it.
        let response = upload.send().await.map_err(|e| SendFailure::RetryChannel {
            why: format!(
                "Graph API unreachable: {}",
                crate::net::http::error_chain(&e)
            ),
            after: None,
        })?;
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        if !status.is_success() {
            return Err(classify(status.as_u16(), &bytes));
        }
        let Uploaded { id } =
            serde_json::from_slice(&bytes).map_err(|e| SendFailure::Permanent {
                why: format!("the Graph API's media upload answer has no id: {e}"),
            })?;
        let (body, caption_apart) = message_body(&to, &id, &file);
        client.post(body).await?;
        if let (true, Some(caption)) = (caption_apart, file.caption.as_deref()) {
            client.send_text(&to, caption, None, None).await?;
        }
        Ok(())
    }
    .boxed_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(kind: MediaKind, caption: Option<&str>) -> OutboundFile {
        OutboundFile {
            kind,
            bytes: bytes::Bytes::from_static(b"x"),
            file_name: "report.pdf".into(),
            mime: "application/pdf".into(),
            caption: caption.map(str::to_string),
        }
    }

    #[test]
    fn bodies_follow_the_documented_shapes() {
        let (doc, apart) = message_body("1555", "M1", &file(MediaKind::Document, Some("Q3")));
        assert_eq!(
            doc,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "1555",
                "type": "document", "document": {"id": "M1", "caption": "Q3", "filename": "report.pdf"}})
        );
        assert!(!apart);
        let (image, _) = message_body("1555", "M2", &file(MediaKind::Image, None));
        assert_eq!(image["image"], json!({"id": "M2"}));
        let (voice, apart) = message_body("1555", "M3", &file(MediaKind::Voice, Some("listen")));
        assert_eq!(voice["type"], "audio");
        assert_eq!(voice["audio"], json!({"id": "M3"}), "audio takes no caption");
        assert!(apart, "the caption follows as a text");
        let (sticker, _) = message_body("1555", "M4", &file(MediaKind::Sticker, None));
        assert_eq!(sticker["sticker"], json!({"id": "M4"}));
    }
}
