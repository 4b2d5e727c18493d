//! What a channel message brings to its turn beyond its text: references to media (a photo, a
//! voice note, a document) that the run fetches, and where the message came from.
//!
//! The types live here, in the sessions, because three layers share them: the channels journal
//! the references ([`MediaRef`], inside their records), the session actors carry them into the
//! [`super::Turn`] untouched, and the agent's run downloads and prepares them (image parts,
//! transcripts, extracted text). A platform's way of turning a reference into a download is the
//! channel's ([`MediaSource`], implemented by each channel's client and handed over with the
//! turn), so the agent below the channels never names one.
//!
//! The download happens in the run, not in the webhook handler: the webhook answers at once, the
//! journal keeps the reference, and a crash mid-download only means the replayed turn downloads
//! again.
//!
//! The other direction, a file the agent sends to a chat ([`OutboundFile`], through a
//! [`ChatSender`]), is here for the same reason: the agent's `message` tool sits below the
//! channels that deliver it, so the channels hand the engine a [`ChatSender`] at construction.

use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// What kind of media a message carries, as the gateway treats it (each platform's names map
/// onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    /// A recorded voice note (WhatsApp `audio` with `voice: true`, Telegram `voice`).
    Voice,
    /// An audio file.
    Audio,
    Video,
    Document,
    Sticker,
}

impl MediaKind {
    /// Its name in config keys (`media.maxBytes.image`) and logs.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Voice => "voice",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A platform's reference to one file of a message: enough to fetch it later (WhatsApp's media
/// id, Telegram's `file_id`) and to describe it without fetching it. Journaled as JSON inside
/// the record, so fields may be added (with defaults) without a new journal format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub kind: MediaKind,
    /// The platform's id of the file.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Hex (or base64, as the platform gives it) SHA-256 of the file, checked after download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The file's name, for documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Its size in bytes, when the platform says it up front.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its length in seconds (voice, audio, video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<u32>,
    /// Width and height in pixels (images, video, stickers), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<(u32, u32)>,
    /// An animated sticker or a GIF-like video.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub animated: bool,
}

/// Where a reference's bytes can be downloaded, as the platform's API answered.
#[derive(Clone, PartialEq, Eq)]
pub struct Located {
    pub url: String,
    /// A bearer token the download needs (WhatsApp's media URLs do; Telegram's file URL holds
    /// the bot token in its path instead).
    pub bearer: Option<String>,
    /// What the platform says of the file now (its lookup may know more than the webhook did).
    pub mime: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

impl fmt::Debug for Located {
    /// Neither the URL (Telegram's holds the bot token) nor the bearer token is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Located")
            .field("url", &"***")
            .field("bearer", &self.bearer.as_ref().map(|_| "***"))
            .field("mime", &self.mime)
            .field("sha256", &self.sha256)
            .field("size", &self.size)
            .finish()
    }
}

/// Why a reference could not be turned into a download.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The platform does not know the file (expired, deleted): fetching again will not help.
    #[error("the platform no longer has this file: {0}")]
    Gone(String),
    /// The platform refused or failed for a passing reason: a later attempt may succeed.
    #[error("the platform could not give the file now: {0}")]
    Unavailable(String),
    /// The file is larger than the limit for its kind.
    #[error("the file is {size} bytes, over the {limit}-byte limit for {kind} files")]
    TooLarge {
        kind: MediaKind,
        size: u64,
        limit: u64,
    },
    /// The file's type is not accepted for its kind.
    #[error("{0} files are not accepted")]
    Refused(String),
    /// The downloaded bytes do not match the platform's SHA-256.
    #[error("the downloaded file does not match its SHA-256")]
    Corrupt,
}

/// A platform's way of finding a media reference's bytes (WhatsApp `GET /{media-id}`, Telegram
/// `getFile`). Implemented by each channel's client; the run downloads what it locates.
pub trait MediaSource: Send + Sync + 'static {
    fn locate(&self, media: &MediaRef) -> BoxFuture<'static, Result<Located, MediaError>>;
}

/// A channel message's turn inputs beyond its text, carried in [`super::TurnRequest::inbound`].
#[derive(Clone)]
pub struct Inbound {
    /// The channel it came through (`whatsapp`) and the chat the answer goes to: the `message`
    /// tool's "this chat".
    pub channel: String,
    pub chat: String,
    /// The platform's id of the message.
    pub platform_id: String,
    /// Its files, to fetch in the run.
    pub media: Vec<MediaRef>,
    /// How to fetch them.
    pub source: Option<Arc<dyn MediaSource>>,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("channel", &self.channel)
            .field("chat", &self.chat)
            .field("platform_id", &self.platform_id)
            .field("media", &self.media)
            .field("source", &self.source.as_ref().map(|_| "MediaSource"))
            .finish()
    }
}

/// A file to send, already read and checked by the caller (the `message` tool applies the file
/// tools' policy and sandbox rules before it gets here).
#[derive(Debug, Clone)]
pub struct OutboundFile {
    /// How the platform should present it (photo, voice note, document, ...).
    pub kind: MediaKind,
    pub bytes: bytes::Bytes,
    pub file_name: String,
    pub mime: String,
    pub caption: Option<String>,
}

/// Why a chat send failed, as the agent's tools report it to the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No running channel has that name.
    #[error("no channel {0:?} is running")]
    NoChannel(String),
    /// The platform refused or failed.
    #[error("{0}")]
    Failed(String),
}

/// The channels as the agent's `message` tool sees them: send a text or a file to a chat of a
/// running channel. Implemented by the channels' hub, which the engine is handed at construction.
pub trait ChatSender: Send + Sync + 'static {
    fn send_text(
        &self,
        channel: &str,
        to: &str,
        text: String,
    ) -> BoxFuture<'static, Result<(), SendError>>;
    fn send_file(
        &self,
        channel: &str,
        to: &str,
        file: OutboundFile,
    ) -> BoxFuture<'static, Result<(), SendError>>;
}
