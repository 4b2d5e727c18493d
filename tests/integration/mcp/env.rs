//! The environment of a stdio MCP server: the gateway's, minus what looks like a credential
//! (the rules of `exec`), plus the server's configured `env`.

use serde_json::json;

use super::emu::{mcp_emu, status, wait_for_server};
use crate::support::agent::ask;
use crate::support::tools::{call, tool_result};
use crate::support::Gateway;
use pincer_emulators::{Emulator, Reply};

#[test]
fn a_stdio_server_gets_the_gateway_env_without_its_secrets_plus_its_own() {
    let emulator = Emulator::openai();
    let config = format!(
        "{{ mcp: {{ servers: {{ emu: {{ command: {:?}, env: {{ EMU_SETTING: 'on', EMU_API_TOKEN: 'given' }} }} }} }}, \
         agents: {{ defaults: {{ model: 'openai/m', streamIdleSeconds: 5 }} }}, \
         models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'test-key' }} }} }} }}",
        mcp_emu().display().to_string(),
        emulator.base_url()
    );
    let gateway = Gateway::start_with(
        Some(&config),
        &[
            ("MCP_TEST_API_KEY", "marker-secret"),
            ("MCP_TEST_PLAIN", "plain"),
        ],
    );
    wait_for_server(&gateway, "emu", |a| status(a) == "ready, 6 tools");
    let names = [
        "MCP_TEST_API_KEY",
        "MCP_TEST_PLAIN",
        "EMU_SETTING",
        "EMU_API_TOKEN",
    ];
    for (index, name) in names.iter().enumerate() {
        emulator.push(call(
            &format!("e{index}"),
            "emu__env",
            json!({ "name": name }),
        ));
    }
    emulator.push(Reply::text(&["read"]));
    assert_eq!(ask(&gateway, "agent:main:main", "env").status, 200);
    let requests = emulator.requests();
    let read: Vec<String> = (0..names.len())
        .map(|index| tool_result(&requests[index + 1].body, &format!("e{index}")))
        .collect();
    // The gateway's credential is scrubbed; what the config gives the server is passed on.
    assert_eq!(read, ["unset", "plain", "on", "given"]);
}
