//! Unit tests of the session actor (`actor.rs`).

use super::*;
use crate::providers::ChatMessage;

fn question(turn: &str, text: &str, members: &[&str]) -> Entry {
    Entry::Message {
        ts_ms: 0,
        turn: turn.into(),
        message: ChatMessage::User {
            content: text.into(),
            images: Vec::new(),
        },
        usage: None,
        model: None,
        members: members.iter().map(|m| m.to_string()).collect(),
        source: None,
    }
}

#[test]
fn a_replayed_message_finds_the_collected_turn_that_holds_it() {
    let entries = vec![
        question("wa-1-0", "one", &[]),
        Entry::Message {
            ts_ms: 0,
            turn: "wa-1-0".into(),
            message: ChatMessage::Assistant {
                text: "echo: one".into(),
                tool_calls: vec![],
            },
            usage: None,
            model: None,
            members: vec![],
            source: None,
        },
        question("wa-2-0", "two\n\nthree", &["wa-2-0", "wa-3-0"]),
    ];
    let own = plan_holding(&entries, "wa-1-0").expect("its own turn");
    assert_eq!((own.id.as_str(), own.members.len()), ("wa-1-0", 1));
    let member = plan_holding(&entries, "wa-3-0").expect("the collected turn");
    assert_eq!(member.id, "wa-2-0");
    assert_eq!(member.text, "two\n\nthree");
    assert_eq!(member.members, vec!["wa-2-0", "wa-3-0"]);
    assert!(plan_holding(&entries, "wa-4-0").is_none(), "a new message");
}
