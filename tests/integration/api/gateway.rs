//! The gateway's own operations: `actors.list`, `actors.tree`, `actors.get`, `config.get`,
//! `logs.tail`.

use pincer::api::actors::{Actor, ActorNode};
use pincer::api::{ActorList, ActorTree, ConfigAnswer, LogTail};
use serde_json::json;

use super::*;

/// An actor as both transports can agree on: uptime and mailbox counters set aside (the socket's
/// own connection actor handles every WS request), and its status when it counts requests.
fn comparable(mut actor: Actor) -> Actor {
    actor.uptime_ms = None;
    let mailbox = &mut actor.mailbox;
    (mailbox.queued, mailbox.max_queued) = (0, 0);
    (mailbox.enqueued, mailbox.handled) = (0, 0);
    mailbox.handling = None;
    mailbox.handler_time.count = 0;
    mailbox.handler_time.mean_us = 0;
    mailbox.handler_time.max_us = 0;
    if actor.kind == "connection" {
        actor.status = None;
    }
    actor
}

fn comparable_list(mut list: ActorList) -> ActorList {
    list.generated_at_ms = 0;
    list.actors = list.actors.into_iter().map(comparable).collect();
    list
}

fn comparable_node(node: ActorNode) -> ActorNode {
    ActorNode {
        actor: comparable(node.actor),
        children: node.children.into_iter().map(comparable_node).collect(),
    }
}

fn paths(nodes: &[ActorNode], out: &mut Vec<String>) {
    for node in nodes {
        out.push(node.actor.path.clone());
        paths(&node.children, out);
    }
}

#[test]
fn actors_list_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    let ws: ActorList = both.call("actors.list", json!({})).expect("WS list");
    let http: ActorList = both.get("/admin/actors?flat=1").expect("HTTP list");
    assert!(http.generated_at_ms >= ws.generated_at_ms && ws.generated_at_ms > 0);
    let (ws, http) = (comparable_list(ws), comparable_list(http));
    assert_eq!(ws, http);
    assert_eq!(ws.count, ws.actors.len());
    let web = ws
        .actors
        .iter()
        .find(|a| a.path == "/gateway/web")
        .expect("the web actor");
    assert!(web.mailbox.capacity > 0 && web.parent.is_some(), "{web:?}");
    assert!(
        ws.actors.iter().any(|a| a.kind == "connection"),
        "this test's socket"
    );
    let table = stdout(&run_cli(gateway.home(), &["actors"]));
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("web") && l.contains("running")),
        "{table}"
    );
}

#[test]
fn actors_tree_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    let mut ws: ActorTree = both.call("actors.tree", json!({})).expect("WS tree");
    let mut http: ActorTree = both.get("/admin/actors").expect("HTTP tree");
    (ws.generated_at_ms, http.generated_at_ms) = (0, 0);
    ws.actors = ws.actors.into_iter().map(comparable_node).collect();
    http.actors = http.actors.into_iter().map(comparable_node).collect();
    assert_eq!(ws, http);
    assert_eq!(ws.actors.len(), 1, "one root");
    assert_eq!(ws.actors[0].actor.path, "/gateway");
    let mut in_tree = Vec::new();
    paths(&ws.actors, &mut in_tree);
    assert_eq!(ws.count, in_tree.len());
    assert!(in_tree.contains(&"/gateway/web".to_string()));
    let from_cli: ActorTree = cli(&gateway, &["actors", "--json"]);
    assert_eq!(from_cli.actors[0].actor.path, "/gateway");
    assert!(from_cli.count > 5 && from_cli.generated_at_ms > 0);
}

#[test]
fn one_actor_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    let list: ActorList = both.get("/admin/actors?flat=1").expect("HTTP list");
    let web = list
        .actors
        .into_iter()
        .find(|a| a.path == "/gateway/web")
        .expect("web");
    let ws: Actor = both
        .call("actors.get", json!({ "id": web.id }))
        .expect("WS actor");
    let http: Actor = both
        .get(&format!("/admin/actors/{}", web.id))
        .expect("HTTP actor");
    assert_eq!(comparable(ws), comparable(http.clone()));
    assert_eq!(comparable(http), comparable(web.clone()));
    let from_cli: Actor = cli(&gateway, &["actors", "--id", &web.id.to_string()]);
    assert_eq!(comparable(from_cli), comparable(web));
    same_refusal(
        both.get::<Actor>("/admin/actors/999999"),
        both.call::<Actor>("actors.get", json!({ "id": 999999 })),
        "NOT_FOUND",
        404,
    );
    same_refusal(
        both.get::<Actor>("/admin/actors/not-a-number"),
        both.call::<Actor>("actors.get", json!({ "id": "not-a-number" })),
        "NOT_FOUND",
        404,
    );
}

#[test]
fn config_is_the_same_over_both() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    let ws: ConfigAnswer = both.call("config.get", json!({})).expect("WS config");
    let http: ConfigAnswer = both.get("/admin/config").expect("HTTP config");
    assert_eq!(ws, http);
    let ConfigAnswer::Whole { config } = &ws else {
        panic!("the whole config: {ws:?}")
    };
    assert_eq!(config["monitoring"]["sampleIntervalMs"], 1000);
    assert_eq!(
        config["models"]["providers"]["local"]["apiKey"], "***",
        "masked by type"
    );
    let ws: ConfigAnswer = both
        .call("config.get", json!({ "path": "gateway.bind" }))
        .expect("WS key");
    let http: ConfigAnswer = both
        .get("/admin/config?path=gateway.bind")
        .expect("HTTP key");
    assert_eq!(ws, http);
    assert_eq!(
        ws,
        ConfigAnswer::Key {
            path: "gateway.bind".into(),
            value: json!("loopback")
        }
    );
    same_refusal(
        both.get::<ConfigAnswer>("/admin/config?path=gateway.nothing"),
        both.call::<ConfigAnswer>("config.get", json!({ "path": "gateway.nothing" })),
        "NOT_FOUND",
        404,
    );
}

#[test]
fn log_tails_are_the_same_file_over_both_and_the_cli_reads_them() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    // Tails of one append-only file: asked later, the answer extends the earlier one.
    let ws: LogTail = both
        .call("logs.tail", json!({ "lines": 10000, "level": "info" }))
        .expect("WS logs");
    let http: LogTail = both
        .get("/admin/logs?lines=10000&level=info")
        .expect("HTTP logs");
    assert_eq!(ws.file, http.file);
    assert!(
        http.lines.starts_with(&ws.lines),
        "{:?}\n{:?}",
        ws.lines,
        http.lines
    );
    assert!(
        ws.lines.iter().any(|l| l.contains("HTTP server started")),
        "{:?}",
        ws.lines
    );
    let last: LogTail = both
        .call("logs.tail", json!({ "lines": 2 }))
        .expect("WS logs");
    assert_eq!(last.lines.len(), 2, "{last:?}");
    let output = run_cli(
        gateway.home(),
        &["logs", "--json", "--lines", "10000", "--level", "info"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let from_cli: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert!(
        from_cli.starts_with(&http.lines),
        "the CLI's tail extends the gateway's"
    );
    assert!(from_cli
        .iter()
        .all(|l| serde_json::from_str::<Value>(l).is_ok()));
    same_refusal(
        both.get::<LogTail>("/admin/logs?level=loud"),
        both.call::<LogTail>("logs.tail", json!({ "level": "loud" })),
        "INVALID_REQUEST",
        400,
    );
}
