//! Builders of Telegram `Update` objects for every message kind the gateway reads, with the Bot
//! API's field names: photos (several `PhotoSize`s), voice notes, documents, stickers,
//! locations, contacts, edits, inline-button presses (`callback_query`), reactions, and group
//! messages with entities (offsets in UTF-16 code units, as Telegram counts them). Each returns
//! an update without `update_id`; [`super::BotApi::push_raw_update`] assigns one.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{json, Value};

use super::{chat_json, now};

/// Message ids handed out by the builders (distinct from the emulator's own).
static NEXT_MESSAGE_ID: AtomicI64 = AtomicI64::new(500_000);

fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User {id}"),
        "username": format!("user{id}"), "language_code": "en"})
}

/// A `message` update from `from` in `chat` with the given kind fields (`{"photo": [...]}`).
pub fn message(from: i64, chat: i64, fields: Value) -> Value {
    let mut message = json!({
        "message_id": NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed),
        "from": user(from),
        "chat": chat_json(chat),
        "date": now(),
    });
    if let (Some(message), Value::Object(fields)) = (message.as_object_mut(), fields) {
        message.extend(fields);
    }
    json!({ "message": message })
}

/// A photo in three sizes (the largest `1280x960`), its ids derived from `file_id`.
pub fn photo(from: i64, chat: i64, file_id: &str, caption: Option<&str>) -> Value {
    let sizes: Vec<Value> = [(90, 68, 1_203), (320, 240, 15_624), (1280, 960, 96_313)]
        .iter()
        .enumerate()
        .map(|(i, (w, h, size))| {
            let id = if i == 2 {
                file_id.to_string()
            } else {
                format!("{file_id}_{w}")
            };
            json!({"file_id": id, "file_unique_id": format!("u{id}"), "file_size": size,
                "width": w, "height": h})
        })
        .collect();
    let mut fields = json!({ "photo": sizes });
    if let Some(caption) = caption {
        fields["caption"] = json!(caption);
    }
    message(from, chat, fields)
}

/// A voice note (`audio/ogg`).
pub fn voice(from: i64, chat: i64, file_id: &str, duration_s: u32, size: u64) -> Value {
    message(
        from,
        chat,
        json!({"voice": {"file_id": file_id, "file_unique_id": format!("u{file_id}"),
        "duration": duration_s, "mime_type": "audio/ogg", "file_size": size}}),
    )
}

/// A document with its name and MIME type.
pub fn document(
    from: i64,
    chat: i64,
    file_id: &str,
    file_name: &str,
    mime: &str,
    size: u64,
) -> Value {
    message(
        from,
        chat,
        json!({"document": {"file_id": file_id, "file_unique_id": format!("u{file_id}"),
        "file_name": file_name, "mime_type": mime, "file_size": size}}),
    )
}

/// A static sticker with its emoji.
pub fn sticker(from: i64, chat: i64, file_id: &str, emoji: &str) -> Value {
    message(
        from,
        chat,
        json!({"sticker": {"file_id": file_id, "file_unique_id": format!("u{file_id}"),
        "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false,
        "emoji": emoji, "set_name": "EmulatorSet", "file_size": 20_000}}),
    )
}

/// A shared location.
pub fn location(from: i64, chat: i64, latitude: f64, longitude: f64) -> Value {
    message(
        from,
        chat,
        json!({"location": {"latitude": latitude, "longitude": longitude}}),
    )
}

/// A shared contact with a vCard.
pub fn contact(from: i64, chat: i64, phone: &str, first_name: &str, last_name: &str) -> Value {
    let vcard = format!(
        "BEGIN:VCARD\nVERSION:3.0\nFN:{first_name} {last_name}\nTEL;TYPE=CELL:{phone}\nEND:VCARD"
    );
    message(
        from,
        chat,
        json!({"contact": {"phone_number": phone, "first_name": first_name,
        "last_name": last_name, "vcard": vcard}}),
    )
}

/// An `edited_message`: message `message_id` now says `text`.
pub fn edited(from: i64, chat: i64, message_id: i64, text: &str) -> Value {
    json!({"edited_message": {"message_id": message_id, "from": user(from), "chat": chat_json(chat),
        "date": now() - 60, "edit_date": now(), "text": text}})
}

/// A `callback_query`: `from` pressed the button with `data` under the bot's message
/// `message_id`, which carries `buttons` (label, data) in one row.
pub fn callback_query(
    from: i64,
    chat: i64,
    bot_id: i64,
    message_id: i64,
    data: &str,
    buttons: &[(&str, &str)],
) -> Value {
    let row: Vec<Value> = buttons
        .iter()
        .map(|(text, data)| json!({"text": text, "callback_data": data}))
        .collect();
    json!({"callback_query": {
        "id": format!("{}{}", from, NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed)),
        "from": user(from),
        "message": {"message_id": message_id,
            "from": {"id": bot_id, "is_bot": true, "first_name": "Pincer Emu", "username": "pincer_emu_bot"},
            "chat": chat_json(chat), "date": now(), "text": "Choose:",
            "reply_markup": {"inline_keyboard": [row]}},
        "chat_instance": "-4956390298473647",
        "data": data,
    }})
}

/// A `message_reaction` update: `from` set `emoji` (none: removed) on message `message_id`.
pub fn reaction(from: i64, chat: i64, message_id: i64, emoji: Option<&str>) -> Value {
    let new: Vec<Value> = emoji
        .map(|e| json!({"type": "emoji", "emoji": e}))
        .into_iter()
        .collect();
    json!({"message_reaction": {"chat": chat_json(chat), "message_id": message_id, "user": user(from),
        "date": now(), "old_reaction": [], "new_reaction": new}})
}

/// A group text whose `mention` entities cover every `@name` word, with UTF-16 offsets.
pub fn group_text(from: i64, chat: i64, text: &str) -> Value {
    let mut entities = Vec::new();
    let mut offset = 0usize;
    for (byte, c) in text.char_indices() {
        if c == '@' && text[..byte].chars().last().is_none_or(char::is_whitespace) {
            let word: String = text[byte..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '@')
                .collect();
            entities.push(
                json!({"offset": offset, "length": word.encode_utf16().count(), "type": "mention"}),
            );
        }
        offset += c.len_utf16();
    }
    message(from, chat, json!({"text": text, "entities": entities}))
}
