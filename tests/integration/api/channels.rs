//! The channels' operations: `pairing.list`, `pairing.approve`, `pairing.revoke`, `send`,
//! `channels.status`.

use pincer::api::{ChannelStats, PairingApproved, PairingList, PairingRevoked, Sent};
use serde_json::json;

use super::*;
use crate::support::channels::WA_TOKEN;

#[test]
fn pairing_list_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = with_strangers(&provider, &graph, &STRANGERS[..2]);
    let mut both = Both::new(&gateway);
    let ws: PairingList = both
        .call("pairing.list", json!({ "channel": "whatsapp" }))
        .expect("WS list");
    let http: PairingList = both.get("/admin/pairing/whatsapp").expect("HTTP list");
    assert_eq!(ws, http);
    assert_eq!(ws.requests.len(), 2, "{ws:?}");
    assert!(ws
        .requests
        .iter()
        .all(|r| r.code.len() == 8 && r.created_at_ms > 0));
    assert_eq!(
        cli::<PairingList>(&gateway, &["pairing", "list", "whatsapp", "--json"]),
        http
    );
    same_refusal(
        both.get::<PairingList>("/admin/pairing/signal"),
        both.call::<PairingList>("pairing.list", json!({ "channel": "signal" })),
        "NOT_FOUND",
        404,
    );
    // A pairing file that does not read is the store's failure.
    std::fs::write(
        gateway
            .state_dir()
            .join("credentials")
            .join("telegram-pairing.json"),
        "{ not json",
    )
    .expect("corrupt the telegram pairing file");
    same_refusal(
        both.get::<PairingList>("/admin/pairing/telegram"),
        both.call::<PairingList>("pairing.list", json!({ "channel": "telegram" })),
        "STORE",
        500,
    );
}

#[test]
fn pairing_approve_answers_alike_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = with_strangers(&provider, &graph, &STRANGERS);
    let mut both = Both::new(&gateway);
    let http: PairingApproved = both
        .post(
            "/admin/pairing/whatsapp/approve",
            json!({ "code": code_of(&graph, STRANGERS[0]) }),
        )
        .expect("HTTP approve");
    let ws: PairingApproved = both
        .call(
            "pairing.approve",
            json!({ "channel": "whatsapp", "code": code_of(&graph, STRANGERS[1]) }),
        )
        .expect("WS approve");
    for (answer, from) in [(&http, STRANGERS[0]), (&ws, STRANGERS[1])] {
        assert_eq!(
            (
                answer.ok,
                answer.channel.as_str(),
                answer.approved.id.as_str(),
                answer.notified
            ),
            (true, "whatsapp", from, None),
            "{answer:?}"
        );
    }
    let code = code_of(&graph, STRANGERS[2]).to_lowercase();
    let from_cli: PairingApproved = cli(
        &gateway,
        &[
            "pairing", "approve", "whatsapp", &code, "--notify", "--json",
        ],
    );
    assert_eq!(from_cli.approved.id, STRANGERS[2]);
    assert_eq!(
        (from_cli.notified, from_cli.notify_error),
        (Some(true), None)
    );
    assert!(
        graph.wait_for_sends(4, WAIT),
        "the approved sender was told"
    );
    let listed: PairingList = both
        .call("pairing.list", json!({ "channel": "whatsapp" }))
        .expect("WS list");
    assert!(
        listed.requests.is_empty() && listed.approved.len() == 3,
        "{listed:?}"
    );
    same_refusal(
        both.post::<PairingApproved>(
            "/admin/pairing/whatsapp/approve",
            json!({ "code": "ZZZZZZZZ" }),
        ),
        both.call::<PairingApproved>(
            "pairing.approve",
            json!({ "channel": "whatsapp", "code": "ZZZZZZZZ" }),
        ),
        "NOT_FOUND",
        404,
    );
    same_refusal(
        both.post::<PairingApproved>("/admin/pairing/whatsapp/approve", json!({})),
        both.call::<PairingApproved>("pairing.approve", json!({ "channel": "whatsapp" })),
        "INVALID_REQUEST",
        400,
    );
}

#[test]
fn pairing_revoke_answers_alike_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = start(&provider, &[whatsapp(&graph, "pairing", "", "")]);
    let mut both = Both::new(&gateway);
    // Approved senders come from pairing: let each ask, then approve them.
    for (n, from) in STRANGERS.iter().enumerate() {
        assert_eq!(
            post_text(&gateway, from, &format!("wamid.S{n}"), "hi?"),
            200
        );
        assert!(graph.wait_for_sends(n + 1, WAIT));
        let _: PairingApproved = both
            .post(
                "/admin/pairing/whatsapp/approve",
                json!({ "code": code_of(&graph, from) }),
            )
            .expect("approve");
    }
    let listed: PairingList = both.get("/admin/pairing/whatsapp").expect("list");
    assert_eq!(listed.approved.len(), 3, "{listed:?}");
    let http: PairingRevoked = both
        .post(
            "/admin/pairing/whatsapp/revoke",
            json!({ "id": STRANGERS[0] }),
        )
        .expect("HTTP revoke");
    let ws: PairingRevoked = both
        .call(
            "pairing.revoke",
            json!({ "channel": "whatsapp", "id": STRANGERS[1] }),
        )
        .expect("WS revoke");
    assert_eq!(
        (http.ok, http.channel.as_str(), http.revoked.as_str()),
        (true, "whatsapp", STRANGERS[0])
    );
    assert_eq!(
        (ws.ok, ws.channel.as_str(), ws.revoked.as_str()),
        (true, "whatsapp", STRANGERS[1])
    );
    let text = stdout(&run_cli(
        gateway.home(),
        &["pairing", "revoke", "whatsapp", STRANGERS[2]],
    ));
    assert!(
        text.contains(&format!("Revoked whatsapp sender {}", STRANGERS[2])),
        "{text}"
    );
    let ws: PairingList = both
        .call("pairing.list", json!({ "channel": "whatsapp" }))
        .expect("WS list");
    assert_eq!(
        ws,
        both.get::<PairingList>("/admin/pairing/whatsapp")
            .expect("HTTP list")
    );
    assert!(ws.approved.is_empty(), "{ws:?}");
    same_refusal(
        both.post::<PairingRevoked>(
            "/admin/pairing/whatsapp/revoke",
            json!({ "id": STRANGERS[0] }),
        ),
        both.call::<PairingRevoked>(
            "pairing.revoke",
            json!({ "channel": "whatsapp", "id": STRANGERS[0] }),
        ),
        "NOT_FOUND",
        404,
    );
}

#[test]
fn send_answers_alike_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = start(&provider, &[whatsapp(&graph, "open", "'*'", "")]);
    let mut both = Both::new(&gateway);
    let http: Sent = both
        .post(
            "/admin/channels/whatsapp/send",
            json!({ "to": "15551112222", "text": "from HTTP" }),
        )
        .expect("HTTP send");
    let ws: Sent = both
        .call(
            "send",
            json!({ "channel": "whatsapp", "to": "15551112222", "message": "from WS" }),
        )
        .expect("WS send");
    assert_eq!(ws, http);
    assert_eq!(
        (http.ok, http.channel.as_str(), http.to.as_str()),
        (true, "whatsapp", "15551112222")
    );
    let from_cli: Sent = cli(
        &gateway,
        &[
            "message",
            "send",
            "--channel",
            "whatsapp",
            "--to",
            "15551112222",
            "--text",
            "from the CLI",
            "--json",
        ],
    );
    assert_eq!(from_cli, http);
    assert!(graph.wait_for_sends(3, WAIT));
    let bodies: Vec<String> = graph.sends().into_iter().map(|s| s.body).collect();
    assert_eq!(bodies, ["from HTTP", "from WS", "from the CLI"]);
    same_refusal(
        both.post::<Sent>(
            "/admin/channels/whatsapp/send",
            json!({ "to": "", "text": "x" }),
        ),
        both.call::<Sent>(
            "send",
            json!({ "channel": "whatsapp", "to": "", "message": "x" }),
        ),
        "INVALID_REQUEST",
        400,
    );
    same_refusal(
        both.post::<Sent>(
            "/admin/channels/telegram/send",
            json!({ "to": "1", "text": "x" }),
        ),
        both.call::<Sent>(
            "send",
            json!({ "channel": "telegram", "to": "1", "message": "x" }),
        ),
        "SEND_FAILED",
        502,
    );
}

#[test]
fn channel_figures_are_the_same_over_both_and_the_cli_reads_them() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = with_strangers(&provider, &graph, &STRANGERS);
    let mut both = Both::new(&gateway);
    // Once the channel is idle its counters hold still.
    let http = settled(|| {
        both.get::<ChannelStats>("/admin/channels")
            .expect("HTTP figures")
    });
    let ws: ChannelStats = both.call("channels.status", json!({})).expect("WS figures");
    assert_eq!(ws, http);
    let whatsapp = &http.channels["whatsapp"];
    assert!(whatsapp.healthy, "{whatsapp:?}");
    assert_eq!(whatsapp.counters.get("received"), Some(&3), "{whatsapp:?}");
    assert_eq!(
        whatsapp.counters.get("pairingCodesSent"),
        Some(&3),
        "{whatsapp:?}"
    );
    assert!(
        http.journal.appended >= 3 && http.journal.file_bytes > 0,
        "{:?}",
        http.journal
    );
    assert_eq!(cli::<ChannelStats>(&gateway, &["channels", "--json"]), http);
    let text = stdout(&run_cli(gateway.home(), &["channels"]));
    assert!(
        text.contains("whatsapp   healthy") && text.contains("received 3"),
        "{text}"
    );
}
