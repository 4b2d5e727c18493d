//! WhatsApp message kinds through the real gateway and the emulators: a batch with a malformed
//! message still answers the good ones, a button reply reaches the model as its title, a
//! location as its coordinates, a username-only sender is answered at their business-scoped id,
//! and a group's answer goes back to the group (`recipient_type: "group"`).

use std::time::Duration;

use serde_json::json;

use crate::support::channels::{gateway, post_signed, wait_for_status, whatsapp, PNID};
use pincer_emulators::graph::{self, kind, GraphApi};
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

fn open_gateway() -> (Emulator, GraphApi, crate::support::Gateway) {
    let provider = Emulator::openai();
    let graph = GraphApi::start(crate::support::channels::WA_TOKEN);
    let gateway = gateway(&provider, &[whatsapp(&graph, "open", "'*'", "")]);
    (provider, graph, gateway)
}

/// Every user text the model emulator was asked with, joined.
fn asked(provider: &Emulator) -> String {
    provider
        .requests()
        .iter()
        .map(|r| r.body.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_malformed_message_in_a_batch_is_skipped_and_the_others_are_answered() {
    let (_provider, graph, gateway) = open_gateway();
    let good = |from: &str, id: &str, text: &str| kind::message(from, id, &kind::text(text));
    let value = graph::messages_value(
        PNID,
        vec![
            good("15550101", "wamid.GOOD1", "first of the batch"),
            // An image whose id is a number: not the documented shape.
            json!({"from": "15550102", "id": "wamid.BAD", "timestamp": "1", "type": "image",
                "image": {"id": 1234}}),
            good("15550103", "wamid.GOOD2", "second of the batch"),
        ],
    );
    assert_eq!(post_signed(&gateway, &graph::raw_webhook(value)), 200);
    assert!(graph.wait_for_sends(2, WAIT), "both good ones answered");
    let mut answers: Vec<(String, String)> =
        graph.sends().into_iter().map(|s| (s.to, s.body)).collect();
    answers.sort();
    assert_eq!(
        answers,
        vec![
            ("15550101".into(), "echo: first of the batch".into()),
            ("15550103".into(), "echo: second of the batch".into()),
        ]
    );
    let figures = wait_for_status(&gateway, "the malformed message to be counted", |s| {
        s["channels"]["whatsapp"]["malformed"] == 1
    });
    assert_eq!(
        figures["channels"]["whatsapp"]["received"], 2,
        "{figures:#}"
    );
    assert_eq!(
        figures["channels"]["whatsapp"]["rejected"], 0,
        "{figures:#}"
    );
}

#[test]
fn a_button_reply_reaches_the_model_as_its_title() {
    let (provider, graph, gateway) = open_gateway();
    let reply = kind::button_reply("book-yes", "Yes, book the table")
        .replying_to("wamid.BOTASKED", graph::DISPLAY_PHONE_NUMBER);
    let body = graph::kinds_webhook(PNID, &[("15550201", "wamid.BTN", reply)]);
    assert_eq!(post_signed(&gateway, &body), 200);
    assert!(graph.wait_for_sends(1, WAIT));
    let asked = asked(&provider);
    assert!(asked.contains("Yes, book the table"), "{asked}");
    assert!(
        asked.contains("book-yes"),
        "the id travels with it: {asked}"
    );
    assert!(graph.sends()[0]
        .body
        .starts_with("echo: Yes, book the table"));
}

#[test]
fn a_location_reaches_the_model_as_coordinates_name_and_address() {
    let (provider, graph, gateway) = open_gateway();
    let place = kind::location(38.7223, -9.1393, "Praça do Comércio", "1100-148 Lisboa");
    let body = graph::kinds_webhook(PNID, &[("15550301", "wamid.LOC", place)]);
    assert_eq!(post_signed(&gateway, &body), 200);
    assert!(graph.wait_for_sends(1, WAIT));
    let asked = asked(&provider);
    assert!(asked.contains("38.7223, -9.1393"), "{asked}");
    assert!(asked.contains("1100-148 Lisboa"), "{asked}");
}

#[test]
fn a_sender_known_only_by_user_id_is_answered_there() {
    let (_provider, graph, gateway) = open_gateway();
    let bsuid = "US.13491208655302741918";
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": graph::DISPLAY_PHONE_NUMBER, "phone_number_id": PNID},
        "contacts": [{"profile": {"name": "Pablo", "username": "@pablo"}, "user_id": bsuid}],
        "messages": [{"from_user_id": bsuid, "id": "wamid.BSUID", "timestamp": "1",
            "type": "text", "text": {"body": "hello without a number"}}],
    });
    assert_eq!(post_signed(&gateway, &graph::raw_webhook(value)), 200);
    assert!(graph.wait_for_sends(1, WAIT));
    let sent = &graph.sends()[0];
    assert_eq!(sent.to, bsuid);
    assert!(
        sent.by_user_id,
        "sent with `recipient`, as Meta asks for BSUIDs"
    );
    assert_eq!(sent.body, "echo: hello without a number");
}

#[test]
fn a_listed_group_is_answered_in_the_group_only_when_mentioned() {
    let group = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD";
    let provider = Emulator::openai();
    let graph = GraphApi::start(crate::support::channels::WA_TOKEN);
    let listed = format!(", groups: {{ '{group}': {{}} }}");
    let gateway = gateway(&provider, &[whatsapp(&graph, "pairing", "", &listed)]);
    // Not mentioned: kept as context, no turn, no pairing code for the member.
    let chatter = kind::text("who brings dessert?").in_group(group);
    let body = graph::kinds_webhook(PNID, &[("15550402", "wamid.GRP0", chatter)]);
    assert_eq!(post_signed(&gateway, &body), 200);
    wait_for_status(&gateway, "the unaddressed message to be kept", |s| {
        s["channels"]["whatsapp"]["recorded"] == 1 && s["journal"]["pending"] == 0
    });
    assert!(graph.sends().is_empty() && provider.requests().is_empty());

    let mention =
        kind::text(&format!("@{} what is 2+2?", graph::DISPLAY_PHONE_NUMBER)).in_group(group);
    let body = graph::kinds_webhook(PNID, &[("15550401", "wamid.GRP", mention)]);
    assert_eq!(post_signed(&gateway, &body), 200);
    assert!(graph.wait_for_sends(1, WAIT));
    let sent = &graph.sends()[0];
    assert_eq!(
        (sent.to.as_str(), sent.recipient_type.as_str()),
        (group, "group")
    );
    assert_eq!(sent.context.as_deref(), Some("wamid.GRP"));
    let asked = asked(&provider);
    assert!(
        asked.contains("who brings dessert?"),
        "the context: {asked}"
    );
}
