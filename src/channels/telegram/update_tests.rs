//! One realistic `Update` per kind (`tests/fixtures/telegram/<kind>.json`, shaped as the Bot API
//! documents them) and the record each becomes.

use super::*;
use crate::channels::journal::MediaKind;

fn me() -> BotIdentity {
    BotIdentity {
        account: "7000000001".into(),
        id: 7000000001,
        username: Some("pincer_bot".into()),
    }
}

fn fixture(kind: &str) -> InboundRecord {
    let path = format!(
        "{}/tests/fixtures/telegram/{kind}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the fixture exists");
    let update: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let parsed = parse(update, &me()).expect("an update");
    parsed.record.expect("a record")
}

fn content(kind: &str) -> Content {
    match fixture(kind).body {
        MessageBody::Content(content) => *content,
        other => panic!("{kind}: not content: {other:?}"),
    }
}

#[test]
fn a_private_text_stays_plain_text() {
    let record = fixture("text");
    assert_eq!(record.platform_id, "111111111:42");
    assert_eq!(record.account, "7000000001");
    assert_eq!(record.sender, "111111111");
    assert_eq!(record.sender_name.as_deref(), Some("Alice Smith (@alice)"));
    assert_eq!(record.body, MessageBody::Text("hello there".into()));
}

#[test]
fn photos_take_the_largest_size_with_the_caption_and_reply() {
    let photo = content("photo");
    assert_eq!(photo.kind, ContentKind::Message);
    assert_eq!(photo.text, "receipt from lunch");
    assert_eq!(photo.reply_to.as_deref(), Some("111111111:40"));
    let [image] = photo.media.as_slice() else {
        panic!("{photo:?}")
    };
    assert_eq!(image.kind, MediaKind::Image);
    assert_eq!(image.id, "AgACAgIAAxkBAAMFZ1_large");
    assert_eq!(image.size, Some(96313));
    assert_eq!(image.dimensions, Some((1280, 960)));
}

#[test]
fn voice_audio_document_and_videos_carry_their_references() {
    let voice = &content("voice").media[0];
    assert_eq!(
        (voice.kind, voice.duration_s, voice.mime.as_deref()),
        (MediaKind::Voice, Some(7), Some("audio/ogg"))
    );
    let audio = &content("audio").media[0];
    assert_eq!(audio.kind, MediaKind::Audio);
    assert_eq!(audio.file_name.as_deref(), Some("feeling-good.mp3"));
    assert_eq!(audio.duration_s, Some(215));
    let document = content("document");
    assert_eq!(document.text, "please summarise");
    let pdf = &document.media[0];
    assert_eq!(pdf.kind, MediaKind::Document);
    assert_eq!(pdf.file_name.as_deref(), Some("lease.pdf"));
    assert_eq!(pdf.mime.as_deref(), Some("application/pdf"));
    let video = &content("video").media[0];
    assert_eq!(
        (video.kind, video.duration_s, video.dimensions, video.animated),
        (MediaKind::Video, Some(12), Some((1920, 1080)), false)
    );
    let note = &content("video_note").media[0];
    assert_eq!((note.kind, note.dimensions), (MediaKind::Video, Some((240, 240))));
    let animation = content("animation");
    assert_eq!(animation.media.len(), 1, "its document copy is not a second file");
    assert!(animation.media[0].animated);
    assert_eq!(animation.media[0].kind, MediaKind::Video);
}

#[test]
fn stickers_say_their_emoji() {
    let sticker = content("sticker");
    assert_eq!(sticker.text, "[sticker 😂]");
    let file = &sticker.media[0];
    assert_eq!(file.kind, MediaKind::Sticker);
    assert!(file.animated);
    assert_eq!(file.mime.as_deref(), Some("application/x-tgsticker"));
}

#[test]
fn cards_are_written_out() {
    assert_eq!(
        content("location").text,
        "[location] 52.520008, 13.404954 (within 16 m)"
    );
    assert_eq!(
        content("venue").text,
        "[venue] Eiffel Tower, Champ de Mars, 5 Av. Anatole France, Paris (48.858370, 2.294481)"
    );
    assert_eq!(
        content("contact").text,
        "[contact] Ada Lovelace, +442079460000, ada@example.org, Analytical Engines Ltd, \
         Telegram user 222222222"
    );
    assert_eq!(content("poll").text, "[poll] Dinner?: Pizza / Sushi");
    assert_eq!(content("dice").text, "[dice 🎲 rolled 4]");
}

#[test]
fn an_edit_targets_its_original_under_its_own_id() {
    let record = fixture("edited_message");
    assert_eq!(record.platform_id, "111111111:u900000015:42");
    let MessageBody::Content(edit) = record.body else {
        panic!()
    };
    assert_eq!(
        edit.kind,
        ContentKind::Edit {
            target: "111111111:42".into()
        }
    );
    assert_eq!(edit.text, "hello there, fixed");
}

#[test]
fn a_button_press_names_its_label_and_data() {
    let record = fixture("callback_query");
    assert_eq!(record.chat, "111111111");
    assert_eq!(record.platform_id, "111111111:u900000016:43");
    let MessageBody::Content(press) = record.body else {
        panic!()
    };
    assert_eq!(press.kind, ContentKind::Message);
    assert_eq!(press.text, "[button \"Yes, book it\" pressed] book:yes");
    assert_eq!(press.callback_id.as_deref(), Some("4382bfdwdsb323b2d9"));
    assert_eq!(press.reply_to.as_deref(), Some("111111111:43"));
}

#[test]
fn reactions_and_their_removal() {
    assert_eq!(
        content("message_reaction").kind,
        ContentKind::Reaction {
            target: "111111111:43".into(),
            emoji: "👍".into()
        }
    );
    assert_eq!(
        content("message_reaction_removed").kind,
        ContentKind::Reaction {
            target: "111111111:43".into(),
            emoji: String::new()
        }
    );
}

#[test]
fn service_messages_are_system_notices() {
    assert_eq!(
        content("new_chat_members").kind,
        ContentKind::System {
            what: "joined: Bob".into()
        }
    );
    assert_eq!(
        content("pinned_message").kind,
        ContentKind::System {
            what: "pinned message 30".into()
        }
    );
}

#[test]
fn unknown_kinds_are_named() {
    assert_eq!(
        content("game").kind,
        ContentKind::Unknown {
            kind: "game".into()
        }
    );
    let join = fixture("chat_join_request");
    assert_eq!(join.sender, "111111111");
    assert_eq!(join.chat, "-1001234567890");
    let MessageBody::Content(join) = join.body else {
        panic!()
    };
    assert_eq!(
        join.kind,
        ContentKind::Unknown {
            kind: "chat_join_request".into()
        }
    );
}

#[test]
fn group_messages_say_whether_they_address_the_bot() {
    let record = fixture("group_mention");
    assert_eq!(record.chat, "-1001234567890");
    assert_eq!(record.sender, "111111111");
    let MessageBody::Content(mention) = record.body else {
        panic!()
    };
    assert_eq!(
        mention.group,
        Some(GroupContext {
            id: "-1001234567890".into(),
            title: Some("Family".into()),
            addressed: true
        })
    );
    assert_eq!(mention.text, "🇫🇷👋 @Pincer_Bot what's for dinner?");
    let chatter = content("group_chatter");
    assert_eq!(chatter.group.map(|g| g.addressed), Some(false));
    let reply = content("group_reply_to_bot");
    assert_eq!(reply.group.map(|g| g.addressed), Some(true));
}

#[test]
fn anonymous_admins_write_as_their_group() {
    let record = fixture("anonymous_admin");
    assert_eq!(record.sender, "-1001234567890");
    assert_eq!(record.sender_name.as_deref(), Some("Family"));
    let MessageBody::Content(command) = record.body else {
        panic!()
    };
    assert_eq!(command.group.map(|g| g.addressed), Some(true));
}

#[test]
fn bots_and_non_updates_are_skipped() {
    let from_bot = serde_json::json!({"update_id": 1, "message": {"message_id": 1,
        "from": {"id": 9, "is_bot": true, "first_name": "B"},
        "chat": {"id": 9, "type": "private"}, "date": 1, "text": "hi"}});
    let parsed = parse(from_bot, &me()).unwrap();
    assert_eq!(parsed.update_id, 1);
    assert!(parsed.record.is_none());
    let broken = serde_json::json!({"update_id": 2, "message": {"message_id": "x"}});
    assert!(parse(broken, &me()).unwrap().record.is_none());
    assert!(parse(serde_json::json!({"no": "id"}), &me()).is_err());
    assert!(parse(serde_json::json!("text"), &me()).is_err());
}
