//! The methods OpenClaw's clients rely on, over a raw socket: `sessions.subscribe` and its
//! `sessions.changed` events (only to the subscriber), `system-presence` with the gateway's own
//! entry, `agent` by `sessionId` (an explicit session, found again by its id), `logs.tail`
//! followed by cursor, and the answer to a method Pincer lacks.

use std::time::Duration;

use crate::support::channels::gateway;
use crate::support::ws::WsClient;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn a_subscriber_hears_of_session_changes_and_others_do_not() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let (mut watcher, _) = WsClient::connect(gateway.addr, &gateway.token());
    let (mut other, _) = WsClient::connect(gateway.addr, &gateway.token());
    let ack = watcher.request("sessions.subscribe", json!({}));
    assert_eq!(ack["payload"], json!({ "subscribed": true }), "{ack}");

    let answer = other.request(
        "agent",
        json!({ "message": "hello", "sessionKey": "agent:main:watched", "idempotencyKey": "k1" }),
    );
    let accepted = other.wait(WAIT, |f| {
        f["type"] == "res" && f["payload"]["status"] == "ok"
    });
    let accepted = accepted.unwrap_or_else(|| panic!("no final answer: {answer} {:?}", other.seen));
    assert_eq!(
        accepted["payload"]["result"]["payloads"][0]["text"],
        "echo: hello"
    );
    assert_eq!(
        accepted["payload"]["runId"], "k1",
        "the idempotency key is the run id"
    );

    let changed = watcher
        .wait(WAIT, |f| f["event"] == "sessions.changed")
        .unwrap_or_else(|| panic!("no sessions.changed; seen {:?}", watcher.seen));
    assert_eq!(
        changed["payload"]["sessionKey"], "agent:main:watched",
        "{changed}"
    );
    assert_eq!(changed["payload"]["reason"], "updated");
    assert_eq!(changed["payload"]["session"]["key"], "agent:main:watched");
    assert!(
        changed["payload"]["session"]["sessionId"].is_string(),
        "{changed}"
    );
    assert!(
        other.seen.iter().all(|f| f["event"] != "sessions.changed"),
        "only the subscriber gets them: {:?}",
        other.seen
    );

    // With list params, the subscription comes with the list, in OpenClaw's row shape.
    let both = other.request("sessions.subscribe", json!({ "limit": 10 }));
    let list = &both["payload"]["list"];
    assert_eq!(both["payload"]["subscribed"], true, "{both}");
    assert_eq!(list["count"], 1, "{both}");
    let row = &list["sessions"][0];
    assert_eq!(
        (row["key"].as_str(), row["kind"].as_str()),
        (Some("agent:main:watched"), Some("direct"))
    );
    assert!(row["updatedAt"].as_u64().is_some_and(|t| t > 0), "{row}");
    assert!(list["defaults"]["model"].is_string(), "{list}");
}

#[test]
fn presence_starts_with_the_gateway_and_sessions_are_found_by_id() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    let presence = client.request("system-presence", json!({}));
    let entries = presence["payload"]
        .as_array()
        .unwrap_or_else(|| panic!("{presence}"));
    assert_eq!(
        (entries[0]["mode"].as_str(), entries[0]["reason"].as_str()),
        (Some("gateway"), Some("self"))
    );
    assert!(
        entries[1..].iter().any(|e| e["clientId"] == "pincer-tests"),
        "{presence}"
    );

    // An unknown id starts an explicit session; asked again by the same id, it is the same.
    for text in ["first", "second"] {
        client.send("agent", json!({ "message": text, "sessionId": "my-id" }));
        let done = client
            .wait(WAIT, |f| {
                f["type"] == "res" && f["payload"]["status"] == "ok"
            })
            .unwrap_or_else(|| panic!("no answer; seen {:?}", client.seen));
        assert_eq!(
            done["payload"]["sessionKey"], "agent:main:explicit:my-id",
            "{done}"
        );
    }
    let described = client.request(
        "sessions.describe",
        json!({ "key": "agent:main:explicit:my-id" }),
    );
    let row = &described["payload"]["session"];
    assert_eq!(row["messages"], 4, "two turns of two messages: {described}");
    // Its transcript id finds it too.
    let id = row["sessionId"].as_str().expect("a session id").to_string();
    client.send("agent", json!({ "message": "third", "sessionId": id }));
    let done = client
        .wait(WAIT, |f| {
            f["type"] == "res" && f["payload"]["status"] == "ok"
        })
        .unwrap_or_else(|| panic!("no answer; seen {:?}", client.seen));
    assert_eq!(
        done["payload"]["sessionKey"], "agent:main:explicit:my-id",
        "{done}"
    );
}

#[test]
fn logs_are_followed_by_cursor_and_missing_concepts_are_named() {
    let provider = Emulator::openai();
    let gateway = gateway(&provider, &[]);
    let (mut client, _) = WsClient::connect(gateway.addr, &gateway.token());
    let first = client.request("logs.tail", json!({ "limit": 3 }));
    let first = &first["payload"];
    assert_eq!(first["lines"].as_array().map(Vec::len), Some(3), "{first}");
    let cursor = first["cursor"].as_u64().expect("a cursor");
    assert!(
        cursor > 0 && cursor <= first["size"].as_u64().unwrap_or(0),
        "{first}"
    );
    // A turn writes a log line; the next read from the cursor has it and nothing older.
    client.send("agent", json!({ "message": "log me" }));
    client.wait(WAIT, |f| {
        f["type"] == "res" && f["payload"]["status"] == "ok"
    });
    let next = client.request("logs.tail", json!({ "cursor": cursor }));
    let lines: Vec<&str> = next["payload"]["lines"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(lines.iter().any(|l| l.contains("turn answered")), "{next}");
    let earlier: Vec<&str> = first["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        lines.iter().all(|l| !earlier.contains(l)),
        "no line twice: {next}"
    );
    let again = client.request("logs.tail", json!({ "cursor": next["payload"]["cursor"] }));
    assert!(
        again["payload"]["lines"]
            .as_array()
            .is_some_and(|l| l.iter().all(|l| !lines.contains(&l.as_str().unwrap_or("")))),
        "{again}"
    );

    let devices = client.request("device.pair.list", json!({}));
    assert_eq!(devices["error"]["code"], "INVALID_REQUEST", "{devices}");
    assert_eq!(
        devices["error"]["details"]["code"], "NOT_SUPPORTED",
        "{devices}"
    );
    let message = devices["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("unknown method: device.pair.list (") && message.contains("devices"),
        "{message}"
    );
    let unknown = client.request("frobnicate", json!({}));
    assert_eq!(
        unknown["error"]["message"], "unknown method: frobnicate",
        "{unknown}"
    );
}
