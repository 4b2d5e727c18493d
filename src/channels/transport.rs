//! What a channel actor needs from a platform: send a text, mark a message read, and say how a
//! failure should be handled. WhatsApp and Telegram implement it over their HTTP APIs; the channel
//! actor ([`super::actor`]) owns everything platform-neutral (policy, retries, rate limits,
//! chunking, the journal).

use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use super::journal::Entry;
use crate::sessions::media::MediaSource;
pub(crate) use crate::sessions::media::OutboundFile;

/// How a failed send should be handled: the platform's error codes map onto these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The channel as a whole is throttled (or the platform hiccuped): pause every send, retry.
    RetryChannel {
        why: String,
        after: Option<Duration>,
    },
    /// Only this recipient is throttled: pause sends to them, retry.
    RetryRecipient {
        why: String,
        after: Option<Duration>,
    },
    /// Retrying cannot help (outside the 24-hour window, undeliverable, bad request): log it.
    Permanent { why: String },
    /// The credentials are refused: the channel is unhealthy until they are fixed; the message
    /// stays in the journal and is answered after a restart with a good token.
    Unhealthy { why: String },
}

impl SendFailure {
    /// The explanation, for logs and the actor status.
    pub fn why(&self) -> &str {
        match self {
            SendFailure::RetryChannel { why, .. }
            | SendFailure::RetryRecipient { why, .. }
            | SendFailure::Permanent { why }
            | SendFailure::Unhealthy { why } => why,
        }
    }
}

/// Names used in messages to senders ("Your WhatsApp number: ...").
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    /// `whatsapp`: the channel's config and CLI name.
    pub channel: &'static str,
    /// `WhatsApp`: how people call the platform.
    pub platform: &'static str,
    /// `number`: what a sender's id is.
    pub sender_id: &'static str,
}

/// One platform's outbound side.
pub trait Transport: Send + Sync + 'static {
    fn labels(&self) -> Labels;

    /// The account this transport speaks for (phone number id, bot id): journal entries of
    /// other accounts are not this actor's.
    fn account(&self) -> &str;

    /// Sends one message (already within the platform's length limit) to `to`, quoting
    /// `reply_to` (the platform id of the message being answered) when given. `tag` is an
    /// opaque string the platform echoes in its delivery statuses, where it has them.
    fn send_text(
        &self,
        to: &str,
        text: &str,
        reply_to: Option<&str>,
        tag: Option<&str>,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>>;

    /// Whether the platform reports delivery statuses carrying the send's `tag` (WhatsApp's
    /// `biz_opaque_callback_data`). Then a reply that may have gone out before a crash is not
    /// sent again until its status has had time to arrive.
    fn confirms_delivery(&self) -> bool {
        false
    }

    /// Sends a file (a photo, a document, a voice note) to `to`, with an optional caption: the
    /// `message` tool and `pincer message send --file`. A platform without file sends refuses.
    fn send_file(
        &self,
        to: &str,
        file: OutboundFile,
    ) -> LocalBoxFuture<'static, Result<(), SendFailure>> {
        let _ = (to, file);
        Box::pin(async {
            Err(SendFailure::Permanent {
                why: "this channel cannot send files".into(),
            })
        })
    }

    /// How the run fetches this platform's media references; `None`: it has none.
    fn media_source(&self) -> Option<std::sync::Arc<dyn MediaSource>> {
        None
    }

    /// Best effort: read receipts and a typing indicator while the agent works.
    fn mark_read(&self, entry: &Entry) -> LocalBoxFuture<'static, ()>;
}

/// The multipart part of a file send (both platforms upload files this way); a MIME type the
/// HTTP stack refuses is a permanent failure.
pub(crate) fn file_part(file: &OutboundFile) -> Result<reqwest::multipart::Part, SendFailure> {
    reqwest::multipart::Part::stream(file.bytes.clone())
        .file_name(file.file_name.clone())
        .mime_str(&file.mime)
        .map_err(|error| SendFailure::Permanent {
            why: format!("the MIME type {:?} is not valid: {error}", file.mime),
        })
}
