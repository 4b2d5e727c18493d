//! Every message kind Meta documents, from the payloads in `tests/fixtures/whatsapp/`, parsed
//! into the record the journal keeps: the mapping table of `message_kinds`, checked kind by kind.

use super::*;
use crate::channels::journal::{
    Content, ContentKind, GroupContext, MediaKind, MediaRef, MessageBody,
};

const PHONE_NUMBER_ID: &str = "106540352242922";
const GROUP: &str = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/whatsapp/",
            $name,
            ".json"
        ))
    };
}

/// The one record of a fixture.
fn one(body: &[u8]) -> InboundRecord {
    let mut parsed = parse(body, PHONE_NUMBER_ID).expect("a notification");
    assert_eq!(parsed.malformed, 0, "{:?}", parsed.problems);
    assert_eq!(parsed.messages.len(), 1);
    parsed.messages.remove(0)
}

/// The content of a fixture's one record.
fn content(body: &[u8]) -> Content {
    match one(body).body {
        MessageBody::Content(content) => *content,
        other => panic!("expected content, got {other:?}"),
    }
}

fn media_ref(kind: MediaKind, id: &str, mime: &str, sha256: &str) -> MediaRef {
    MediaRef {
        kind,
        id: id.into(),
        mime: Some(mime.into()),
        sha256: Some(sha256.into()),
        file_name: None,
        size: None,
        duration_s: None,
        dimensions: None,
        animated: false,
    }
}

#[test]
fn a_private_text_stays_on_the_hot_path() {
    let record = one(fixture!("text"));
    assert_eq!(
        record.body,
        MessageBody::Text("Does it come in another color?".into())
    );
    assert_eq!(record.chat, "16505551234");
    assert_eq!(record.sender_name.as_deref(), Some("Sheena Nelson"));
}

#[test]
fn a_quoted_text_carries_what_it_replies_to() {
    let content = content(fixture!("text_reply"));
    assert_eq!(content.text, "Yes, that one");
    assert_eq!(content.reply_to.as_deref(), Some("wamid.BOT1"));
    assert_eq!(content.kind, ContentKind::Message);
}

#[test]
fn media_become_references_with_their_caption() {
    let image = content(fixture!("image"));
    assert_eq!(image.text, "My receipt");
    let sha = "KoE1+RBlasZG7vU8zZxbXMq6Fz5NB6aZ9skS6DZG2hY=";
    assert_eq!(
        image.media,
        vec![media_ref(MediaKind::Image, "1003383421387256", "image/jpeg", sha)]
    );
    let video = content(fixture!("video"));
    assert_eq!((video.media[0].kind, video.text.as_str()), (MediaKind::Video, "The view"));
    let audio = content(fixture!("audio"));
    assert_eq!(audio.media[0].kind, MediaKind::Audio);
    assert_eq!(audio.media[0].mime.as_deref(), Some("audio/mpeg"));
    let voice = content(fixture!("voice"));
    assert_eq!(voice.media[0].kind, MediaKind::Voice);
    assert_eq!(voice.media[0].id, "1152381913049584");
    assert!(voice.text.is_empty());
    let document = content(fixture!("document"));
    assert_eq!(document.media[0].kind, MediaKind::Document);
    assert_eq!(
        document.media[0].file_name.as_deref(),
        Some("lucky-shrub-invoice.pdf")
    );
    assert_eq!(document.text, "Lucky Shrub Invoice");
    let sticker = content(fixture!("sticker"));
    assert_eq!(sticker.media[0].kind, MediaKind::Sticker);
    assert!(sticker.media[0].animated);
    for kind in [&image, &video, &audio, &voice, &document, &sticker] {
        assert_eq!(kind.kind, ContentKind::Message);
    }
}

#[test]
fn a_location_is_written_out_with_coordinates_name_and_address() {
    let location = content(fixture!("location"));
    assert_eq!(
        location.text,
        "[location] 37.44216251868683, -122.16153582049394 — Philz Coffee, \
         101 Forest Ave, Palo Alto, CA 94301 (https://www.philzcoffee.com/)"
    );
}

#[test]
fn contacts_become_a_card_summary() {
    let card = content(fixture!("contacts"));
    assert_eq!(
        card.text,
        "[contact card]\nName: Barbara J. Johnson\nPhone (HOME): +1 (940) 555-1234\n\
         Phone (WORK): +1 (650) 555-1234 (WhatsApp 16505551234)\n\
         Email (WORK): bjohnson@example.com\nOrg: Lucky Shrub, Legal, Lead Counsel\n\
         URL: https://www.luckyshrub.com\nBirthday: 1999-01-23"
    );
}

#[test]
fn an_order_is_summarised() {
    assert_eq!(
        content(fixture!("order")).text,
        "[order from catalog 194836987003835] 2 × di9ozbzfi4 at 30 USD; \
         1 × nqryix03ez at 25 USD — note: Please deliver by Friday"
    );
}

#[test]
fn button_and_list_replies_pass_their_title_and_id() {
    let button = content(fixture!("interactive_button_reply"));
    assert_eq!(button.text, "Cancel [button: cancel-button]");
    assert_eq!(button.reply_to.as_deref(), Some("wamid.BOT2"));
    assert_eq!(
        content(fixture!("interactive_list_reply")).text,
        "Priority Mail Express — Next Day to 2 Days [list choice: priority_express]"
    );
    let flow = content(fixture!("interactive_nfm_reply")).text;
    assert!(flow.starts_with("[flow reply: flow] Sent\n{"), "{flow}");
    assert!(flow.contains("flow_token"), "{flow}");
    assert_eq!(
        content(fixture!("button")).text,
        "Stop promotions [quick reply: Unsubscribe]"
    );
}

#[test]
fn reactions_and_their_removal() {
    assert_eq!(
        content(fixture!("reaction")).kind,
        ContentKind::Reaction {
            target: "wamid.BOT6".into(),
            emoji: "👍".into()
        }
    );
    assert_eq!(
        content(fixture!("reaction_removed")).kind,
        ContentKind::Reaction {
            target: "wamid.BOT6".into(),
            emoji: String::new()
        }
    );
}

#[test]
fn edits_carry_the_new_text_and_deletions_their_target() {
    let edit = content(fixture!("edit"));
    let original = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzTEXT";
    assert_eq!(
        edit.kind,
        ContentKind::Edit {
            target: original.into()
        }
    );
    assert_eq!(edit.text, "Does it come in another colour?");
    let edited_image = content(fixture!("edit_image"));
    assert_eq!(edited_image.media[0].id, "1003383421387259");
    assert_eq!(edited_image.text, "My receipt (the right one)");
    assert_eq!(
        content(fixture!("revoke")).kind,
        ContentKind::Delete {
            target: original.into()
        }
    );
}

#[test]
fn system_notices_and_unknown_kinds_are_not_messages() {
    let changed = content(fixture!("system_changed_number"));
    assert_eq!(
        changed.kind,
        ContentKind::System {
            what: "user_changed_number".into()
        }
    );
    assert!(changed.text.contains("wa_id 16505553333"), "{}", changed.text);
    let older = content(fixture!("system_customer_changed_number"));
    assert!(older.text.contains("new_wa_id 16505554444"), "{}", older.text);
    assert_eq!(
        content(fixture!("system_identity_changed")).kind,
        ContentKind::System {
            what: "customer_identity_changed".into()
        }
    );
    let unsupported = content(fixture!("unsupported"));
    assert_eq!(
        unsupported.kind,
        ContentKind::Unknown {
            kind: "poll_update".into()
        }
    );
    assert_eq!(
        unsupported.text,
        "131051 Message type unknown: Message type is currently not supported."
    );
}

#[test]
fn an_ad_referral_is_noted_in_the_text() {
    let text = content(fixture!("referral")).text;
    assert_eq!(
        text,
        "Is this still available?\n[came from an ad: Spring sale on shrubs — https://fb.me/2ZulEu42P]"
    );
}

#[test]
fn a_malformed_message_costs_only_itself() {
    let parsed = parse(fixture!("batch_malformed"), PHONE_NUMBER_ID).expect("still a notification");
    let texts: Vec<&MessageBody> = parsed.messages.iter().map(|m| &m.body).collect();
    assert_eq!(
        texts,
        vec![
            &MessageBody::Text("first good one".into()),
            &MessageBody::Text("second good one".into())
        ]
    );
    // The image whose id is a number, the message without a sender, the contact whose profile
    // is a number.
    assert_eq!(parsed.malformed, 3, "{:?}", parsed.problems);
    assert!(parsed.problems.iter().any(|p| p.contains("BATCH2")), "{:?}", parsed.problems);
    assert!(parsed.problems.iter().any(|p| p.contains("neither `from`")));
    assert_eq!(parsed.messages[0].sender_name.as_deref(), Some("Sheena Nelson"));
}

#[test]
fn username_users_are_known_by_their_business_scoped_id() {
    let record = one(fixture!("from_user_id_only"));
    assert_eq!(record.sender, "US.13491208655302741918");
    assert_eq!(record.chat, "US.13491208655302741918");
    assert_eq!(record.sender_name.as_deref(), Some("Pablo Morales"));
    let record = one(fixture!("contact_without_wa_id"));
    assert_eq!(record.sender, "16505559876", "the number wins when there is one");
    assert_eq!(record.sender_name.as_deref(), Some("@lucky"));
}

#[test]
fn group_messages_say_their_group_and_whether_they_address_the_bot() {
    let group = |addressed| {
        Some(GroupContext {
            id: GROUP.into(),
            title: None,
            addressed,
        })
    };
    let record = one(fixture!("group_text"));
    assert_eq!(record.chat, format!("group:{GROUP}"));
    assert_eq!(record.sender, "16505551234");
    let MessageBody::Content(plain) = record.body else {
        panic!("a group text is content");
    };
    assert_eq!(plain.group, group(false));
    assert_eq!(plain.text, "What do you all think about this?");
    assert_eq!(content(fixture!("group_mention")).group, group(true));
    assert_eq!(content(fixture!("group_reply_to_bot")).group, group(true));
    let image = content(fixture!("group_image"));
    assert_eq!((image.group, image.media.len()), (group(false), 1));
}

#[test]
fn mentions_need_the_whole_number() {
    use super::message_kinds::group_of;
    assert_eq!(group_of("group:abc"), Some("abc"));
    assert_eq!(group_of("16505551234"), None);
    let body = |text: &str| {
        let json = String::from_utf8_lossy(fixture!("group_mention"))
            .replace("@15550783881 what time is it in Lisbon?", text);
        content(json.as_bytes()).group.map(|g| g.addressed)
    };
    assert_eq!(body("hey @+15550783881"), Some(true));
    assert_eq!(body("hey @155507838819"), Some(false));
    assert_eq!(body("hey 15550783881"), Some(false));
    assert_eq!(body("🎉 @15550783881!"), Some(true));
}

#[test]
fn the_emulators_builders_read_as_metas_payloads_do() {
    use pincer_emulators::graph::{self, kind, GraphApi};
    let graph = GraphApi::start("EAAx");
    let photo = graph.add_media("77", "image/png", b"png");
    let messages = [
        ("1", "wamid.1", kind::text("plain")),
        ("1", "wamid.2", kind::media("image", &photo, Some("cap"))),
        ("1", "wamid.3", kind::voice(&photo)),
        ("1", "wamid.4", kind::location(1.5, 2.25, "N", "A")),
        ("1", "wamid.5", kind::contacts("Ann Lee", "+1 555")),
        ("1", "wamid.6", kind::order("9", &[("sku", 2, 1.5, "EUR")])),
        ("1", "wamid.7", kind::button_reply("b", "Bee")),
        ("1", "wamid.8", kind::list_reply("l", "Ell", "d")),
        ("1", "wamid.9", kind::flow_reply("f", "done", "{}")),
        ("1", "wamid.10", kind::quick_reply("Stop", "STOP")),
        ("1", "wamid.11", kind::reaction("wamid.1", None)),
        ("1", "wamid.12", kind::edit("wamid.1", "plainer")),
        ("1", "wamid.13", kind::revoke("wamid.1")),
        ("1", "wamid.14", kind::changed_number("1", "2")),
        ("1", "wamid.15", kind::unsupported("poll_creation")),
        ("1", "wamid.16", kind::text("hi").in_group("G1")),
    ];
    let parsed = parse(&graph::kinds_webhook(PHONE_NUMBER_ID, &messages), PHONE_NUMBER_ID)
        .expect("a notification");
    assert_eq!(parsed.malformed, 0, "{:?}", parsed.problems);
    let bodies: Vec<Content> = parsed
        .messages
        .into_iter()
        .map(|m| match m.body {
            MessageBody::Text(text) => Content::text(text),
            MessageBody::Content(content) => *content,
            MessageBody::Unsupported { kind } => panic!("no new record is Unsupported ({kind})"),
        })
        .collect();
    assert_eq!(bodies.len(), messages.len());
    assert_eq!(bodies[1].media[0].sha256.as_deref(), Some(photo.sha256_base64.as_str()));
    assert_eq!(bodies[2].media[0].kind, MediaKind::Voice);
    assert_eq!(bodies[3].text, "[location] 1.5, 2.25 — N, A");
    assert!(bodies[4].text.contains("Name: Ann Lee\nPhone (CELL): +1 555"));
    assert_eq!(bodies[5].text, "[order from catalog 9] 2 × sku at 1.5 EUR");
    assert_eq!(bodies[6].text, "Bee [button: b]");
    assert_eq!(bodies[7].text, "Ell — d [list choice: l]");
    assert_eq!(bodies[8].text, "[flow reply: f] done\n{}");
    assert_eq!(bodies[9].text, "Stop [quick reply: STOP]");
    let kinds: Vec<&ContentKind> = bodies[10..15].iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        vec![
            &ContentKind::Reaction { target: "wamid.1".into(), emoji: String::new() },
            &ContentKind::Edit { target: "wamid.1".into() },
            &ContentKind::Delete { target: "wamid.1".into() },
            &ContentKind::System { what: "user_changed_number".into() },
            &ContentKind::Unknown { kind: "poll_creation".into() },
        ]
    );
    assert_eq!(bodies[11].text, "plainer");
    assert_eq!(bodies[15].group.as_ref().map(|g| g.id.as_str()), Some("G1"));
}
