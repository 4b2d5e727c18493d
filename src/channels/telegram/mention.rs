//! Whether a group message is addressed to the bot: it mentions `@<bot username>` (a `mention`
//! entity), names the bot by id (a `text_mention` entity), replies to one of the bot's
//! messages, or is a command (`bot_command` entity) that is bare (`/help`: Telegram hands bare
//! commands to every bot of the group) or names this bot (`/help@pincer_bot`; a command naming
//! another bot is not for this one).
//!
//! Entity offsets and lengths count UTF-16 code units, not bytes or characters:
//! [`utf16_slice`] turns them into a `&str` and gives `None` for offsets from outside that do
//! not fall on character boundaries or lie past the end.

use super::identity::BotIdentity;
use super::wire::{Entity, Message};

/// The part of `text` from UTF-16 offset `offset`, `length` UTF-16 units long; `None` when
/// either end is negative, past the end, or inside a surrogate pair.
pub(crate) fn utf16_slice(text: &str, offset: i64, length: i64) -> Option<&str> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    let mut units = 0usize;
    let mut start_byte = None;
    let mut end_byte = None;
    for (byte, c) in text.char_indices() {
        if units == start {
            start_byte = Some(byte);
        }
        if units == end {
            end_byte = Some(byte);
            break;
        }
        units += c.len_utf16();
    }
    if units == start && start_byte.is_none() {
        start_byte = Some(text.len());
    }
    if units == end && end_byte.is_none() {
        end_byte = Some(text.len());
    }
    let (start_byte, end_byte) = (start_byte?, end_byte?);
    text.get(start_byte..end_byte)
}

/// Whether `message` (in a group) is addressed to the bot `me`.
pub(super) fn addressed(message: &Message, me: &BotIdentity) -> bool {
    let replies_to_bot = message
        .reply_to_message
        .as_ref()
        .and_then(|quoted| quoted.from.as_ref())
        .is_some_and(|author| author.id == me.id);
    if replies_to_bot {
        return true;
    }
    let texts = [
        (message.text.as_deref(), &message.entities),
        (message.caption.as_deref(), &message.caption_entities),
    ];
    texts.iter().any(|(text, entities)| {
        let text = text.unwrap_or_default();
        entities.iter().any(|entity| entity_names_bot(text, entity, me))
    })
}

fn entity_names_bot(text: &str, entity: &Entity, me: &BotIdentity) -> bool {
    match entity.kind.as_str() {
        "text_mention" => entity.user.as_ref().is_some_and(|user| user.id == me.id),
        "mention" => {
            let Some(username) = me.username.as_deref() else {
                return false;
            };
            utf16_slice(text, entity.offset, entity.length)
                .and_then(|mention| mention.strip_prefix('@'))
                .is_some_and(|name| name.eq_ignore_ascii_case(username))
        }
        "bot_command" => {
            let Some(command) = utf16_slice(text, entity.offset, entity.length) else {
                return false;
            };
            match command.split_once('@') {
                None => true,
                Some((_, name)) => me
                    .username
                    .as_deref()
                    .is_some_and(|username| name.eq_ignore_ascii_case(username)),
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn me() -> BotIdentity {
        BotIdentity {
            account: "7000000001".into(),
            id: 7000000001,
            username: Some("Pincer_Bot".into()),
        }
    }

    fn group_message(text: &str, entities: serde_json::Value) -> Message {
        serde_json::from_value(json!({"message_id": 1, "chat": {"id": -100, "type": "group"},
            "from": {"id": 5, "first_name": "A"}, "text": text, "entities": entities}))
        .expect("a message")
    }

    #[test]
    fn slices_count_utf16_units_through_emoji_and_flags() {
        // "😀" is a surrogate pair (2 units), "🇩🇪" two regional indicators (4 units).
        let text = "😀 hi @pincer_bot";
        assert_eq!(utf16_slice(text, 6, 11), Some("@pincer_bot"));
        let flag = "🇩🇪 @pincer_bot ok";
        assert_eq!(utf16_slice(flag, 5, 11), Some("@pincer_bot"));
        assert_eq!(utf16_slice(flag, 0, 4), Some("🇩🇪"));
        // Inside a surrogate pair, past the end, negative: no slice, no panic.
        assert_eq!(utf16_slice(text, 1, 2), None);
        assert_eq!(utf16_slice(text, 6, 12), None);
        assert_eq!(utf16_slice(text, 40, 3), None);
        assert_eq!(utf16_slice(text, -1, 3), None);
        assert_eq!(utf16_slice(text, 0, -3), None);
        assert_eq!(utf16_slice(text, i64::MAX, i64::MAX), None);
        // The end itself is a boundary.
        assert_eq!(utf16_slice(text, 17, 0), Some(""));
        assert_eq!(utf16_slice("", 0, 0), Some(""));
    }

    #[test]
    fn a_mention_after_emoji_is_found_by_its_utf16_offset() {
        // Offsets as Telegram computes them: "👋🏽 " is 5 units (two surrogate pairs and a space).
        let message = group_message(
            "👋🏽 @PINCER_bot what's the weather?",
            json!([{"offset": 5, "length": 11, "type": "mention"}]),
        );
        assert!(addressed(&message, &me()));
        // The same text with a byte offset (as a naive parser would count) names nothing.
        let wrong = group_message(
            "👋🏽 @PINCER_bot what's the weather?",
            json!([{"offset": 9, "length": 11, "type": "mention"}]),
        );
        assert!(!addressed(&wrong, &me()));
    }

    #[test]
    fn other_mentions_and_plain_talk_are_not_addressed() {
        let other = group_message(
            "🇫🇷 @someone_else look",
            json!([{"offset": 5, "length": 13, "type": "mention"}]),
        );
        assert!(!addressed(&other, &me()));
        let plain = group_message("pincer_bot is nice", json!([]));
        assert!(!addressed(&plain, &me()));
        let past_end = group_message(
            "hi",
            json!([{"offset": 3, "length": 11, "type": "mention"}]),
        );
        assert!(!addressed(&past_end, &me()));
    }

    #[test]
    fn text_mentions_replies_and_commands() {
        let by_id = group_message(
            "hey Pincer",
            json!([{"offset": 4, "length": 6, "type": "text_mention",
                "user": {"id": 7000000001_i64, "is_bot": true, "first_name": "Pincer"}}]),
        );
        assert!(addressed(&by_id, &me()));
        let reply: Message = serde_json::from_value(json!({"message_id": 2,
            "chat": {"id": -100, "type": "group"}, "text": "thanks",
            "reply_to_message": {"message_id": 1, "from": {"id": 7000000001_i64, "is_bot": true, "first_name": "Pincer"},
                "chat": {"id": -100, "type": "group"}, "date": 1, "text": "hello"}}))
        .unwrap();
        assert!(addressed(&reply, &me()));
        let bare = group_message("/help", json!([{"offset": 0, "length": 5, "type": "bot_command"}]));
        assert!(addressed(&bare, &me()));
        let ours = group_message(
            "/help@pincer_bot now",
            json!([{"offset": 0, "length": 16, "type": "bot_command"}]),
        );
        assert!(addressed(&ours, &me()));
        let theirs = group_message(
            "/help@other_bot",
            json!([{"offset": 0, "length": 15, "type": "bot_command"}]),
        );
        assert!(!addressed(&theirs, &me()));
    }

    #[test]
    fn before_get_me_answers_only_replies_and_text_mentions_count() {
        let unknown = BotIdentity {
            account: "7000000001".into(),
            id: 7000000001,
            username: None,
        };
        let mention = group_message(
            "@pincer_bot hi",
            json!([{"offset": 0, "length": 11, "type": "mention"}]),
        );
        assert!(!addressed(&mention, &unknown));
        assert!(addressed(&mention, &me()));
        let caption: Message = serde_json::from_value(json!({"message_id": 3,
            "chat": {"id": -100, "type": "group"}, "caption": "📎 @pincer_bot read this",
            "caption_entities": [{"offset": 3, "length": 11, "type": "mention"}],
            "document": {"file_id": "D", "file_unique_id": "d"}}))
        .unwrap();
        assert!(addressed(&caption, &me()));
    }
}
