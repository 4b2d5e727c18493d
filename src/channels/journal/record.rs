//! The journal's records: what a channel accepted ([`InboundRecord`]), how the journal hands it
//! back ([`Entry`]), and the private envelope ([`JournalRecord`]) that each frame on disk carries.
//!
//! The envelope is encoded with [`crate::codec`] (bincode through serde), whose wire format is the
//! serde layout: never reorder fields or variants here; add variants only at the end.

use serde::{Deserialize, Serialize};

/// What a channel accepted, platform-neutral: enough to run the turn and to send the reply after a
/// restart, without the platform's original payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundRecord {
    /// `"whatsapp"` or `"telegram"`.
    pub channel: String,
    /// The channel account: WhatsApp `phone_number_id`, Telegram bot id.
    pub account: String,
    /// The platform's id of the message (WhatsApp `wamid`, Telegram `update_id`): with `channel`
    /// and `account`, the key that recognises a redelivery.
    pub platform_id: String,
    /// Who sent it: WhatsApp `wa_id`, Telegram user id.
    pub sender: String,
    /// The sender's display name, when the platform gives one.
    pub sender_name: Option<String>,
    /// Where the reply goes: WhatsApp `wa_id`, Telegram chat id.
    pub chat: String,
    pub body: MessageBody,
    /// When the channel received it (Unix milliseconds).
    pub received_ms: u64,
}

/// The content of an inbound message. Kinds the gateway cannot handle are still journalled, so
/// that the sender gets a "not supported" reply exactly once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageBody {
    Text(String),
    /// An image, voice note, sticker, ...: `kind` is the platform's name for it.
    Unsupported {
        kind: String,
    },
}

/// An accepted record and the journal id that [`super::Journal::done`] takes once it is answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: u64,
    pub record: InboundRecord,
    /// A reply to it may have reached the platform ([`super::Journal::sending`] was called and no
    /// `done` followed): before sending again, the channel should look for the platform's proof.
    pub sending: bool,
}

/// The payload of one frame on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum JournalRecord {
    /// A message was accepted: it is pending until a `Done` with the same id.
    Accepted { id: u64, record: InboundRecord },
    /// The reply to entry `id` was handed to the channel at `at_ms`.
    Done { id: u64, at_ms: u64 },
    /// Dedup tombstone written by compaction for a done message that is still within the dedup
    /// window (`at_ms` is when it was done): redeliveries of it stay duplicates.
    Seen {
        channel: String,
        account: String,
        platform_id: String,
        at_ms: u64,
    },
    /// Written first by compaction: ids continue from here even if no `Accepted` record is left.
    IdFloor { next_id: u64 },
    /// A reply to entry `id` is about to be handed to the platform (written before the send).
    Sending { id: u64, at_ms: u64 },
}

/// The dedup key of a message: (channel, account, platform id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct DedupKey {
    pub channel: String,
    pub account: String,
    pub platform_id: String,
}

impl DedupKey {
    pub fn of(record: &InboundRecord) -> Self {
        DedupKey {
            channel: record.channel.clone(),
            account: record.account.clone(),
            platform_id: record.platform_id.clone(),
        }
    }
}
