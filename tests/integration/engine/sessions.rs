//! Sessions against the real binary: queue modes while a turn runs, transcripts across a gateway
//! restart, eviction and revival, and the `sessions` / `trace` commands.

use std::time::Duration;

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::Value;

/// Sends `first`, then (while it is being answered) `later` messages, all to one session. Each
/// message is sent only once the session actor has taken the one before (its status changed), so
/// the order the session sees is the order given here, however loaded the machine is.
fn burst(gateway: &Gateway, first: &str, later: &[&str]) -> (Response, Vec<Response>) {
    std::thread::scope(|scope| {
        let first = scope.spawn(|| ask(gateway, "agent:main:main", first));
        let mut seen = wait_for_status(gateway, |s| s.starts_with("running turn"));
        let later: Vec<_> = later
            .iter()
            .map(|text| {
                let handle = scope.spawn(move || ask(gateway, "agent:main:main", text));
                let before = seen.clone();
                seen = wait_for_status(gateway, |s| s != before);
                handle
            })
            .collect();
        let first = first.join().expect("first");
        let later = later
            .into_iter()
            .map(|h| h.join().expect("later"))
            .collect();
        (first, later)
    })
}

/// The main session actor's status line in `/admin/actors` ("running turn …, 1 waiting, …"),
/// or `None` while it has not been started.
fn session_status(gateway: &Gateway) -> Option<String> {
    let actors = gateway.get_authed("/admin/actors?flat=1");
    actors.body["actors"]
        .as_array()?
        .iter()
        .find(|a| a["path"] == "/gateway/sessions/agent:main:main")
        .and_then(|a| a["status"].as_str().map(str::to_string))
}

/// Polls until the session's status satisfies `done`; panics with the last status after 10 s.
fn wait_for_status(gateway: &Gateway, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = session_status(gateway);
        if let Some(status) = now.as_deref().filter(|s| done(s)) {
            return status.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session never took the message: its status stayed {now:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn slow_emulator() -> Emulator {
    let emulator = Emulator::openai();
    emulator.set_delay(Duration::from_millis(1000));
    emulator
}

#[test]
fn collect_mode_gathers_waiting_messages_into_one_turn() {
    let emulator = slow_emulator();
    emulator.push(Reply::text(&["first answer"]));
    emulator.push(Reply::text(&["combined answer"]));
    let gateway = gateway_with(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
    );
    let (first, later) = burst(&gateway, "one", &["two", "three"]);
    assert_eq!(answer_of(&first), "first answer");
    for response in &later {
        assert_eq!(
            answer_of(response),
            "combined answer",
            "both waiting askers get the follow-up answer"
        );
    }
    let requests = emulator.requests();
    assert_eq!(
        requests.len(),
        2,
        "one follow-up turn for two waiting messages"
    );
    assert_eq!(
        contents(&requests[1].body).last().map(String::as_str),
        Some("two\n\nthree")
    );
}

#[test]
fn followup_mode_answers_each_waiting_message_in_turn() {
    let emulator = slow_emulator();
    for answer in ["a1", "a2", "a3"] {
        emulator.push(Reply::text(&[answer]));
    }
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
        "messages: { queue: { mode: 'followup' } },",
    );
    let (first, later) = burst(&gateway, "one", &["two", "three"]);
    assert_eq!(answer_of(&first), "a1");
    assert_eq!(answer_of(&later[0]), "a2");
    assert_eq!(answer_of(&later[1]), "a3");
    assert_eq!(emulator.requests().len(), 3);
}

#[test]
fn interrupt_mode_abandons_the_running_turn() {
    let emulator = slow_emulator();
    emulator.push(Reply::text(&["too late"]));
    emulator.push(Reply::text(&["fresh answer"]));
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
        "messages: { queue: { mode: 'interrupt' } },",
    );
    let (first, later) = burst(&gateway, "long question", &["never mind, this instead"]);
    assert_eq!(first.status, 502, "{}", first.text);
    assert!(first.text.contains("interrupted"), "{}", first.text);
    let answer = answer_of(&later[0]);
    assert!(answer == "fresh answer" || answer == "too late", "{answer}");
}

#[test]
fn a_full_queue_refuses_visibly() {
    let emulator = slow_emulator();
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
        "messages: { queue: { mode: 'followup', cap: 1, drop: 'new' } },",
    );
    let (first, later) = burst(&gateway, "one", &["two", "three"]);
    assert_eq!(first.status, 200);
    assert_eq!(later[0].status, 200, "the first waiting message fits");
    assert_eq!(later[1].status, 502, "{}", later[1].text);
    assert!(
        later[1].text.contains("messages.queue.cap"),
        "{}",
        later[1].text
    );
}

#[test]
fn transcripts_survive_a_gateway_restart_and_the_cli_reads_them() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::text(&["remembered"]));
    emulator.push(Reply::text(&["still here"]));
    let gateway = gateway_with(
        &["anthropic/m"],
        &[("anthropic", "anthropic-messages", &emulator)],
        "",
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "my name is Ada")),
        "remembered"
    );

    let gateway = gateway.restart();
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "what is my name?")),
        "still here"
    );
    let history = contents(&emulator.requests()[1].body);
    assert!(
        history.iter().any(|m| m.contains("my name is Ada")),
        "history after restart: {history:?}"
    );

    let list = run_cli(gateway.home(), &["sessions", "list", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).expect("sessions JSON");
    assert_eq!(list["sessions"][0]["key"], "agent:main:main", "{list}");
    assert_eq!(list["sessions"][0]["messages"], 4, "{list}");
    let show = run_cli(gateway.home(), &["sessions", "show", "agent:main:main"]);
    assert!(
        stdout(&show).contains("messages       4"),
        "{}",
        stdout(&show)
    );

    let trace = run_cli(gateway.home(), &["trace", "--session", "agent:main:main"]);
    let text = stdout(&trace);
    assert!(
        text.contains("run agent:main:main#") && text.contains("model anthropic/m"),
        "{text}"
    );

    let reset = run_cli(gateway.home(), &["sessions", "reset", "agent:main:main"]);
    assert!(reset.status.success(), "{}", stderr(&reset));
    let gone = run_cli(
        gateway.home(),
        &["sessions", "show", "agent:main:main", "--json"],
    );
    let gone: Value = serde_json::from_slice(&gone.stdout).expect("show JSON");
    assert_eq!(gone["exists"], false);
}

#[test]
fn idle_sessions_are_evicted_and_come_back_with_their_history() {
    let emulator = Emulator::openai();
    let config = format!(
        "{{ agents: {{ defaults: {{ model: 'openai/m' }}, sessionCacheSize: 1 }}, models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        emulator.base_url()
    );
    let gateway = Gateway::start(Some(&config));
    assert!(answer_of(&ask(&gateway, "agent:main:a", "alpha")).contains("alpha"));
    assert!(answer_of(&ask(&gateway, "agent:main:b", "beta")).contains("beta"));

    // A session stays at least 5 s after its last use (the router's eviction grace).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let actors = gateway.get_authed("/admin/actors?flat=1").body;
        let a_state = actors["actors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["path"] == "/gateway/sessions/agent:main:a")
            .map(|x| x["state"].clone());
        if a_state.as_ref().is_none_or(|s| s == "stopped") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "session a was not evicted: {a_state:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(answer_of(&ask(&gateway, "agent:main:a", "again")).contains("again"));
    let history = contents(&emulator.requests()[2].body);
    assert!(
        history.iter().any(|m| m.contains("alpha")),
        "revived with its history: {history:?}"
    );
}
