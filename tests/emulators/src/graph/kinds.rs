//! Builders of every inbound message kind the Cloud API webhook documents, for tests to post:
//! a [`Kind`] is a message's `type` and the object of that name (plus message-level fields such
//! as `context`, `group_id`, `errors`), and [`kinds_value`] puts messages into a change value in
//! the envelope of `webhooks.rs`. Field names are Meta's.
//!
//! ```ignore
//! let body = graph::kinds_webhook(PN, &[("16505551234", "wamid.A", graph::button_reply("yes", "Yes please"))]);
//! ```

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::media::MediaInfo;
use super::webhooks::{encode, DISPLAY_PHONE_NUMBER, WABA_ID};

/// One message's kind and payload.
#[derive(Debug, Clone)]
pub struct Kind {
    pub kind: String,
    pub object: Value,
    /// Message-level fields besides `from`, `id`, `timestamp`, `type` and the payload.
    pub extra: Map<String, Value>,
}

impl Kind {
    /// A kind by name, with its payload object.
    pub fn new(kind: &str, object: Value) -> Kind {
        Kind {
            kind: kind.to_string(),
            object,
            extra: Map::new(),
        }
    }

    /// Quotes message `id` sent by `from` (the business number for a reply to the bot).
    pub fn replying_to(mut self, id: &str, from: &str) -> Kind {
        self.extra
            .insert("context".into(), json!({"from": from, "id": id}));
        self
    }

    /// Said in group `group_id` (Groups API).
    pub fn in_group(mut self, group_id: &str) -> Kind {
        self.extra.insert("group_id".into(), json!(group_id));
        self
    }
}

pub fn text(body: &str) -> Kind {
    Kind::new("text", json!({ "body": body }))
}

/// `image`, `video`, `audio`, `document`, `sticker` of a file registered with
/// [`super::GraphApi::add_media`].
pub fn media(kind: &str, info: &MediaInfo, caption: Option<&str>) -> Kind {
    let mut object = json!({"id": info.id, "mime_type": info.mime_type,
        "sha256": info.sha256_base64});
    if let Some(caption) = caption {
        object["caption"] = json!(caption);
    }
    if kind == "document" {
        object["filename"] = json!(format!("{}.pdf", info.id));
    }
    if kind == "audio" {
        object["voice"] = json!(false);
    }
    if kind == "sticker" {
        object["animated"] = json!(false);
    }
    Kind::new(kind, object)
}

/// A voice note (`audio` with `voice: true`).
pub fn voice(info: &MediaInfo) -> Kind {
    let mut kind = media("audio", info, None);
    kind.object["voice"] = json!(true);
    kind
}

pub fn location(latitude: f64, longitude: f64, name: &str, address: &str) -> Kind {
    Kind::new(
        "location",
        json!({"latitude": latitude, "longitude": longitude, "name": name, "address": address}),
    )
}

/// One contact card with a name and a phone number.
pub fn contacts(formatted_name: &str, phone: &str) -> Kind {
    let first = formatted_name.split(' ').next().unwrap_or(formatted_name);
    Kind::new(
        "contacts",
        json!([{"name": {"formatted_name": formatted_name, "first_name": first},
            "phones": [{"phone": phone, "type": "CELL"}]}]),
    )
}

/// A cart: `(product_retailer_id, quantity, item_price, currency)` each.
pub fn order(catalog_id: &str, items: &[(&str, u32, f64, &str)]) -> Kind {
    let items: Vec<Value> = items
        .iter()
        .map(|(id, quantity, price, currency)| {
            json!({"product_retailer_id": id, "quantity": quantity, "item_price": price,
                "currency": currency})
        })
        .collect();
    Kind::new(
        "order",
        json!({"catalog_id": catalog_id, "product_items": items}),
    )
}

pub fn button_reply(id: &str, title: &str) -> Kind {
    Kind::new(
        "interactive",
        json!({"type": "button_reply", "button_reply": {"id": id, "title": title}}),
    )
}

pub fn list_reply(id: &str, title: &str, description: &str) -> Kind {
    Kind::new(
        "interactive",
        json!({"type": "list_reply",
            "list_reply": {"id": id, "title": title, "description": description}}),
    )
}

pub fn flow_reply(name: &str, body: &str, response_json: &str) -> Kind {
    Kind::new(
        "interactive",
        json!({"type": "nfm_reply",
            "nfm_reply": {"name": name, "body": body, "response_json": response_json}}),
    )
}

/// A template's quick-reply button (`type: "button"`).
pub fn quick_reply(text: &str, payload: &str) -> Kind {
    Kind::new("button", json!({"text": text, "payload": payload}))
}

/// A reaction to `message_id`; `None`: the reaction was removed (no `emoji`).
pub fn reaction(message_id: &str, emoji: Option<&str>) -> Kind {
    let mut object = json!({ "message_id": message_id });
    if let Some(emoji) = emoji {
        object["emoji"] = json!(emoji);
    }
    Kind::new("reaction", object)
}

/// `original_message_id` now reads `text` (Coexistence numbers).
pub fn edit(original_message_id: &str, text: &str) -> Kind {
    Kind::new(
        "edit",
        json!({"original_message_id": original_message_id,
            "message": {"type": "text", "text": {"body": text}}}),
    )
}

/// The sender deleted `original_message_id` (Coexistence numbers).
pub fn revoke(original_message_id: &str) -> Kind {
    Kind::new(
        "revoke",
        json!({ "original_message_id": original_message_id }),
    )
}

/// The user changed from number `old` to `new`.
pub fn changed_number(old: &str, new: &str) -> Kind {
    Kind::new(
        "system",
        json!({"body": format!("User changed from {old} to {new}"), "wa_id": new,
            "type": "user_changed_number"}),
    )
}

/// A kind Cloud API does not support (`unsupported.type`), with its 131051 error.
pub fn unsupported(kind: &str) -> Kind {
    let mut message = Kind::new("unsupported", json!({ "type": kind }));
    message.extra.insert(
        "errors".into(),
        json!([{"code": 131051, "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]),
    );
    message
}

/// The message object of `kind` from `from`.
pub fn message(from: &str, wamid: &str, kind: &Kind) -> Value {
    let mut message = json!({"from": from, "id": wamid,
        "timestamp": super::webhooks::timestamp(), "type": kind.kind});
    message[kind.kind.as_str()] = kind.object.clone();
    for (key, value) in &kind.extra {
        message[key.as_str()] = value.clone();
    }
    message
}

/// A change value carrying these message objects (built with [`message`], or deliberately
/// malformed ones), with one contact per distinct `from`.
pub fn messages_value(phone_number_id: &str, messages: Vec<Value>) -> Value {
    let mut seen = BTreeSet::new();
    let contacts: Vec<Value> = messages
        .iter()
        .filter_map(|m| m["from"].as_str())
        .filter(|from| seen.insert(from.to_string()))
        .map(|from| json!({"profile": {"name": format!("User {from}")}, "wa_id": from}))
        .collect();
    json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER,
            "phone_number_id": phone_number_id},
        "contacts": contacts,
        "messages": messages,
    })
}

/// A change value with `(from, wamid, kind)` messages.
pub fn kinds_value(phone_number_id: &str, messages: &[(&str, &str, Kind)]) -> Value {
    let list = messages
        .iter()
        .map(|(from, wamid, kind)| message(from, wamid, kind))
        .collect();
    messages_value(phone_number_id, list)
}

/// A webhook body with `(from, wamid, kind)` messages, encoded as Meta sends it.
pub fn kinds_webhook(phone_number_id: &str, messages: &[(&str, &str, Kind)]) -> Vec<u8> {
    raw_webhook(kinds_value(phone_number_id, messages))
}

/// A webhook body with one change of this value.
pub fn raw_webhook(value: Value) -> Vec<u8> {
    encode(&json!({"object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}))
}
