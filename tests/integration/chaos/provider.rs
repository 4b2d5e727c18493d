//! The model provider is overloaded (HTTP 529) for 30 s, then recovers.
//!
//! With a fallback model, the fallback answers during the outage, the primary cools down (visible
//! in `/admin/status`) instead of being retried for every message, and the primary answers again
//! once it is back. Without one, no message is lost: the channel keeps them in the journal
//! (visible in `/admin/channels`) and answers each once the provider is back, with no apology.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{admin, assert_answered_once, send, sender};
use crate::support::channels::{whatsapp, WA_TOKEN};
use crate::support::Gateway;
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

const OUTAGE: Duration = Duration::from_secs(30);
const APOLOGY: &str = "Sorry, something went wrong";

/// A gateway whose model chain is `models`, over the given providers, with WhatsApp on `graph`.
fn gateway(models: &str, providers: &[(&str, &str, &Emulator)], graph: &GraphApi) -> Gateway {
    let providers: Vec<String> = providers
        .iter()
        .map(|(id, api, emulator)| {
            format!(
                "{id}: {{ api: '{api}', baseUrl: '{}', apiKey: 'k' }}",
                emulator.base_url()
            )
        })
        .collect();
    let config = format!(
        "{{ agents: {{ defaults: {{ model: {models} }} }}, \
           models: {{ providers: {{ {} }} }}, channels: {{ {} }} }}",
        providers.join(", "),
        whatsapp(graph, "open", "'*'", "")
    );
    Gateway::start(Some(&config))
}

/// The last user text of a request the emulator received (both APIs).
fn last_user_text(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let Some(last) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return String::new();
    };
    match &last["content"] {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn asked_about(emulator: &Emulator, question: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| last_user_text(&r.body) == question)
        .count()
}

#[test]
fn an_overloaded_primary_fails_over_cools_down_and_answers_again_when_it_recovers() {
    let primary = Emulator::anthropic();
    let fallback = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = gateway(
        "{ primary: 'anth/claude', fallbacks: ['oai/gpt'] }",
        &[
            ("anth", "anthropic-messages", &primary),
            ("oai", "openai-completions", &fallback),
        ],
        &graph,
    );
    primary.fail_for(OUTAGE, 529);
    let outage_start = Instant::now();

    // One message a second for 45 s, each from its own sender (its own session).
    let mut wamids = Vec::new();
    let mut cooldown_seen: Option<Value> = None;
    for n in 0..45 {
        let due = outage_start + Duration::from_secs(n as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        wamids.push(send(
            &gateway,
            &sender("01", n),
            n,
            &format!("question {n}"),
        ));
        let status = admin(&gateway, "/admin/status");
        if let Some(cooling) = status["cooldowns"]
            .as_array()
            .and_then(|list| list.iter().find(|c| c["provider"] == "anth"))
        {
            cooldown_seen.get_or_insert(cooling.clone());
        }
    }
    let replies = assert_answered_once(&graph, &wamids, Duration::from_secs(60));

    let cooling =
        cooldown_seen.expect("the overloaded primary never showed a cooldown in /admin/status");
    assert!(
        cooling["remainingMs"].as_u64().unwrap_or(0) > 0,
        "a cooldown with time left: {cooling}"
    );
    assert!(
        !fallback.requests().is_empty(),
        "the fallback never answered: no failover"
    );
    // Messages sent during the outage went to the fallback; thanks to the cooldown the primary
    // was only probed now and then (3 tries a probe), not retried for each of ~30 messages.
    let probes: usize = (0..28)
        .map(|n| asked_about(&primary, &format!("question {n}")))
        .sum();
    assert!(
        probes <= 12,
        "the primary was asked {probes} times during the outage: it should be cooling down"
    );
    // Well after the outage, the primary answers again.
    for n in 40..45 {
        let question = format!("question {n}");
        assert!(
            asked_about(&primary, &question) >= 1 && asked_about(&fallback, &question) == 0,
            "{question} (sent {n} s after the outage began) should be answered by the recovered primary"
        );
    }
    let apologies: Vec<_> = replies.values().filter(|t| t.contains(APOLOGY)).collect();
    assert!(
        apologies.is_empty(),
        "no message should get an apology: {apologies:?}"
    );
    let status = admin(&gateway, "/admin/status");
    assert!(
        status["cooldowns"]
            .as_array()
            .is_none_or(|list| list.iter().all(|c| c["provider"] != "anth")),
        "a success ends the cooldown: {status:#}"
    );
}

#[test]
fn without_a_fallback_messages_wait_for_the_provider_and_none_is_lost() {
    let primary = Emulator::anthropic();
    let graph = GraphApi::start(WA_TOKEN);
    let gateway = gateway(
        "'anth/claude'",
        &[("anth", "anthropic-messages", &primary)],
        &graph,
    );
    primary.fail_for(OUTAGE, 529);
    let outage_start = Instant::now();

    let mut wamids = Vec::new();
    for n in 0..10 {
        let due = outage_start + Duration::from_secs(2 * n as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        wamids.push(send(
            &gateway,
            &sender("02", n),
            n,
            &format!("question {n}"),
        ));
    }
    std::thread::sleep(
        (outage_start + Duration::from_secs(25)).saturating_duration_since(Instant::now()),
    );
    assert!(
        graph.sends().is_empty(),
        "nothing can be answered during the outage, and no apology goes out: {:?}",
        graph.sends().iter().map(|s| &s.body).collect::<Vec<_>>()
    );
    let figures = admin(&gateway, "/admin/channels");
    let whatsapp = &figures["channels"]["whatsapp"];
    assert!(
        whatsapp["turnsDeferred"].as_u64().unwrap_or(0) > 0
            && whatsapp["waitingForModel"].as_u64().unwrap_or(0) > 0,
        "the waiting messages are visible: {figures:#}"
    );
    assert!(
        figures["journal"]["pending"].as_u64().unwrap_or(0) >= 10,
        "they are still pending in the journal: {figures:#}"
    );

    let replies = assert_answered_once(&graph, &wamids, Duration::from_secs(75));
    for (n, wamid) in wamids.iter().enumerate() {
        assert_eq!(
            replies.get(wamid).map(String::as_str),
            Some(format!("echo: question {n}").as_str()),
            "the real answer, not an apology"
        );
    }
    let figures = admin(&gateway, "/admin/channels");
    assert_eq!(
        figures["channels"]["whatsapp"]["waitingForModel"], 0,
        "{figures:#}"
    );
}
