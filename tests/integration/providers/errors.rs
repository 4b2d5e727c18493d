//! The provider clients when things go wrong, against the OpenAI and Anthropic emulators: error
//! classification (rate limits, overload, quota, auth, context overflow), mid-stream errors,
//! dropped connections, unreachable servers and stalls; and the catalog's resolution of model
//! refs (custom providers, unknown providers, missing keys, base URLs). The shared helpers are in
//! `tests/integration/support/provider_calls.rs`.

use std::time::Duration;

use crate::support::provider_calls::{
    call, call_error, catalog, client, provider, request, TEST_LIMIT,
};
use futures_util::StreamExt;
use pincer::config::{ModelsConfig, ProviderApi, Secret};
use pincer::providers::catalog::ProviderCatalog;
use pincer::providers::{ErrorKind, StreamEvent};
use pincer_emulators::{Emulator, Reply};

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
    let mut stream = client.stream(&request(&model, "hi")).await.expect("starts");
    let first = actix_web::rt::time::timeout(TEST_LIMIT, stream.next()).await;
    assert!(
        matches!(first, Ok(Some(Ok(StreamEvent::Text(ref t)))) if t == "stalling"),
        "{first:?}"
    );
    let next = actix_web::rt::time::timeout(Duration::from_millis(300), stream.next()).await;
    assert!(next.is_err(), "expected silence, got {next:?}");
}

#[actix_web::test]
async fn a_custom_provider_from_config_reaches_its_server_with_its_key_and_headers() {
    let emulator = Emulator::anthropic();
    emulator.require_api_key(Some("sk-proxy"));
    let mut config = provider(ProviderApi::AnthropicMessages, emulator.base_url(), None);
    config.api_key_env = Some("PROXY_KEY".into());
    config
        .headers
        .insert("anthropic-beta".into(), Secret::new("tools-2024"));
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
