//! The Bot API objects an update carries (`Message`, `User`, `Chat`, the media objects,
//! `MessageEntity`, `CallbackQuery`, `MessageReactionUpdated`), as far as the gateway reads
//! them. Field names are Telegram's; every field the gateway can do without is optional, so
//! that an object Telegram grows (or trims) still parses. [`super::update`] walks them.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub(super) struct User {
    pub id: i64,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Chat {
    pub id: i64,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// A `MessageEntity`: `offset` and `length` count UTF-16 code units.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Entity {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub length: i64,
    /// For `text_mention`: the user mentioned (who has no username).
    #[serde(default)]
    pub user: Option<User>,
}

/// The fields common to `PhotoSize`, `Voice`, `Audio`, `Document`, `Video`, `VideoNote`,
/// `Animation` and `Sticker`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct File {
    pub file_id: String,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    /// `VideoNote`: the side of its square.
    #[serde(default)]
    pub length: Option<u32>,
    /// `Audio`.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub performer: Option<String>,
    /// `Sticker`.
    #[serde(default)]
    pub emoji: Option<String>,
    #[serde(default)]
    pub is_animated: bool,
    #[serde(default)]
    pub is_video: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub horizontal_accuracy: Option<f64>,
    /// Set for a live location (seconds it is shared for).
    #[serde(default)]
    pub live_period: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Venue {
    pub location: Location,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub address: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Contact {
    #[serde(default)]
    pub phone_number: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub vcard: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct PollOption {
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Poll {
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub options: Vec<PollOption>,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub is_closed: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Dice {
    #[serde(default)]
    pub emoji: String,
    #[serde(default)]
    pub value: i64,
}

/// The message a reply quotes: only who wrote it and its id matter.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Quoted {
    pub message_id: i64,
    #[serde(default)]
    pub from: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Button {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub callback_data: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Markup {
    #[serde(default)]
    pub inline_keyboard: Vec<Vec<Button>>,
}

/// A `Message` (also an edited one, and the message of a callback query, which may be an
/// `InaccessibleMessage` with only `chat`, `message_id` and `date: 0`).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Message {
    pub message_id: i64,
    #[serde(default)]
    pub from: Option<User>,
    /// Anonymous group admins and channels write as a chat.
    #[serde(default)]
    pub sender_chat: Option<Chat>,
    pub chat: Chat,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub caption_entities: Vec<Entity>,
    #[serde(default)]
    pub reply_to_message: Option<Box<Quoted>>,
    #[serde(default)]
    pub photo: Vec<File>,
    #[serde(default)]
    pub voice: Option<File>,
    #[serde(default)]
    pub audio: Option<File>,
    #[serde(default)]
    pub document: Option<File>,
    #[serde(default)]
    pub video: Option<File>,
    #[serde(default)]
    pub video_note: Option<File>,
    #[serde(default)]
    pub animation: Option<File>,
    #[serde(default)]
    pub sticker: Option<File>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub venue: Option<Venue>,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub poll: Option<Poll>,
    #[serde(default)]
    pub dice: Option<Dice>,
    #[serde(default)]
    pub reply_markup: Option<Markup>,
    #[serde(default)]
    pub new_chat_members: Vec<User>,
    #[serde(default)]
    pub left_chat_member: Option<User>,
    #[serde(default)]
    pub new_chat_title: Option<String>,
    #[serde(default)]
    pub pinned_message: Option<Box<Quoted>>,
    #[serde(default)]
    pub migrate_to_chat_id: Option<i64>,
    #[serde(default)]
    pub web_app_data: Option<WebAppData>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct WebAppData {
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub button_text: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub game_short_name: Option<String>,
}

/// A `ReactionType`: `emoji`, `custom_emoji` or `paid`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Reaction {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub emoji: Option<String>,
    #[serde(default)]
    pub custom_emoji_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ReactionUpdated {
    pub chat: Chat,
    pub message_id: i64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub actor_chat: Option<Chat>,
    #[serde(default)]
    pub new_reaction: Vec<Reaction>,
}

impl User {
    /// "First Last (@username)", as far as it is known.
    pub(super) fn display_name(&self) -> String {
        let mut name = self.first_name.clone();
        if let Some(last) = self.last_name.as_deref().filter(|l| !l.is_empty()) {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(last);
        }
        match &self.username {
            Some(username) if !name.is_empty() => format!("{name} (@{username})"),
            Some(username) => format!("@{username}"),
            None => name,
        }
    }
}

/// The message kinds the gateway does not read (games, invoices, stories, ...): the first key
/// of `raw` that is not one of a message's envelope fields names it.
pub(super) fn other_kind(raw: &Value) -> String {
    const ENVELOPE: &[&str] = &[
        "message_id",
        "message_thread_id",
        "from",
        "sender_chat",
        "sender_boost_count",
        "sender_business_bot",
        "date",
        "business_connection_id",
        "chat",
        "forward_origin",
        "is_topic_message",
        "is_automatic_forward",
        "reply_to_message",
        "external_reply",
        "quote",
        "reply_to_story",
        "via_bot",
        "edit_date",
        "has_protected_content",
        "is_from_offline",
        "media_group_id",
        "author_signature",
        "effect_id",
        "link_preview_options",
        "reply_markup",
        "entities",
        "caption_entities",
        "show_caption_above_media",
        "has_media_spoiler",
    ];
    raw.as_object()
        .and_then(|message| message.keys().find(|key| !ENVELOPE.contains(&key.as_str())))
        .cloned()
        .unwrap_or_else(|| "empty".to_string())
}
