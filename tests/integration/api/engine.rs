//! The engine's operations: `health`, `status`, `sessions.list`, `sessions.inspect`,
//! `chat.history`, `sessions.traces`, `sessions.reset`.

use pincer::api::{
    Health, History, HistoryMessage, Ready, SessionInfo, SessionList, SessionReset, Status,
    TraceStep, Traces,
};
use serde::Deserialize;
use serde_json::json;

use super::*;

#[test]
fn health_is_the_same_over_both_and_the_cli_reads_the_probes() {
    let provider = Emulator::openai();
    let gateway = start(&provider, &[]);
    let mut both = Both::new(&gateway);
    // The sampler publishes every second: ask until both answers carry the same sample.
    let deadline = Instant::now() + WAIT;
    let (mut ws, mut http) = loop {
        let ws: Health = both.call("health", json!({})).expect("WS health");
        let http: Health = both.get("/admin/health").expect("HTTP health");
        let sampled = ws.system.as_ref().map(|s| s.at_ms);
        if sampled.is_some() && sampled == http.system.as_ref().map(|s| s.at_ms) {
            break (ws, http);
        }
        assert!(
            Instant::now() < deadline,
            "no common system sample: {ws:?} / {http:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    set_aside_uptime(&mut ws.uptime_ms, &mut http.uptime_ms);
    set_aside_uptime(&mut ws.ts, &mut http.ts);
    assert_eq!(ws, http);
    assert!(
        ws.ok && ws.status == "ready" && ws.not_ready.is_empty(),
        "{ws:?}"
    );
    assert!(ws.actors > 5, "{ws:?}");
    assert_eq!(ws.clients, 1, "this test's socket is the one operator");
    let system = ws.system.expect("a sample");
    assert!(
        system.memory_total_bytes > 0 && system.process_rss_bytes > 0,
        "{system:?}"
    );

    #[derive(Deserialize)]
    struct HealthReport {
        live: bool,
        ready: bool,
        readyz: Ready,
    }
    let report: HealthReport = cli(&gateway, &["health", "--json"]);
    assert!(
        report.live && report.ready && report.readyz.ok,
        "{:?}",
        report.readyz
    );
    let ready: Ready = both.get("/readyz").expect("ready");
    assert_eq!(report.readyz, ready);
    assert_eq!((ready.status.as_str(), ready.not_ready.len()), ("ready", 0));
}

#[test]
fn status_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = with_sessions(&provider, &["agent:main:one"]);
    let mut both = Both::new(&gateway);
    let mut ws: Status = both.call("status", json!({})).expect("WS status");
    let mut http: Status = both.get("/admin/status").expect("HTTP status");
    set_aside_uptime(&mut ws.uptime_ms, &mut http.uptime_ms);
    set_aside_ages(&mut ws);
    set_aside_ages(&mut http);
    assert_eq!(ws, http);
    assert_eq!(ws.models, ["local/echo"]);
    assert!(ws.resources.is_some() && ws.router.is_some(), "{ws:?}");
    assert_eq!(
        (ws.stored_sessions, ws.live_sessions, ws.runs_in_flight),
        (1, 1, 0)
    );
    assert!(ws.not_ready.is_empty() && ws.safe_mode.is_none(), "{ws:?}");

    let mut from_cli: Status = cli(&gateway, &["status", "--json"]);
    assert!(from_cli.uptime_ms > 0);
    from_cli.uptime_ms = 0;
    set_aside_ages(&mut from_cli);
    assert_eq!(from_cli, http);
    let text = stdout(&run_cli(gateway.home(), &["status"]));
    assert!(
        text.contains("models      local/echo") && text.contains("1 live, 1 stored"),
        "{text}"
    );
}

#[test]
fn sessions_list_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = with_sessions(&provider, &["agent:main:one", "agent:main:two"]);
    let mut both = Both::new(&gateway);
    let ws: SessionList = both.call("sessions.list", json!({})).expect("WS list");
    let http: SessionList = both.get("/admin/sessions").expect("HTTP list");
    assert_eq!(ws, http);
    assert_eq!(ws.count, 2);
    assert!(
        ws.sessions
            .iter()
            .all(|s| s.messages >= 2 && s.input_tokens > 0 && s.updated_ms > 0),
        "{ws:?}"
    );
    assert_eq!(
        cli::<SessionList>(&gateway, &["sessions", "list", "--json"]),
        http
    );
    let table = stdout(&run_cli(gateway.home(), &["sessions", "list"]));
    assert!(
        table.contains("agent:main:one") && table.contains("agent:main:two"),
        "{table}"
    );
}

#[test]
fn sessions_show_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = with_sessions(&provider, &["agent:main:one"]);
    let mut both = Both::new(&gateway);
    let key = "agent:main:one";
    let ws: SessionInfo = both
        .call("sessions.inspect", json!({ "key": key }))
        .expect("WS show");
    let http: SessionInfo = both
        .get(&format!("/admin/sessions/{key}"))
        .expect("HTTP show");
    assert_eq!(ws, http);
    assert!(
        ws.exists && ws.size.is_some_and(|s| s > 0) && ws.message_count >= 2 && ws.token_count > 0,
        "{ws:?}"
    );
    assert_eq!(
        cli::<SessionInfo>(&gateway, &["sessions", "show", key, "--json"]),
        http
    );
    let missing: SessionInfo = both
        .call("sessions.inspect", json!({ "key": "agent:main:none" }))
        .expect("WS show");
    assert_eq!(
        missing,
        both.get("/admin/sessions/agent:main:none")
            .expect("HTTP show")
    );
    assert!(!missing.exists);
}

#[test]
fn history_is_the_same_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = with_sessions(&provider, &["agent:main:one"]);
    let mut both = Both::new(&gateway);
    let key = "agent:main:one";
    let ws: History = both
        .call("chat.history", json!({ "sessionKey": key, "limit": 10 }))
        .expect("WS history");
    let http: History = both
        .get(&format!("/admin/sessions/{key}/history?limit=10"))
        .expect("HTTP history");
    assert_eq!(ws, http);
    assert!(
        matches!(&ws.messages[..], [HistoryMessage::User { content: q, ts, .. }, HistoryMessage::Assistant { content: a, .. }]
            if q == "hello" && a == "echo: hello" && *ts > 0),
        "{ws:?}"
    );
    let from_cli: History = cli(
        &gateway,
        &["sessions", "history", key, "--limit", "10", "--json"],
    );
    assert_eq!(from_cli, http);
    same_refusal(
        both.get::<History>("/admin/sessions/not%2Fa%2Fkey/history"),
        both.call::<History>("chat.history", json!({ "sessionKey": "not/a/key" })),
        "INVALID_REQUEST",
        400,
    );
}

#[test]
fn traces_are_the_same_over_both_and_the_cli_reads_them() {
    let provider = Emulator::openai();
    let gateway = with_sessions(&provider, &["agent:main:one"]);
    let mut both = Both::new(&gateway);
    let key = "agent:main:one";
    let ws: Traces = both
        .call("sessions.traces", json!({ "key": key, "last": 5 }))
        .expect("WS traces");
    let http: Traces = both
        .get(&format!("/admin/sessions/{key}/traces?last=5"))
        .expect("HTTP traces");
    assert_eq!(ws, http);
    assert_eq!(ws.traces.len(), 1, "{ws:?}");
    let trace = &ws.traces[0].trace;
    assert!(
        trace.input_tokens > 0 && trace.output_tokens > 0,
        "{trace:?}"
    );
    assert!(
        matches!(&trace.steps[..], [TraceStep::Model { model, input_tokens, .. }] if !model.is_empty() && *input_tokens > 0),
        "{trace:?}"
    );
    assert_eq!(
        cli::<Traces>(
            &gateway,
            &["trace", "--session", key, "--last", "5", "--json"]
        ),
        http
    );
    same_refusal(
        both.get::<Traces>(&format!("/admin/sessions/{key}/traces?last=many")),
        both.call::<Traces>("sessions.traces", json!({ "key": key, "last": "many" })),
        "INVALID_REQUEST",
        400,
    );
}

#[test]
fn reset_answers_alike_over_both_and_the_cli_reads_it() {
    let provider = Emulator::openai();
    let gateway = with_sessions(
        &provider,
        &["agent:main:one", "agent:main:two", "agent:main:three"],
    );
    let mut both = Both::new(&gateway);
    let http: SessionReset = both
        .post("/admin/sessions/agent:main:one/reset", json!({}))
        .expect("HTTP reset");
    let ws: SessionReset = both
        .call("sessions.reset", json!({ "key": "agent:main:two" }))
        .expect("WS reset");
    assert_eq!((http.ok, http.reset.as_str()), (true, "agent:main:one"));
    assert_eq!((ws.ok, ws.reset.as_str()), (true, "agent:main:two"));
    let text = stdout(&run_cli(
        gateway.home(),
        &["sessions", "reset", "agent:main:three"],
    ));
    assert!(text.contains("session agent:main:three reset"), "{text}");
    let left: SessionList = both.call("sessions.list", json!({})).expect("WS list");
    assert_eq!(left.count, 0, "{left:?}");
    same_refusal(
        both.post::<SessionReset>("/admin/sessions/agent:main:one/reset", json!({})),
        both.call::<SessionReset>("sessions.reset", json!({ "key": "agent:main:one" })),
        "NOT_FOUND",
        404,
    );
}

/// A status's session ages grow while the test reads it: checked, then set to 0.
fn set_aside_ages(status: &mut Status) {
    let sessions = &mut status.sessions;
    for recent in sessions.recent.iter_mut().chain(
        sessions
            .by_agent
            .iter_mut()
            .flat_map(|a| a.recent.iter_mut()),
    ) {
        assert!(recent.age.is_some_and(|age| age < 60_000), "{recent:?}");
        recent.age = Some(0);
    }
}
