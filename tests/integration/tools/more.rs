//! More tools end to end (see `tools.rs`): `sessions_send` between two sessions through the
//! router, `web_fetch` to an allowed local server (and refused without the allow rule), and
//! `pincer tools list` explaining a session's tools without a running gateway, and a sandboxed
//! session's folder made at its first tool call only.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::support::agent::*;
use crate::support::tools::*;
use crate::support::*;
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};

#[test]
fn sessions_send_asks_another_session_and_returns_its_answer() {
    let emulator = Emulator::openai();
    emulator.push(call(
        "c1",
        "sessions_send",
        json!({ "sessionKey": "agent:main:helper", "message": "what is 2+2?" }),
    ));
    emulator.push(Reply::text(&["4"]));
    emulator.push(Reply::text(&["the helper says 4"]));
    let gateway = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&gateway, "agent:main:main", "ask the helper")),
        "the helper says 4"
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    let asked = contents(&requests[1].body);
    assert!(
        asked
            .last()
            .is_some_and(|m| m.starts_with("[message from session agent:main:main]\nwhat is 2+2?")),
        "{asked:?}"
    );
    let reply: Value = serde_json::from_str(&tool_result(&requests[2].body, "c1")).unwrap();
    assert_eq!(
        reply,
        json!({ "sessionKey": "agent:main:helper", "reply": "4" })
    );
}

#[test]
fn web_fetch_reaches_an_allowed_local_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/doc", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(4) {
            let mut stream = stream;
            let mut buffer = [0u8; 2048];
            let _ = stream.read(&mut buffer);
            let body =
                "<html><title>Docs</title><body><h1>Local docs</h1><p>All good.</p></body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let emulator = Emulator::openai();
    emulator.push(call("c1", "web_fetch", json!({ "url": url })));
    emulator.push(Reply::text(&["fetched"]));
    emulator.push(call("c2", "web_fetch", json!({ "url": url })));
    emulator.push(Reply::text(&["refused"]));
    let allowed = gateway(
        &emulator,
        "",
        "tools: { webFetch: { allowHosts: ['127.0.0.1'] } },",
    );
    assert_eq!(
        answer_of(&ask(&allowed, "agent:main:main", "read the docs")),
        "fetched"
    );
    let page = tool_result(&emulator.requests()[1].body, "c1");
    assert!(
        page.contains("Title: Docs") && page.contains("Local docs\n\nAll good."),
        "{page}"
    );
    assert_eq!(
        std::fs::read_dir(allowed.state_dir().join("cache/web_fetch"))
            .unwrap()
            .count(),
        1
    );

    let strict = gateway(&emulator, "", "");
    assert_eq!(
        answer_of(&ask(&strict, "agent:main:main", "read the docs")),
        "refused"
    );
    let refused = tool_result(&emulator.requests()[3].body, "c2");
    assert!(
        refused.contains("refused (allow it with tools.webFetch.allowHosts"),
        "{refused}"
    );
}

#[test]
fn pincer_tools_list_explains_each_sessions_tools() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ tools: { deny: ['group:web'] }, agents: { defaults: { sandbox: { denylist: ['write'] } } } }",
    )
    .unwrap();
    let main = run_cli(home.path(), &["tools", "list", "--json"]);
    assert!(main.status.success(), "{}", stderr(&main));
    let main: Value = serde_json::from_slice(&main.stdout).unwrap();
    assert_eq!(main["session"], "agent:main:main");
    assert_eq!(main["sandboxed"], false);
    let tool = |report: &Value, name: &str| {
        report["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["tool"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    assert_eq!(tool(&main, "exec")["allowed"], true);
    assert_eq!(
        tool(&main, "web_fetch")["reason"],
        "denied by tools.deny (group:web)"
    );

    let group = run_cli(
        home.path(),
        &[
            "tools",
            "list",
            "--session",
            "agent:main:telegram:group:1",
            "--json",
        ],
    );
    let group: Value = serde_json::from_slice(&group.stdout).unwrap();
    assert_eq!(group["sandboxed"], true);
    assert_eq!(tool(&group, "read")["allowed"], true);
    assert_eq!(tool(&group, "exec")["allowed"], false);
    assert!(tool(&group, "write")["reason"]
        .as_str()
        .unwrap()
        .contains("denylist (write)"));

    let text = run_cli(
        home.path(),
        &["tools", "list", "--session", "agent:main:telegram:group:1"],
    );
    let text = stdout(&text);
    assert!(
        text.contains("sandboxed") && text.contains("exec"),
        "{text}"
    );
}

#[test]
fn a_turn_without_tool_calls_leaves_no_sandbox_folder() {
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["hello group"]));
    emulator.push(Reply::text(&["hello stranger"]));
    emulator.push(call(
        "c1",
        "write",
        json!({ "path": "g.txt", "content": "kept" }),
    ));
    emulator.push(Reply::text(&["written"]));
    let gateway = gateway(&emulator, "", "");
    let sandboxes = gateway.state_dir().join("sandboxes");
    let folders = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&sandboxes)
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };

    // A sandboxed session that only talks, and a request without a session key.
    let group = "agent:main:telegram:group:-42";
    assert_eq!(answer_of(&ask(&gateway, group, "hi")), "hello group");
    assert_eq!(
        streamed_text(&ask_streaming(&gateway, "hi")),
        "hello stranger"
    );
    assert_eq!(folders(), Vec::<std::path::PathBuf>::new());

    // Its first tool call makes the folder.
    assert_eq!(answer_of(&ask(&gateway, group, "note it")), "written");
    let made = folders();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(
        std::fs::read_to_string(made[0].join("g.txt")).unwrap(),
        "kept"
    );
}
