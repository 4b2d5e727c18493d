//! Telegram `Update` objects turned into journal records, every kind on purpose:
//!
//! - `message`: a private plain text stays [`MessageBody::Text`] (the hot path); anything else
//!   (media, a card, a service notice, a group message) becomes [`MessageBody::Content`]
//!   ([`super::kinds`] says what it holds; [`super::mention`] whether a group message is
//!   addressed to the bot).
//! - `edited_message`: [`ContentKind::Edit`] of the original with the new text.
//! - `callback_query` (an inline button pressed): a message naming the button, with the query
//!   id to answer.
//! - `message_reaction`: [`ContentKind::Reaction`] (the emoji set, empty when removed).
//! - Anything else: [`ContentKind::Unknown`] with the update's kind.
//!
//! Platform ids (the journal's dedup key) stay unique per update: `<chat>:<message id>` for a
//! new message (as Telegram redelivers it), `<chat>:u<update id>[:<message id>]` for the other
//! kinds (an edit's id must differ from its original's). The last `:` part, when numeric, is the
//! message a reply quotes. Messages from bots, and updates with neither sender nor chat, are
//! skipped; their update ids still move the poll offset on.

use serde::Deserialize;
use serde_json::Value;
use tracing::debug;

use super::identity::BotIdentity;
use super::kinds::describe;
use super::mention::addressed;
use super::wire::{CallbackQuery, Chat, Message, ReactionUpdated, User};
use crate::channels::journal::{Content, ContentKind, GroupContext, InboundRecord, MessageBody};
use crate::clock::now_ms;

/// The update kinds the poller asks for (`allowed_updates`; register a webhook with the same).
/// `message_reaction` must be asked for by name, and reaches only bots that are chat admins.
pub const ALLOWED_UPDATES: &[&str] = &[
    "message",
    "edited_message",
    "callback_query",
    "message_reaction",
];

#[derive(Debug, Deserialize)]
struct Update {
    update_id: i64,
}

/// One parsed update: its id (for the offset) and the record, unless it is skipped.
#[derive(Debug)]
pub struct ParsedUpdate {
    pub update_id: i64,
    pub record: Option<InboundRecord>,
}

/// Parses one update for the bot `me`; `Err` when it is not an update at all.
pub fn parse(update: Value, me: &BotIdentity) -> Result<ParsedUpdate, String> {
    let id: Update =
        serde_json::from_value(update.clone()).map_err(|e| format!("not a Telegram update: {e}"))?;
    let kind = update
        .as_object()
        .and_then(|u| u.keys().find(|key| *key != "update_id"))
        .cloned()
        .unwrap_or_default();
    let inner = update.get(&kind).cloned().unwrap_or(Value::Null);
    let record = match kind.as_str() {
        "message" => typed(&inner).and_then(|m| message(&m, &inner, me)),
        "edited_message" => typed(&inner).and_then(|m| edited(&m, &inner, id.update_id, me)),
        "callback_query" => typed(&inner).and_then(|q| callback(q, id.update_id)),
        "message_reaction" => typed(&inner).and_then(|r| reaction(r, id.update_id)),
        _ => unknown(&kind, &inner, id.update_id),
    };
    Ok(ParsedUpdate {
        update_id: id.update_id,
        record: record.map(|mut r| {
            r.account = me.account.clone();
            r
        }),
    })
}

fn typed<T: for<'de> Deserialize<'de>>(inner: &Value) -> Option<T> {
    serde_json::from_value(inner.clone())
        .map_err(|why| debug!(%why, "Telegram update skipped: unreadable"))
        .ok()
}

/// Who wrote: the user, or the chat an anonymous admin or a channel writes as. `None` for bots.
fn sender(from: Option<&User>, sender_chat: Option<&Chat>) -> Option<(String, Option<String>)> {
    if let Some(chat) = sender_chat {
        let name = chat.title.clone().or_else(|| chat.username.clone());
        return Some((chat.id.to_string(), name));
    }
    let from = from.filter(|user| !user.is_bot)?;
    let name = Some(from.display_name()).filter(|n| !n.is_empty());
    Some((from.id.to_string(), name))
}

fn is_group(chat: &Chat) -> bool {
    matches!(chat.kind.as_str(), "group" | "supergroup")
}

fn group_of(chat: &Chat, addressed: bool) -> Option<GroupContext> {
    is_group(chat).then(|| GroupContext {
        id: chat.id.to_string(),
        title: chat.title.clone(),
        addressed,
    })
}

fn record(
    platform_id: String,
    (sender, sender_name): (String, Option<String>),
    chat: &Chat,
    body: MessageBody,
) -> InboundRecord {
    InboundRecord {
        channel: super::LABELS.channel.into(),
        account: String::new(),
        platform_id,
        sender,
        sender_name,
        chat: chat.id.to_string(),
        body,
        received_ms: now_ms(),
    }
}

/// The content of a message (new or edited) in its chat.
fn content_of(message: &Message, raw: &Value, me: &BotIdentity) -> (Content, bool) {
    let described = describe(message, raw);
    let group = group_of(&message.chat, is_group(&message.chat) && addressed(message, me));
    let reply_to = message
        .reply_to_message
        .as_ref()
        .map(|quoted| format!("{}:{}", message.chat.id, quoted.message_id));
    let plain = described.plain && group.is_none() && reply_to.is_none();
    let content = Content {
        kind: described.kind,
        text: described.text,
        media: described.media,
        group,
        reply_to,
        callback_id: None,
    };
    (content, plain)
}

fn message(message: &Message, raw: &Value, me: &BotIdentity) -> Option<InboundRecord> {
    let from = sender(message.from.as_ref(), message.sender_chat.as_ref())?;
    let (content, plain) = content_of(message, raw, me);
    let body = if plain {
        MessageBody::Text(content.text)
    } else {
        MessageBody::Content(Box::new(content))
    };
    let platform_id = format!("{}:{}", message.chat.id, message.message_id);
    Some(record(platform_id, from, &message.chat, body))
}

fn edited(
    message: &Message,
    raw: &Value,
    update_id: i64,
    me: &BotIdentity,
) -> Option<InboundRecord> {
    let from = sender(message.from.as_ref(), message.sender_chat.as_ref())?;
    let (mut content, _) = content_of(message, raw, me);
    let target = format!("{}:{}", message.chat.id, message.message_id);
    content.kind = ContentKind::Edit { target };
    let platform_id = format!(
        "{}:u{update_id}:{}",
        message.chat.id, message.message_id
    );
    let body = MessageBody::Content(Box::new(content));
    Some(record(platform_id, from, &message.chat, body))
}

fn callback(query: CallbackQuery, update_id: i64) -> Option<InboundRecord> {
    let from = sender(Some(&query.from), None)?;
    // A button under an inline-mode message has no chat: answer the presser privately.
    let chat = query.message.as_ref().map_or_else(
        || Chat {
            id: query.from.id,
            kind: "private".into(),
            title: None,
            username: None,
        },
        |m| m.chat.clone(),
    );
    let data = query.data.clone().unwrap_or_default();
    let label = query
        .message
        .as_ref()
        .and_then(|m| m.reply_markup.as_ref())
        .and_then(|markup| {
            markup
                .inline_keyboard
                .iter()
                .flatten()
                .find(|button| button.callback_data.as_deref() == Some(data.as_str()))
        })
        .map(|button| button.text.clone());
    let text = match (&query.game_short_name, label) {
        (Some(game), _) => format!("[game button pressed: {game}]"),
        (None, Some(label)) if label != data => format!("[button \"{label}\" pressed] {data}"),
        (None, _) => format!("[button pressed] {data}"),
    };
    let message_id = query.message.as_ref().map(|m| m.message_id);
    let content = Content {
        text,
        // Buttons are under the bot's own messages: pressing one speaks to the bot.
        group: group_of(&chat, true),
        reply_to: message_id.map(|id| format!("{}:{id}", chat.id)),
        callback_id: Some(query.id.clone()),
        ..Content::default()
    };
    let platform_id = match message_id {
        Some(id) => format!("{}:u{update_id}:{id}", chat.id),
        None => format!("{}:u{update_id}", chat.id),
    };
    let body = MessageBody::Content(Box::new(content));
    Some(record(platform_id, from, &chat, body))
}

fn reaction(update: ReactionUpdated, update_id: i64) -> Option<InboundRecord> {
    let from = sender(update.user.as_ref(), update.actor_chat.as_ref())?;
    let emoji = update
        .new_reaction
        .iter()
        .map(|r| match r.kind.as_str() {
            "emoji" => r.emoji.clone().unwrap_or_default(),
            "custom_emoji" => format!(
                "custom_emoji:{}",
                r.custom_emoji_id.as_deref().unwrap_or_default()
            ),
            other => other.to_string(),
        })
        .next()
        .unwrap_or_default();
    let target = format!("{}:{}", update.chat.id, update.message_id);
    let content = Content {
        kind: ContentKind::Reaction { target, emoji },
        group: group_of(&update.chat, false),
        ..Content::default()
    };
    let platform_id = format!("{}:u{update_id}", update.chat.id);
    let body = MessageBody::Content(Box::new(content));
    Some(record(platform_id, from, &update.chat, body))
}

/// An update kind the gateway does not read: recorded as [`ContentKind::Unknown`] with whatever
/// sender and chat it names, so it is logged and counted; skipped when it names neither.
fn unknown(kind: &str, inner: &Value, update_id: i64) -> Option<InboundRecord> {
    let id_at = |path: &[&str]| {
        path.iter()
            .try_fold(inner, |value, key| value.get(*key))
            .and_then(Value::as_i64)
    };
    let user = id_at(&["from", "id"]).or_else(|| id_at(&["user", "id"]));
    let chat_id = id_at(&["chat", "id"]).or_else(|| id_at(&["sender_chat", "id"]));
    let chat_id = chat_id.or(user)?;
    let sender = user.or(Some(chat_id)).unwrap_or_default();
    let chat = Chat {
        id: chat_id,
        kind: inner["chat"]["type"].as_str().unwrap_or("private").to_string(),
        title: inner["chat"]["title"].as_str().map(str::to_string),
        username: None,
    };
    let content = Content {
        kind: ContentKind::Unknown {
            kind: kind.to_string(),
        },
        group: group_of(&chat, false),
        ..Content::default()
    };
    let platform_id = format!("{chat_id}:u{update_id}");
    let body = MessageBody::Content(Box::new(content));
    Some(record(platform_id, (sender.to_string(), None), &chat, body))
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
