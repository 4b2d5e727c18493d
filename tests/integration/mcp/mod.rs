//! The MCP client against `mcp-emu` (the test MCP server of `tests/emulators`): over stdio
//! (`stdio.rs`: a tool call's result reaches the model, a hanging call times out and is
//! cancelled, `tools/list_changed` offers a new tool, a crashing server is restarted and shown in
//! `/admin/actors` and `/admin/mcp`), over streamable HTTP and legacy HTTP+SSE (`http.rs`), and
//! the environment a stdio server starts with (`env.rs`), and the Control UI's MCP view (`ui.rs`).

mod emu;
mod env;
mod http;
mod stdio;
mod ui;
