//! The provider clients against the OpenAI and Anthropic emulators: streaming text and tool
//! calls, error classification, broken streams, and the catalog's resolution of model refs.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use pincer::config::{ModelsConfig, ProviderApi, ProviderConfig, Secret};
use pincer::providers::catalog::{ModelClient, ProviderCatalog};
use pincer::providers::{
    ChatMessage, ChatRequest, ErrorKind, EventStream, ProviderError, StopReason, StreamEvent,
    ToolCall, ToolSpec, Usage,
};
use serde_json::json;
use support::emulators::{Emulator, Reply};

/// The longest any single test waits for a stream.
const TEST_LIMIT: Duration = Duration::from_secs(20);

fn provider(api: ProviderApi, base_url: String, key: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        api,
        base_url,
        api_key: key.map(Secret::new),
        api_key_env: None,
        headers: BTreeMap::new(),
    }
}

/// A catalog whose `openai` and/or `anthropic` point at emulators, with key `sk-test`.
fn catalog(openai: Option<&Emulator>, anthropic: Option<&Emulator>) -> ProviderCatalog {
    let mut models = ModelsConfig::default();
    if let Some(emulator) = openai {
        let config = provider(
            ProviderApi::OpenaiCompletions,
            emulator.base_url(),
            Some("sk-test"),
        );
        models.providers.insert("openai".into(), config);
    }
    if let Some(emulator) = anthropic {
        let config = provider(
            ProviderApi::AnthropicMessages,
            emulator.base_url(),
            Some("sk-test"),
        );
        models.providers.insert("anthropic".into(), config);
    }
    ProviderCatalog::from_config(&models, &|_| None)
}

fn client(catalog: &ProviderCatalog, model_ref: &str) -> (ModelClient, String) {
    catalog
        .resolve(model_ref)
        .unwrap_or_else(|e| panic!("resolve {model_ref}: {e}"))
}

fn request(model: &str, text: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_string(),
        system: None,
        messages: vec![ChatMessage::User {
            content: text.to_string(),
        }],
        tools: Vec::new(),
        max_tokens: 256,
    }
}

/// What a stream delivered: its events and the error that ended it, if any.
#[derive(Debug)]
struct Outcome {
    events: Vec<StreamEvent>,
    error: Option<ProviderError>,
}

impl Outcome {
    fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn tool_calls(&self) -> Vec<ToolCall> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(call) => Some(call.clone()),
                _ => None,
            })
            .collect()
    }

    /// Asserts a complete stream: no error, then `Usage` and `Finished` last, in that order.
    fn expect_complete(&self) -> (Usage, StopReason) {
        if let Some(error) = &self.error {
            panic!("stream failed: {error}\nevents: {:#?}", self.events);
        }
        match self.events.as_slice() {
            [.., StreamEvent::Usage(usage), StreamEvent::Finished(reason)] => {
                (*usage, reason.clone())
            }
            other => panic!("expected … Usage, Finished at the end; got {other:#?}"),
        }
    }

    /// Asserts the stream failed (after its events) with `kind`.
    fn expect_error(&self, kind: ErrorKind) -> &ProviderError {
        match &self.error {
            Some(error) if error.kind == kind => error,
            Some(error) => panic!("expected {kind:?}, got {:?}: {error}", error.kind),
            None => panic!(
                "expected {kind:?}, but the stream completed: {:#?}",
                self.events
            ),
        }
    }
}

/// Drains `stream`, stopping at the first error.
async fn collect(mut stream: EventStream) -> Outcome {
    let mut events = Vec::new();
    let drain = async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => events.push(event),
                Err(error) => return Some(error),
            }
        }
        None
    };
    let error = actix_web::rt::time::timeout(TEST_LIMIT, drain)
        .await
        .unwrap_or_else(|_| panic!("the stream did not end within {TEST_LIMIT:?}"));
    Outcome { events, error }
}

/// Starts a call and drains it; `Err` is a failure before the stream started.
async fn call(client: &ModelClient, request: ChatRequest) -> Result<Outcome, ProviderError> {
    let started = actix_web::rt::time::timeout(TEST_LIMIT, client.stream(request))
        .await
        .unwrap_or_else(|_| panic!("the call did not start within {TEST_LIMIT:?}"))?;
    Ok(collect(started).await)
}

/// A call expected to fail before streaming, with `kind`.
async fn call_error(client: &ModelClient, request: ChatRequest, kind: ErrorKind) -> ProviderError {
    match call(client, request).await {
        Err(error) if error.kind == kind => error,
        Err(error) => panic!("expected {kind:?}, got {:?}: {error}", error.kind),
        Ok(outcome) => panic!("expected {kind:?} before the stream, got {outcome:#?}"),
    }
}

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
        messages: vec![
            ChatMessage::User {
                content: "Weather in Paris and Rome?".into(),
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
        }],
        max_tokens: 100,
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
async fn rate_limits_carry_retry_after_for_both_apis() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    openai.push(Reply::rate_limited(7));
    anthropic.push(Reply::rate_limited(3));
    let catalog = catalog(Some(&openai), Some(&anthropic));
    let (client_o, model) = client(&catalog, "openai/gpt-test");
    let error = call_error(&client_o, request(&model, "hi"), ErrorKind::RateLimited).await;
    assert_eq!(error.status, Some(429));
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert!(error.starts_cooldown() && error.allows_fallback());
    let (client_a, model) = client(&catalog, "anthropic/claude-test");
    let error = call_error(&client_a, request(&model, "hi"), ErrorKind::RateLimited).await;
    assert_eq!(error.retry_after, Some(Duration::from_secs(3)));
    assert!(error.message.contains("rate_limit_error"), "{error}");
}

#[actix_web::test]
async fn anthropic_529_is_overloaded_and_retryable() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::status(529));
    let catalog = catalog(None, Some(&emulator));
    let (client, model) = client(&catalog, "anthropic/claude-test");
    let error = call_error(&client, request(&model, "hi"), ErrorKind::Overloaded).await;
    assert_eq!(error.status, Some(529));
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        "anthropic: overloaded_error: Overloaded (HTTP 529)"
    );
}

#[actix_web::test]
async fn insufficient_quota_is_not_a_rate_limit() {
    let emulator = Emulator::openai();
    emulator.push(Reply::insufficient_quota());
    let catalog = catalog(Some(&emulator), None);
    let (client, model) = client(&catalog, "openai/gpt-test");
    let error = call_error(&client, request(&model, "hi"), ErrorKind::QuotaExhausted).await;
    assert!(!error.is_retryable());
    assert!(
        error.message.contains("exceeded your current quota"),
        "{error}"
    );
}

#[actix_web::test]
async fn a_wrong_key_is_an_auth_error_for_both_apis() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    openai.require_api_key(Some("sk-right"));
    anthropic.require_api_key(Some("sk-right"));
    let catalog = catalog(Some(&openai), Some(&anthropic));
    for model_ref in ["openai/gpt-test", "anthropic/claude-test"] {
        let (client, model) = client(&catalog, model_ref);
        let error = call_error(&client, request(&model, "hi"), ErrorKind::Auth).await;
        assert_eq!(error.status, Some(401), "{error}");
    }
}

#[actix_web::test]
async fn context_overflow_is_recognised_for_both_apis() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    openai.push(Reply::status_with_body(
        400,
        r#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
    ));
    anthropic.push(Reply::status_with_body(
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208000 tokens > 200000 maximum"}}"#,
    ));
    anthropic.push(Reply::status(400));
    let catalog = catalog(Some(&openai), Some(&anthropic));
    let (client_o, model) = client(&catalog, "openai/gpt-test");
    let error = call_error(&client_o, request(&model, "hi"), ErrorKind::ContextOverflow).await;
    assert!(!error.allows_fallback());
    let (client_a, model) = client(&catalog, "anthropic/claude-test");
    call_error(&client_a, request(&model, "hi"), ErrorKind::ContextOverflow).await;
    call_error(&client_a, request(&model, "hi"), ErrorKind::InvalidRequest).await;
}

#[actix_web::test]
async fn a_mid_stream_error_fails_the_stream_after_its_text() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    openai.push(Reply::mid_stream_error(&["par", "tial"], "server_error"));
    anthropic.push(Reply::mid_stream_error(
        &["par", "tial"],
        "overloaded_error",
    ));
    let catalog = catalog(Some(&openai), Some(&anthropic));
    let (client_o, model) = client(&catalog, "openai/gpt-test");
    let outcome = call(&client_o, request(&model, "hi"))
        .await
        .expect("starts");
    assert_eq!(outcome.text(), "partial");
    outcome.expect_error(ErrorKind::Server);
    let (client_a, model) = client(&catalog, "anthropic/claude-test");
    let outcome = call(&client_a, request(&model, "hi"))
        .await
        .expect("starts");
    assert_eq!(outcome.text(), "partial");
    let error = outcome.expect_error(ErrorKind::Overloaded);
    assert!(error.message.contains("Overloaded"), "{error}");
}

#[actix_web::test]
async fn a_dropped_connection_is_a_network_error_for_both_apis() {
    let openai = Emulator::openai();
    let anthropic = Emulator::anthropic();
    openai.push(Reply::DropConnection);
    anthropic.push(Reply::DropConnection);
    let catalog = catalog(Some(&openai), Some(&anthropic));
    for model_ref in ["openai/gpt-test", "anthropic/claude-test"] {
        let (client, model) = client(&catalog, model_ref);
        let outcome = call(&client, request(&model, "hi")).await.expect("starts");
        assert_eq!(outcome.text(), "cut short", "{model_ref}");
        let error = outcome.expect_error(ErrorKind::Network);
        assert!(error.is_retryable());
    }
}

#[actix_web::test]
async fn an_unreachable_server_is_a_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut models = ModelsConfig::default();
    let config = provider(
        ProviderApi::OpenaiCompletions,
        format!("http://127.0.0.1:{port}/v1"),
        None,
    );
    models.providers.insert("local".into(), config);
    let catalog = ProviderCatalog::from_config(&models, &|_| None);
    let (client, model) = client(&catalog, "local/m");
    let error = call_error(&client, request(&model, "hi"), ErrorKind::Network).await;
    assert!(error.message.contains("request failed"), "{error}");
}

#[actix_web::test]
async fn a_stalled_stream_delivers_what_came_and_then_waits() {
    let emulator = Emulator::openai();
    emulator.push(Reply::Stall(Duration::from_secs(3)));
    let catalog = catalog(Some(&emulator), None);
    let (client, model) = client(&catalog, "openai/gpt-test");
    let mut stream = client.stream(request(&model, "hi")).await.expect("starts");
    let first = actix_web::rt::time::timeout(TEST_LIMIT, stream.next()).await;
    assert!(
        matches!(first, Ok(Some(Ok(StreamEvent::Text(ref t)))) if t == "stalling"),
        "{first:?}"
    );
    let next = actix_web::rt::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(next.is_err(), "expected silence, got {next:?}");
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

#[actix_web::test]
async fn a_custom_provider_from_config_reaches_its_server_with_its_key_and_headers() {
    let emulator = Emulator::anthropic();
    emulator.require_api_key(Some("sk-proxy"));
    let mut config = provider(ProviderApi::AnthropicMessages, emulator.base_url(), None);
    config.api_key_env = Some("PROXY_KEY".into());
    config
        .headers
        .insert("anthropic-beta".into(), "tools-2024".into());
    let mut models = ModelsConfig::default();
    models.providers.insert("proxy".into(), config);
    let env = |name: &str| (name == "PROXY_KEY").then(|| "sk-proxy".to_string());
    let catalog = ProviderCatalog::from_config(&models, &env);
    assert_eq!(
        catalog.provider_ids(),
        vec!["anthropic", "ollama", "openai", "proxy"]
    );
    let (client, model) = client(&catalog, "proxy/vendor/claude-x");
    assert_eq!(client.provider_id(), "proxy");
    assert_eq!(model, "vendor/claude-x");
    let outcome = call(&client, request(&model, "hello"))
        .await
        .expect("starts");
    outcome.expect_complete();
    assert_eq!(outcome.text(), "echo: hello");
    let sent = &emulator.requests()[0];
    assert_eq!(sent.body["model"], "vendor/claude-x");
    assert_eq!(sent.header("anthropic-beta"), Some("tools-2024"));
}

#[actix_web::test]
async fn the_catalog_explains_unknown_providers_and_missing_keys() {
    let catalog = ProviderCatalog::from_config(&ModelsConfig::default(), &|_| None);
    let error = catalog.resolve("mistral/large").expect_err("unknown");
    assert_eq!(error.kind, ErrorKind::NotConfigured);
    assert!(
        error.message.contains("anthropic, ollama, openai"),
        "{error}"
    );
    let error = catalog.resolve("anthropic/claude-x").expect_err("no key");
    assert_eq!(error.kind, ErrorKind::NotConfigured);
    assert!(error.message.contains("ANTHROPIC_API_KEY"), "{error}");
    assert!(
        error.message.contains("models.providers.anthropic.apiKey"),
        "{error}"
    );
    assert!(
        error.allows_fallback(),
        "a missing key lets the chain move on"
    );
    let (client, model) = catalog
        .resolve("ollama/llama3.2:1b")
        .expect("ollama needs no key");
    assert_eq!(
        (client.provider_id(), model.as_str()),
        ("ollama", "llama3.2:1b")
    );
}

#[actix_web::test]
async fn a_base_url_without_v1_fails_readably() {
    let emulator = Emulator::openai();
    let mut models = ModelsConfig::default();
    let base = format!("http://{}", emulator.addr()); // missing `/v1`
    let config = provider(ProviderApi::OpenaiCompletions, base, Some("k"));
    models.providers.insert("openai".into(), config);
    let catalog = ProviderCatalog::from_config(&models, &|_| None);
    let (client, model) = client(&catalog, "openai/gpt-test");
    let error = call_error(&client, request(&model, "hi"), ErrorKind::InvalidRequest).await;
    assert_eq!(error.status, Some(404));
    assert!(error.message.contains("POST /chat/completions"), "{error}");
}
