//! Sub-agents end to end (`sessions_spawn`), on the real gateway and the OpenAI emulator: a
//! child's answer reaches its parent as a new turn, the limits refuse a spawn too many and a
//! spawn too deep, a child past its timeout is stopped, a child whose run crashes (and the
//! registry with it) is restarted and still reports, a reset parent stops its slow child, a child
//! running when the gateway is killed resumes after the restart, and the operator API lists the
//! children over both transports and the CLI.
//!
//! The parent's replies come from the emulator's queue, the child's from replies kept for
//! requests carrying the child's system prompt (`Emulator::push_for`), since both run at once.

mod chat;
mod limits;
mod ui;

use std::time::Duration;

use serde_json::{json, Value};

use crate::chaos::{actors, wait_until};
use crate::support::agent::*;
use crate::support::tools::*;
use crate::support::*;
use pincer::api::SubagentList;
use pincer_emulators::{Emulator, Reply};

/// What only a child's requests carry (its system prompt).
const CHILD: &str = "You are a sub-agent started by session";
const WAIT: Duration = Duration::from_secs(30);

fn admin(gateway: &Gateway, path: &str) -> Value {
    let response = gateway.get_authed(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text);
    response.body
}

fn children(gateway: &Gateway, parent: &str) -> Value {
    admin(
        gateway,
        &format!("/admin/sessions/{}/children", parent.replace(':', "%3A")),
    )
}

/// Waits until the emulator has received `count` requests.
fn requests(emulator: &Emulator, count: usize) -> Vec<pincer_emulators::Recorded> {
    wait_until(&format!("{count} model requests"), WAIT, || {
        let requests = emulator.requests();
        (requests.len() >= count).then_some(requests)
    })
}

#[test]
fn a_childs_answer_reaches_its_parent_as_a_new_turn() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "count the stars", "label": "stars", "model": "openai/m2" }),
    ));
    emulator.push(Reply::text(&["I asked a helper"]));
    emulator.push(Reply::text(&["the helper counted 42 stars"]));
    emulator.push_for(CHILD, Duration::ZERO, Reply::text(&["there are 42 stars"]));
    let gateway = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "how many stars?")),
        "I asked a helper"
    );
    let all = requests(&emulator, 4);
    let answered = all
        .iter()
        .find(|r| r.body.to_string().contains("\"tool_call_id\":\"c1\""))
        .expect("the parent's call after the spawn");
    let accepted: Value =
        serde_json::from_str(&tool_result(&answered.body, "c1")).unwrap_or_default();
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    let child_key = accepted["childSessionKey"].as_str().unwrap_or_default();
    assert!(child_key.starts_with("agent:main:subagent:"), "{accepted}");

    // The child ran with its model override, its task as its question.
    let child = all
        .iter()
        .find(|r| r.body.to_string().contains(CHILD))
        .expect("the child's request");
    assert_eq!(child.body["model"], "m2");
    assert_eq!(
        contents(&child.body).last().map(String::as_str),
        Some("count the stars")
    );

    // The parent's next turn opens with the child's answer.
    let announce = contents(&all[3].body);
    let opening = announce.last().cloned().unwrap_or_default();
    assert!(
        opening.starts_with("[sub-agent stars finished]\nthere are 42 stars"),
        "{announce:?}"
    );
    let listed = wait_until("the child to be announced", WAIT, || {
        let listed = children(&gateway, "agent:main:main");
        (listed["subagents"][0]["announced"] == true).then_some(listed)
    });
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["running"], 0);
    let record = &listed["subagents"][0];
    assert_eq!(record["status"], "done");
    assert_eq!(record["result"], "there are 42 stars");
    assert_eq!(record["childSessionKey"], child_key);
    assert_eq!(record["depth"], 1);

    // The parent's transcript holds the announce turn and its answer.
    let history = admin(
        &gateway,
        "/admin/sessions/agent%3Amain%3Amain/history?limit=50",
    );
    let text = history.to_string();
    assert!(text.contains("the helper counted 42 stars"), "{text}");

    // The registry is an actor; the child's session is listed with its parent by the tool.
    let registry = actors(&gateway)
        .into_iter()
        .find(|a| a["path"] == "/gateway/subagents")
        .expect("/gateway/subagents");
    assert_eq!(registry["state"], "running");
    assert!(
        registry["status"]
            .as_str()
            .unwrap_or("")
            .contains("0 running, 1 recorded"),
        "{registry}"
    );
    let everyone = admin(&gateway, "/admin/subagents");
    assert_eq!(everyone["count"], 1);

    // The same list over both transports and from the CLI.
    let mut both = crate::api::Both::new(&gateway);
    let http: SubagentList = both
        .get("/admin/sessions/agent:main:main/children")
        .expect("HTTP children");
    let ws: SubagentList = both
        .call("subagents.list", json!({ "parent": "agent:main:main" }))
        .expect("WS subagents.list");
    assert_eq!(http, ws);
    let from_cli: SubagentList = crate::api::cli(
        &gateway,
        &["sessions", "children", "agent:main:main", "--json"],
    );
    assert_eq!(from_cli, http);
    assert_eq!(
        http.subagents[0].result.as_deref(),
        Some("there are 42 stars")
    );
}

#[test]
fn a_reset_parent_stops_its_slow_child() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "a long job" }),
    ));
    emulator.push(Reply::text(&["started"]));
    emulator.push_for(CHILD, Duration::from_secs(20), Reply::text(&["too late"]));
    let gateway = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "start the job")),
        "started"
    );
    let run = wait_until("the child's run", WAIT, || {
        actors(&gateway).into_iter().find(|a| {
            a["kind"] == "run"
                && a["path"]
                    .as_str()
                    .unwrap_or("")
                    .contains("agent:main:subagent:")
        })
    });
    assert_eq!(children(&gateway, "agent:main:main")["running"], 1);
    let bearer = format!("Bearer {}", gateway.token());
    let reset = http_post(
        gateway.addr,
        "/admin/sessions/agent%3Amain%3Amain/reset",
        &[("Authorization", bearer.as_str())],
        &Value::Null,
    );
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.body["stoppedChildren"], 1, "{}", reset.text);
    let record = &children(&gateway, "agent:main:main")["subagents"][0];
    assert_eq!(record["status"], "stopped");
    wait_until("the child's run to be gone", WAIT, || {
        (!actors(&gateway)
            .iter()
            .any(|a| a["id"] == run["id"] && a["state"] == "running"))
        .then_some(())
    });
    // Nothing is announced to the reset parent.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        emulator.requests().len(),
        3,
        "two parent calls and the child's"
    );
}

#[test]
fn a_child_whose_run_crashes_is_restarted_and_still_reports() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "crunch numbers" }),
    ));
    emulator.push(Reply::text(&["working on it"]));
    emulator.push(Reply::text(&["the numbers are crunched"]));
    emulator.push_for(
        CHILD,
        Duration::from_secs(3),
        Reply::text(&["lost with the crash"]),
    );
    emulator.push_for(CHILD, Duration::ZERO, Reply::text(&["crunched: 7"]));
    let gateway = gateway(&emulator, "", "gateway: { faultInjection: true },");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "crunch")),
        "working on it"
    );
    let run = wait_until("the child's run", WAIT, || {
        actors(&gateway).into_iter().find(|a| {
            a["kind"] == "run"
                && a["state"] == "running"
                && a["path"]
                    .as_str()
                    .unwrap_or("")
                    .contains("agent:main:subagent:")
        })
    });
    let bearer = format!("Bearer {}", gateway.token());
    let injected = http_post(
        gateway.addr,
        &format!("/admin/actors/{}/panic", run["id"]),
        &[("Authorization", bearer.as_str())],
        &json!({ "message": "child drill" }),
    );
    assert_eq!(injected.status, 202, "{}", injected.text);
    // The registry crashes too while the child works: its next incarnation finds the child in
    // its file and waits for the same turn.
    let registry = wait_until("the registry", WAIT, || {
        actors(&gateway)
            .into_iter()
            .find(|a| a["path"] == "/gateway/subagents")
    });
    let injected = http_post(
        gateway.addr,
        &format!("/admin/actors/{}/panic", registry["id"]),
        &[("Authorization", bearer.as_str())],
        &json!({ "message": "registry drill" }),
    );
    assert_eq!(injected.status, 202, "{}", injected.text);
    let listed = wait_until("the child to be done", WAIT, || {
        let listed = children(&gateway, "agent:main:main");
        (listed["subagents"][0]["status"] == "done").then_some(listed)
    });
    assert_eq!(listed["subagents"][0]["result"], "crunched: 7");
    let all = requests(&emulator, 5);
    let announce = all
        .iter()
        .rev()
        .find(|r| {
            contents(&r.body)
                .iter()
                .any(|m| m.starts_with("[sub-agent "))
        })
        .expect("the announce turn");
    assert!(
        contents(&announce.body)
            .last()
            .is_some_and(|m| m.contains("crunched: 7")),
        "{:?}",
        contents(&announce.body)
    );
    let restarted = gateway
        .get_authed(&format!("/admin/actors/{}", run["id"]))
        .body;
    assert_eq!(restarted["restarts"], 1, "{restarted:#}");
    let registry = gateway
        .get_authed(&format!("/admin/actors/{}", registry["id"]))
        .body;
    assert_eq!(registry["restarts"], 1, "{registry:#}");
    assert_eq!(registry["state"], "running", "{registry:#}");
    let announces = emulator
        .requests()
        .iter()
        .filter(|r| {
            contents(&r.body)
                .last()
                .is_some_and(|m| m.starts_with("[sub-agent "))
        })
        .count();
    assert_eq!(announces, 1, "announced once");
}

#[test]
fn a_child_running_when_the_gateway_is_killed_resumes_and_reports_after_the_restart() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_spawn",
        json!({ "task": "survive a crash", "label": "phoenix" }),
    ));
    emulator.push(Reply::text(&["on it"]));
    emulator.push(Reply::text(&["the helper survived"]));
    emulator.push_for(
        CHILD,
        Duration::from_secs(30),
        Reply::text(&["lost with the gateway"]),
    );
    emulator.push_for(CHILD, Duration::ZERO, Reply::text(&["risen: 9"]));
    let gateway = gateway(&emulator, "", "");
    assert_eq!(answer_of(&ask(&gateway, "agent:main:main", "go")), "on it");
    requests(&emulator, 3);
    assert_eq!(children(&gateway, "agent:main:main")["running"], 1);
    let home = gateway.kill9();
    let gateway = Gateway::start_in(home, &[]);
    let listed = wait_until("the resumed child to be announced", WAIT, || {
        let listed = children(&gateway, "agent:main:main");
        (listed["subagents"][0]["announced"] == true).then_some(listed)
    });
    let record = &listed["subagents"][0];
    assert_eq!(record["status"], "done");
    assert_eq!(record["result"], "risen: 9");
    let all = requests(&emulator, 5);
    let announce = contents(&all[4].body);
    assert!(
        announce
            .last()
            .is_some_and(|m| m.starts_with("[sub-agent phoenix finished]\nrisen: 9")),
        "{announce:?}"
    );
    // The child's question was asked once: the resumed turn is the one persisted.
    let child_history = admin(
        &gateway,
        &format!(
            "/admin/sessions/{}/history?limit=50",
            record["childSessionKey"]
                .as_str()
                .unwrap_or_default()
                .replace(':', "%3A")
        ),
    );
    let questions = child_history["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "user")
        .count();
    assert_eq!(questions, 1, "{child_history}");
}
