//! The engine threads (`engine.threads`) against the real binary: session actors are spread over
//! the engine arbiters by their key, a session's run shares its thread, the tree's supervisors
//! stay on the main arbiter, and `/admin/actors` says which thread each actor is on.

use std::collections::BTreeSet;

use crate::support::agent::*;
use crate::support::*;
use pincer_emulators::Emulator;
use serde_json::Value;

fn actor_list(gateway: &Gateway) -> Vec<Value> {
    let body = gateway.get_authed("/admin/actors?flat=1").body;
    body["actors"].as_array().cloned().unwrap_or_default()
}

fn arbiter_of(actors: &[Value], path: &str) -> u64 {
    let actor = actors
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("no actor {path} in /admin/actors: {actors:#?}"));
    actor["arbiter"]
        .as_u64()
        .unwrap_or_else(|| panic!("{path} has no arbiter field: {actor}"))
}

#[test]
fn sessions_spread_over_the_engine_threads_and_supervisors_stay_on_the_main_one() {
    let emulator = Emulator::openai();
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
        "engine: { threads: 2 },",
    );
    let keys: Vec<String> = (0..12).map(|n| format!("agent:main:spread:{n}")).collect();
    for key in &keys {
        let text = format!("hello {key}");
        assert_eq!(
            answer_of(&ask(&gateway, key, &text)),
            format!("echo: {text}")
        );
    }
    let actors = actor_list(&gateway);
    let used: BTreeSet<u64> = keys
        .iter()
        .map(|key| arbiter_of(&actors, &format!("/gateway/sessions/{key}")))
        .collect();
    assert_eq!(
        used,
        BTreeSet::from([1, 2]),
        "12 sessions land on both engine threads, never on the main arbiter (0)"
    );
    for path in [
        "/gateway",
        "/gateway/sessions",
        "/gateway/runs",
        "/gateway/tools",
        "/gateway/router",
        "/gateway/channels",
        "/gateway/web",
    ] {
        assert_eq!(
            arbiter_of(&actors, path),
            0,
            "{path} is tree bookkeeping and stays on the main arbiter"
        );
    }

    // The same session asked again stays where it is, and keeps its history.
    let before = arbiter_of(&actors, "/gateway/sessions/agent:main:spread:0");
    assert!(answer_of(&ask(&gateway, "agent:main:spread:0", "again")).contains("again"));
    let after = arbiter_of(
        &actor_list(&gateway),
        "/gateway/sessions/agent:main:spread:0",
    );
    assert_eq!(before, after, "a session does not move between threads");
    let last = emulator
        .requests()
        .last()
        .map(|r| contents(&r.body))
        .unwrap_or_default();
    assert!(
        last.iter().any(|m| m.contains("hello agent:main:spread:0")),
        "the second turn carries the first one's history: {last:?}"
    );
}

#[test]
fn one_engine_thread_holds_every_session() {
    let emulator = Emulator::openai();
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &emulator)],
        "",
        "engine: { threads: 1 },",
    );
    for n in 0..4 {
        let key = format!("agent:main:one:{n}");
        assert!(answer_of(&ask(&gateway, &key, "hi")).contains("hi"));
    }
    let actors = actor_list(&gateway);
    for n in 0..4 {
        assert_eq!(
            arbiter_of(&actors, &format!("/gateway/sessions/agent:main:one:{n}")),
            1
        );
    }
}
