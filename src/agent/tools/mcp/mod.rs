//! The MCP client: tools of Model Context Protocol servers, offered to the model beside the
//! built-ins.
//!
//! Every enabled `mcp.servers.<name>` is a permanent task actor `/gateway/mcp/<name>`
//! ([`server`]) that starts the server (a child process over stdio, or a streamable-HTTP
//! session), lists its tools, and waits; `notifications/tools/list_changed` makes it list them
//! again, and the end of the connection (the process exited) makes it fail, so the supervisor
//! restarts it with backoff. Its state (connecting, ready, failed), restarts, last error and
//! tools are in its [`ServerSlot`], which the operator API reads, and in its actor status.
//!
//! The [`McpHub`] holds the slots and a snapshot of every ready server's tools as [`McpTool`]s
//! by offered name (`<server>__<tool>`, see [`names`]), rebuilt when a server's tools change,
//! with a generation number the toolbox compares to know when to recompute what it offers.
//! A call is a tool call like any other (the toolbox's policy, an invocation actor with the
//! server's `toolTimeout`); [`rpc`] turns a server that exits mid-call into an error the model
//! reads, and a call given up on into `notifications/cancelled`.
//!
//! What servers send (tool descriptions, schemas, results) is untrusted input to the model:
//! descriptions and results are cut to size ([`tool`]), and only the config starts servers.

pub(crate) mod http;
pub(crate) mod legacy_sse;
pub(crate) mod names;
pub(crate) mod rpc;
pub(crate) mod server;
pub(crate) mod session;
pub(crate) mod stdio;
pub(crate) mod tool;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;

use self::rpc::Peer;
use self::session::RemoteTool;
pub(crate) use self::tool::McpTool;
use crate::config::{McpConfig, McpServerConfig};

/// Where a server's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ServerState {
    /// `enabled: false`: never started.
    Disabled,
    /// Starting, or waiting for `initialize` / `tools/list`.
    Connecting,
    /// Its tools are offered.
    Ready,
    /// Its connection ended or never opened; the supervisor restarts it after a backoff.
    Failed,
    /// Its actor was stopped (gateway shutdown).
    Stopped,
}

/// One tool of a server, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ToolInfo {
    /// The server's own name for it.
    pub(crate) name: String,
    /// The name the model calls (`<server>__<tool>`).
    pub(crate) offered_as: String,
    pub(crate) description: String,
}

/// A server's state as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ServerStatus {
    pub(crate) name: String,
    /// `stdio`, `streamable-http` or `sse`.
    pub(crate) transport: &'static str,
    pub(crate) state: ServerState,
    /// How many times the connection was started again after the first.
    pub(crate) restarts: u64,
    pub(crate) last_error: Option<String>,
    /// `serverInfo` name and version, once connected.
    pub(crate) server_info: Option<String>,
    pub(crate) tools: usize,
}

/// `stdio`, `streamable-http` or `sse`: how `config` is spoken to.
pub(crate) fn transport_name(config: &McpServerConfig) -> &'static str {
    match (&config.url, config.transport) {
        (None, _) => "stdio",
        (Some(_), Some(crate::config::McpTransport::Sse)) => "sse",
        (Some(_), _) => "streamable-http",
    }
}

#[derive(Debug)]
struct Live {
    state: ServerState,
    starts: u64,
    last_error: Option<String>,
    server_info: Option<String>,
    tools: Vec<RemoteTool>,
    peer: Option<Arc<Peer>>,
}

/// One configured server: its config and its live state.
#[derive(Debug)]
pub(crate) struct ServerSlot {
    pub(crate) name: String,
    pub(crate) config: McpServerConfig,
    live: Mutex<Live>,
}

impl ServerSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The open connection, if the server is ready.
    pub(crate) fn peer(&self) -> Option<Arc<Peer>> {
        let live = self.lock();
        live.peer
            .clone()
            .filter(|_| live.state == ServerState::Ready)
    }

    /// The state in words, for an error message.
    pub(crate) fn describe(&self) -> String {
        let live = self.lock();
        match &live.last_error {
            Some(error) => format!("{:?}: {error}", live.state).to_lowercase(),
            None => format!("{:?}", live.state).to_lowercase(),
        }
    }

    pub(crate) fn status(&self) -> ServerStatus {
        let live = self.lock();
        ServerStatus {
            name: self.name.clone(),
            transport: transport_name(&self.config),
            state: live.state,
            restarts: live.starts.saturating_sub(1),
            last_error: live.last_error.clone(),
            server_info: live.server_info.clone(),
            tools: live.tools.len(),
        }
    }

    pub(crate) fn starting(&self) {
        let mut live = self.lock();
        live.starts += 1;
        live.state = ServerState::Connecting;
        live.peer = None;
    }

    pub(crate) fn ready(&self, peer: Arc<Peer>, server_info: String, tools: Vec<RemoteTool>) {
        let mut live = self.lock();
        live.state = ServerState::Ready;
        live.server_info = Some(server_info);
        live.tools = tools;
        live.peer = Some(peer);
    }

    pub(crate) fn set_tools(&self, tools: Vec<RemoteTool>) {
        self.lock().tools = tools;
    }

    pub(crate) fn ended(&self, state: ServerState, error: Option<String>) {
        let mut live = self.lock();
        live.state = state;
        if error.is_some() {
            live.last_error = error;
        }
        live.peer = None;
        live.tools.clear();
    }
}

/// Every configured server and the tools of the ready ones.
#[derive(Debug, Default)]
pub(crate) struct McpHub {
    servers: BTreeMap<String, Arc<ServerSlot>>,
    /// Variable names the config says hold secrets, scrubbed from stdio servers' environment.
    secret_env: Vec<String>,
    tools: RwLock<Arc<BTreeMap<String, Arc<McpTool>>>>,
    generation: AtomicU64,
}

impl McpHub {
    /// The servers of `config` (none started yet); `secret_env` as for `exec`.
    pub(crate) fn new(config: &McpConfig, secret_env: Vec<String>) -> Self {
        let servers = config
            .servers
            .iter()
            .map(|(name, server)| {
                let state = if server.enabled {
                    ServerState::Connecting
                } else {
                    ServerState::Disabled
                };
                let slot = ServerSlot {
                    name: name.clone(),
                    config: server.clone(),
                    live: Mutex::new(Live {
                        state,
                        starts: 0,
                        last_error: None,
                        server_info: None,
                        tools: Vec::new(),
                        peer: None,
                    }),
                };
                (name.clone(), Arc::new(slot))
            })
            .collect();
        McpHub {
            servers,
            secret_env,
            ..McpHub::default()
        }
    }

    /// The configured servers, by name.
    pub(crate) fn servers(&self) -> impl Iterator<Item = &Arc<ServerSlot>> {
        self.servers.values()
    }

    pub(crate) fn server(&self, name: &str) -> Option<&Arc<ServerSlot>> {
        self.servers.get(name)
    }

    /// Bumped whenever the tool set changes.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current tools by offered name.
    pub(crate) fn tools(&self) -> Arc<BTreeMap<String, Arc<McpTool>>> {
        Arc::clone(&self.tools.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// One tool by offered name.
    pub(crate) fn tool(&self, name: &str) -> Option<Arc<McpTool>> {
        self.tools().get(name).cloned()
    }

    /// One server's tools as the operator sees them.
    pub(crate) fn tool_infos(&self, server: &str) -> Vec<ToolInfo> {
        self.tools()
            .values()
            .filter(|tool| tool.slot.name == server)
            .map(|tool| ToolInfo {
                name: tool.remote.name.clone(),
                offered_as: tool.offered.clone(),
                description: tool.remote.description.clone(),
            })
            .collect()
    }

    /// Rebuilds the tool snapshot from every server's tools.
    pub(crate) fn rebuild(&self) {
        let mut tools = BTreeMap::new();
        for slot in self.servers.values() {
            let listed = slot.lock().tools.clone();
            let mut taken = BTreeSet::new();
            for remote in listed {
                let offered = names::offered_name(&slot.name, &remote.name, &taken);
                taken.insert(offered.clone());
                let tool = McpTool::new(Arc::clone(slot), remote, offered.clone());
                tools.insert(offered, Arc::new(tool));
            }
        }
        *self.tools.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(tools);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
