//! The sub-agent limits, refused as tool errors the model reads: a second running child beyond
//! `maxChildrenPerAgent`, and a child spawning beyond `maxSpawnDepth` (sandboxing off, so that
//! the child is offered `sessions_spawn` at all; under `non-main` a child is sandboxed and the
//! default sandbox allowlist does not name the tool).

use std::time::Duration;

use serde_json::{json, Value};

use super::{children, requests, CHILD, WAIT};
use crate::chaos::wait_until;
use crate::support::agent::*;
use crate::support::tools::*;
use pincer_emulators::{Emulator, Reply};

#[test]
fn a_spawn_too_many_and_a_spawn_too_deep_are_refused() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "first job", "label": "one" }),
    ));
    emulator.push(call(
        "c2",
        "sessions_spawn",
        json!({ "task": "second job" }),
    ));
    emulator.push(Reply::text(&["one helper only"]));
    emulator.push(Reply::text(&["noted"]));
    // The child, slow enough for the parent's second spawn to find it running, tries to spawn.
    emulator.push_for(
        CHILD,
        Duration::from_secs(2),
        call("g1", "sessions_spawn", json!({ "task": "grandchild job" })),
    );
    emulator.push_for(CHILD, Duration::ZERO, Reply::text(&["first job done"]));
    let gateway = gateway(
        &emulator,
        ", sandbox: { mode: 'off' }, subagents: { maxChildrenPerAgent: 1, maxSpawnDepth: 1 }",
        "",
    );
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "two jobs please")),
        "one helper only"
    );
    let all = requests(&emulator, 6);
    let result_of = |id: &str| -> String {
        let needle = format!("\"tool_call_id\":\"{id}\"");
        let request = all
            .iter()
            .find(|r| r.body.to_string().contains(&needle))
            .unwrap_or_else(|| panic!("no result for {id}"));
        tool_result(&request.body, id)
    };
    let first: Value = serde_json::from_str(&result_of("c1")).unwrap_or_default();
    assert_eq!(first["status"], "accepted", "{first}");
    let second = result_of("c2");
    assert!(second.contains("maxChildrenPerAgent"), "{second}");
    let deeper = result_of("g1");
    assert!(deeper.contains("maxSpawnDepth"), "{deeper}");

    let listed = wait_until("the child to finish", WAIT, || {
        let listed = children(&gateway, "agent:main:main");
        (listed["subagents"][0]["status"] == "done").then_some(listed)
    });
    assert_eq!(listed["count"], 1, "only the accepted child is recorded");
    assert_eq!(listed["subagents"][0]["label"], "one");
    let child = listed["subagents"][0]["childSessionKey"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(children(&gateway, &child)["count"], 0, "no grandchild");
}

#[test]
fn a_child_past_its_run_timeout_is_stopped_and_reported_as_timed_out() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "take forever", "label": "slowpoke", "runTimeoutSeconds": 1 }),
    ));
    emulator.push(Reply::text(&["started"]));
    emulator.push(Reply::text(&["the helper gave up"]));
    emulator.push_for(
        CHILD,
        Duration::from_secs(20),
        Reply::text(&["far too late"]),
    );
    let gateway = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "go slow")),
        "started"
    );
    let listed = wait_until("the child to time out and be announced", WAIT, || {
        let listed = children(&gateway, "agent:main:main");
        (listed["subagents"][0]["announced"] == true).then_some(listed)
    });
    let record = &listed["subagents"][0];
    assert_eq!(record["status"], "timedOut", "{record}");
    assert_eq!(record["timeoutSeconds"], 1);
    let all = requests(&emulator, 4);
    let announce = all
        .iter()
        .find(|r| {
            contents(&r.body)
                .last()
                .is_some_and(|m| m.starts_with("[sub-agent slowpoke timed out]"))
        })
        .expect("the announce of the timeout");
    assert!(
        contents(&announce.body)
            .last()
            .is_some_and(|m| m.contains("runTimeoutSeconds")),
        "{:?}",
        contents(&announce.body)
    );
}
