//! A stdio MCP server end to end: the model calls `emu__echo` and reads its result; a hanging
//! call times out with a clear error and is cancelled on the server; `grow` makes the server
//! announce a new tool, which the next request offers; `crash` kills the server mid-call, the
//! model reads that it exited, and its actor is restarted (visible in `/admin/actors` and
//! `/admin/mcp`) and serves again.

use serde_json::json;

use super::emu::{mcp_emu, status, wait_for_server};
use crate::support::agent::ask;
use crate::support::tools::{call, gateway, offered, tool_result};
use crate::support::{run_cli, stdout};
use pincer_emulators::{Emulator, Reply};

#[test]
fn a_stdio_server_serves_times_out_grows_and_is_restarted_after_a_crash() {
    let emulator = Emulator::openai();
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("received.jsonl");
    let root = format!(
        "mcp: {{ servers: {{ emu: {{ command: {:?}, args: ['--log', {:?}], toolTimeout: 800 }} }} }},",
        mcp_emu().display().to_string(),
        log.display().to_string()
    );
    let gateway = gateway(&emulator, "", &root);
    let ready = wait_for_server(&gateway, "emu", |a| status(a) == "ready, 6 tools");
    assert_eq!(ready["restarts"], 0, "{ready:#}");

    // A call whose result comes back to the model.
    emulator.push(call(
        "c1",
        "emu__echo",
        json!({ "text": "hello over stdio" }),
    ));
    emulator.push(Reply::text(&["echoed"]));
    let answer = ask(&gateway, "agent:main:main", "echo please");
    assert_eq!(answer.status, 200, "{}", answer.text);
    let requests = emulator.requests();
    let tools = offered(&requests[0].body);
    for name in [
        "emu__echo",
        "emu__add",
        "emu__crash",
        "emu__hang",
        "emu__grow",
    ] {
        assert!(
            tools.contains(&name.to_string()),
            "{name} offered: {tools:?}"
        );
    }
    assert_eq!(tool_result(&requests[1].body, "c1"), "hello over stdio");

    // A hanging call times out, is cancelled, and the server stays usable.
    emulator.push(call("c2", "emu__hang", json!({})));
    emulator.push(Reply::text(&["gave up"]));
    assert_eq!(ask(&gateway, "agent:main:main", "hang").status, 200);
    let hung = tool_result(&emulator.requests()[3].body, "c2");
    assert!(hung.contains("did not finish within 800 ms"), "{hung}");
    let received = std::fs::read_to_string(&log).expect("log");
    assert!(
        received.contains("notifications/cancelled"),
        "the server was told: {received}"
    );
    assert!(received.contains("\"clientInfo\""), "{received}");

    // list_changed: the new tool is offered to the next request.
    emulator.push(call("c3", "emu__grow", json!({})));
    emulator.push(Reply::text(&["grown"]));
    assert_eq!(ask(&gateway, "agent:main:main", "grow").status, 200);
    wait_for_server(&gateway, "emu", |a| status(a) == "ready, 7 tools");
    emulator.push(call("c4", "emu__extra", json!({})));
    emulator.push(Reply::text(&["done"]));
    assert_eq!(ask(&gateway, "agent:main:main", "extra").status, 200);
    let requests = emulator.requests();
    assert!(offered(&requests[6].body).contains(&"emu__extra".to_string()));
    assert_eq!(tool_result(&requests[7].body, "c4"), "extra!");

    // A crash mid-call: a clear error, then a restart.
    emulator.push(call("c5", "emu__crash", json!({})));
    emulator.push(Reply::text(&["it crashed"]));
    assert_eq!(ask(&gateway, "agent:main:main", "crash").status, 200);
    let crashed = tool_result(&emulator.requests()[9].body, "c5");
    assert!(
        crashed.contains("the MCP server emu exited during the call"),
        "{crashed}"
    );
    let restarted = wait_for_server(&gateway, "emu", |a| {
        a["restarts"].as_u64() >= Some(1) && status(a).starts_with("ready")
    });
    assert!(
        restarted["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("exit"),
        "{restarted:#}"
    );
    let servers = gateway.get_authed("/admin/mcp").body;
    let emu = &servers["servers"][0];
    assert_eq!(emu["name"], "emu", "{servers:#}");
    assert_eq!(emu["state"], "ready", "{servers:#}");
    assert!(emu["restarts"].as_u64() >= Some(1), "{servers:#}");
    let listed = gateway.get_authed("/admin/mcp/emu/tools").body;
    assert!(
        listed["tools"].as_array().is_some_and(|t| t.len() == 6),
        "{listed:#}"
    );

    // The CLI reads the same operations.
    let list = run_cli(gateway.home(), &["mcp", "list"]);
    let printed = stdout(&list);
    assert!(list.status.success(), "{printed}");
    assert!(
        printed.contains("emu") && printed.contains("ready"),
        "{printed}"
    );
    let tools = run_cli(gateway.home(), &["mcp", "tools", "emu", "--json"]);
    let tools: serde_json::Value = serde_json::from_str(&stdout(&tools)).expect("json");
    assert_eq!(tools["tools"][0]["offeredAs"], "emu__add", "{tools:#}");

    emulator.push(call("c6", "emu__add", json!({ "a": 2, "b": 3 })));
    emulator.push(Reply::text(&["five"]));
    assert_eq!(ask(&gateway, "agent:main:main", "add").status, 200);
    assert_eq!(tool_result(&emulator.requests()[11].body, "c6"), "5");
}
