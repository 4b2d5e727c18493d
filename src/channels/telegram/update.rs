//! Telegram `Update` objects turned into journal records. Only direct messages (private chats)
//! reach the agent for now; group messages, edits and other update kinds are skipped (and
//! counted), but their update ids still move the poll offset on.

use serde::Deserialize;
use serde_json::Value;

use crate::channels::journal::{InboundRecord, MessageBody};
use crate::clock::now_ms;

#[derive(Debug, Deserialize)]
struct Update {
    update_id: i64,
    #[serde(default)]
    message: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Message {
    message_id: i64,
    #[serde(default)]
    from: Option<User>,
    chat: Chat,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: i64,
    #[serde(default)]
    is_bot: bool,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    username: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

/// Kinds of non-text messages, in the order they are looked for (for the "not supported" reply).
const MEDIA: [&str; 10] = [
    "photo",
    "video",
    "voice",
    "audio",
    "document",
    "sticker",
    "animation",
    "location",
    "contact",
    "poll",
];

/// One parsed update: its id (for the offset) and the record, when it is a direct message.
#[derive(Debug)]
pub struct ParsedUpdate {
    pub update_id: i64,
    pub record: Option<InboundRecord>,
}

/// Parses one update; `Err` when it is not an update at all.
pub fn parse(update: Value, bot_id: &str) -> Result<ParsedUpdate, String> {
    let update: Update =
        serde_json::from_value(update).map_err(|e| format!("not a Telegram update: {e}"))?;
    let record = update.message.and_then(|message| record(message, bot_id));
    Ok(ParsedUpdate {
        update_id: update.update_id,
        record,
    })
}

fn record(raw: Value, bot_id: &str) -> Option<InboundRecord> {
    let media = MEDIA.iter().find(|kind| raw.get(**kind).is_some()).copied();
    let message: Message = serde_json::from_value(raw).ok()?;
    let from = message.from?;
    if message.chat.kind != "private" || from.is_bot {
        return None;
    }
    let body = match (message.text, media) {
        (Some(text), _) => MessageBody::Text(text),
        (None, kind) => MessageBody::Unsupported {
            kind: kind.unwrap_or("non-text").to_string(),
        },
    };
    let name = match from.username {
        Some(username) if !from.first_name.is_empty() => {
            format!("{} (@{username})", from.first_name)
        }
        Some(username) => format!("@{username}"),
        None => from.first_name,
    };
    Some(InboundRecord {
        channel: super::LABELS.channel.into(),
        account: bot_id.to_string(),
        platform_id: format!("{}:{}", message.chat.id, message.message_id),
        sender: from.id.to_string(),
        sender_name: Some(name).filter(|n| !n.is_empty()),
        chat: message.chat.id.to_string(),
        body,
        received_ms: now_ms(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_private_text_becomes_a_record() {
        let update = json!({"update_id": 900000001, "message": {"message_id": 42,
            "from": {"id": 111111111, "is_bot": false, "first_name": "Alice", "username": "alice"},
            "chat": {"id": 111111111, "first_name": "Alice", "type": "private"},
            "date": 1700000000, "text": "/start hi",
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}});
        let parsed = parse(update, "123").unwrap();
        assert_eq!(parsed.update_id, 900000001);
        let record = parsed.record.unwrap();
        assert_eq!(record.platform_id, "111111111:42");
        assert_eq!(record.sender, "111111111");
        assert_eq!(record.sender_name.as_deref(), Some("Alice (@alice)"));
        assert_eq!(record.body, MessageBody::Text("/start hi".into()));
    }

    #[test]
    fn groups_edits_and_media_are_told_apart() {
        let group = json!({"update_id": 1, "message": {"message_id": 1, "from": {"id": 5, "is_bot": false, "first_name": "B"},
            "chat": {"id": -1001, "type": "supergroup"}, "date": 1, "text": "hi"}});
        assert!(parse(group, "1").unwrap().record.is_none());
        let edit = json!({"update_id": 2, "edited_message": {"message_id": 1}});
        assert!(parse(edit, "1").unwrap().record.is_none());
        let photo = json!({"update_id": 3, "message": {"message_id": 2, "from": {"id": 5, "is_bot": false, "first_name": "B"},
            "chat": {"id": 5, "type": "private"}, "date": 1, "photo": [{"file_id": "x"}]}});
        let record = parse(photo, "1").unwrap().record.unwrap();
        assert_eq!(
            record.body,
            MessageBody::Unsupported {
                kind: "photo".into()
            }
        );
        assert!(parse(json!({"no": "id"}), "1").is_err());
        assert!(parse(json!("text"), "1").is_err());
    }
}
