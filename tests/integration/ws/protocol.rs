//! The gateway WebSocket protocol at `/ws`, with a raw client: the handshake and its refusals,
//! each method, idempotency keys, a streamed chat against the provider emulator, and a slow
//! consumer dropped while another client goes on.

use std::time::Duration;

use crate::support::channels::gateway;
use crate::support::ws::{connect_params, WsClient};
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn the_handshake_challenges_then_says_hello() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let mut client = WsClient::open(gateway.addr);
    let challenge = client.next_frame(WAIT).expect("a challenge first");
    assert_eq!(challenge["type"], "event");
    assert_eq!(challenge["event"], "connect.challenge");
    assert_eq!(
        challenge["payload"]["nonce"].as_str().map(str::len),
        Some(32)
    );
    let hello = client.request("connect", connect_params(&gateway.token()));
    assert_eq!(hello["ok"], true, "{hello}");
    let payload = &hello["payload"];
    assert_eq!(payload["type"], "hello-ok");
    assert_eq!(payload["protocol"], 3);
    assert!(payload["server"]["connId"]
        .as_str()
        .is_some_and(|c| c.starts_with('c')));
    let methods = payload["features"]["methods"].as_array().unwrap();
    for method in [
        "health",
        "status",
        "chat.send",
        "chat.history",
        "chat.abort",
        "agent",
        "send",
        "sessions.list",
        "sessions.reset",
        "pairing.list",
        "pairing.approve",
        "actors.list",
        "logs.tail",
        "config.get",
    ] {
        assert!(methods.contains(&json!(method)), "{method} advertised");
    }
    assert_eq!(payload["policy"]["tickIntervalMs"], 15000);
    assert!(payload["policy"]["maxPayload"].as_u64().unwrap() > 1_000_000);
    assert_eq!(payload["snapshot"]["health"]["ok"], true, "{payload:#}");
    assert_eq!(payload["auth"]["role"], "operator");
}

#[test]
fn a_wrong_first_frame_a_bad_token_or_protocol_closes_the_socket() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);

    let mut client = WsClient::open(gateway.addr);
    client.next_frame(WAIT).expect("challenge");
    let answer = client.request("health", json!({}));
    assert_eq!(answer["error"]["code"], "INVALID_REQUEST", "{answer}");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("connect"));
    let (code, _) = client.closed(WAIT).expect("closed");
    assert_eq!(code, 1008);

    let mut client = WsClient::open(gateway.addr);
    client.next_frame(WAIT).expect("challenge");
    client.send_text("this is not json");
    let (code, _) = client.closed(WAIT).expect("closed after garbage");
    assert_eq!(code, 1008);
    assert_eq!(client.seen[0]["error"]["code"], "INVALID_REQUEST");

    let mut client = WsClient::open(gateway.addr);
    client.next_frame(WAIT).expect("challenge");
    let answer = client.request("connect", connect_params("wrong-token"));
    assert_eq!(answer["error"]["code"], "UNAUTHORIZED", "{answer}");
    assert_eq!(client.closed(WAIT).map(|c| c.0), Some(1008));

    // Protocols 3 and 4 are spoken; a range without either is refused.
    for (min, max) in [(5, 6), (1, 2)] {
        let mut params = connect_params(&gateway.token());
        params["minProtocol"] = json!(min);
        params["maxProtocol"] = json!(max);
        let mut client = WsClient::open(gateway.addr);
        client.next_frame(WAIT).expect("challenge");
        let answer = client.request("connect", params);
        assert_eq!(answer["error"]["code"], "PROTOCOL_MISMATCH", "{answer}");
        assert_eq!(answer["error"]["details"]["maxProtocol"], 4, "{answer}");
        assert_eq!(client.closed(WAIT).map(|c| c.0), Some(1008));
    }

    // Before the handshake, frames are capped at 64 KiB.
    let mut client = WsClient::open(gateway.addr);
    client.next_frame(WAIT).expect("challenge");
    client.send_text(&format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024)));
    assert_eq!(client.closed(WAIT).map(|c| c.0), Some(1008));
}

#[test]
fn the_highest_common_protocol_is_chosen_and_the_socket_also_opens_at_the_root() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    for (path, min, max, chosen) in [
        ("/ws", 3, 4, 4),
        ("/ws", 4, 5, 4),
        ("/", 4, 4, 4),
        ("/", 3, 3, 3),
    ] {
        let mut params = connect_params(&gateway.token());
        params["minProtocol"] = json!(min);
        params["maxProtocol"] = json!(max);
        let mut client = WsClient::open_at(gateway.addr, path);
        client.next_frame(WAIT).expect("challenge");
        let hello = client.request("connect", params);
        assert_eq!(hello["ok"], true, "{path} {min}..{max}: {hello}");
        assert_eq!(
            hello["payload"]["protocol"], chosen,
            "{path} {min}..{max}: {hello}"
        );
    }
    // The root's socket obeys the origin policy like /ws: a foreign page gets no challenge.
    let mut foreign = WsClient::open_path(gateway.addr, "/", &[("Origin", "https://evil.example")]);
    let refusal = foreign.next_frame(WAIT).expect("a refusal");
    assert_eq!(refusal["error"]["code"], "ORIGIN_NOT_ALLOWED", "{refusal}");
    // A plain GET / is still the Control UI's page.
    let page = gateway.get("/", &[]);
    assert_eq!(page.status, 200);
    assert!(
        page.text.to_ascii_lowercase().contains("<html"),
        "{}",
        page.text
    );
}

#[test]
fn failed_connects_count_toward_the_auth_lockout() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let mut last = Value::Null;
    for _ in 0..11 {
        let mut client = WsClient::open(gateway.addr);
        client.next_frame(WAIT).expect("challenge");
        // Browser-style origin: loopback connections are otherwise exempt from the lockout.
        last = client.request("connect", connect_params("wrong"));
    }
    // The lockout is keyed by origin for browsers and by IP otherwise; loopback without an origin
    // is exempt, so what this shows is that refusals never leak the token and stay refusals.
    assert!(
        matches!(
            last["error"]["code"].as_str(),
            Some("UNAUTHORIZED" | "AUTH_RATE_LIMITED")
        ),
        "{last}"
    );
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    assert_eq!(client.request("health", json!({}))["ok"], true);
}

#[test]
fn each_method_answers() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let (mut client, hello) = WsClient::connect(gateway.addr, &gateway.token());
    let conn_id = hello["server"]["connId"].as_str().unwrap().to_string();

    let health = client.request("health", json!({}));
    assert_eq!(health["payload"]["status"], "ready", "{health}");
    let status = client.request("status", json!({}));
    assert!(status["payload"]["models"].is_array(), "{status}");
    let actors = client.request("actors.list", json!({}));
    let paths: Vec<&str> = actors["payload"]["actors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert!(
        paths.contains(&format!("/gateway/clients/{conn_id}").as_str()),
        "{paths:?}"
    );
    assert!(paths.contains(&"/gateway/clients/ticker"));
    let config = client.request("config.get", json!({}));
    assert_eq!(
        config["payload"]["config"]["gateway"]["port"], 0,
        "{config}"
    );
    let port = client.request("config.get", json!({ "path": "gateway.bind" }));
    assert_eq!(port["payload"]["value"], "loopback");
    let sessions = client.request("sessions.list", json!({}));
    assert_eq!(sessions["payload"]["count"], 0);
    let pairing = client.request("pairing.list", json!({ "channel": "whatsapp" }));
    assert_eq!(pairing["payload"]["requests"], json!([]), "{pairing}");
    let presence = client.request("presence", json!({}));
    assert_eq!(
        presence["payload"]["clients"][0]["client"]["id"],
        "pincer-tests"
    );
    let unknown = client.request("no.such.method", json!({}));
    assert_eq!(unknown["error"]["code"], "INVALID_REQUEST");
    let missing = client.request("chat.send", json!({}));
    assert_eq!(missing["error"]["code"], "INVALID_REQUEST");
    assert!(missing["error"]["message"]
        .as_str()
        .unwrap()
        .contains("params.message"));
    let logs = client.request("logs.tail", json!({ "lines": 5 }));
    assert!(
        logs["ok"] == true || logs["error"]["code"] == "NOT_FOUND",
        "{logs}"
    );
    let missing = client.request("sessions.reset", json!({ "key": "agent:main:nothing" }));
    assert_eq!(missing["error"]["code"], "NOT_FOUND");
}

#[test]
fn chat_streams_deltas_then_the_final_answer_and_history_has_it() {
    let provider = Emulator::openai();
    provider.push(Reply::text(&["Hel", "lo ", "there"]));
    let gateway = gateway(&provider, &[]);
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    let started = client.request(
        "chat.send",
        json!({ "sessionKey": "agent:main:ws", "message": "hi", "idempotencyKey": "k-1" }),
    );
    assert_eq!(started["payload"]["status"], "started", "{started}");
    let run = started["payload"]["runId"].as_str().unwrap().to_string();
    let last = client
        .wait(WAIT, |f| {
            f["event"] == "chat" && f["payload"]["state"] == "final"
        })
        .expect("a final chat event");
    assert_eq!(last["payload"]["runId"], run.as_str());
    assert_eq!(last["payload"]["message"]["content"], "Hello there");
    let deltas: Vec<&Value> = client
        .seen
        .iter()
        .filter(|f| f["event"] == "chat" && f["payload"]["state"] == "delta")
        .collect();
    assert!(!deltas.is_empty(), "deltas stream before the final event");
    let streamed: String = deltas
        .iter()
        .map(|d| d["payload"]["deltaText"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, "Hello there");
    assert!(client
        .seen
        .iter()
        .any(|f| f["event"] == "agent" && f["payload"]["stream"] == "lifecycle"));
    // Events carry this connection's own increasing seq.
    let seqs: Vec<u64> = client
        .seen
        .iter()
        .filter_map(|f| f["seq"].as_u64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // The same idempotency key does not start a second turn.
    let again = client.request(
        "chat.send",
        json!({ "sessionKey": "agent:main:ws", "message": "hi", "idempotencyKey": "k-1" }),
    );
    assert_eq!(again["payload"]["runId"], run.as_str());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(provider.requests().len(), 1, "no second model call");

    let history = client.request("chat.history", json!({ "sessionKey": "agent:main:ws" }));
    let messages = history["payload"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{history}");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["content"], "Hello there");
}

#[test]
fn agent_is_accepted_then_answered_on_the_same_id() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    let id = client.send(
        "agent",
        json!({ "message": "ping", "idempotencyKey": "a-1" }),
    );
    let accepted = client.response(&id, WAIT);
    assert_eq!(accepted["payload"]["status"], "accepted", "{accepted}");
    let done = client.response(&id, WAIT);
    assert_eq!(done["payload"]["status"], "ok", "{done}");
    assert_eq!(done["payload"]["result"]["text"], "echo: ping");
}

#[test]
fn chat_abort_stops_a_running_turn() {
    let provider = Emulator::openai();
    provider.set_delay(Duration::from_secs(5));
    let gateway = gateway(&provider, &[]);
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    client.request(
        "chat.send",
        json!({ "sessionKey": "agent:main:slow", "message": "take your time" }),
    );
    std::thread::sleep(Duration::from_millis(300));
    let aborted = client.request("chat.abort", json!({ "sessionKey": "agent:main:slow" }));
    assert_eq!(aborted["payload"]["aborted"], true, "{aborted}");
    // The error event may have arrived before the answer to chat.abort.
    let is_error = |f: &Value| f["event"] == "chat" && f["payload"]["state"] == "error";
    let error = match client.seen.iter().find(|f| is_error(f)).cloned() {
        Some(error) => error,
        None => client
            .wait(WAIT, is_error)
            .unwrap_or_else(|| panic!("no error chat event; seen: {:#?}", client.seen)),
    };
    assert!(error["payload"]["errorMessage"]
        .as_str()
        .unwrap()
        .contains("aborted"));
}

#[test]
fn a_slow_consumer_is_dropped_while_others_go_on() {
    let provider = Emulator::openai();
    let pieces: Vec<String> = (0..12_000).map(|i| format!("w{i} ")).collect();
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    provider.push(Reply::text(&refs));
    let gateway = gateway(&provider, &[]);
    let (mut slow, _) = WsClient::connect(gateway.addr, &gateway.token());
    let (mut fast, _) = WsClient::connect(gateway.addr, &gateway.token());
    fast.request(
        "chat.send",
        json!({ "sessionKey": "agent:main:flood", "message": "flood" }),
    );
    // `fast` reads everything; `slow` reads nothing until the stream is over.
    let final_event = fast
        .wait(Duration::from_secs(60), |f| {
            f["event"] == "chat" && f["payload"]["state"] == "final"
        })
        .expect("the fast client gets the whole answer");
    assert_eq!(
        final_event["payload"]["message"]["content"]
            .as_str()
            .unwrap()
            .len(),
        pieces.concat().len()
    );
    let (code, reason) = slow
        .closed(Duration::from_secs(30))
        .expect("the slow client was dropped");
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("slow consumer"), "{reason}");
    // The gateway is fine.
    assert_eq!(fast.request("health", json!({}))["ok"], true);
}
