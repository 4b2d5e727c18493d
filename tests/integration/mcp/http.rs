//! A streamable-HTTP MCP server: `mcp-emu --http` answers with SSE streams and a session id;
//! the gateway initializes, pages through its tools and calls one, and a sandboxed session is
//! not offered MCP tools unless its allowlist names them.

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
    wait_for_server(&gateway, "web", |a| status(a) == "ready, 5 tools");

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
    assert!(
        !sandboxed.iter().any(|t| t.starts_with("web__")),
        "{sandboxed:?}"
    );
}
