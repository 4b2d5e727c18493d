//! `/v1/chat/completions` without a session key is ephemeral: against the real binary, many such
//! requests (streamed or not) are answered and leave nothing behind: no transcript, no index
//! entry, no session actor. A request with a key, for contrast, is stored as before.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const REQUESTS: usize = 24;

/// The names under the transcript folder.
fn stored(state: &Path) -> Vec<String> {
    let dir = state.join("agents").join("main").join("sessions");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|items| {
            items
                .filter_map(|item| item.ok())
                .map(|item| item.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn session_actors(gateway: &Gateway) -> Vec<Value> {
    let body = gateway.get_authed("/admin/actors?flat=1").body;
    body["actors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|actor| actor["kind"] == "session" && actor["state"] == "running")
        .cloned()
        .collect()
}

#[test]
fn chat_completions_without_a_session_key_leave_nothing_on_disk() {
    let emulator = Emulator::openai();
    let gateway = gateway_with(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
    );
    // One stored session first, so that the folder and its index exist.
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:kept", "keep me")),
        "echo: keep me"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stored(&gateway.state_dir()).contains(&"sessions.json".to_string()) {
        assert!(Instant::now() < deadline, "the index is never written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = stored(&gateway.state_dir());
    assert!(
        before.iter().any(|name| name.ends_with(".jsonl")),
        "{before:?}"
    );

    let bearer = format!("Bearer {}", gateway.token());
    for n in 0..REQUESTS {
        let text = format!("question {n}");
        let body =
            json!({ "stream": n % 2 == 1, "messages": [{ "role": "user", "content": text }] });
        let response = http_post(
            gateway.addr,
            "/v1/chat/completions",
            &[("Authorization", bearer.as_str())],
            &body,
        );
        assert_eq!(response.status, 200, "{}", response.text);
        let answered = if n % 2 == 1 {
            streamed_text(&response)
        } else {
            answer_of(&response)
        };
        assert_eq!(answered, format!("echo: question {n}"));
        assert_eq!(
            response.header("x-pincer-session-key"),
            None,
            "nothing to continue"
        );
    }
    // Each model call saw only its own question: no ephemeral history leaks into another.
    for request in emulator.requests().iter().skip(1) {
        let sent = contents(&request.body);
        let questions = sent.iter().filter(|c| c.contains("question")).count();
        assert_eq!(questions, 1, "{sent:?}");
    }

    // The index is flushed every second: give it two, then nothing may have been added.
    std::thread::sleep(Duration::from_millis(2_200));
    assert_eq!(
        stored(&gateway.state_dir()),
        before,
        "the folder did not grow"
    );
    let index: Value = serde_json::from_slice(
        &std::fs::read(
            gateway
                .state_dir()
                .join("agents/main/sessions/sessions.json"),
        )
        .expect("index"),
    )
    .expect("index JSON");
    let keys: Vec<&String> = index["sessions"]
        .as_object()
        .map(|sessions| sessions.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, vec!["agent:main:kept"], "{index}");
    let listed = gateway.get_authed("/admin/sessions").body;
    assert!(
        !listed.to_string().contains("ephemeral"),
        "no ephemeral session is listed: {listed}"
    );

    // Their session actors stop once answered; the kept session's stays.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let actors = session_actors(&gateway);
        if actors.len() == 1 {
            assert!(
                actors[0]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("agent:main:kept")),
                "{actors:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "session actors left: {actors:?}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A keyed request is stored as before, and the kept session still has its history.
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:kept", "again")),
        "echo: again"
    );
    let last = emulator
        .requests()
        .last()
        .map(|r| contents(&r.body))
        .unwrap_or_default();
    assert!(last.iter().any(|c| c.contains("keep me")), "{last:?}");
}
