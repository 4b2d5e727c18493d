//! A handler panics in every kind of actor, through `POST /admin/actors/{id}/panic`
//! (`gateway.faultInjection`). Each is handled per its restart policy, `/admin/actors` shows the
//! restart count and the last error, and the gateway keeps answering:
//!
//! | kind       | policy                        | afterwards                                   |
//! |------------|-------------------------------|----------------------------------------------|
//! | channel    | permanent, restarted          | the next message is answered                 |
//! | session    | permanent, restarted          | the conversation goes on with its history    |
//! | run        | transient, restarted          | the turn is answered once                    |
//! | tool       | temporary, not restarted      | the model reads that the tool crashed        |
//! | connection | temporary, not restarted      | the socket closes 1011; a new one works      |
//! | monitor    | permanent, restarted          | metrics still served                         |

use std::time::Duration;

use serde_json::{json, Value};

use super::{actors, assert_answered_once, send, sender, wait_until};
use crate::support::agent::answer_of;
use crate::support::channels::{config, whatsapp, WA_TOKEN};
use crate::support::tools::{call, tool_result};
use crate::support::ws::WsClient;
use crate::support::{http_post, Gateway};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

/// Injects a panic into actor `id`; asserts it was accepted.
fn inject(gateway: &Gateway, id: u64, message: &str) {
    let bearer = format!("Bearer {}", gateway.token());
    let response = http_post(
        gateway.addr,
        &format!("/admin/actors/{id}/panic"),
        &[("Authorization", bearer.as_str())],
        &json!({ "message": message }),
    );
    assert_eq!(response.status, 202, "{}", response.text);
}

/// The newest running actor matching `wanted`.
fn running(gateway: &Gateway, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    wait_until(what, WAIT, || {
        actors(gateway)
            .into_iter()
            .filter(|a| a["state"] == "running" && wanted(a))
            .max_by_key(|a| a["id"].as_u64())
    })
}

/// Waits until actor `id` shows `restarts` restarts, the injected error and `state`.
fn settled(gateway: &Gateway, id: u64, restarts: u64, state: &str, message: &str) -> Value {
    let path = format!("/admin/actors/{id}");
    wait_until(
        &format!("actor {id} to be {state} after {restarts} restart(s)"),
        WAIT,
        || {
            let actor = gateway.get_authed(&path).body;
            let error = actor["last_error"].as_str().unwrap_or("");
            (actor["restarts"] == restarts
                && actor["state"] == state
                && error.contains(&format!("injected fault: {message}")))
            .then_some(actor)
        },
    )
}

#[test]
fn a_panic_in_every_actor_kind_is_handled_per_its_restart_policy() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let text = config(&provider, &[whatsapp(&graph, "open", "'*'", "")]).replacen(
        "{ agent:",
        "{ gateway: { faultInjection: true }, agent:",
        1,
    );
    let gateway = Gateway::start(Some(&text));
    let mut wamids = Vec::new();
    let alice = sender("04", 1);

    // Channel: permanent, restarted; the next message is answered.
    let channel = running(&gateway, "the WhatsApp channel actor", |a| {
        a["path"] == "/gateway/channels/whatsapp"
    });
    let channel_id = channel["id"].as_u64().expect("id");
    inject(&gateway, channel_id, "channel drill");
    settled(&gateway, channel_id, 1, "running", "channel drill");
    wamids.push(send(&gateway, &alice, 1, "first"));
    assert_answered_once(&graph, &wamids, WAIT);

    // Session: permanent, restarted; the transcript is the state, so history survives.
    let session = running(&gateway, "Alice's session actor", |a| {
        a["kind"] == "session" && a["path"].as_str().unwrap_or("").contains(&alice)
    });
    let session_id = session["id"].as_u64().expect("id");
    inject(&gateway, session_id, "session drill");
    settled(&gateway, session_id, 1, "running", "session drill");
    wamids.push(send(&gateway, &alice, 2, "second"));
    assert_answered_once(&graph, &wamids, WAIT);
    let last = provider.requests().last().cloned().expect("a model call");
    let history: Vec<&str> = last.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(
        history.contains(&"first") && history.contains(&"second"),
        "the restarted session still knows the conversation: {history:?}"
    );

    // Run: transient, restarted; the turn is still answered exactly once.
    provider.set_delay(Duration::from_secs(2));
    let bob = sender("04", 2);
    wamids.push(send(&gateway, &bob, 3, "slow question"));
    let run = running(&gateway, "Bob's agent run", |a| {
        a["kind"] == "run" && a["path"].as_str().unwrap_or("").contains(&bob)
    });
    let run_id = run["id"].as_u64().expect("id");
    inject(&gateway, run_id, "run drill");
    assert_answered_once(&graph, &wamids, Duration::from_secs(30));
    let run = gateway.get_authed(&format!("/admin/actors/{run_id}")).body;
    assert_eq!(run["restarts"], 1, "{run:#}");
    assert!(
        run["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("injected fault: run drill"),
        "{run:#}"
    );
    provider.set_delay(Duration::ZERO);

    // Tool: temporary, never restarted; the model reads that it crashed, the turn goes on.
    provider.push(call("c1", "exec", json!({ "command": "sleep 5" })));
    let tool_turn = {
        let gateway_addr = gateway.addr;
        let bearer = format!("Bearer {}", gateway.token());
        std::thread::spawn(move || {
            http_post(
                gateway_addr,
                "/v1/chat/completions",
                &[
                    ("Authorization", bearer.as_str()),
                    ("x-pincer-session-key", "agent:main:main"),
                ],
                &json!({ "messages": [{ "role": "user", "content": "run the tool" }] }),
            )
        })
    };
    let tool = running(&gateway, "the exec tool call", |a| a["kind"] == "tool");
    let tool_id = tool["id"].as_u64().expect("id");
    inject(&gateway, tool_id, "tool drill");
    let answered = tool_turn.join().expect("the asking thread");
    assert_eq!(answer_of(&answered), "echo: run the tool");
    settled(&gateway, tool_id, 0, "failed", "tool drill");
    let requests = provider.requests();
    let result = tool_result(&requests.last().expect("the second model call").body, "c1");
    assert!(result.contains("crashed"), "the model is told: {result}");

    // WebSocket connection: temporary; the socket closes with 1011 and a new one works.
    let (mut client, hello) = WsClient::connect(gateway.addr, &gateway.token());
    let conn = hello["server"]["connId"]
        .as_str()
        .expect("connId")
        .to_string();
    let connection = running(&gateway, "the WebSocket connection actor", |a| {
        a["kind"] == "connection" && a["path"].as_str().unwrap_or("").ends_with(&conn)
    });
    let connection_id = connection["id"].as_u64().expect("id");
    inject(&gateway, connection_id, "connection drill");
    let closed = client.closed(WAIT).expect("the socket should be closed");
    assert_eq!(closed.0, 1011, "{closed:?}");
    settled(&gateway, connection_id, 0, "failed", "connection drill");
    let (mut again, _) = WsClient::connect(gateway.addr, &gateway.token());
    let health = again.request("health", json!({}));
    assert_eq!(health["ok"], true, "{health}");

    // Monitor actors: permanent, restarted; metrics are still served.
    for name in ["sampler", "alerts"] {
        let path = format!("/gateway/monitor/{name}");
        let actor = running(&gateway, &path, |a| a["path"] == path.as_str());
        let id = actor["id"].as_u64().expect("id");
        inject(&gateway, id, &format!("{name} drill"));
        settled(&gateway, id, 1, "running", &format!("{name} drill"));
    }
    let metrics = gateway.get_authed("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics.text.contains("pincer_"), "{}", metrics.text);

    // Nothing escalated: the tree is whole and ready.
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.text);
    let root = running(&gateway, "the root supervisor", |a| a["path"] == "/gateway");
    assert_eq!(root["restarts"], 0, "{root:#}");
}

#[test]
fn fault_injection_is_refused_unless_enabled() {
    let gateway = Gateway::start(None);
    let root = running(&gateway, "the root supervisor", |a| a["path"] == "/gateway");
    let bearer = format!("Bearer {}", gateway.token());
    let response = http_post(
        gateway.addr,
        &format!("/admin/actors/{}/panic", root["id"]),
        &[("Authorization", bearer.as_str())],
        &json!({}),
    );
    assert_eq!(response.status, 403, "{}", response.text);
    assert!(
        response.text.contains("gateway.faultInjection"),
        "{}",
        response.text
    );
    let unauthenticated = http_post(
        gateway.addr,
        &format!("/admin/actors/{}/panic", root["id"]),
        &[],
        &json!({}),
    );
    assert_eq!(unauthenticated.status, 401);
}
