//! Every WhatsApp message kind mapped on purpose onto the journal's body: a plain private text
//! stays [`MessageBody::Text`] (the hot path); everything else becomes a [`Content`] saying what
//! the gateway should do with it (answer it, record a reaction, update an edited entry, mark a
//! deletion, log a notice, count an unknown kind). The mapping table is in the docs
//! (`docs/architecture.md`, WhatsApp message kinds) and in [`content_of`].

use crate::channels::journal::{
    Content, ContentKind, GroupContext, MediaKind, MediaRef, MessageBody,
};

use super::summaries;
use super::wire::{Media, Payload, WireMessage};

/// Where a group id travels in a record's `chat`: `group:<group_id>`, so the client knows to
/// send with `recipient_type: "group"` and session keys of groups never meet a person's.
pub const GROUP_CHAT_PREFIX: &str = "group:";

/// The group id of a `chat`, when it is a group's.
pub fn group_of(chat: &str) -> Option<&str> {
    chat.strip_prefix(GROUP_CHAT_PREFIX)
}

/// One message mapped: who sent it, where the answer goes, and its body.
#[derive(Debug)]
pub(super) struct Mapped {
    pub sender: String,
    pub chat: String,
    pub body: MessageBody,
}

/// Maps one message; `business_number` is `metadata.display_phone_number` (for mentions and
/// replies to the bot in groups). `Err` says why the message cannot be used (no sender).
pub(super) fn map(message: WireMessage, business_number: Option<&str>) -> Result<Mapped, String> {
    let sender = message
        .from
        .clone()
        .filter(|f| !f.is_empty())
        .or_else(|| message.from_user_id.clone().filter(|f| !f.is_empty()))
        .ok_or_else(|| format!("message {} has neither `from` nor `from_user_id`", message.id))?;
    let mut content = content_of(&message.payload);
    if let Some(ad) = &message.referral {
        let note = summaries::referral(ad);
        content.text = if content.text.is_empty() {
            note
        } else {
            format!("{}\n{note}", content.text)
        };
    }
    let chat = match &message.group_id {
        Some(group) => {
            content.group = Some(GroupContext {
                id: group.clone(),
                title: None,
                addressed: addressed(&message.payload, &content.text, business_number),
            });
            format!("{GROUP_CHAT_PREFIX}{group}")
        }
        None => sender.clone(),
    };
    let plain = content.kind == ContentKind::Message
        && content.media.is_empty()
        && content.group.is_none()
        && content.reply_to.is_none()
        && message.referral.is_none()
        && message.payload.kind == "text";
    let body = if plain {
        MessageBody::Text(content.text)
    } else {
        MessageBody::Content(Box::new(content))
    };
    Ok(Mapped { sender, chat, body })
}

/// Whether a group message is for the bot: it mentions the business number (`@15550783881` in
/// its text, as WhatsApp writes a mention into the body) or replies to one of its messages
/// (`context.from` is the business number).
fn addressed(payload: &Payload, text: &str, business_number: Option<&str>) -> bool {
    let Some(number) = business_number.map(digits).filter(|n| !n.is_empty()) else {
        return false;
    };
    let replies_to_bot = payload
        .context
        .as_ref()
        .and_then(|c| c.from.as_deref())
        .is_some_and(|from| digits(from) == number);
    replies_to_bot || mentions(text, &number)
}

/// `@<number>` in `text`, with or without a `+`, not followed by another digit.
fn mentions(text: &str, number: &str) -> bool {
    text.match_indices('@').any(|(at, _)| {
        let rest = &text[at + 1..];
        let rest = rest.strip_prefix('+').unwrap_or(rest);
        rest.strip_prefix(number)
            .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_digit()))
    })
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// What a payload says, without its sender or group.
pub(super) fn content_of(payload: &Payload) -> Content {
    let reply_to = payload.context.as_ref().and_then(|c| c.id.clone());
    let mut content = match payload.kind.as_str() {
        "text" => match &payload.text {
            Some(text) => Content::text(text.body.clone()),
            None => unknown("text", "a text message without `text`"),
        },
        "image" => media(payload.image.as_ref(), "image", MediaKind::Image),
        "video" => media(payload.video.as_ref(), "video", MediaKind::Video),
        "audio" => {
            let voice = payload.audio.as_ref().is_some_and(|a| a.voice);
            let kind = if voice {
                MediaKind::Voice
            } else {
                MediaKind::Audio
            };
            media(payload.audio.as_ref(), "audio", kind)
        }
        "document" => media(payload.document.as_ref(), "document", MediaKind::Document),
        "sticker" => media(payload.sticker.as_ref(), "sticker", MediaKind::Sticker),
        "location" => match &payload.location {
            Some(place) => Content::text(summaries::location(place)),
            None => unknown("location", "a location message without `location`"),
        },
        "contacts" => match &payload.contacts {
            Some(cards) => Content::text(summaries::contacts(cards)),
            None => unknown("contacts", "a contacts message without `contacts`"),
        },
        "order" => match &payload.order {
            Some(order) => Content::text(summaries::order(order)),
            None => unknown("order", "an order message without `order`"),
        },
        "interactive" => interactive(payload),
        "button" => match &payload.button {
            Some(button) => Content::text(match button.payload.as_deref() {
                Some(id) if !id.is_empty() && id != button.text => {
                    format!("{} [quick reply: {id}]", button.text)
                }
                _ => button.text.clone(),
            }),
            None => unknown("button", "a button message without `button`"),
        },
        "reaction" => match &payload.reaction {
            Some(reaction) => Content {
                kind: ContentKind::Reaction {
                    target: reaction.message_id.clone(),
                    emoji: reaction.emoji.clone().unwrap_or_default(),
                },
                ..Content::default()
            },
            None => unknown("reaction", "a reaction without `reaction`"),
        },
        "edit" => match &payload.edit {
            Some(edit) => {
                let now = content_of(&edit.message);
                Content {
                    kind: ContentKind::Edit {
                        target: edit.original_message_id.clone(),
                    },
                    ..now
                }
            }
            None => unknown("edit", "an edit without `edit`"),
        },
        "revoke" => match &payload.revoke {
            Some(revoke) => Content {
                kind: ContentKind::Delete {
                    target: revoke.original_message_id.clone(),
                },
                ..Content::default()
            },
            None => unknown("revoke", "a revoke without `revoke`"),
        },
        "system" => system(payload),
        "unsupported" => {
            let kind = payload
                .unsupported
                .as_ref()
                .and_then(|u| u.kind.clone())
                .unwrap_or_else(|| "unsupported".into());
            unknown(&kind, &errors(payload))
        }
        "" => unknown("unknown", &errors(payload)),
        other => unknown(other, &errors(payload)),
    };
    content.reply_to = reply_to;
    content
}

/// A kind the gateway does not handle; `text` says why (the platform's errors, described).
fn unknown(kind: &str, why: &str) -> Content {
    Content {
        kind: ContentKind::Unknown { kind: kind.into() },
        text: why.to_string(),
        ..Content::default()
    }
}

fn errors(payload: &Payload) -> String {
    let described: Vec<String> = payload.errors.iter().map(|e| e.describe()).collect();
    described.join("; ")
}

fn media(media: Option<&Media>, name: &str, kind: MediaKind) -> Content {
    let Some(media) = media else {
        return unknown(name, &format!("a {name} message without `{name}`"));
    };
    Content {
        text: media.caption.clone().unwrap_or_default(),
        media: vec![MediaRef {
            kind,
            id: media.id.clone(),
            mime: media.mime_type.clone(),
            sha256: media.sha256.clone(),
            file_name: media.filename.clone(),
            size: None,
            duration_s: None,
            dimensions: None,
            animated: media.animated,
        }],
        ..Content::default()
    }
}

/// `button_reply` and `list_reply`: the title (what the user saw and tapped) and the id (what
/// the business gave the choice); `nfm_reply`: the flow's answer.
fn interactive(payload: &Payload) -> Content {
    let Some(interactive) = &payload.interactive else {
        return unknown("interactive", "an interactive message without `interactive`");
    };
    let choice = match interactive.kind.as_str() {
        "button_reply" => interactive.button_reply.as_ref().map(|c| (c, "button")),
        "list_reply" => interactive.list_reply.as_ref().map(|c| (c, "list choice")),
        "nfm_reply" => {
            return match &interactive.nfm_reply {
                Some(flow) => Content::text(summaries::flow(flow)),
                None => unknown("nfm_reply", "a flow reply without `nfm_reply`"),
            }
        }
        _ => None,
    };
    match choice {
        Some((choice, what)) => {
            let mut text = choice.title.clone();
            if let Some(description) = choice.description.as_deref().filter(|d| !d.is_empty()) {
                text = format!("{text} — {description}");
            }
            Content::text(format!("{text} [{what}: {}]", choice.id))
        }
        None => unknown(
            &format!("interactive/{}", interactive.kind),
            "an interactive reply of a kind the gateway does not know",
        ),
    }
}

/// `system`: what changed (`user_changed_number`, ...), its text, and the ids involved.
fn system(payload: &Payload) -> Content {
    let Some(system) = &payload.system else {
        return unknown("system", "a system message without `system`");
    };
    let what = system.kind.clone().unwrap_or_else(|| "system".into());
    let mut text = system.body.clone().unwrap_or_default();
    let ids: Vec<String> = [
        ("wa_id", &system.wa_id),
        ("new_wa_id", &system.new_wa_id),
        ("user_id", &system.user_id),
        ("new_user_id", &system.new_user_id),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name} {v}")))
    .collect();
    if !ids.is_empty() {
        text = format!("{text} ({})", ids.join(", "));
    }
    Content {
        kind: ContentKind::System { what },
        text: text.trim().to_string(),
        ..Content::default()
    }
}
