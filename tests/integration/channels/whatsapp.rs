//! The WhatsApp channel against the Graph API emulator: the webhook handshake, signature and
//! body checks, answers through the agent, dedup of redeliveries, chunking, retries by error
//! code and delivery statuses (message kinds beyond text: `whatsapp_kinds.rs`).

use std::time::{Duration, Instant};

use crate::support::channels::{
    channel_status, gateway, post_signed, post_text, wait_for_status, whatsapp, APP_SECRET, PNID,
    VERIFY_TOKEN,
};
use pincer_emulators::graph::{self, GraphApi};
use pincer_emulators::{Emulator, Reply};

const WAIT: Duration = Duration::from_secs(20);

fn open_gateway(extra: &str) -> (Emulator, GraphApi, crate::support::Gateway) {
    let provider = Emulator::openai();
    let graph = GraphApi::start(crate::support::channels::WA_TOKEN);
    let gateway = gateway(&provider, &[whatsapp(&graph, "open", "'*'", extra)]);
    (provider, graph, gateway)
}

#[test]
fn the_subscription_handshake_echoes_the_challenge_only_for_the_right_token() {
    let (_provider, _graph, gateway) = open_gateway("");
    let (status, body) = graph::verify_request(
        gateway.addr,
        "/webhooks/whatsapp",
        "subscribe",
        VERIFY_TOKEN,
        "1158201444",
    );
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, _) = graph::verify_request(
        gateway.addr,
        "/webhooks/whatsapp",
        "subscribe",
        "wrong",
        "1158201444",
    );
    assert_eq!(status, 403);
}

#[test]
fn unsigned_or_badly_signed_posts_get_401_and_nothing_is_processed() {
    let (provider, graph, gateway) = open_gateway("");
    let body = graph::text_webhook(PNID, &[("15550001", "wamid.BAD", "hi")]);
    let (missing, _) = graph::post_webhook(gateway.addr, "/webhooks/whatsapp", &body, None);
    assert_eq!(missing, 401);
    let wrong = graph::sign(&body, "not-the-app-secret");
    let (status, _) = graph::post_webhook(gateway.addr, "/webhooks/whatsapp", &body, Some(&wrong));
    assert_eq!(status, 401);
    // Signed correctly, but over different bytes than those sent.
    let signature = graph::sign(b"{}", APP_SECRET);
    let (status, _) =
        graph::post_webhook(gateway.addr, "/webhooks/whatsapp", &body, Some(&signature));
    assert_eq!(status, 401);
    std::thread::sleep(Duration::from_millis(500));
    let figures = channel_status(&gateway);
    assert_eq!(
        figures["channels"]["whatsapp"]["received"], 0,
        "{figures:#}"
    );
    assert_eq!(
        figures["channels"]["whatsapp"]["rejected"], 3,
        "{figures:#}"
    );
    assert_eq!(figures["journal"]["appended"], 0);
    assert_eq!(graph.attempts(), 0, "nothing was sent");
    assert!(provider.requests().is_empty(), "the agent was not asked");
}

#[test]
fn malformed_and_oversized_bodies_are_refused_with_4xx() {
    let (_provider, graph, gateway) = open_gateway("");
    let _ = graph;
    assert_eq!(post_signed(&gateway, b"{not json"), 400);
    assert_eq!(
        post_signed(&gateway, br#"{"object":"page","entry":[]}"#),
        400
    );
    let huge = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(post_signed(&gateway, &huge), 413);
    // The gateway is still fine.
    assert_eq!(gateway.get("/healthz", &[]).status, 200);
}

#[test]
fn a_text_is_answered_once_quoting_it_and_a_redelivery_is_dropped() {
    let (provider, graph, gateway) = open_gateway("");
    let body = graph::text_webhook(PNID, &[("15550001", "wamid.ONE", "héllo wörld")]);
    assert_eq!(post_signed(&gateway, &body), 200);
    assert!(graph.wait_for_sends(1, WAIT), "no reply was sent");
    let sent = graph.sends();
    assert_eq!(sent[0].to, "15550001");
    assert_eq!(
        sent[0].body, "echo: héllo wörld",
        "non-ASCII survived the \\u escapes"
    );
    assert_eq!(sent[0].context.as_deref(), Some("wamid.ONE"));
    assert!(
        graph.reads().contains(&"wamid.ONE".to_string()),
        "marked read"
    );
    // Meta delivers the same notification again: 200, and no second answer.
    assert_eq!(post_signed(&gateway, &body), 200);
    wait_for_status(&gateway, "the duplicate to be counted", |s| {
        s["channels"]["whatsapp"]["duplicates"] == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(graph.sends().len(), 1);
    assert_eq!(provider.requests().len(), 1);
}

#[test]
fn several_entries_changes_and_messages_in_one_post_are_all_answered() {
    let (_provider, graph, gateway) = open_gateway("");
    let body = graph::multi_webhook(&[
        vec![
            graph::text_value(
                PNID,
                &[("111", "wamid.A1", "one"), ("222", "wamid.B1", "two")],
            ),
            graph::status_value(PNID, "wamid.OUT", "111", "delivered", None),
        ],
        vec![graph::text_value(PNID, &[("333", "wamid.C1", "three")])],
    ]);
    assert_eq!(post_signed(&gateway, &body), 200);
    assert!(graph.wait_for_sends(3, WAIT), "sends: {:?}", graph.sends());
    let by_context = graph.sends_by_context();
    for wamid in ["wamid.A1", "wamid.B1", "wamid.C1"] {
        assert_eq!(by_context.get(wamid), Some(&1), "{wamid}: {by_context:?}");
    }
}

#[test]
fn long_replies_are_split_and_only_the_first_piece_quotes() {
    let (provider, graph, gateway) = open_gateway("");
    let paragraph = "word ".repeat(700); // 3500 characters
    let long = format!(
        "{}\n\n{}\n\n{}",
        paragraph.trim(),
        paragraph.trim(),
        paragraph.trim()
    );
    provider.push(Reply::text(&[&long]));
    assert_eq!(
        post_text(&gateway, "15550002", "wamid.LONG", "tell me a lot"),
        200
    );
    assert!(
        graph.wait_for_sends(3, WAIT),
        "sends: {}",
        graph.sends().len()
    );
    let sent = graph.sends();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|s| s.body.chars().count() <= 4096));
    assert_eq!(sent[0].context.as_deref(), Some("wamid.LONG"));
    assert!(sent[1].context.is_none() && sent[2].context.is_none());
    let rejoined: String = sent
        .iter()
        .map(|s| s.body.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    assert_eq!(rejoined, long);
}

#[test]
fn throughput_limits_are_retried_with_backoff() {
    let (_provider, graph, gateway) = open_gateway("");
    graph.fail_next(2, 130429, 400);
    let started = Instant::now();
    assert_eq!(post_text(&gateway, "15550003", "wamid.RL", "hi"), 200);
    assert!(graph.wait_for_sends(1, WAIT), "the reply never went out");
    assert_eq!(graph.attempts(), 3, "two refusals then a success");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "backed off 1 s then 2 s"
    );
    // The emulator records the send before the gateway reads its answer and marks it done.
    let figures = wait_for_status(&gateway, "the entry to be done", |s| {
        s["journal"]["pending"] == 0
    });
    assert_eq!(
        figures["channels"]["whatsapp"]["sendRetries"], 2,
        "{figures:#}"
    );
}

#[test]
fn outside_the_24_hour_window_is_not_retried() {
    let (_provider, graph, gateway) = open_gateway("");
    graph.fail_next(1, 131047, 400);
    assert_eq!(post_text(&gateway, "15550004", "wamid.WIN", "hi"), 200);
    wait_for_status(&gateway, "the failure to be counted", |s| {
        s["channels"]["whatsapp"]["sendFailures"] == 1
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(graph.attempts(), 1, "no retry");
    assert!(graph.sends().is_empty());
    assert_eq!(
        channel_status(&gateway)["journal"]["pending"],
        0,
        "given up, not replayed"
    );
}

#[test]
fn an_expired_token_marks_the_channel_unhealthy_and_keeps_the_message() {
    let (_provider, graph, gateway) = open_gateway("");
    graph.fail_next(1, 190, 401);
    assert_eq!(post_text(&gateway, "15550005", "wamid.TOK", "hi"), 200);
    let figures = wait_for_status(&gateway, "the channel to turn unhealthy", |s| {
        s["channels"]["whatsapp"]["healthy"] == false
    });
    assert!(
        figures["channels"]["whatsapp"]["link"]
            .as_str()
            .unwrap()
            .contains("190"),
        "{figures:#}"
    );
    assert_eq!(
        figures["journal"]["pending"], 1,
        "the reply waits in the journal"
    );
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(
        ready.body["channels"]["whatsapp"]["healthy"], false,
        "{}",
        ready.text
    );
}

#[test]
fn failed_statuses_are_counted() {
    let (_provider, graph, gateway) = open_gateway("");
    let _ = graph;
    let status = graph::status_webhook(PNID, "wamid.OUT1", "15550006", "failed", Some(131047));
    assert_eq!(post_signed(&gateway, &status), 200);
    wait_for_status(&gateway, "the failed status to be counted", |s| {
        s["channels"]["whatsapp"]["deliveryFailures"] == 1
    });
}

#[test]
fn the_cli_sends_a_message_through_the_running_channel() {
    let (_provider, graph, gateway) = open_gateway("");
    let output = crate::support::run_cli(
        gateway.home.path(),
        &[
            "message",
            "send",
            "--channel",
            "whatsapp",
            "--to",
            "15550010",
            "--text",
            "hello from the CLI",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    assert!(graph.wait_for_sends(1, WAIT));
    let sent = &graph.sends()[0];
    assert_eq!(
        (sent.to.as_str(), sent.body.as_str()),
        ("15550010", "hello from the CLI")
    );
    assert!(sent.context.is_none());
}
