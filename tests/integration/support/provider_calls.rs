//! Helpers for the provider-client tests (`providers/streams.rs`, `providers/errors.rs`):
//! catalogs pointed at the emulators, simple requests, and calls drained into an [`Outcome`] under
//! a time limit.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use pincer::config::{ModelsConfig, ProviderApi, ProviderConfig, Secret};
use pincer::providers::catalog::{ModelClient, ProviderCatalog};
use pincer::providers::{
    ChatMessage, ChatRequest, ErrorKind, EventStream, ProviderError, StopReason, StreamEvent,
    ToolCall, Usage,
};

use pincer_emulators::Emulator;

/// The longest any single test waits for a stream.
pub const TEST_LIMIT: Duration = Duration::from_secs(20);

pub fn provider(api: ProviderApi, base_url: String, key: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        api,
        base_url,
        api_key: key.map(Secret::new),
        api_key_env: None,
        headers: BTreeMap::new(),
    }
}

/// A catalog whose `openai` and/or `anthropic` point at emulators, with key `sk-test`.
pub fn catalog(openai: Option<&Emulator>, anthropic: Option<&Emulator>) -> ProviderCatalog {
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

pub fn client(catalog: &ProviderCatalog, model_ref: &str) -> (ModelClient, String) {
    catalog
        .resolve(model_ref)
        .unwrap_or_else(|e| panic!("resolve {model_ref}: {e}"))
}

pub fn request(model: &str, text: &str) -> ChatRequest {
    ChatRequest {
        model: model.to_string(),
        system: None,
        history: Default::default(),
        messages: vec![ChatMessage::User {
            content: text.to_string(),
            images: Vec::new(),
        }],
        tools: Vec::new().into(),
        max_tokens: 256,
        sampling: Default::default(),
    }
}

/// What a stream delivered: its events and the error that ended it, if any.
#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<StreamEvent>,
    pub error: Option<ProviderError>,
}

impl Outcome {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_calls(&self) -> Vec<ToolCall> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(call) => Some(call.clone()),
                _ => None,
            })
            .collect()
    }

    /// Asserts a complete stream: no error, then `Usage` and `Finished` last, in that order.
    pub fn expect_complete(&self) -> (Usage, StopReason) {
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
    pub fn expect_error(&self, kind: ErrorKind) -> &ProviderError {
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
pub async fn collect(mut stream: EventStream) -> Outcome {
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
pub async fn call(client: &ModelClient, request: ChatRequest) -> Result<Outcome, ProviderError> {
    let started = actix_web::rt::time::timeout(TEST_LIMIT, client.stream(&request))
        .await
        .unwrap_or_else(|_| panic!("the call did not start within {TEST_LIMIT:?}"))?;
    Ok(collect(started).await)
}

/// A call expected to fail before streaming, with `kind`.
pub async fn call_error(
    client: &ModelClient,
    request: ChatRequest,
    kind: ErrorKind,
) -> ProviderError {
    match call(client, request).await {
        Err(error) if error.kind == kind => error,
        Err(error) => panic!("expected {kind:?}, got {:?}: {error}", error.kind),
        Ok(outcome) => panic!("expected {kind:?} before the stream, got {outcome:#?}"),
    }
}
