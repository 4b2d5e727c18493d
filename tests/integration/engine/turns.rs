//! The agent engine end to end, against the real binary and the provider emulators on 127.0.0.1:
//! turns with each API, the tool loop, failover with cooldown, attempts exhausted, queue modes,
//! the concurrency limit, transcripts across a restart, eviction and revival.

use std::time::Duration;

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

#[test]
fn a_turn_end_to_end_with_each_api_keeps_the_conversation() {
    for (api, id) in [
        ("openai-completions", "openai"),
        ("anthropic-messages", "anthropic"),
    ] {
        let emulator = if id == "openai" {
            Emulator::openai()
        } else {
            Emulator::anthropic()
        };
        emulator.push(Reply::text(&["Hel", "lo ", "there"]));
        emulator.push(Reply::text(&["Second ", "answer"]));
        let model = format!("{id}/test-model");
        let gateway = gateway_with(&[&model], &[(id, api, &emulator)], "");

        let first = ask(&gateway, "agent:main:main", "hi");
        assert_eq!(answer_of(&first), "Hello there", "{api}");
        assert_eq!(
            first.header("x-pincer-session-key"),
            Some("agent:main:main")
        );
        assert!(
            first.body["usage"]["total_tokens"]
                .as_u64()
                .is_some_and(|t| t > 0),
            "{}",
            first.text
        );
        assert_eq!(
            answer_of(&ask(&gateway, "agent:main:main", "and now?")),
            "Second answer"
        );

        let requests = emulator.requests();
        assert_eq!(requests.len(), 2, "{api}");
        assert_eq!(requests[0].body["model"], "test-model");
        let second = contents(&requests[1].body);
        assert!(
            second.iter().any(|c| c.contains("hi"))
                && second.iter().any(|c| c.contains("Hello there")),
            "{api}: the second call carries the history: {second:?}"
        );
        assert!(
            second.last().is_some_and(|c| c.contains("and now?")),
            "{second:?}"
        );
    }
}

#[test]
fn streaming_answers_arrive_as_sse_chunks() {
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["Str", "eam", "ed"]));
    let gateway = gateway_with(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
    );
    let response = ask_streaming(&gateway, "go");
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/event-stream")));
    let deltas = streamed_text(&response);
    assert_eq!(deltas, "Streamed");
    assert!(
        response.text.trim_end().ends_with("data: [DONE]"),
        "{}",
        response.text
    );
}

#[test]
fn the_tool_loop_calls_a_tool_and_feeds_its_result_back() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::tool_call("toolu_1", "current_time", &["{", "}"]));
    emulator.push(Reply::text(&["It is late."]));
    let gateway = gateway_with(
        &["anthropic/m"],
        &[("anthropic", "anthropic-messages", &emulator)],
        "",
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "what time is it?")),
        "It is late."
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    let tools: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(tools.contains(&"current_time"), "tools offered: {tools:?}");
    let last = requests[1].body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["content"][0]["type"], "tool_result", "{last}");
    assert_eq!(last["content"][0]["tool_use_id"], "toolu_1");
    assert!(
        last["content"][0]["content"]
            .as_str()
            .is_some_and(|c| c.contains("unix")),
        "{last}"
    );
}

#[test]
fn a_rate_limited_primary_falls_back_and_cools_down() {
    let primary = Emulator::openai();
    primary.push(Reply::rate_limited(120));
    let fallback = Emulator::anthropic();
    fallback.push(Reply::text(&["from the fallback"]));
    fallback.push(Reply::text(&["still the fallback"]));
    let gateway = gateway_with(
        &["openai/gpt", "anthropic/claude"],
        &[
            ("openai", "openai-completions", &primary),
            ("anthropic", "anthropic-messages", &fallback),
        ],
        "",
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "one")),
        "from the fallback"
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "two")),
        "still the fallback"
    );
    assert_eq!(
        primary.requests().len(),
        1,
        "the primary is skipped while it cools down"
    );

    let status = run_cli(gateway.home(), &["status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    let cooldown = &status["cooldowns"][0];
    assert_eq!(cooldown["provider"], "openai", "{status}");
    assert!(
        cooldown["remainingMs"]
            .as_u64()
            .is_some_and(|ms| ms > 100_000 && ms <= 120_000),
        "{status}"
    );
}

#[test]
fn exhausted_attempts_give_a_clear_error_and_the_session_goes_on() {
    let emulator = Emulator::anthropic();
    for _ in 0..6 {
        emulator.push(Reply::status(529));
    }
    emulator.push(Reply::text(&["recovered"]));
    let gateway = gateway_with(
        &["anthropic/m"],
        &[("anthropic", "anthropic-messages", &emulator)],
        ", maxAttempts: 2",
    );
    let failed = ask(&gateway, "agent:main:main", "hello?");
    assert_eq!(
        failed.status, 503,
        "an overloaded model is a passing cause: 503, ask again later; {}",
        failed.text
    );
    assert_eq!(
        failed.body["error"]["type"], "unavailable",
        "{}",
        failed.text
    );
    let message = failed.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("no answer after 2 attempts") && message.contains("Overloaded"),
        "{message}"
    );
    assert_eq!(
        emulator.requests().len(),
        6,
        "2 attempts x 3 tries of the one model"
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "again")),
        "recovered"
    );
    let last = contents(&emulator.requests()[6].body);
    assert_eq!(
        last,
        vec!["again".to_string()],
        "the failed turn is not part of the history"
    );
}

#[test]
fn no_configured_provider_says_how_to_configure_one() {
    let gateway = Gateway::start(Some("{ agents: { defaults: { model: 'nowhere/model' } } }"));
    let response = ask(&gateway, "agent:main:main", "hi");
    assert_eq!(response.status, 502);
    let message = response.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("Configure one") && message.contains("nowhere"),
        "{message}"
    );
}

#[test]
fn concurrent_model_calls_never_exceed_max_concurrent_runs() {
    let emulator = Emulator::openai();
    emulator.set_delay(Duration::from_millis(300));
    let config = format!(
        "{{ agents: {{ defaults: {{ model: 'openai/m' }}, maxConcurrentRuns: 2 }}, models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        emulator.base_url()
    );
    let gateway = Gateway::start(Some(&config));
    let addr = gateway.addr;
    let token = gateway.token();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let token = token.clone();
            std::thread::spawn(move || {
                let body = json!({ "messages": [{ "role": "user", "content": format!("q{i}") }] });
                let bearer = format!("Bearer {token}");
                let session = format!("agent:main:load:{i}");
                http_post(
                    addr,
                    "/v1/chat/completions",
                    &[
                        ("Authorization", bearer.as_str()),
                        ("x-pincer-session-key", session.as_str()),
                    ],
                    &body,
                )
            })
        })
        .collect();
    for thread in threads {
        let response = thread.join().expect("request thread");
        assert_eq!(response.status, 200, "{}", response.text);
    }
    assert_eq!(emulator.requests().len(), 6);
    assert_eq!(
        emulator.max_in_flight(),
        2,
        "at most maxConcurrentRuns model calls at once"
    );
}

#[test]
fn a_stalled_stream_is_abandoned_after_the_idle_timeout_and_retried() {
    let emulator = Emulator::openai();
    emulator.push(Reply::Stall(Duration::from_secs(20)));
    emulator.push(Reply::text(&["after the stall"]));
    let config = format!(
        "{{ agents: {{ defaults: {{ model: 'openai/m', streamIdleSeconds: 1 }} }}, models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        emulator.base_url()
    );
    let gateway = Gateway::start(Some(&config));
    let started = std::time::Instant::now();
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "hello")),
        "after the stall"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the stall was cut short: {:?}",
        started.elapsed()
    );
    assert_eq!(emulator.requests().len(), 2);
}

#[test]
fn pincer_agent_streams_the_answer_to_the_terminal() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::text(&["Hello ", "from ", "the CLI"]));
    let gateway = gateway_with(
        &["anthropic/m"],
        &[("anthropic", "anthropic-messages", &emulator)],
        "",
    );
    let output = run_cli(
        gateway.home(),
        &["agent", "--message", "hi", "--session", "agent:main:cli"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "Hello from the CLI");
    let sessions = gateway.get_authed("/admin/sessions").body;
    assert_eq!(
        sessions["sessions"][0]["key"], "agent:main:cli",
        "{sessions}"
    );
}

#[test]
fn a_retried_stream_does_not_repeat_text_the_client_already_has() {
    let emulator = Emulator::anthropic();
    emulator.push(Reply::mid_stream_error(
        &["Hello ", "wor"],
        "overloaded_error",
    ));
    emulator.push(Reply::text(&["Hello ", "world"]));
    let gateway = gateway_with(
        &["anthropic/m"],
        &[("anthropic", "anthropic-messages", &emulator)],
        "",
    );
    let response = ask_streaming(&gateway, "hi");
    assert_eq!(response.status, 200);
    let streamed = streamed_text(&response);
    assert_eq!(
        streamed, "Hello world",
        "the retry's repeated prefix is not streamed twice"
    );
    assert_eq!(emulator.requests().len(), 2);
}

/// SIGTERM while a turn is running: the web server stops accepting but drains, the run is still
/// supervised while it drains, so the in-flight request gets its answer and the exit is clean.
#[test]
fn sigterm_drains_an_in_flight_turn_before_stopping() {
    let emulator = Emulator::openai();
    emulator.set_delay(Duration::from_millis(800));
    emulator.push(Reply::text(&["finished before exit"]));
    let mut gateway = gateway_with(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
    );
    let addr = gateway.addr;
    let bearer = format!("Bearer {}", gateway.token());
    let in_flight = std::thread::spawn(move || {
        let body = json!({ "messages": [{ "role": "user", "content": "slow one" }] });
        http_post(
            addr,
            "/v1/chat/completions",
            &[("Authorization", bearer.as_str())],
            &body,
        )
    });
    std::thread::sleep(Duration::from_millis(200));
    let output = gateway.terminate();
    let answer = in_flight.join().expect("request thread");
    assert_eq!(answer_of(&answer), "finished before exit");
    assert!(output.status.success(), "{}", stderr(&output));
}
