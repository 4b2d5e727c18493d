//! A run that fails mid-turn (the model overloaded after a tool call) is restarted by its
//! supervisor and resumes from its last persisted step: the answer arrives once, the user's
//! message is stored once, the finished tool call is not run again, and the model is not asked
//! again for the step it already answered. Runs the real actor system in-process (the counting
//! tool is test-only). A panicking *tool* no longer fails its run: see `tools/actors.rs`.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use crate::support::{http_get, http_post};
use futures_util::future::BoxFuture;
use pincer::agent::tools::{Tool, ToolContext, ToolRegistry};
use pincer::config::credentials::{Credential, CredentialOrigin};
use pincer::config::{AuthMode, Config, ModelSelection, ProviderApi, ProviderConfig, Secret};
use pincer::providers::{ChatMessage, ToolSpec};
use pincer::sessions::Entry;
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

/// Counts its calls.
struct Counting(Arc<AtomicU32>);

impl Tool for Counting {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "counting".into(),
            description: "counts its calls".into(),
            parameters: json!({ "type": "object", "properties": {} }),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        _arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let calls = self.0.fetch_add(1, SeqCst) + 1;
        Box::pin(async move { Ok(format!("call number {calls}")) })
    }
}

#[actix_web::test]
async fn a_failing_run_is_restarted_resumes_and_answers_exactly_once() {
    let emulator = Emulator::openai();
    emulator.push(Reply::tool_call("call_1", "counting", &["{", "}"]));
    // One attempt's three tries of the model fail: the run fails and is restarted.
    for _ in 0..3 {
        emulator.push(Reply::status(503));
    }
    emulator.push(Reply::text(&["done"]));

    let mut config = Config::default();
    config.agents.defaults.model = Some(ModelSelection::Single("openai/m".into()));
    config.models.providers.insert(
        "openai".into(),
        ProviderConfig {
            api: ProviderApi::OpenaiCompletions,
            base_url: emulator.base_url(),
            api_key: Some(Secret::new("k")),
            api_key_env: None,
            headers: Default::default(),
        },
    );
    let credential = Credential {
        mode: AuthMode::Token,
        secret: Some(Secret::new("t0ken")),
        origin: CredentialOrigin::Configured,
    };
    let calls = Arc::new(AtomicU32::new(0));
    let mut tools = ToolRegistry::default();
    tools.register(Arc::new(Counting(Arc::clone(&calls))));
    let state_dir = tempfile::tempdir().expect("state dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut gateway = pincer::gateway::start(pincer::gateway::StartParts {
        safe_mode: None,
        config: &config,
        credential: &credential,
        listener,
        tls: None,
        state_dir: state_dir.path(),
        config_file: None,
        tools,
    })
    .expect("gateway starts");

    let response = actix_web::rt::task::spawn_blocking(move || {
        let body = json!({ "messages": [{ "role": "user", "content": "use the counting tool" }] });
        http_post(
            addr,
            "/v1/chat/completions",
            &[
                ("Authorization", "Bearer t0ken"),
                ("x-pincer-session-key", "agent:main:main"),
            ],
            &body,
        )
    })
    .await
    .expect("request");
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.body["choices"][0]["message"]["content"], "done");
    assert_eq!(
        calls.load(SeqCst),
        1,
        "the finished tool call did not run again after the restart"
    );
    assert_eq!(
        emulator.requests().len(),
        5,
        "tool step, three failed tries, then the answer: the model was not asked again for \
         the step it had answered"
    );

    let entries = gateway
        .engine
        .store
        .load("agent:main:main")
        .expect("transcript");
    let users = entries
        .iter()
        .filter(|e| {
            matches!(
                e,
                Entry::Message {
                    message: ChatMessage::User { .. },
                    ..
                }
            )
        })
        .count();
    let answers = entries
        .iter()
        .filter(|e| matches!(e, Entry::Message { message: ChatMessage::Assistant { tool_calls, .. }, .. } if tool_calls.is_empty()))
        .count();
    assert_eq!((users, answers), (1, 1), "{entries:#?}");

    let actors = actix_web::rt::task::spawn_blocking(move || {
        http_get(
            addr,
            "/admin/actors?flat=1",
            &[("Authorization", "Bearer t0ken")],
        )
    })
    .await
    .expect("request");
    let run = actors.body["actors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["kind"] == "run")
        .cloned()
        .unwrap_or_else(|| panic!("the run is visible: {}", actors.text));
    assert_eq!(run["restarts"], 1, "{run}");
    assert!(
        run["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{run}"
    );
    assert!(
        run["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/gateway/runs/agent:main:main#")),
        "{run}"
    );

    let _ = tokio_timeout(gateway.stop()).await;
}

async fn tokio_timeout<F: std::future::Future>(future: F) -> Option<F::Output> {
    actix_web::rt::time::timeout(Duration::from_secs(30), future)
        .await
        .ok()
}
