//! A tool that panics or hangs gives its run an error result the model reads, the turn is
//! answered, and the session goes on; the failed invocation stays visible in `/admin/actors`
//! with its reason. Runs the real actor system in-process with two test-only tools registered
//! through `StartParts.tools`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use crate::support::{http_get, http_post};
use futures_util::future::BoxFuture;
use pincer::agent::tools::{Tool, ToolContext, ToolRegistry};
use pincer::config::credentials::{Credential, CredentialOrigin};
use pincer::config::{AuthMode, Config, ModelSelection, ProviderApi, ProviderConfig, Secret};
use pincer::providers::ToolSpec;
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

/// Panics on every call.
struct Fragile;

impl Tool for Fragile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "fragile".into(),
            description: "panics".into(),
            parameters: json!({ "type": "object", "properties": {} }),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        _arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move { panic!("tool bug on every call") })
    }
}

/// Never answers; its timeout is short.
struct Hangs;

impl Tool for Hangs {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "hangs".into(),
            description: "never finishes".into(),
            parameters: json!({ "type": "object", "properties": {} }),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        _arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move {
            futures_util::future::pending::<()>().await;
            Ok(String::new())
        })
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(300)
    }
}

fn tool_result(body: &Value, call_id: &str) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == call_id)
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

async fn ask(addr: std::net::SocketAddr, text: &str) -> crate::support::Response {
    let text = text.to_string();
    actix_web::rt::task::spawn_blocking(move || {
        let body = json!({ "messages": [{ "role": "user", "content": text }] });
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
    .expect("request")
}

#[actix_web::test]
async fn a_panicking_or_hanging_tool_gives_an_error_result_and_the_session_goes_on() {
    let emulator = Emulator::openai();
    emulator.push(Reply::tool_call("call_1", "fragile", &["{", "}"]));
    emulator.push(Reply::tool_call("call_2", "hangs", &["{}"]));
    emulator.push(Reply::text(&["recovered"]));
    emulator.push(Reply::text(&["still here"]));

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
    let mut tools = ToolRegistry::default();
    tools.register(Arc::new(Fragile));
    tools.register(Arc::new(Hangs));
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

    let first = ask(addr, "use the tools").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["choices"][0]["message"]["content"], "recovered");
    let requests = emulator.requests();
    let crashed = tool_result(&requests[1].body, "call_1");
    assert!(
        crashed.contains("the tool `fragile` crashed (tool bug on every call)"),
        "{crashed}"
    );
    let hung = tool_result(&requests[2].body, "call_2");
    assert!(
        hung.contains("the tool `hangs` did not finish within 300 ms"),
        "{hung}"
    );

    let second = ask(addr, "are you there?").await;
    assert_eq!(
        second.body["choices"][0]["message"]["content"],
        "still here"
    );

    let actors = actix_web::rt::task::spawn_blocking(move || {
        http_get(
            addr,
            "/admin/actors?flat=1",
            &[("Authorization", "Bearer t0ken")],
        )
    })
    .await
    .expect("request");
    let all = actors.body["actors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let failed = |call: &str| {
        all.iter()
            .find(|a| a["path"].as_str().is_some_and(|p| p.ends_with(call)))
            .cloned()
            .unwrap_or_else(|| panic!("{call} visible: {}", actors.text))
    };
    let fragile = failed("#call_1");
    assert_eq!(fragile["kind"], "tool");
    assert_eq!(fragile["state"], "failed");
    assert_eq!(
        fragile["last_error"],
        "failed: panicked: tool bug on every call"
    );
    assert!(failed("#call_2")["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("timed out after 300 ms")));
    // A run that ended normally without restarts leaves the registry at once
    // (`forget_when_done`); one that failed or restarted would still be listed.
    if let Some(run) = all.iter().find(|a| a["kind"] == "run") {
        assert_eq!(run["restarts"], 0, "the run itself never failed: {run}");
        assert_ne!(run["state"], "failed", "the run itself never failed: {run}");
    }
    let gateway_root = all
        .iter()
        .find(|a| a["path"] == "/gateway/tools")
        .cloned()
        .unwrap_or_default();
    assert_eq!(gateway_root["state"], "running", "{gateway_root}");

    let _ = actix_web::rt::time::timeout(Duration::from_secs(30), gateway.stop()).await;
}
