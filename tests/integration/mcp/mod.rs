//! The MCP client against `mcp-emu` (the test MCP server of `tests/emulators`): over stdio
//! (`stdio.rs`: a tool call's result reaches the model, a hanging call times out and is
//! cancelled, `tools/list_changed` offers a new tool, a crashing server is restarted and shown in
//! `/admin/actors` and `/admin/mcp`) and over streamable HTTP (`http.rs`).

mod emu;
mod http;
mod stdio;
