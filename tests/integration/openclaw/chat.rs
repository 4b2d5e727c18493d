//! The turn-taking methods through `openclaw gateway call`: `chat.send`, `chat.history`,
//! `chat.abort` and `agent`, with the model emulator answering; every turn is checked in
//! Pincer's own transcript and in what the model received.

use std::time::{Duration, Instant};

use pincer_emulators::{Emulator, Reply};
use serde_json::json;

use super::cli::{OpenClaw, Target, Way};
use super::{model_gateway, pincer_history, texts_of};
use crate::support::agent::{answer_of, ask, contents};

/// Whether the model received a request whose last message is `text` (waits up to 30 s).
fn model_received(emulator: &Emulator, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if emulator
            .requests()
            .iter()
            .any(|r| contents(&r.body).last().map(String::as_str) == Some(text))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// `chat.send` starts a turn (`status: "started"`, the `runId` being the caller's
/// `idempotencyKey`); the model gets the message and the session's transcript holds it and the
/// answer.
#[test]
fn call_chat_send_runs_a_turn() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["pong ", "from the model"]));
    let gateway = model_gateway(&emulator);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "chat.send",
        &json!({ "sessionKey": "oc-chat", "message": "ping over chat.send",
                 "idempotencyKey": "oc-chat-1" }),
    );
    let started = run.ok().json();
    // OpenClaw's clients track the run by the key they chose: the runId is the idempotencyKey.
    assert_eq!(started["runId"], "oc-chat-1", "runId:{run}");
    assert_eq!(started["status"], "started", "{run}");
    assert!(
        model_received(&emulator, "ping over chat.send"),
        "the model never got the message:{run}"
    );
    let messages = pincer_history(&gateway, "oc-chat", 2);
    assert_eq!(texts_of(&messages, "user"), ["ping over chat.send"]);
    assert_eq!(texts_of(&messages, "assistant"), ["pong from the model"]);
}

/// `chat.history` of a session with one turn: the question and the answer, oldest first.
#[test]
fn call_chat_history_shows_the_turn() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["the answer"]));
    let gateway = model_gateway(&emulator);
    assert_eq!(
        answer_of(&ask(&gateway, "oc-history", "the question")),
        "the answer"
    );
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "chat.history",
        &json!({ "sessionKey": "oc-history" }),
    );
    let history = run.ok().json();
    assert_eq!(history["sessionKey"], "oc-history", "{run}");
    assert_eq!(
        texts_of(&history["messages"], "user"),
        ["the question"],
        "{run}"
    );
    assert_eq!(
        texts_of(&history["messages"], "assistant"),
        ["the answer"],
        "{run}"
    );
}

/// `chat.abort` while the model is still thinking: `aborted: true`, the session answers the
/// next message at once, and no answer of the aborted turn is stored.
#[test]
fn call_chat_abort_stops_a_running_turn() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    emulator.set_delay(Duration::from_secs(60));
    let gateway = model_gateway(&emulator);
    let target = Target::of(&gateway);
    cli.call(
        &target,
        Way::Flags,
        "chat.send",
        &json!({ "sessionKey": "oc-abort", "message": "think long",
                 "idempotencyKey": "oc-abort-1" }),
    )
    .ok();
    assert!(
        model_received(&emulator, "think long"),
        "the turn never started"
    );
    let run = cli.call(
        &target,
        Way::Flags,
        "chat.abort",
        &json!({ "sessionKey": "oc-abort" }),
    );
    assert_eq!(run.ok().json()["aborted"], true, "{run}");
    // The session is free again: a new message is answered at once, and the aborted turn left
    // no answer behind.
    emulator.set_delay(Duration::ZERO);
    let next = answer_of(&ask(&gateway, "oc-abort", "after the abort"));
    assert_eq!(next, "echo: after the abort");
    let messages = pincer_history(&gateway, "oc-abort", 2);
    assert!(
        !texts_of(&messages, "assistant").contains(&"echo: think long".to_string()),
        "the aborted turn's answer was stored: {messages:#}"
    );
}

/// `agent` with `--expect-final`: the final answer (`status: "ok"`) carries the model's text in
/// `result.payloads[].text`, as `openclaw agent` prints it.
#[test]
fn call_agent_returns_the_final_answer() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["agent ", "answer"]));
    let gateway = model_gateway(&emulator);
    let run = cli.call_with(
        &Target::of(&gateway),
        Way::Flags,
        "agent",
        &json!({ "sessionKey": "oc-agent-call", "message": "agent question",
                 "idempotencyKey": "oc-agent-call-1" }),
        &["--expect-final", "--timeout", "60000"],
    );
    let done = run.ok().json();
    assert_eq!(done["status"], "ok", "{run}");
    assert_eq!(
        done["result"]["payloads"][0]["text"], "agent answer",
        "result.payloads[0].text:{run}"
    );
    assert!(model_received(&emulator, "agent question"));
}
