//! What a file sent to a chat is: its kind and MIME type from its name, and the largest file of
//! each kind the gateway sends. Shared by the agent's `message` tool and `pincer message send
//! --file` (above the channels), and checked before a byte is uploaded, so both refuse the same
//! files with the same words.
//!
//! The limits are the smaller of WhatsApp's and Telegram's documented ones (WhatsApp: images
//! 5 MB, audio and video 16 MB, stickers 500 KB; Telegram bots: photos 10 MB, other files 50 MB),
//! and documents are held to 16 MiB so that a send never holds more than that in memory.

use super::media::MediaKind;

/// The largest file of `kind` the gateway sends, in bytes.
pub fn max_bytes(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Image => 5 * 1024 * 1024,
        MediaKind::Voice | MediaKind::Audio | MediaKind::Video | MediaKind::Document => {
            16 * 1024 * 1024
        }
        MediaKind::Sticker => 500 * 1024,
    }
}

/// The largest file of any kind (the HTTP body limit of the operator's file send).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The kind and MIME type of a file called `name` (by its extension, case-insensitive);
/// `voice` asks for a voice note where the format allows one (OGG/Opus). Unknown extensions are
/// documents (`application/octet-stream`).
pub fn classify(name: &str, voice: bool) -> (MediaKind, &'static str) {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let (kind, mime) = match extension.as_str() {
        "jpg" | "jpeg" => (MediaKind::Image, "image/jpeg"),
        "png" => (MediaKind::Image, "image/png"),
        "webp" => (MediaKind::Sticker, "image/webp"),
        "gif" => (MediaKind::Document, "image/gif"),
        "ogg" | "opus" | "oga" => (MediaKind::Audio, "audio/ogg"),
        "mp3" => (MediaKind::Audio, "audio/mpeg"),
        "m4a" => (MediaKind::Audio, "audio/mp4"),
        "aac" => (MediaKind::Audio, "audio/aac"),
        "amr" => (MediaKind::Audio, "audio/amr"),
        "mp4" => (MediaKind::Video, "video/mp4"),
        "3gp" => (MediaKind::Video, "video/3gpp"),
        "pdf" => (MediaKind::Document, "application/pdf"),
        "txt" | "log" => (MediaKind::Document, "text/plain"),
        "md" => (MediaKind::Document, "text/markdown"),
        "csv" => (MediaKind::Document, "text/csv"),
        "json" => (MediaKind::Document, "application/json"),
        "doc" => (MediaKind::Document, "application/msword"),
        "docx" => (
            MediaKind::Document,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xls" => (MediaKind::Document, "application/vnd.ms-excel"),
        "xlsx" => (
            MediaKind::Document,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "pptx" => (
            MediaKind::Document,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        "zip" => (MediaKind::Document, "application/zip"),
        _ => (MediaKind::Document, "application/octet-stream"),
    };
    if voice && mime == "audio/ogg" {
        return (MediaKind::Voice, mime);
    }
    (kind, mime)
}

/// Why a file of `size` bytes cannot go as `kind`, if it cannot.
pub fn too_large(kind: MediaKind, size: u64) -> Option<String> {
    let limit = max_bytes(kind);
    (size > limit)
        .then(|| format!("the file is {size} bytes, over the {limit}-byte limit for {kind} files"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_extension() {
        assert_eq!(
            classify("report.PDF", false),
            (MediaKind::Document, "application/pdf")
        );
        assert_eq!(classify("a/b/photo.jpeg", false).0, MediaKind::Image);
        assert_eq!(classify("note.ogg", false).0, MediaKind::Audio);
        assert_eq!(classify("note.opus", true), (MediaKind::Voice, "audio/ogg"));
        assert_eq!(classify("song.mp3", true).0, MediaKind::Audio, "not Opus");
        assert_eq!(classify("clip.mp4", false).0, MediaKind::Video);
        assert_eq!(classify("s.webp", false).0, MediaKind::Sticker);
        assert_eq!(
            classify("Makefile", false),
            (MediaKind::Document, "application/octet-stream")
        );
    }

    #[test]
    fn limits_are_per_kind() {
        assert!(too_large(MediaKind::Image, 5 * 1024 * 1024).is_none());
        let why = too_large(MediaKind::Image, 5 * 1024 * 1024 + 1).unwrap();
        assert!(why.contains("image"), "{why}");
        assert!(too_large(MediaKind::Document, 6 * 1024 * 1024).is_none());
        assert!(too_large(MediaKind::Sticker, 600 * 1024).is_some());
        for kind in [
            MediaKind::Image,
            MediaKind::Voice,
            MediaKind::Audio,
            MediaKind::Video,
            MediaKind::Document,
            MediaKind::Sticker,
        ] {
            assert!(max_bytes(kind) <= MAX_FILE_BYTES, "{kind}");
        }
    }
}
