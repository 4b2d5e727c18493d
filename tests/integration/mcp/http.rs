//! HTTP MCP servers: `mcp-emu --http` over streamable HTTP (SSE answers, a session id) is
//! initialized, paged through and called, and a sandboxed session is not offered MCP tools
//! unless its allowlist names them; the same server over the legacy HTTP+SSE transport is
//! called, and its stream's end makes its actor fail and restart.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use super::emu::{mcp_emu, status, wait_for_server};
use crate::support::agent::ask;
use crate::support::tools::{call, gateway, offered, tool_result};
use pincer_emulators::{Emulator, Reply};

/// Kills the HTTP server when the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_http_server_is_initialized_listed_and_called() {
    let mut child = Command::new(mcp_emu())
        .arg("--http")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start mcp-emu --http");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("port line");
    let _server = Server(child);
    let port: u16 = first
        .trim()
        .strip_prefix("PORT ")
        .expect("PORT n")
        .parse()
        .expect("port");
    let emulator = Emulator::openai();
    let root = format!(
        "mcp: {{ servers: {{ web: {{ url: 'http://127.0.0.1:{port}/mcp', headers: {{ Authorization: 'Bearer x' }} }} }} }},"
    );
    let gateway = gateway(&emulator, "", &root);
    wait_for_server(&gateway, "web", |a| status(a) == "ready, 6 tools");

    emulator.push(call(
        "h1",
        "web__echo",
        json!({ "text": "hello over http" }),
    ));
    emulator.push(Reply::text(&["echoed"]));
    assert_eq!(ask(&gateway, "agent:main:main", "echo").status, 200);
    let requests = emulator.requests();
    assert_eq!(tool_result(&requests[1].body, "h1"), "hello over http");

    // The default sandbox allowlist does not name MCP tools.
    emulator.push(Reply::text(&["hi"]));
    assert_eq!(ask(&gateway, "agent:main:other", "hi").status, 200);
    let sandboxed = offered(&emulator.requests()[2].body);
    assert!(offered(&requests[0].body).contains(&"web__grow".to_string()));

    // A list_changed notification in a POST's event stream is heard too.
    emulator.push(call("h2", "web__grow", json!({})));
    emulator.push(Reply::text(&["grown"]));
    assert_eq!(ask(&gateway, "agent:main:main", "grow").status, 200);
    wait_for_server(&gateway, "web", |a| status(a) == "ready, 7 tools");
    assert!(
        !sandboxed.iter().any(|t| t.starts_with("web__")),
        "{sandboxed:?}"
    );
}

/// Starts `mcp-emu --http` and reads its port.
fn start_http_emu() -> (Server, u16) {
    let mut child = Command::new(mcp_emu())
        .arg("--http")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start mcp-emu --http");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("port line");
    let port = first
        .trim()
        .strip_prefix("PORT ")
        .expect("PORT n")
        .parse()
        .expect("port");
    (Server(child), port)
}

#[test]
fn a_legacy_sse_server_is_called_and_its_end_is_noticed() {
    let (server, port) = start_http_emu();
    let emulator = Emulator::openai();
    let root = format!(
        "mcp: {{ servers: {{ old: {{ url: 'http://127.0.0.1:{port}/sse', transport: 'sse' }} }} }},"
    );
    let gateway = gateway(&emulator, "", &root);
    wait_for_server(&gateway, "old", |a| status(a) == "ready, 6 tools");
    emulator.push(call("s1", "old__add", json!({ "a": 20, "b": 22 })));
    emulator.push(Reply::text(&["added"]));
    assert_eq!(ask(&gateway, "agent:main:main", "add").status, 200);
    assert_eq!(tool_result(&emulator.requests()[1].body, "s1"), "42");
    let listed = gateway.get_authed("/admin/mcp").body;
    assert_eq!(listed["servers"][0]["transport"], "sse", "{listed:#}");

    // The server goes away: its stream ends, the actor fails and is restarted (and keeps
    // failing while nothing listens), and a call says the server is not connected.
    drop(server);
    let failed = wait_for_server(&gateway, "old", |a| {
        a["restarts"].as_u64() >= Some(1) && !status(a).starts_with("ready")
    });
    assert!(failed["last_error"].is_string(), "{failed:#}");
    emulator.push(call("s2", "old__add", json!({ "a": 1, "b": 1 })));
    emulator.push(Reply::text(&["down"]));
    assert_eq!(ask(&gateway, "agent:main:main", "add again").status, 200);
    let down = tool_result(&emulator.requests()[3].body, "s2");
    assert!(
        down.contains("unknown tool") || down.contains("not connected"),
        "{down}"
    );
}
