use super::*;

fn accounts() -> Accounts {
    Accounts {
        telegram: Some("42".into()),
    }
}

#[test]
fn keys_map_to_the_ones_pincer_routes_to() {
    let scope = DmScope::PerChannelPeer;
    assert_eq!(
        map_key("agent:main:main", scope, &accounts()).unwrap(),
        "agent:main:main"
    );
    assert_eq!(
        map_key(
            "agent:main:whatsapp:direct:+15557770002",
            scope,
            &accounts()
        )
        .unwrap(),
        "agent:main:whatsapp:direct:15557770002",
        "WhatsApp's Cloud API sends numbers without +"
    );
    assert_eq!(
        map_key("agent:main:telegram:direct:111", scope, &accounts()).unwrap(),
        "agent:main:telegram:direct:111"
    );
    assert_eq!(
        map_key("agent:main:direct:+1555", DmScope::PerPeer, &accounts()).unwrap(),
        "agent:main:direct:1555"
    );
    assert_eq!(
        map_key(
            "agent:main:telegram:default:direct:111",
            DmScope::PerAccountChannelPeer,
            &accounts()
        )
        .unwrap(),
        "agent:main:telegram:42:direct:111",
        "the account is the bot's id, as Pincer's Telegram channel names it"
    );
    assert_eq!(
        map_key("agent:main:openai-user:abc", scope, &accounts()).unwrap(),
        "agent:main:openai-user:abc",
        "a key the HTTP API made stays as it is"
    );
}

#[test]
fn keys_pincer_cannot_continue_are_refused_with_a_reason() {
    let scope = DmScope::PerChannelPeer;
    let cases = [
        ("cron:job-1", "cron"),
        ("hook:gmail:1", "hooks"),
        ("agent:work:main", "one agent"),
        ("agent:main:whatsapp:group:1203@g.us", "group"),
        ("agent:main:discord:channel:99", "group"),
        ("agent:main:discord:direct:99", "no discord channel"),
        ("agent:main:whatsapp:direct:not-a-number", "sender"),
        ("agent:main:telegram:direct:5", ""),
        ("agent:main:direct:5", "dmScope"),
        ("agent:main:whatsapp:default:direct:1", "phoneNumberId"),
    ];
    for (key, why) in cases {
        let result = map_key(key, scope, &accounts());
        if why.is_empty() {
            assert!(result.is_ok(), "{key}: {result:?}");
        } else {
            let reason = result.expect_err(key);
            assert!(reason.contains(why), "{key}: {reason}");
        }
    }
}

const TRANSCRIPT: &str = r#"{"type":"session","version":3,"id":"s1","timestamp":"2026-12-01T09:00:00.000Z","cwd":"/w"}
{"type":"message","id":"1","parentId":null,"message":{"role":"user","content":[{"type":"text","text":"Q1"},{"type":"image","data":"xx"}],"timestamp":10}}
{"type":"message","id":"2","parentId":"1","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hm"},{"type":"toolCall","id":"c1","name":"read","arguments":{"path":"a"}}],"provider":"openai","model":"gpt-4o","usage":{"input":5,"output":2},"timestamp":11}}
{"type":"message","id":"3","parentId":"2","message":{"role":"toolResult","toolCallId":"c1","toolName":"read","content":[{"type":"text","text":"A"}],"isError":true,"timestamp":12}}
this line is not JSON
{"type":"message","id":"4","parentId":"3","message":{"role":"assistant","content":[{"type":"text","text":"A1"}],"timestamp":13}}
{"type":"message","id":"5","parentId":"4","message":{"role":"user","content":"Q2","timestamp":20}}
{"type":"message","id":"6","parentId":"5","message":{"role":"assistant","content":[{"type":"text","text":"abandoned"}],"timestamp":21}}
{"type":"message","id":"7","parentId":"5","message":{"role":"assistant","content":[{"type":"text","text":"A2"}],"timestamp":22}}
{"type":"compaction","id":"8","parentId":"7","summary":"s","firstKeptEntryId":"1"}
"#;

#[test]
fn a_transcript_becomes_turns_along_its_active_branch() {
    let converted = convert("agent:main:main", "agent:main:main", TRANSCRIPT);
    assert_eq!(converted.bad_lines, 1);
    assert_eq!(converted.first_bad_line, Some(5));
    assert_eq!(converted.turns, 2);
    let messages: Vec<(String, ChatMessage)> = converted
        .entries
        .iter()
        .map(|entry| match entry {
            Entry::Message { turn, message, .. } => (turn.clone(), message.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                "import-1".into(),
                ChatMessage::User {
                    content: "Q1\n[image]".into(),
                    images: Vec::new(),
                }
            ),
            (
                "import-1".into(),
                ChatMessage::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "c1".into(),
                        name: "read".into(),
                        arguments: serde_json::json!({ "path": "a" }),
                    }],
                }
            ),
            (
                "import-1".into(),
                ChatMessage::Tool {
                    call_id: "c1".into(),
                    name: "read".into(),
                    content: "A".into(),
                    is_error: true,
                }
            ),
            (
                "import-1".into(),
                ChatMessage::Assistant {
                    text: "A1".into(),
                    tool_calls: vec![]
                }
            ),
            (
                "import-2".into(),
                ChatMessage::User {
                    content: "Q2".into(),
                    images: Vec::new(),
                }
            ),
            (
                "import-2".into(),
                ChatMessage::Assistant {
                    text: "A2".into(),
                    tool_calls: vec![]
                }
            ),
        ],
        "the abandoned branch is left out"
    );
    match &converted.entries[1] {
        Entry::Message {
            ts_ms,
            usage,
            model,
            ..
        } => {
            assert_eq!(*ts_ms, 11);
            assert_eq!(
                *usage,
                Some(Usage {
                    input_tokens: 5,
                    output_tokens: 2
                })
            );
            assert_eq!(model.as_deref(), Some("openai/gpt-4o"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_parent_cycle_or_garbage_never_hangs_or_panics() {
    let cyclic = r#"{"type":"message","id":"a","parentId":"b","message":{"role":"user","content":"x"}}
{"type":"message","id":"b","parentId":"a","message":{"role":"assistant","content":"y"}}"#;
    let converted = convert("k", "k", cyclic);
    assert_eq!(converted.entries.len(), 2);
    let garbage = "\u{0}\u{1}{{{\n[1,2]\n\"str\"\n{\"type\":\"message\",\"message\":{\"role\":7}}";
    let converted = convert("k", "k", garbage);
    assert!(converted.entries.is_empty());
    assert_eq!(converted.bad_lines, 3);
}

#[test]
fn the_index_gives_keys_and_ids() {
    let index =
        read_index(br#"{"agent:main:main":{"sessionId":"s1","updatedAt":1},"broken":{"no":"id"}}"#)
            .unwrap();
    assert_eq!(index, [("agent:main:main".to_string(), "s1".to_string())]);
    assert!(read_index(b"[1]").is_err());
    assert!(read_index(b"{").is_err());
}
