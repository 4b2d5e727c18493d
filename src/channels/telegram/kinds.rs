//! What one Telegram `Message` says, as [`Content`] parts: its kind (a message to answer, a
//! service notice, a kind the gateway does not read), the text the agent reads (text or
//! caption, and locations, venues, contacts, polls, dice and stickers written out), and the
//! media references the run fetches (`file_id`s; the largest photo size).

use serde_json::Value;

use super::wire::{Contact, File, Message, User};
use crate::channels::journal::ContentKind;
use crate::sessions::media::{MediaKind, MediaRef};

/// A message's content.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Described {
    pub kind: ContentKind,
    pub text: String,
    pub media: Vec<MediaRef>,
    /// Only text (no media, no card, no notice): a private one stays a plain text record.
    pub plain: bool,
}

/// Describes `message` (`raw` is the same message as JSON, for naming kinds it does not know).
pub(super) fn describe(message: &Message, raw: &Value) -> Described {
    if let Some(what) = service_notice(message, raw) {
        return Described {
            kind: ContentKind::System { what },
            text: String::new(),
            media: Vec::new(),
            plain: false,
        };
    }
    let mut lines = Vec::new();
    let media = media_of(message, &mut lines);
    cards(message, &mut lines);
    let said = message.text.as_deref().or(message.caption.as_deref());
    let plain = media.is_empty() && lines.is_empty() && said.is_some();
    if let Some(said) = said.filter(|s| !s.is_empty()) {
        lines.push(said.to_string());
    }
    if media.is_empty() && lines.is_empty() {
        return Described {
            kind: ContentKind::Unknown {
                kind: super::wire::other_kind(raw),
            },
            text: String::new(),
            media,
            plain: false,
        };
    }
    Described {
        kind: ContentKind::Message,
        text: lines.join("\n"),
        media,
        plain,
    }
}

fn reference(kind: MediaKind, file: &File) -> MediaRef {
    MediaRef {
        kind,
        id: file.file_id.clone(),
        mime: file.mime_type.clone(),
        sha256: None,
        file_name: file.file_name.clone(),
        size: file.file_size,
        duration_s: file.duration,
        dimensions: file.width.zip(file.height),
        animated: false,
    }
}

/// The message's files; stickers add their emoji line.
fn media_of(message: &Message, lines: &mut Vec<String>) -> Vec<MediaRef> {
    let mut media = Vec::new();
    let largest = message.photo.iter().max_by_key(|size| {
        let area = u64::from(size.width.unwrap_or(0)) * u64::from(size.height.unwrap_or(0));
        (area, size.file_size.unwrap_or(0))
    });
    if let Some(photo) = largest {
        media.push(reference(MediaKind::Image, photo));
    }
    if let Some(voice) = &message.voice {
        media.push(reference(MediaKind::Voice, voice));
    }
    if let Some(audio) = &message.audio {
        let mut audio_ref = reference(MediaKind::Audio, audio);
        if audio_ref.file_name.is_none() {
            audio_ref.file_name = match (&audio.performer, &audio.title) {
                (Some(performer), Some(title)) => Some(format!("{performer} - {title}")),
                (None, Some(title)) => Some(title.clone()),
                _ => None,
            };
        }
        media.push(audio_ref);
    }
    if let Some(animation) = &message.animation {
        // An animation message also carries its `document`: the animation is the one to read.
        let mut gif = reference(MediaKind::Video, animation);
        gif.animated = true;
        media.push(gif);
    } else if let Some(document) = &message.document {
        media.push(reference(MediaKind::Document, document));
    }
    if let Some(video) = &message.video {
        media.push(reference(MediaKind::Video, video));
    }
    if let Some(note) = &message.video_note {
        let mut round = reference(MediaKind::Video, note);
        round.dimensions = note.length.map(|side| (side, side));
        round.mime = round.mime.or_else(|| Some("video/mp4".to_string()));
        media.push(round);
    }
    if let Some(sticker) = &message.sticker {
        let mut sticker_ref = reference(MediaKind::Sticker, sticker);
        sticker_ref.animated = sticker.is_animated || sticker.is_video;
        sticker_ref.mime = Some(
            if sticker.is_animated {
                "application/x-tgsticker"
            } else if sticker.is_video {
                "video/webm"
            } else {
                "image/webp"
            }
            .to_string(),
        );
        media.push(sticker_ref);
        lines.push(match sticker.emoji.as_deref().filter(|e| !e.is_empty()) {
            Some(emoji) => format!("[sticker {emoji}]"),
            None => "[sticker]".to_string(),
        });
    }
    media
}

/// Locations, venues, contacts, polls, dice and web-app data, written out.
fn cards(message: &Message, lines: &mut Vec<String>) {
    if let Some(venue) = &message.venue {
        let place = [venue.title.as_str(), venue.address.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        lines.push(format!(
            "[venue] {place} ({:.6}, {:.6})",
            venue.location.latitude, venue.location.longitude
        ));
    } else if let Some(location) = &message.location {
        let mut line = format!(
            "[location] {:.6}, {:.6}",
            location.latitude, location.longitude
        );
        if let Some(accuracy) = location.horizontal_accuracy {
            line.push_str(&format!(" (within {accuracy:.0} m)"));
        }
        if location.live_period.is_some() {
            line.push_str(" (live)");
        }
        lines.push(line);
    }
    if let Some(contact) = &message.contact {
        lines.push(contact_card(contact));
    }
    if let Some(poll) = &message.poll {
        let options: Vec<&str> = poll.options.iter().map(|o| o.text.as_str()).collect();
        let kind = if poll.kind == "quiz" { "quiz" } else { "poll" };
        let closed = if poll.is_closed { " (closed)" } else { "" };
        lines.push(format!(
            "[{kind}{closed}] {}: {}",
            poll.question,
            options.join(" / ")
        ));
    }
    if let Some(dice) = &message.dice {
        lines.push(format!("[dice {} rolled {}]", dice.emoji, dice.value));
    }
    if let Some(data) = &message.web_app_data {
        lines.push(format!("[web app \"{}\"] {}", data.button_text, data.data));
    }
}

/// "[contact] Ada Lovelace, +44 20 7946 0000, ada@example.org, Analytical Engines Ltd".
fn contact_card(contact: &Contact) -> String {
    let mut parts = Vec::new();
    let name = [Some(contact.first_name.as_str()), contact.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        parts.push(name);
    }
    if !contact.phone_number.is_empty() {
        parts.push(contact.phone_number.clone());
    }
    for line in contact.vcard.as_deref().unwrap_or_default().lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let field = key.split(';').next().unwrap_or_default().to_ascii_uppercase();
        let value = value.trim().replace(';', " ").trim().to_string();
        let wanted = matches!(field.as_str(), "TEL" | "EMAIL" | "ORG" | "TITLE" | "URL");
        if wanted && !value.is_empty() && !parts.contains(&value) {
            parts.push(value);
        }
    }
    if let Some(user_id) = contact.user_id {
        parts.push(format!("Telegram user {user_id}"));
    }
    format!("[contact] {}", parts.join(", "))
}

/// A service message (members joined or left, a pin, a new title, ...): what happened.
fn service_notice(message: &Message, raw: &Value) -> Option<String> {
    let names = |users: &[User]| {
        users
            .iter()
            .map(User::display_name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !message.new_chat_members.is_empty() {
        return Some(format!("joined: {}", names(&message.new_chat_members)));
    }
    if let Some(left) = &message.left_chat_member {
        return Some(format!("left: {}", left.display_name()));
    }
    if let Some(title) = &message.new_chat_title {
        return Some(format!("new title: {title}"));
    }
    if let Some(pinned) = &message.pinned_message {
        return Some(format!("pinned message {}", pinned.message_id));
    }
    if let Some(to) = message.migrate_to_chat_id {
        return Some(format!("group upgraded to supergroup {to}"));
    }
    const NOTICES: &[&str] = &[
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_from_chat_id",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "video_chat_scheduled",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_participants_invited",
        "write_access_allowed",
        "proximity_alert_triggered",
        "boost_added",
        "chat_background_set",
        "connected_website",
    ];
    NOTICES
        .iter()
        .find(|notice| raw.get(**notice).is_some())
        .map(|notice| notice.to_string())
}
