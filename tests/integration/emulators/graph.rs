//! The Graph (WhatsApp Cloud API) emulator: sends, validation, auth, scripted failures, the
//! `failed` status follow-up; and the webhook side: HMAC, Meta's escaping, payload shapes, the
//! signed POST and the GET handshake.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{capture_once, captured};
use crate::support::{http_post, Response};
use pincer_emulators::client;
use pincer_emulators::graph::{self, GraphApi};

const TOKEN: &str = "EAAtest";
const PATH: &str = "/v21.0/106540352242922/messages";

fn send(graph: &GraphApi, body: &Value) -> Response {
    http_post(
        graph.addr(),
        PATH,
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        body,
    )
}

fn text(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "text", "text": {"preview_url": false, "body": body}})
}

#[test]
fn graph_accepts_a_text_send_and_a_mark_read() {
    let graph = GraphApi::start(TOKEN);
    let mut body = text("+16505551234", "Hello");
    body["context"] = json!({"message_id": "wamid.IN1"});
    let response = send(&graph, &body);
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.body,
        json!({"messaging_product": "whatsapp",
            "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.EMU1"}]})
    );
    send(&graph, &text("+16505551234", "again")); // no context
    let sends = graph.sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0].phone_number_id, "106540352242922");
    assert_eq!(sends[0].version, "v21.0");
    assert_eq!(
        (sends[0].to.as_str(), sends[0].body.as_str()),
        ("+16505551234", "Hello")
    );
    assert_eq!(sends[0].context.as_deref(), Some("wamid.IN1"));
    assert_eq!(sends[1].id, "wamid.EMU2");
    assert_eq!(graph.sends_by_context().get("wamid.IN1"), Some(&1));
    assert_eq!(graph.sends_by_context().len(), 1);

    let read = json!({"messaging_product": "whatsapp", "status": "read",
        "message_id": "wamid.IN1", "typing_indicator": {"type": "text"}});
    let response = send(&graph, &read);
    assert_eq!(
        (response.status, response.body.clone()),
        (200, json!({"success": true}))
    );
    assert_eq!(graph.reads(), vec!["wamid.IN1".to_string()]);
    assert_eq!(graph.typing_indicators(), vec!["wamid.IN1".to_string()]);
    assert_eq!(graph.attempts(), 2, "a mark-read is not a send attempt");
    graph.clear();
    assert!(graph.sends().is_empty() && graph.reads().is_empty() && graph.attempts() == 0);
}

#[test]
fn graph_refuses_bad_tokens_and_invalid_bodies() {
    let graph = GraphApi::start(TOKEN);
    let body = text("+1555", "hi");
    for headers in [vec![], vec![("Authorization", "Bearer wrong")]] {
        let response = http_post(graph.addr(), PATH, &headers, &body);
        assert_eq!(response.status, 401, "{}", response.text);
        let error = &response.body["error"];
        assert_eq!(error["code"], 190);
        assert_eq!(error["type"], "OAuthException");
        assert_eq!(error["message"], "Error validating access token");
        assert!(error["fbtrace_id"].is_string());
    }
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let (status, reply) = client::request(graph.addr(), "POST", PATH, &headers, Some(b"{oops"));
    let reply: Value = serde_json::from_str(&reply).expect("a JSON error");
    assert_eq!((status, reply["error"]["code"].clone()), (400, json!(100)));

    let mut wrong_product = text("+1555", "hi");
    wrong_product["messaging_product"] = json!("sms");
    let response = send(&graph, &wrong_product);
    assert_eq!(
        (response.status, response.body["error"]["code"].clone()),
        (400, json!(100))
    );
    assert_eq!(
        response.body["error"]["error_data"]["messaging_product"],
        "whatsapp"
    );

    // The limit counts characters, not bytes: 4096 two-byte characters pass, 4097 do not.
    assert_eq!(send(&graph, &text("+1555", &"é".repeat(4096))).status, 200);
    let response = send(&graph, &text("+1555", &"é".repeat(4097)));
    assert_eq!(
        (response.status, response.body["error"]["code"].clone()),
        (400, json!(100))
    );

    assert_eq!(graph.sends().len(), 1);
    assert_eq!(
        graph.attempts(),
        6,
        "every send attempt counts, refused ones included"
    );
    let failed: Vec<u32> = graph.failed().iter().map(|f| f.code).collect();
    assert_eq!(failed, vec![100, 100], "validation failures are recorded");
}

#[test]
fn graph_scripted_failures_use_the_graph_error_object() {
    let graph = GraphApi::start(TOKEN);
    graph.fail_next(2, 130429, 400);
    for _ in 0..2 {
        let response = send(&graph, &text("+1555", "hi"));
        assert_eq!(response.status, 400);
        let error = &response.body["error"];
        assert_eq!(error["message"], "(#130429) Rate limit hit");
        assert_eq!(error["type"], "OAuthException");
        assert_eq!(error["code"], 130429);
        assert_eq!(error["error_data"]["messaging_product"], "whatsapp");
        assert!(error["error_data"]["details"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
        assert!(error["fbtrace_id"].is_string());
    }
    assert_eq!(send(&graph, &text("+1555", "third")).status, 200);

    graph.fail_recipient("+1666", 1, 131026, 400);
    assert_eq!(send(&graph, &text("+1555", "other recipient")).status, 200);
    let response = send(&graph, &text("+1666", "x"));
    assert_eq!(
        (response.status, response.body["error"]["code"].clone()),
        (400, json!(131026))
    );
    assert_eq!(send(&graph, &text("+1666", "second try")).status, 200);

    graph.fail_for(Duration::from_millis(300), 131000, 500);
    let response = send(&graph, &text("+1555", "in the window"));
    assert_eq!(
        (response.status, response.body["error"]["code"].clone()),
        (500, json!(131000))
    );
    thread::sleep(Duration::from_millis(350)); // let the scripted window pass
    assert_eq!(send(&graph, &text("+1555", "after")).status, 200);

    assert_eq!(graph.sends().len(), 4);
    assert_eq!(graph.failed().len(), 4);
    assert_eq!(graph.attempts(), 8);
}

#[test]
fn graph_wait_for_sends_wakes_on_a_send_and_latency_delays_replies() {
    let graph = GraphApi::start(TOKEN);
    assert!(!graph.wait_for_sends(1, Duration::from_millis(50)));
    graph.set_latency(Duration::from_millis(200));
    let addr = graph.addr();
    let sender = thread::spawn(move || {
        let auth = format!("Bearer {TOKEN}");
        let started = Instant::now();
        let response = http_post(addr, PATH, &[("Authorization", &auth)], &text("+1", "x"));
        (response.status, started.elapsed())
    });
    assert!(
        graph.wait_for_sends(1, Duration::from_secs(10)),
        "no send arrived"
    );
    let (status, elapsed) = sender.join().expect("sender thread");
    assert_eq!(status, 200);
    assert!(
        elapsed >= Duration::from_millis(200),
        "latency not applied: {elapsed:?}"
    );
}

#[test]
fn graph_posts_a_signed_failed_status_after_each_send() {
    let graph = GraphApi::start(TOKEN);
    let (addr, requests) = capture_once(200, "");
    graph.set_webhook_target(
        &format!("http://{addr}/wa/hook"),
        "app-secret",
        "106540352242922",
    );
    graph.post_failed_status(true);
    let response = send(&graph, &text("+16505551234", "late failure"));
    let id = response.body["messages"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let request = captured(&requests);
    assert_eq!(request.line, "POST /wa/hook");
    assert_eq!(
        request.header("x-hub-signature-256"),
        Some(graph::sign(&request.body, "app-secret").as_str())
    );
    let body: Value = serde_json::from_slice(&request.body).expect("JSON webhook");
    let value = &body["entry"][0]["changes"][0]["value"];
    assert_eq!(value["metadata"]["phone_number_id"], "106540352242922");
    let status = &value["statuses"][0];
    assert_eq!(
        (status["id"].as_str(), status["status"].as_str()),
        (Some(id.as_str()), Some("failed"))
    );
    assert_eq!(status["recipient_id"], "+16505551234");
    assert_eq!(status["errors"][0]["code"], 131047);
    assert!(graph.wait_for_status_posts(1, Duration::from_secs(10)));
    assert_eq!(graph.status_posts(), vec![(id, 200)]);
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    let hex = |mac: [u8; 32]| mac.iter().map(|b| format!("{b:02x}")).collect::<String>();
    // Test case 1.
    assert_eq!(
        hex(graph::hmac_sha256(&[0x0b; 20], b"Hi There")),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    // Test case 2.
    assert_eq!(
        hex(graph::hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    // Test case 6: a key longer than the block is hashed first.
    assert_eq!(
        hex(graph::hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    assert_eq!(
        graph::sign(b"Hi There", "key"),
        format!("sha256={}", hex(graph::hmac_sha256(b"key", b"Hi There")))
    );
}

#[test]
fn webhook_bodies_escape_non_ascii_and_are_signed_as_sent() {
    let original = "héllo 👋 a/b 日本";
    let body = graph::text_webhook("106540352242922", &[("16505551234", "wamid.IN1", original)]);
    let raw = std::str::from_utf8(&body).expect("UTF-8");
    assert!(raw.is_ascii(), "non-ASCII left unescaped: {raw}");
    for escape in [r"h\u00e9llo", r"\ud83d\udc4b", r"a\/b", r"\u65e5\u672c"] {
        assert!(raw.contains(escape), "{escape} missing from {raw}");
    }
    let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
    assert_eq!(parsed["object"], "whatsapp_business_account");
    assert_eq!(parsed["entry"][0]["id"], graph::WABA_ID);
    let change = &parsed["entry"][0]["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(value["metadata"]["phone_number_id"], "106540352242922");
    assert_eq!(value["contacts"][0]["wa_id"], "16505551234");
    let message = &value["messages"][0];
    assert_eq!(
        (message["from"].as_str(), message["id"].as_str()),
        (Some("16505551234"), Some("wamid.IN1"))
    );
    assert!(
        message["timestamp"].is_string(),
        "timestamp must be a string"
    );
    assert_eq!(message["type"], "text");
    assert_eq!(message["text"]["body"], original, "the escapes round-trip");

    // Re-serialising changes the bytes, and so the signature: only the raw bytes verify.
    let reserialised = serde_json::to_vec(&parsed).expect("serialise");
    assert_ne!(graph::sign(&reserialised, "s"), graph::sign(&body, "s"));

    let (addr, requests) = capture_once(200, "EVENT_RECEIVED");
    let signature = graph::sign(&body, "app-secret");
    let answer = graph::post_webhook(addr, "/wa", &body, Some(&signature));
    assert_eq!(answer, (200, "EVENT_RECEIVED".to_string()));
    let request = captured(&requests);
    assert_eq!(request.body, body, "exactly the signed bytes are sent");
    assert_eq!(
        request.header("x-hub-signature-256"),
        Some(signature.as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
}

#[test]
fn webhook_builders_compose_entries_statuses_and_media() {
    let messages = graph::text_value(
        "P1",
        &[
            ("1", "wamid.A", "a"),
            ("2", "wamid.B", "b"),
            ("1", "wamid.C", "c"),
        ],
    );
    assert_eq!(
        messages["contacts"].as_array().map(Vec::len),
        Some(2),
        "one contact per sender"
    );
    let body = graph::multi_webhook(&[
        vec![
            messages,
            graph::status_value("P1", "wamid.OUT", "1", "delivered", None),
        ],
        vec![graph::media_value("P2", "3", "wamid.D", "image")],
    ]);
    let parsed: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(parsed["entry"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        parsed["entry"][0]["changes"].as_array().map(Vec::len),
        Some(2)
    );
    let status = &parsed["entry"][0]["changes"][1]["value"]["statuses"][0];
    assert_eq!(
        (status["status"].as_str(), status["id"].as_str()),
        (Some("delivered"), Some("wamid.OUT"))
    );
    let media = &parsed["entry"][1]["changes"][0]["value"];
    assert_eq!(media["metadata"]["phone_number_id"], "P2");
    assert_eq!(media["messages"][0]["type"], "image");
    assert_eq!(media["messages"][0]["image"]["mime_type"], "image/jpeg");

    let failed: Value = serde_json::from_slice(&graph::status_webhook(
        "P1",
        "wamid.X",
        "1",
        "failed",
        Some(131047),
    ))
    .expect("JSON");
    let status = &failed["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(status["errors"][0]["code"], 131047);
    assert_eq!(status["errors"][0]["title"], "Re-engagement message");
    let media: Value =
        serde_json::from_slice(&graph::media_webhook("P1", "1", "wamid.M", "image")).expect("JSON");
    assert!(media["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"].is_string());
}

#[test]
fn verify_request_percent_encodes_the_handshake() {
    let (addr, requests) = capture_once(200, "1158201444");
    let answer = graph::verify_request(addr, "/wa/hook", "subscribe", "a b&c=d/é", "1158201444");
    assert_eq!(answer, (200, "1158201444".to_string()));
    let request = captured(&requests);
    assert_eq!(
        request.line,
        "GET /wa/hook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=a%20b%26c%3Dd%2F%C3%A9"
    );
    let query = request
        .line
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default();
    let pairs = client::parse_query(query);
    assert_eq!(
        pairs[2],
        ("hub.verify_token".to_string(), "a b&c=d/é".to_string())
    );
}
