//! Pincer's integration tests: one test binary, so that `support` (and the `pincer-emulators`
//! crate) is built once rather than once per test file.
//!
//! Every test starts the real `pincer` binary (or the real actor system, in-process) on 127.0.0.1
//! port 0 and talks to it as its users do. One module per area, one file per subject; a new test
//! file goes into the folder of its area and gets one `mod` line in that folder's `mod.rs`:
//!
//! - `api`: the typed operator API: each operation over HTTP and WS, and the CLI reading it;
//! - `channels`: WhatsApp and Telegram against their emulators, pairing, `kill -9` crashes;
//! - `chaos`: the provider overloaded, Graph throttling, a full disk, a panic in every actor kind;
//! - `commands`: the CLI (`backup`, `onboard` also on a real terminal, ops commands, `service`);
//! - `config`: configuration errors and the redaction of secrets;
//! - `emulators`: self-tests of the provider, Graph API and Bot API emulators;
//! - `engine`: agent turns, sessions, a run restarted mid-turn;
//! - `gateway`: start-up, auth (and the walk of every route), origins, scopes, TLS, Tailscale,
//!   readiness, connection limits, mailbox depths, the Control UI in Chromium;
//! - `memory`: hybrid memory search against the emulator's deterministic embeddings;
//! - `logging`, `monitoring`: log files and shipping; `/metrics`, alerts and the memory guard;
//! - `openai`: the OpenAI-compatible endpoints (stateless chats, client tools, errors, the
//!   Responses API) and the official `openai` Python SDK against them;
//! - `openclaw`: OpenClaw's own CLI (`openclaw`, from npm) against the gateway;
//! - `providers`: the provider clients' streams and errors;
//! - `subagents`: `sessions_spawn` children reporting to their parents, their limits, a crash
//!   and a reset;
//! - `skills`: skill folders in the system prompt, their env in exec, `pincer skills install`;
//! - `tools`: the agent's tools end to end, as actors, and their sandbox;
//! - `ws`: the WebSocket protocol and its limits.
//!
//! All tests share one process, so none may change process-wide state (`std::env::set_var`, the
//! current directory, signal handlers): each passes what it needs to the commands it runs, and
//! everything a test creates (homes, ports, tmux sockets, browser profiles) is its own.
//! `cargo test --test integration gateway::auth` runs one area's file.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

mod support;

mod api;
mod channels;
mod chaos;
mod commands;
mod config;
mod cron;
mod emulators;
mod engine;
mod gateway;
mod logging;
mod mcp;
mod memory;
mod monitoring;
mod openai;
mod openclaw;
mod providers;
mod skills;
mod subagents;
mod tools;
mod ws;
