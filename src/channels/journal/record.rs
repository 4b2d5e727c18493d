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
    /// The channel's name (its plug-in's `labels().channel`, e.g. `whatsapp`). Kept as the plain
    /// string it has always been on disk, so journals written before any channel existed in code
    /// as a plug-in still read (`frame.rs` checks the bytes).
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

/// The content of an inbound message. `Unsupported` is what older versions journaled for kinds
/// they could not handle; new records use `Content` for every kind beyond a private text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageBody {
    Text(String),
    /// An image, voice note, sticker, ...: `kind` is the platform's name for it.
    Unsupported {
        kind: String,
    },
    /// Anything beyond a plain private text (media, reactions, edits, groups, ...), as JSON
    /// inside the frame (see [`super::content`]).
    Content(#[serde(with = "super::content::as_json")] Box<super::content::Content>),
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
    /// The compact form of `Seen` (what compaction writes now): the message's [`DedupKey`].
    SeenDigest { key: [u8; 16], at_ms: u64 },
}

/// The dedup key of a message: the first 128 bits of the SHA-256 of (channel, account, platform
/// id), each length-prefixed. Sixteen bytes instead of three strings: the dedup set holds every
/// message of the last 24 hours, and a busy channel's wamids alone are ~60 bytes each. At 128
/// bits, a collision (which would drop a message as a duplicate) is out of reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct DedupKey(pub [u8; 16]);

impl DedupKey {
    pub(super) fn of(record: &InboundRecord) -> Self {
        DedupKey::from_parts(&record.channel, &record.account, &record.platform_id)
    }

    pub(super) fn from_parts(channel: &str, account: &str, platform_id: &str) -> Self {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [channel, account, platform_id] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        DedupKey(key)
    }
}

#[cfg(test)]
mod tests {
    use super::super::state::State;
    use super::*;

    #[test]
    fn the_key_separates_its_parts_and_old_tombstones_replay_to_it() {
        assert_ne!(
            DedupKey::from_parts("whatsapp", "ab", "c"),
            DedupKey::from_parts("whatsapp", "a", "bc"),
            "length prefixes keep the parts apart"
        );
        // A journal compacted by an older version holds `Seen` with the three strings.
        let mut state = State::default();
        state.replay(
            JournalRecord::Seen {
                channel: "whatsapp".into(),
                account: "106540352242922".into(),
                platform_id: "wamid.OLD".into(),
                at_ms: 1_000,
            },
            40,
        );
        state.replay(
            JournalRecord::SeenDigest {
                key: DedupKey::from_parts("telegram", "42", "7").0,
                at_ms: 1_000,
            },
            30,
        );
        let old = DedupKey::from_parts("whatsapp", "106540352242922", "wamid.OLD");
        assert!(state.is_duplicate(&old, 2_000, 10_000));
        assert!(state.is_duplicate(&DedupKey::from_parts("telegram", "42", "7"), 2_000, 10_000));
        assert!(!state.is_duplicate(&DedupKey::from_parts("telegram", "42", "8"), 2_000, 10_000));
    }
}
