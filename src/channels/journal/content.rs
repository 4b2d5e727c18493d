//! The content of an inbound message beyond a plain private text: media, a reaction, an edit, a
//! deletion, a platform notice, a button press, and the group it was said in.
//!
//! It is journaled inside [`super::MessageBody::Content`] as a JSON string rather than in the
//! journal's positional bincode layout: this is the part of a record that grows as platforms add
//! message kinds, and JSON with defaulted fields lets it grow without a new variant each time
//! (bincode's layout is frozen once written). A plain private text, the hot path, stays
//! [`super::MessageBody::Text`] and pays nothing.

use serde::{Deserialize, Serialize};

pub use crate::sessions::media::{MediaKind, MediaRef};

/// What an inbound message is, beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub kind: ContentKind,
    /// The text the agent reads: the message's text or caption, a button's title, a location
    /// or contact card written out; empty when there is none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Files to fetch in the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaRef>,
    /// The group it was said in; `None` for a direct message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupContext>,
    /// The platform id of the message this one quotes or replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// A Telegram `callback_query` id, which the bot must answer (the button stops spinning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_id: Option<String>,
}

/// The kinds of inbound message, by what the gateway does with them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentKind {
    /// Something to answer: text, media, a location, contacts, a button or list reply.
    #[default]
    Message,
    /// A reaction to message `target`; `emoji` empty: the reaction was removed.
    Reaction { target: String, emoji: String },
    /// Message `target` was edited; [`Content::text`] is its new text.
    Edit { target: String },
    /// Message `target` was deleted by its sender.
    Delete { target: String },
    /// A platform notice (WhatsApp `system`: a number changed, ...): logged, not answered.
    System { what: String },
    /// A kind the gateway does not know: logged and counted, not answered.
    Unknown { kind: String },
}

/// Where in a group a message was said, and whether it was addressed to the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupContext {
    /// The platform's group id (WhatsApp `group_id`, Telegram chat id).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The message mentions the bot, replies to one of its messages, or is a command addressed
    /// to it: the groups' `requireMention` is met.
    #[serde(default)]
    pub addressed: bool,
}

impl Content {
    /// A message of `text` alone.
    pub fn text(text: impl Into<String>) -> Self {
        Content {
            text: text.into(),
            ..Content::default()
        }
    }
}

/// How [`Content`] travels inside the bincode frame: as its JSON text.
pub(super) mod as_json {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use super::Content;

    pub(crate) fn serialize<S: Serializer>(content: &Content, out: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(content).map_err(serde::ser::Error::custom)?;
        out.serialize_str(&json)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Box<Content>, D::Error> {
        let json = String::deserialize(input)?;
        serde_json::from_str(&json)
            .map(Box::new)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::journal::{InboundRecord, MessageBody};

    #[test]
    fn content_survives_the_journal_codec_and_old_fields_default() {
        let record = InboundRecord {
            channel: "whatsapp".into(),
            account: "1".into(),
            platform_id: "wamid.X".into(),
            sender: "15550001".into(),
            sender_name: None,
            chat: "15550001".into(),
            body: MessageBody::Content(Box::new(Content {
                kind: ContentKind::Reaction {
                    target: "wamid.Y".into(),
                    emoji: "👍".into(),
                },
                group: Some(GroupContext {
                    id: "g1".into(),
                    title: None,
                    addressed: false,
                }),
                ..Content::default()
            })),
            received_ms: 5,
        };
        let bytes = crate::codec::encode(&record).expect("encodes");
        let back: InboundRecord = crate::codec::decode(&bytes).expect("decodes");
        assert_eq!(back, record);
        let minimal: Content = serde_json::from_str("{}").expect("every field defaults");
        assert_eq!(minimal, Content::default());
    }
}
