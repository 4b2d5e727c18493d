//! Operator scopes against the real gateway, over `/ws` and over HTTP: a client that asked only
//! for `operator.read` can look at everything the table lets it read, but every call that would
//! change something (a chat turn, a WhatsApp message, a session reset, a pairing approval) is
//! refused with `FORBIDDEN` / `MISSING_SCOPE` and has no effect (no model call, no Graph API
//! send, the session and the pending request still there). Each scope then opens what it names.

use std::time::{Duration, Instant};

use crate::support::channels::{code_in, gateway, post_text, whatsapp, WA_TOKEN};
use crate::support::ws::WsClient;
use crate::support::{http_post, Gateway};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const SESSION: &str = "agent:main:scoped";
const STRANGER: &str = "15557770001";

/// A gateway on the emulators with a WhatsApp channel in pairing mode, one stored session and one
/// pending pairing request; the request's code.
fn gateway_with_a_session_and_a_stranger(
    provider: &Emulator,
    graph: &GraphApi,
) -> (Gateway, String) {
    let gateway = gateway(provider, &[whatsapp(graph, "pairing", "", "")]);
    let (mut owner, _) = WsClient::connect_scoped(gateway.addr, &gateway.token(), Value::Null);
    let started = owner.request(
        "chat.send",
        json!({ "sessionKey": SESSION, "message": "hi" }),
    );
    assert_eq!(started["ok"], true, "{started}");
    owner
        .wait(WAIT, |f| {
            f["event"] == "chat" && f["payload"]["state"] == "final"
        })
        .expect("the owner's turn ends");
    assert_eq!(post_text(&gateway, STRANGER, "wamid.S1", "hello?"), 200);
    assert!(graph.wait_for_sends(1, WAIT), "the stranger got no code");
    let code = code_in(&graph.sends()[0].body);
    graph.clear();
    (gateway, code)
}

/// Asserts `answer` is a `MISSING_SCOPE` refusal naming `method` and `missing`.
fn assert_refused(answer: &Value, method: &str, missing: &str) {
    let error = &answer["error"];
    assert_eq!(answer["ok"], false, "{method} should be refused: {answer}");
    assert_eq!(error["code"], "FORBIDDEN", "{method}: {answer}");
    assert_eq!(
        error["details"]["code"], "MISSING_SCOPE",
        "{method}: {answer}"
    );
    assert_eq!(
        error["details"]["missingScope"], missing,
        "{method}: {answer}"
    );
    assert_eq!(
        error["details"]["requiredScopes"],
        json!([missing]),
        "{method}: {answer}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("missing scope: {missing}")) && message.contains(method),
        "the message names the scope and the method: {message}"
    );
}

fn session_keys(client: &mut WsClient) -> Vec<String> {
    let listed = client.request("sessions.list", json!({}));
    assert_eq!(listed["ok"], true, "{listed}");
    listed["payload"]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["key"].as_str().map(str::to_string))
        .collect()
}

fn pending_codes(gateway: &Gateway) -> Vec<String> {
    let listed = gateway.get_authed("/admin/pairing/whatsapp");
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["code"].as_str().map(str::to_string))
        .collect()
}

/// Waits until the gateway's log files hold a line with every one of `needles`.
fn assert_logged(gateway: &Gateway, needles: &[&str]) {
    let dir = gateway.state_dir().join("logs");
    let deadline = Instant::now() + WAIT;
    loop {
        let text: String = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        if text.lines().any(|l| needles.iter().all(|n| l.contains(n))) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no log line in {} with {needles:?}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_read_only_client_reads_everything_but_changes_nothing() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let (gateway, code) = gateway_with_a_session_and_a_stranger(&provider, &graph);
    let model_calls = provider.requests().len();

    let (mut reader, hello) =
        WsClient::connect_scoped(gateway.addr, &gateway.token(), json!(["operator.read"]));
    assert_eq!(hello["auth"]["scopes"], json!(["operator.read"]), "{hello}");

    for method in ["health", "status", "presence", "actors.list", "config.get"] {
        let answer = reader.request(method, json!({}));
        assert_eq!(answer["ok"], true, "{method}: {answer}");
    }
    let logs = reader.request("logs.tail", json!({ "lines": 5 }));
    assert_eq!(logs["ok"], true, "{logs}");
    let history = reader.request("chat.history", json!({ "sessionKey": SESSION }));
    assert_eq!(history["ok"], true, "{history}");
    assert!(session_keys(&mut reader).contains(&SESSION.to_string()));

    let chat = reader.request(
        "chat.send",
        json!({ "sessionKey": SESSION, "message": "run exec", "idempotencyKey": "shared-key" }),
    );
    assert_refused(&chat, "chat.send", "operator.write");
    let agent = reader.request(
        "agent",
        json!({ "sessionKey": SESSION, "message": "run exec" }),
    );
    assert_refused(&agent, "agent", "operator.write");
    let abort = reader.request("chat.abort", json!({ "sessionKey": SESSION }));
    assert_refused(&abort, "chat.abort", "operator.write");
    let send = reader.request(
        "send",
        json!({ "channel": "whatsapp", "to": "15550001111", "message": "from a reader" }),
    );
    assert_refused(&send, "send", "operator.write");
    let reset = reader.request("sessions.reset", json!({ "key": SESSION }));
    assert_refused(&reset, "sessions.reset", "operator.admin");
    let approve = reader.request(
        "pairing.approve",
        json!({ "channel": "whatsapp", "code": code }),
    );
    assert_refused(&approve, "pairing.approve", "operator.pairing");
    let list = reader.request("pairing.list", json!({ "channel": "whatsapp" }));
    assert_refused(&list, "pairing.list", "operator.pairing");
    let unknown = reader.request("config.set", json!({}));
    assert_eq!(unknown["error"]["code"], "INVALID_REQUEST", "{unknown}");
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown method"),
        "{unknown}"
    );

    // Nothing happened.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.requests().len(), model_calls, "no model call");
    assert!(
        graph.sends().is_empty(),
        "no WhatsApp message: {:?}",
        graph.sends()
    );
    assert!(
        session_keys(&mut reader).contains(&SESSION.to_string()),
        "the session is still there"
    );
    assert_eq!(
        pending_codes(&gateway),
        vec![code],
        "the request is still pending"
    );
    assert_logged(
        &gateway,
        &["request refused: missing scope", "sessions.reset"],
    );
}

#[test]
fn each_scope_opens_what_it_names_and_no_more() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let (gateway, code) = gateway_with_a_session_and_a_stranger(&provider, &graph);
    let token = gateway.token();

    // A refused call does not claim its idempotencyKey: a writer's call with it runs.
    let (mut reader, _) = WsClient::connect_scoped(gateway.addr, &token, json!(["operator.read"]));
    let params = json!({ "sessionKey": SESSION, "message": "again", "idempotencyKey": "k-shared" });
    assert_refused(
        &reader.request("chat.send", params.clone()),
        "chat.send",
        "operator.write",
    );

    let (mut writer, hello) =
        WsClient::connect_scoped(gateway.addr, &token, json!(["operator.write"]));
    assert_eq!(hello["auth"]["scopes"], json!(["operator.write"]));
    let started = writer.request("chat.send", params);
    assert_eq!(started["payload"]["status"], "started", "{started}");
    writer
        .wait(WAIT, |f| {
            f["event"] == "chat" && f["payload"]["state"] == "final"
        })
        .expect("the writer's turn ends");
    assert_eq!(
        writer.request("status", json!({}))["ok"],
        true,
        "write implies read"
    );
    let sent = writer.request(
        "send",
        json!({ "channel": "whatsapp", "to": "15550001111", "message": "from a writer" }),
    );
    assert_eq!(sent["ok"], true, "{sent}");
    assert!(
        graph.wait_for_sends(1, WAIT),
        "the writer's message went out"
    );
    assert_refused(
        &writer.request("sessions.reset", json!({ "key": SESSION })),
        "sessions.reset",
        "operator.admin",
    );
    assert_refused(
        &writer.request(
            "pairing.approve",
            json!({ "channel": "whatsapp", "code": code }),
        ),
        "pairing.approve",
        "operator.pairing",
    );

    let (mut pairer, _) =
        WsClient::connect_scoped(gateway.addr, &token, json!(["operator.pairing"]));
    assert_refused(
        &pairer.request("status", json!({})),
        "status",
        "operator.read",
    );
    let approved = pairer.request(
        "pairing.approve",
        json!({ "channel": "whatsapp", "code": code }),
    );
    assert_eq!(approved["ok"], true, "{approved}");
    assert!(pending_codes(&gateway).is_empty());

    let (mut admin, hello) =
        WsClient::connect_scoped(gateway.addr, &token, json!(["operator.admin"]));
    assert_eq!(hello["auth"]["scopes"], json!(["operator.admin"]));
    let reset = admin.request("sessions.reset", json!({ "key": SESSION }));
    assert_eq!(reset["ok"], true, "{reset}");
    assert!(!session_keys(&mut admin).contains(&SESSION.to_string()));

    // An empty list grants nothing but `health`; no list grants everything.
    let (mut nothing, hello) = WsClient::connect_scoped(gateway.addr, &token, json!([]));
    assert_eq!(hello["auth"]["scopes"], json!([]));
    assert_eq!(nothing.request("health", json!({}))["ok"], true);
    assert_refused(
        &nothing.request("status", json!({})),
        "status",
        "operator.read",
    );
    let (_, hello) = WsClient::connect_scoped(gateway.addr, &token, Value::Null);
    assert_eq!(
        hello["auth"]["scopes"],
        json!([
            "operator.read",
            "operator.write",
            "operator.admin",
            "operator.approvals",
            "operator.pairing"
        ])
    );
}

#[test]
fn http_requests_narrowed_by_the_scopes_header_obey_the_same_table() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let (gateway, code) = gateway_with_a_session_and_a_stranger(&provider, &graph);
    let model_calls = provider.requests().len();
    let bearer = format!("Bearer {}", gateway.token());
    let as_scopes = |scopes: &'static str| {
        [
            ("Authorization", bearer.clone()),
            ("x-openclaw-scopes", scopes.to_string()),
        ]
    };
    let get = |path: &str, scopes: &'static str| {
        let headers = as_scopes(scopes);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        gateway.get(path, &headers)
    };
    let post = |path: &str, scopes: &'static str, body: Value| {
        let headers = as_scopes(scopes);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        http_post(gateway.addr, path, &headers, &body)
    };
    let refused = |response: &crate::support::Response, operation: &str, missing: &str| {
        assert_eq!(response.status, 403, "{operation}: {}", response.text);
        assert_refused(&response.body, operation, missing);
    };
    let reset_path = format!("/admin/sessions/{SESSION}/reset");

    for path in [
        "/admin/status",
        "/admin/sessions",
        "/admin/actors",
        "/admin/channels",
        "/v1/models",
        "/metrics",
        &format!("/admin/sessions/{SESSION}"),
    ] {
        let response = get(path, "operator.read");
        assert_eq!(
            response.status, 200,
            "GET {path} with operator.read: {}",
            response.text
        );
    }
    refused(
        &get("/admin/pairing/whatsapp", "operator.read"),
        "pairing.list",
        "operator.pairing",
    );
    refused(
        &post(&reset_path, "operator.read", json!({})),
        "sessions.reset",
        "operator.admin",
    );
    refused(
        &post(
            "/admin/channels/whatsapp/send",
            "operator.read",
            json!({ "to": "15550001111", "text": "from a reader" }),
        ),
        "send",
        "operator.write",
    );
    refused(
        &post(
            "/v1/chat/completions",
            "operator.read",
            json!({ "model": "pincer", "messages": [{ "role": "user", "content": "run exec" }] }),
        ),
        "chat.send",
        "operator.write",
    );
    refused(
        &post(
            "/admin/pairing/whatsapp/approve",
            "operator.read",
            json!({ "code": code }),
        ),
        "pairing.approve",
        "operator.pairing",
    );
    refused(&get("/admin/status", ""), "status", "operator.read");
    refused(
        &get("/admin/status", "operator.talk"),
        "status",
        "operator.read",
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.requests().len(), model_calls, "no model call");
    assert!(graph.sends().is_empty(), "no WhatsApp message");
    assert_eq!(pending_codes(&gateway), vec![code.clone()], "still pending");
    let sessions = gateway.get_authed("/admin/sessions");
    assert!(
        sessions.text.contains(SESSION),
        "the session is still there: {}",
        sessions.text
    );

    // The credential is checked first: a wrong token is 401 whatever the header says.
    let wrong = gateway.get(
        "/admin/status",
        &[
            ("Authorization", "Bearer wrong"),
            ("x-openclaw-scopes", "operator.admin"),
        ],
    );
    assert_eq!(wrong.status, 401, "{}", wrong.text);

    // Each scope opens its routes.
    let sent = post(
        "/admin/channels/whatsapp/send",
        "operator.write",
        json!({ "to": "15550001111", "text": "from a writer" }),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert!(graph.wait_for_sends(1, WAIT));
    refused(
        &post(&reset_path, "operator.write", json!({})),
        "sessions.reset",
        "operator.admin",
    );
    let approved = post(
        "/admin/pairing/whatsapp/approve",
        "operator.pairing",
        json!({ "code": code }),
    );
    assert_eq!(approved.status, 200, "{}", approved.text);
    let reset = post(&reset_path, "operator.read, operator.admin", json!({}));
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_logged(
        &gateway,
        &["request refused: missing scope", "/admin/sessions/"],
    );
}
