//! The provider clients against the OpenAI and Anthropic emulators: streaming text and tool
//! calls, the mapping of conversations to each wire format, connection reuse, and Ollama's
//! variant of the OpenAI stream. Errors, broken streams and the catalog are in
//! `tests/integration/providers/errors.rs`; the shared helpers in `tests/integration/support/provider_calls.rs`.

use std::time::Duration;

use crate::support::provider_calls::{call, catalog, client, provider, request};
use pincer::config::{ModelsConfig, ProviderApi};
use pincer::providers::catalog::ProviderCatalog;
use pincer::providers::{ChatMessage, ChatRequest, StopReason, ToolCall, ToolSpec, Usage};
use pincer_emulators::{Emulator, Reply};
use serde_json::json;

#[actix_web::test]
async fn openai_text_turn_streams_text_usage_and_end_turn() {
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["Hel", "lo, ", "wor", "ld"]));
    let catalog = catalog(Some(&emulator), None);
    let (client, model) = client(&catalog, "openai/gpt-test");
    let outcome = call(&client, request(&model, "say hello please"))
        .await
        .expect("starts");
    let (usage, reason) = outcome.expect_complete();
    assert_eq!(outcome.text(), "Hello, world");
    assert_eq!(
        usage,
        Usage {
            input_tokens: 3,
            output_tokens: 4
        }
    );
    assert_eq!(reason, StopReason::EndTurn);
    let sent = &emulator.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(sent.body["model"], "gpt-test");
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    assert_eq!(sent.body["max_completion_tokens"], 256);
}

#[actix_web::test]
async fn anthropic_text_turn_streams_text_usage_and_end_turn() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::text(&["Bon", "jour", " à tous"]));
    let catalog = catalog(None, Some(&emulator));
    let (client, model) = client(&catalog, "anthropic/claude-test");
    let mut req = request(&model, "greet everyone");
    req.system = Some("Be warm.".into());
    let outcome = call(&client, req).await.expect("starts");
    let (usage, reason) = outcome.expect_complete();
    assert_eq!(outcome.text(), "Bonjour à tous");
    // message_start said output 1; the cumulative message_delta count (3) wins.
    assert_eq!(
        usage,
        Usage {
            input_tokens: 4,
            output_tokens: 3
        }
    );
    assert_eq!(reason, StopReason::EndTurn);
    let sent = &emulator.requests()[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.body["system"], "Be warm.");
    assert_eq!(sent.body["max_tokens"], 256);
}

const FRAGMENTS: [&str; 4] = ["{\"ci", "ty\": \"Pa", "ris\", \"unit", "s\": [\"C\"]}"];

#[actix_web::test]
async fn openai_tool_call_fragments_split_mid_token_are_joined() {
    let emulator = Emulator::openai();
    emulator.push(Reply::tool_call("call_abc", "get_weather", &FRAGMENTS));
    let catalog = catalog(Some(&emulator), None);
    let (client, model) = client(&catalog, "openai/gpt-test");
    let outcome = call(&client, request(&model, "weather?"))
        .await
        .expect("starts");
    let (usage, reason) = outcome.expect_complete();
    assert_eq!(
        outcome.tool_calls(),
        vec![ToolCall {
            id: "call_abc".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris", "units": ["C"]}),
        }]
    );
    assert_eq!(usage.output_tokens, 4);
    assert_eq!(reason, StopReason::ToolUse);
}

#[actix_web::test]
async fn anthropic_tool_call_fragments_split_mid_token_are_joined() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::tool_call("toolu_01", "get_weather", &FRAGMENTS));
    let catalog = catalog(None, Some(&emulator));
    let (client, model) = client(&catalog, "anthropic/claude-test");
    let outcome = call(&client, request(&model, "weather?"))
        .await
        .expect("starts");
    let (_, reason) = outcome.expect_complete();
    assert_eq!(
        outcome.tool_calls(),
        vec![ToolCall {
            id: "toolu_01".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris", "units": ["C"]}),
        }]
    );
    assert_eq!(reason, StopReason::ToolUse);
}

/// A conversation with a tool round trip, for checking how each client maps it.
fn tool_conversation(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_string(),
        system: Some("You are terse.".into()),
        history: Default::default(),
        messages: vec![
            ChatMessage::User {
                content: "Weather in Paris and Rome?".into(),
                images: Vec::new(),
            },
            ChatMessage::Assistant {
                text: "Checking.".into(),
                tool_calls: vec![
                    ToolCall {
                        id: "c1".into(),
                        name: "get_weather".into(),
                        arguments: json!({"city": "Paris"}),
                    },
                    ToolCall {
                        id: "c2".into(),
                        name: "get_weather".into(),
                        arguments: json!({"city": "Rome"}),
                    },
                ],
            },
            ChatMessage::Tool {
                call_id: "c1".into(),
                name: "get_weather".into(),
                content: "18C".into(),
                is_error: false,
            },
            ChatMessage::Tool {
                call_id: "c2".into(),
                name: "get_weather".into(),
                content: "timeout".into(),
                is_error: true,
            },
        ],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: "Current weather".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        }]
        .into(),
        max_tokens: 100,
        sampling: Default::default(),
    }
}

#[actix_web::test]
async fn conversations_with_tool_results_map_to_each_wire_format() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    let catalog = catalog(Some(&openai), Some(&anthropic));
    for model_ref in ["openai/gpt-test", "anthropic/claude-test"] {
        let (client, model) = client(&catalog, model_ref);
        let outcome = call(&client, tool_conversation(&model))
            .await
            .expect("starts");
        outcome.expect_complete();
        assert_eq!(outcome.text(), "echo: Weather in Paris and Rome?");
    }
    let sent = &openai.requests()[0].body;
    let messages = sent["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 5, "{messages:#?}");
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[2]["tool_calls"][1]["function"]["arguments"],
        "{\"city\":\"Rome\"}"
    );
    assert_eq!(messages[4]["tool_call_id"], "c2");
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");

    let sent = &anthropic.requests()[0].body;
    let messages = sent["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert_eq!(messages[1]["content"][2]["type"], "tool_use");
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"][1]["tool_use_id"], "c2");
    assert_eq!(messages[2]["content"][1]["is_error"], true);
    assert_eq!(sent["tools"][0]["input_schema"]["type"], "object");
}

#[actix_web::test]
async fn the_ollama_variant_and_events_split_across_reads_parse() {
    // Ollama: role and content on every delta, the whole tool call in one chunk; CRLF line ends
    // and an event split mid-JSON and mid-CRLF across writes.
    let emulator = Emulator::openai();
    let chunk = |delta: &str, finish: &str| {
        format!(
            "data: {{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"model\":\"qwen3\",\"system_fingerprint\":\"fp_ollama\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\r\n\r\n"
        )
    };
    let text = chunk(r#"{"role":"assistant","content":"Let me check."}"#, "null");
    let (text_a, text_b) = text.split_at(40);
    let tool = chunk(
        r#"{"role":"assistant","content":"","tool_calls":[{"id":"call_x1","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Toronto\"}"}}]}"#,
        "null",
    );
    let finish = chunk(r#"{"role":"assistant","content":""}"#, "\"tool_calls\"");
    let (finish_a, finish_b) = finish.split_at(finish.len() - 3); // between "\r\n" and "\r\n"
    let usage = "data: {\"id\":\"chatcmpl-7\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21}}\r\n\r\n";
    emulator.push(Reply::raw(&[
        text_a,
        text_b,
        &tool,
        finish_a,
        finish_b,
        usage,
        "data: [DONE]\r\n\r\n",
    ]));
    let mut models = ModelsConfig::default();
    let config = provider(ProviderApi::OpenaiCompletions, emulator.base_url(), None);
    models.providers.insert("ollama".into(), config);
    let catalog = ProviderCatalog::from_config(&models, &|_| None);
    let (client, model) = client(&catalog, "ollama/qwen3:8b");
    let outcome = call(&client, request(&model, "weather?"))
        .await
        .expect("starts");
    let (usage, reason) = outcome.expect_complete();
    assert_eq!(outcome.text(), "Let me check.");
    assert_eq!(
        outcome.tool_calls(),
        vec![ToolCall {
            id: "call_x1".into(),
            name: "get_weather".into(),
            arguments: json!({"city": "Toronto"}),
        }]
    );
    assert_eq!(
        usage,
        Usage {
            input_tokens: 12,
            output_tokens: 9
        }
    );
    assert_eq!(reason, StopReason::ToolUse);
    assert_eq!(emulator.requests()[0].header("authorization"), None);
}

#[actix_web::test]
async fn connections_are_reused_and_calls_run_concurrently() {
    let emulator = Emulator::anthropic();
    let catalog = catalog(None, Some(&emulator));
    let (client, model) = client(&catalog, "anthropic/claude-test");
    for turn in 0..3 {
        let outcome = call(&client, request(&model, &format!("turn {turn}")))
            .await
            .expect("starts");
        outcome.expect_complete();
        assert_eq!(outcome.text(), format!("echo: turn {turn}"));
    }
    assert_eq!(
        emulator.connections(),
        1,
        "sequential calls share a connection"
    );

    emulator.set_delay(Duration::from_millis(300));
    let calls = (0..4).map(|n| {
        let client = client.clone();
        let req = request(&model, &format!("parallel {n}"));
        async move { call(&client, req).await }
    });
    for (n, outcome) in futures_util::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        let outcome = outcome.expect("starts");
        outcome.expect_complete();
        assert_eq!(outcome.text(), format!("echo: parallel {n}"));
    }
    assert_eq!(emulator.max_in_flight(), 4);
}
