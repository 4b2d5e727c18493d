//! Unit tests of the Anthropic Messages client (`anthropic.rs`): request bodies and stream decoding.

use super::*;

fn decode_all(events: &[(&str, &str)]) -> (Vec<StreamEvent>, Result<bool, ProviderError>) {
    let mut decoder = AnthropicDecoder::new("anthropic");
    let mut out = VecDeque::new();
    let mut last = Ok(false);
    for (name, data) in events {
        last = decoder.decode(
            SseEvent {
                event: Some(name.to_string()),
                data: data.to_string(),
            },
            &mut out,
        );
        if !matches!(last, Ok(false)) {
            break;
        }
    }
    (out.into_iter().collect(), last)
}

fn call(id: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: "get_weather".into(),
        arguments,
    }
}

#[test]
fn tool_results_merge_into_one_user_message_before_new_text() {
    let request = ChatRequest {
        model: "claude".into(),
        system: Some("Be brief.".into()),
        history: Default::default(),
        messages: vec![
            ChatMessage::User {
                content: "Weather?".into(),
                images: Vec::new(),
            },
            ChatMessage::Assistant {
                text: "Checking.".into(),
                tool_calls: vec![call("t1", json!({"city": "SF"})), call("t2", json!({}))],
            },
            ChatMessage::Tool {
                call_id: "t1".into(),
                name: "get_weather".into(),
                content: "15C".into(),
                is_error: false,
            },
            ChatMessage::Tool {
                call_id: "t2".into(),
                name: "get_weather".into(),
                content: "boom".into(),
                is_error: true,
            },
            ChatMessage::User {
                content: "Thanks".into(),
                images: Vec::new(),
            },
        ],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: "Weather".into(),
            parameters: json!({"type": "object"}),
        }]
        .into(),
        max_tokens: 512,
        sampling: Default::default(),
    };
    let body = request_body(&request);
    assert_eq!(body["system"], "Be brief.");
    assert_eq!(body["max_tokens"], 512);
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(
        messages[1]["content"][0],
        json!({"type":"text","text":"Checking."})
    );
    assert_eq!(messages[1]["content"][1]["input"], json!({"city": "SF"}));
    let results = &messages[2]["content"];
    assert_eq!(results[0]["tool_use_id"], "t1");
    assert_eq!(results[0].get("is_error"), None);
    assert_eq!(results[1]["is_error"], true);
    assert_eq!(results[2], json!({"type":"text","text":"Thanks"}));
}

#[test]
fn a_tool_use_stream_yields_the_call_then_usage_then_finished() {
    let (events, end) = decode_all(&[
        (
            "message_start",
            r#"{"type":"message_start","message":{"usage":{"input_tokens":472,"output_tokens":2}}}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
        ("ping", r#"{"type": "ping"}"#),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"loc"}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ation\": \"SF\"}"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
        ("some_future_event", r#"{"type":"some_future_event"}"#),
        (
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":89}}"#,
        ),
        ("message_stop", r#"{"type":"message_stop"}"#),
    ]);
    assert_eq!(end, Ok(true));
    assert_eq!(
        events,
        vec![
            StreamEvent::Text("Okay".into()),
            StreamEvent::ToolCall(ToolCall {
                id: "toolu_1".into(),
                name: "get_weather".into(),
                arguments: json!({"location": "SF"})
            }),
            StreamEvent::Usage(Usage {
                input_tokens: 472,
                output_tokens: 89
            }),
            StreamEvent::Finished(StopReason::ToolUse),
        ]
    );
}

#[test]
fn bad_input_json_and_error_events_fail_the_stream() {
    let (_, end) = decode_all(&[
        (
            "content_block_start",
            r#"{"index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#,
        ),
        (
            "content_block_delta",
            r#"{"index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}"#,
        ),
        ("content_block_stop", r#"{"index":0}"#),
    ]);
    assert_eq!(end.expect_err("bad json").kind, ErrorKind::Protocol);
    let (_, end) = decode_all(&[(
        "error",
        r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
    )]);
    assert_eq!(end.expect_err("overloaded").kind, ErrorKind::Overloaded);
    let (_, end) = decode_all(&[(
        "error",
        r#"{"type": "error", "error": {"type": "api_error", "message": "Internal"}}"#,
    )]);
    assert_eq!(end.expect_err("api error").kind, ErrorKind::Server);
}

/// Seen while writing the fuzz targets (the input, after the target's chunking byte, crashed
/// `sse_anthropic` before the fix): usage counts whose sum overflows a u64 saturate.
#[test]
fn huge_usage_counts_saturate() {
    let input = include_bytes!("../../fuzz/regressions/sse_anthropic/usage-sum-overflow");
    let mut parser = crate::providers::sse::SseParser::new();
    let events = parser.push(&input[1..]).expect("small input");
    let mut decoder = AnthropicDecoder::new("anthropic");
    let mut out = VecDeque::new();
    for event in events {
        assert_eq!(decoder.decode(event, &mut out).ok(), Some(false));
    }
    assert_eq!(decoder.usage.map(|u| u.input_tokens), Some(u64::MAX));
}
