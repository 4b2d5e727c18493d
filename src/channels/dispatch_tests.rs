//! Unit tests of the dispatch rules (`dispatch.rs`): which session, whether a turn, what note.

use std::collections::BTreeMap;

use super::*;
use crate::config::channels::conversation::GroupPolicy;
use crate::sessions::media::MediaKind;

fn record(body: MessageBody) -> InboundRecord {
    InboundRecord {
        channel: "telegram".into(),
        account: "42".into(),
        platform_id: "7001".into(),
        sender: "1001".into(),
        sender_name: Some("Ana".into()),
        chat: "-100555".into(),
        body,
        received_ms: 1,
    }
}

fn in_group(addressed: bool, text: &str) -> MessageBody {
    MessageBody::Content(Box::new(Content {
        text: text.into(),
        group: Some(GroupContext {
            id: "-100555".into(),
            title: Some("Family".into()),
            addressed,
        }),
        ..Content::default()
    }))
}

fn situation(settings: &ConversationSettings) -> Situation<'_> {
    Situation {
        channel: "telegram",
        direct_session: "agent:main:main".into(),
        conversation: settings.view(),
        media_source: None,
    }
}

fn settings(policy: GroupPolicy, groups: &[(&str, GroupConfig)]) -> ConversationSettings {
    let groups: BTreeMap<String, GroupConfig> = groups
        .iter()
        .map(|(id, group)| (id.to_string(), group.clone()))
        .collect();
    ConversationSettings {
        group_policy: policy,
        groups: Arc::new(groups),
        ..ConversationSettings::default()
    }
}

#[test]
fn a_private_text_is_a_turn_in_the_direct_session_with_its_origin() {
    let settings = ConversationSettings::default();
    let Action::Ask(ask) = decide(
        &record(MessageBody::Text("hi".into())),
        &situation(&settings),
    ) else {
        panic!("a text is asked");
    };
    assert_eq!(ask.session, "agent:main:main");
    assert_eq!(ask.text, "hi");
    let inbound = ask
        .request
        .inbound
        .as_ref()
        .expect("the origin travels with the turn");
    assert_eq!(
        (inbound.channel.as_str(), inbound.chat.as_str()),
        ("telegram", "-100555")
    );
    assert_eq!(inbound.platform_id, "7001");
    assert!(inbound.media.is_empty() && inbound.source.is_none());
}

#[test]
fn groups_follow_the_policy_and_the_mention_rule() {
    let allowlisted = settings(
        GroupPolicy::Allowlist,
        &[("-100555", GroupConfig::default())],
    );
    // Mentioned: a turn in the group's session, the speaker named.
    let Action::Ask(ask) = decide(
        &record(in_group(true, "@bot dinner?")),
        &situation(&allowlisted),
    ) else {
        panic!("an addressed group message is asked");
    };
    assert_eq!(ask.session, "agent:main:telegram:group:-100555");
    assert_eq!(ask.text, "Ana: @bot dinner?");
    // Not mentioned: recorded as context for the model, no turn.
    match decide(
        &record(in_group(false, "who cooks?")),
        &situation(&allowlisted),
    ) {
        Action::Record {
            session,
            note,
            then,
        } => {
            assert_eq!(session, "agent:main:telegram:group:-100555");
            assert_eq!(note.kind, NoteKind::Context);
            assert_eq!(note.text, "who cooks?");
            assert_eq!(note.from.as_deref(), Some("Ana"));
            assert!(note.for_model && then.is_none());
        }
        other => panic!("an unaddressed message is context, got {other:?}"),
    }
    // A group not on the list, and every group when disabled: nothing.
    let other_group = settings(
        GroupPolicy::Allowlist,
        &[("-100999", GroupConfig::default())],
    );
    assert!(matches!(
        decide(&record(in_group(true, "hi")), &situation(&other_group)),
        Action::Ignore {
            counter: Ignored::Refused,
            ..
        }
    ));
    let disabled = settings(
        GroupPolicy::Disabled,
        &[("-100555", GroupConfig::default())],
    );
    assert!(matches!(
        decide(&record(in_group(true, "hi")), &situation(&disabled)),
        Action::Ignore {
            counter: Ignored::Refused,
            ..
        }
    ));
    // `requireMention: false` answers everything; `allowFrom` limits who may ask.
    let chatty = GroupConfig {
        require_mention: false,
        system_prompt: Some("Be brief.".into()),
        ..GroupConfig::default()
    };
    let open = settings(GroupPolicy::Open, &[("-100555", chatty)]);
    let Action::Ask(ask) = decide(&record(in_group(false, "hi")), &situation(&open)) else {
        panic!("no mention needed");
    };
    assert_eq!(ask.request.system.as_deref(), Some("Be brief."));
    let members_only = GroupConfig {
        allow_from: vec!["2002".into()],
        ..GroupConfig::default()
    };
    let limited = settings(GroupPolicy::Allowlist, &[("*", members_only)]);
    assert!(matches!(
        decide(&record(in_group(true, "hi")), &situation(&limited)),
        Action::Record { .. }
    ));
}

#[test]
fn reactions_edits_and_deletions_are_notes_never_turns_by_default() {
    let defaults = ConversationSettings::default();
    let reaction = MessageBody::Content(Box::new(Content {
        kind: ContentKind::Reaction {
            target: "6999".into(),
            emoji: "👍".into(),
        },
        ..Content::default()
    }));
    match decide(&record(reaction.clone()), &situation(&defaults)) {
        Action::Record {
            note,
            then,
            session,
        } => {
            assert_eq!(session, "agent:main:main");
            assert_eq!((note.kind, note.text.as_str()), (NoteKind::Reaction, "👍"));
            assert_eq!(note.target.as_deref(), Some("6999"));
            assert!(
                !note.for_model,
                "reactions reach the model only when configured"
            );
            assert!(then.is_none());
        }
        other => panic!("{other:?}"),
    }
    let shown = ConversationSettings {
        reactions: ReactionMode::Model,
        ..ConversationSettings::default()
    };
    assert!(matches!(
        decide(&record(reaction.clone()), &situation(&shown)),
        Action::Record {
            note: Note {
                for_model: true,
                ..
            },
            ..
        }
    ));
    let off = ConversationSettings {
        reactions: ReactionMode::Off,
        ..ConversationSettings::default()
    };
    assert!(matches!(
        decide(&record(reaction), &situation(&off)),
        Action::Ignore {
            counter: Ignored::Nothing,
            ..
        }
    ));

    let edit = MessageBody::Content(Box::new(Content {
        kind: ContentKind::Edit {
            target: "6998".into(),
        },
        text: "see you at 8".into(),
        ..Content::default()
    }));
    assert!(matches!(
        decide(&record(edit.clone()), &situation(&defaults)),
        Action::Record {
            note: Note {
                kind: NoteKind::Edit,
                ..
            },
            then: None,
            ..
        }
    ));
    let asked = ConversationSettings {
        edits: EditMode::Turn,
        ..ConversationSettings::default()
    };
    match decide(&record(edit), &situation(&asked)) {
        Action::Record {
            then: Some(ask), ..
        } => assert!(ask.text.ends_with("see you at 8")),
        other => panic!("{other:?}"),
    }
    let deletion = MessageBody::Content(Box::new(Content {
        kind: ContentKind::Delete {
            target: "6997".into(),
        },
        ..Content::default()
    }));
    assert!(matches!(
        decide(&record(deletion), &situation(&defaults)),
        Action::Record {
            note: Note {
                kind: NoteKind::Delete,
                ..
            },
            then: None,
            ..
        }
    ));
}

#[test]
fn notices_unknown_kinds_and_empty_messages_are_not_answered() {
    let defaults = ConversationSettings::default();
    let body = |kind| {
        MessageBody::Content(Box::new(Content {
            kind,
            ..Content::default()
        }))
    };
    assert!(matches!(
        decide(
            &record(body(ContentKind::System {
                what: "number changed".into()
            })),
            &situation(&defaults)
        ),
        Action::Ignore {
            counter: Ignored::Notice,
            ..
        }
    ));
    assert!(matches!(
        decide(
            &record(body(ContentKind::Unknown {
                kind: "hologram".into()
            })),
            &situation(&defaults)
        ),
        Action::Ignore {
            counter: Ignored::Unknown,
            ..
        }
    ));
    assert!(matches!(
        decide(&record(body(ContentKind::Message)), &situation(&defaults)),
        Action::Ignore {
            counter: Ignored::Nothing,
            ..
        }
    ));
    assert!(!is_question(&record(body(ContentKind::Delete {
        target: "1".into()
    }))));
}

#[test]
fn media_go_with_the_turn_and_unaddressed_media_are_named_in_the_context() {
    let defaults = ConversationSettings::default();
    let photo = MediaRef {
        kind: MediaKind::Image,
        id: "file-1".into(),
        mime: Some("image/jpeg".into()),
        sha256: None,
        file_name: None,
        size: Some(1000),
        duration_s: None,
        dimensions: None,
        animated: false,
    };
    let body = MessageBody::Content(Box::new(Content {
        text: "my receipt".into(),
        media: vec![photo.clone()],
        ..Content::default()
    }));
    let Action::Ask(ask) = decide(&record(body), &situation(&defaults)) else {
        panic!("a photo is asked");
    };
    let inbound = ask.request.inbound.as_ref().expect("inbound");
    assert_eq!(inbound.media, vec![photo.clone()]);
    let group = settings(GroupPolicy::Open, &[]);
    let unaddressed = MessageBody::Content(Box::new(Content {
        media: vec![photo],
        group: Some(GroupContext {
            id: "g".into(),
            title: None,
            addressed: false,
        }),
        ..Content::default()
    }));
    match decide(&record(unaddressed), &situation(&group)) {
        Action::Record { note, .. } => assert_eq!(note.text, "[image]"),
        other => panic!("{other:?}"),
    }
}
