//! Sending a file on Telegram: one multipart Bot API call per kind, the file in the field named
//! after it (`sendPhoto` `photo`, `sendDocument` `document`, `sendVoice` `voice` for OGG/Opus
//! voice notes, `sendAudio` `audio`, `sendVideo` `video`, `sendSticker` `sticker`), with
//! `chat_id` and `caption`. Stickers take no caption: it follows as a text message. Errors map
//! as `sendMessage`'s do ([`super::api::classify`]: 429 waits `retry_after`).

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;

use super::api::{classify, read_envelope, BotClient};
use crate::channels::transport::{OutboundFile, SendFailure, Transport};
use crate::sessions::media::MediaKind;

const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The Bot API method for a kind and the name of its file field.
pub(crate) fn method_of(kind: MediaKind) -> (&'static str, &'static str) {
    match kind {
        MediaKind::Image => ("sendPhoto", "photo"),
        MediaKind::Voice => ("sendVoice", "voice"),
        MediaKind::Audio => ("sendAudio", "audio"),
        MediaKind::Video => ("sendVideo", "video"),
        MediaKind::Document => ("sendDocument", "document"),
        MediaKind::Sticker => ("sendSticker", "sticker"),
    }
}

/// Sends `file` to chat `to`.
pub(super) fn send_file(
    client: &BotClient,
    to: &str,
    file: OutboundFile,
) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
    let (method, field) = method_of(file.kind);
    let part = match crate::channels::transport::file_part(&file) {
        Ok(part) => part,
        Err(failure) => return async move { Err(failure) }.boxed_local(),
    };
    let caption = file.caption.clone().filter(|c| !c.trim().is_empty());
    let mut form = reqwest::multipart::Form::new().text("chat_id", to.to_string());
    let caption_apart = match caption {
        Some(caption) if file.kind != MediaKind::Sticker => {
            form = form.text("caption", caption);
            None
        }
        other => other,
    };
    let form = form.part(field, part);
    let call = read_envelope(client.request(method, UPLOAD_TIMEOUT).multipart(form));
    let client = client.clone();
    let to = to.to_string();
    async move {
        call.await.map_err(classify)?;
        if let Some(caption) = caption_apart {
            client.send_text(&to, &caption, None, None).await?;
        }
        Ok(())
    }
    .boxed_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_method() {
        assert_eq!(method_of(MediaKind::Image), ("sendPhoto", "photo"));
        assert_eq!(method_of(MediaKind::Voice), ("sendVoice", "voice"));
        assert_eq!(method_of(MediaKind::Document), ("sendDocument", "document"));
        assert_eq!(method_of(MediaKind::Audio).0, "sendAudio");
        assert_eq!(method_of(MediaKind::Video).0, "sendVideo");
    }
}
