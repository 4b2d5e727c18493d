//! Every parser of outside input, as a property: fed random bytes, random strings and mutated
//! valid inputs, each answers with an error or a value, never a panic. proptest shrinks a failing
//! input and prints it. These are the quick, always-run versions of the `cargo fuzz` targets in
//! `fuzz/` (same entry points); the journal's property is next to its frame scanner
//! (`channels/journal/frame.rs`), which it needs private access to.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::providers::anthropic::AnthropicDecoder;
use crate::providers::openai::OpenAiDecoder;
use crate::providers::sse::{Decoder, SseEvent, SseParser};

/// Cases per property: enough to catch shallow bugs on every run, few enough to keep it fast.
const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // A failure prints its shrunk input; nothing is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One change to a valid sample.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Cut(usize),
    Repeat(usize),
    Insert(usize, u8),
}

/// Bytes that make JSON and SSE parsers take other branches when inserted.
const PUNCTUATION: &[u8] = b"{}[]\":,\\\n\r: data event0-9e";

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        any::<usize>().prop_map(Edit::Cut),
        any::<usize>().prop_map(Edit::Repeat),
        (any::<usize>(), select(PUNCTUATION)).prop_map(|(at, b)| Edit::Insert(at, b)),
    ]
}

fn apply(mut input: Vec<u8>, edits: Vec<Edit>) -> Vec<u8> {
    for edit in edits {
        if input.is_empty() {
            break;
        }
        let len = input.len();
        match edit {
            Edit::Set(at, byte) => input[at % len] = byte,
            Edit::Cut(at) => input.truncate(at % len),
            Edit::Repeat(at) => {
                let piece = input[at % len..].to_vec();
                input.extend_from_slice(&piece);
            }
            Edit::Insert(at, byte) => input.insert(at % len, byte),
        }
    }
    input
}

/// Random bytes, random text, or one of `samples` with a few edits (the most likely to get deep).
fn inputs(samples: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..300),
        1 => any::<String>().prop_map(String::into_bytes),
        4 => (select(samples), vec(edit(), 1..5))
            .prop_map(|(sample, edits)| apply(sample.to_vec(), edits)),
    ]
}

const WHATSAPP: &[&[u8]] = &[
    br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"pn"},"contacts":[{"profile":{"name":"S"},"wa_id":"165"}],"messages":[{"from":"165","id":"wamid.1","type":"text","text":{"body":"hi"}},{"from":"165","id":"wamid.2","type":"image"}]},"field":"messages"}]}]}"#,
    br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"pn"},"statuses":[{"id":"w","status":"failed","recipient_id":"5","biz_opaque_callback_data":"pincer-1-2","errors":[{"code":131047,"title":"T","error_data":{"details":"d"}}]}],"errors":[{"code":4}]},"field":"messages"}]}]}"#,
];

const TELEGRAM: &[&[u8]] = &[
    br#"{"update_id":9,"message":{"message_id":4,"from":{"id":1,"is_bot":false,"first_name":"A","username":"a"},"chat":{"id":1,"type":"private"},"date":1,"text":"hi","photo":[{"file_id":"x"}]}}"#,
    br#"{"update_id":2,"edited_message":{"message_id":1},"message":{"message_id":1,"chat":{"id":-1,"type":"group"}}}"#,
];

const WS: &[&[u8]] = &[
    br#"{"type":"req","id":"1","method":"chat.send","params":{"message":"hi","idempotencyKey":"k"}}"#,
    br#"{"type":"req","id":"c","method":"connect","params":{"minProtocol":3,"maxProtocol":3,"role":"operator","scopes":["operator.read","x"],"client":{"id":"ui","version":"1","platform":"web","mode":"ui"},"auth":{"token":"t"}}}"#,
];

const OPENAI_SSE: &[u8] = b"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n\
data: [DONE]\n\n";

const ANTHROPIC_SSE: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":1}}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1}\"}}\n\n\
event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":5}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

const CONFIGS: &[&[u8]] = &[
    include_bytes!("../config/pincer.example.json5"),
    include_bytes!("../config/secure-template.json5"),
    b"{ gateway: { port: 1 }, channels: { whatsapp: { enabled: true } } }",
];

const SKILL_FILES: &[&[u8]] = &[
    b"---\nname: gh\ndescription: \"GitHub via gh\"\nmetadata: {\"openclaw\": {\"emoji\": \"x\", \"requires\": {\"bins\": [\"gh\"], \"env\": [\"A\"]}}}\n---\nbody\n",
    b"---\nname: 'a'\ndescription: >\n  folded\nmetadata:\n  openclaw:\n    requires:\n      bins:\n        - uv\n    install:\n      - id: brew\n        kind: brew\n---\n",
];

/// The events of `body` read in pieces of the given lengths (cycled), or `None` when too large.
fn events_in_reads(body: &[u8], lengths: &[usize]) -> Option<Vec<SseEvent>> {
    let mut parser = SseParser::new();
    let mut events = Vec::new();
    let mut rest = body;
    let mut next = lengths.iter().cycle();
    while !rest.is_empty() {
        let len = next
            .next()
            .map_or(rest.len(), |len| (*len).clamp(1, rest.len()));
        let (read, after) = rest.split_at(len);
        rest = after;
        events.append(&mut parser.push(read).ok()?);
    }
    Some(events)
}

/// Feeds `events` to `decoder` until it finishes or fails.
fn decode_all(mut decoder: impl Decoder, events: Vec<SseEvent>) {
    let mut out = VecDeque::new();
    for event in events {
        if !matches!(decoder.decode(event, &mut out), Ok(false)) {
            return;
        }
    }
    let _ = decoder.cut_off();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn whatsapp_webhooks_never_panic(body in inputs(WHATSAPP), header in any::<Option<String>>()) {
        use crate::channels::whatsapp::webhook::{parse, verify_signature};
        let _ = verify_signature(b"secret", &body, header.as_deref());
        if let Ok(parsed) = parse(&body, "pn") {
            prop_assert!(parsed.messages.iter().all(|m| m.account == "pn"));
        }
    }

    #[test]
    fn telegram_updates_never_panic(input in inputs(TELEGRAM)) {
        if let Ok(value) = serde_json::from_slice(&input) {
            let me = crate::channels::telegram::identity::BotIdentity::from_bot_id("1");
            let _ = crate::channels::telegram::update::parse(value, &me);
        }
    }

    #[test]
    fn websocket_request_and_connect_frames_never_panic(input in inputs(WS)) {
        use crate::control::{frames::parse_request, socket::parse_connect};
        if let Ok(request) = parse_request(&String::from_utf8_lossy(&input)) {
            prop_assert_eq!(request.kind.as_str(), "req");
            let _ = parse_connect(&request);
        }
    }

    #[test]
    fn sse_and_the_openai_decoder_never_panic_at_any_split(
        body in inputs(&[OPENAI_SSE]),
        lengths in vec(1..64usize, 0..8),
    ) {
        let events = events_in_reads(&body, &lengths);
        prop_assert_eq!(&events, &events_in_reads(&body, &[]), "split reads changed the events");
        decode_all(OpenAiDecoder::new("p"), events.unwrap_or_default());
    }

    #[test]
    fn sse_and_the_anthropic_decoder_never_panic_at_any_split(
        body in inputs(&[ANTHROPIC_SSE]),
        lengths in vec(1..64usize, 0..8),
    ) {
        let events = events_in_reads(&body, &lengths);
        prop_assert_eq!(&events, &events_in_reads(&body, &[]), "split reads changed the events");
        decode_all(AnthropicDecoder::new("p"), events.unwrap_or_default());
    }

    #[test]
    fn skill_front_matter_never_panics(input in inputs(SKILL_FILES)) {
        let _ = crate::agent::skills::parse_skill(&String::from_utf8_lossy(&input));
    }

    #[test]
    fn config_files_never_panic(input in inputs(CONFIGS)) {
        let text: Cow<'_, str> = String::from_utf8_lossy(&input);
        if let Ok(mut config) = crate::config::parse_str(&text, Path::new("fuzz.json5")) {
            if crate::config::apply_overrides(&mut config, &|_| None).is_ok() {
                let _ = crate::config::validate(&config);
            }
        }
    }
}
