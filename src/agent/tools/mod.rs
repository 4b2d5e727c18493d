//! Tools: what the model can do besides talking, and how each call is run safely.
//!
//! A run asks the [`ToolBox`] (held by the engine) which tools its session may use (offered to the
//! model) and hands it every tool call. The toolbox checks the call against the session's policy
//! (`tools.allow` / `tools.deny`, the sandbox of non-main sessions), then runs it as its own
//! short-lived supervised task under `/gateway/tools` ([`invoke`]), with a timeout, cancellation
//! when the run goes away, and a panic turned into an error result. A tool's failure is always a
//! result the model reads (`is_error`), never a failed run.
//!
//! - [`ToolContext`]: who is calling (session, main or not, sandboxed or not, workspace) and the
//!   handles the session tools need;
//! - [`policy`]: groups, allow/deny, the sandbox, with the reason for every decision;
//! - [`toolbox`]: the engine's entry point; [`invoke`]: the invocation actor;
//! - [`workspace`]: path confinement and per-session folders; [`walls`]: Pincer's own state
//!   and config, which no tool may read; [`guarded`]: opening files checked on the open
//!   descriptor;
//! - the built-in tools: [`fs`] (read, write, edit), [`patch`] (apply_patch), [`exec`] (exec,
//!   process), [`sessions`] (sessions_list, sessions_history, sessions_send, session_status),
//!   [`spawn`] (sessions_spawn: sub-agents), [`subagents`] (list or kill them),
//!   [`web`] (web_fetch and its cache), [`memory`] (memory_get, memory_search), [`message`]
//!   (files and texts to a chat), [`current_time`];
//! - [`builtin`]: the registry of built-ins built from the config.

pub(crate) mod args;
pub(crate) mod builtin;
pub(crate) mod current_time;
pub(crate) mod exec;
pub(crate) mod fs;
pub(crate) mod guarded;
pub mod invoke;
pub(crate) mod mcp;
pub(crate) mod memory;
pub(crate) mod message;
pub(crate) mod patch;
pub(crate) mod policy;
pub(crate) mod sessions;
pub(crate) mod spawn;
pub(crate) mod subagents;
pub(crate) mod toolbox;
pub mod walls;
pub(crate) mod web;
pub(crate) mod workspace;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use pincer_actors::ActorRef;
use serde_json::Value;

use crate::providers::ToolSpec;
use crate::sessions::media::ChatSender;
use crate::sessions::router::SessionRouter;
use crate::sessions::SessionStore;

pub use self::toolbox::ToolBox;

/// How long a tool may run when it does not say (see [`Tool::timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A capability the model can invoke.
pub trait Tool: Send + Sync {
    /// Name, description and JSON Schema of the arguments, as sent to the model.
    fn spec(&self) -> ToolSpec;
    /// Runs the tool for the caller `cx`; `Err` is an error message the model will read. The
    /// future runs on the actor system's thread: blocking work belongs in `spawn_blocking`.
    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>>;
    /// How long one call may take before it is stopped and the model told so.
    fn timeout(&self) -> Duration {
        DEFAULT_TIMEOUT
    }
}

/// Who is calling a tool, and what it may touch.
#[derive(Clone)]
pub struct ToolContext {
    /// The calling session's key.
    pub session_key: Arc<str>,
    /// Whether it is the owner's main session (`agent:main:main`).
    pub is_main: bool,
    /// Whether the session runs sandboxed (`agents.defaults.sandbox`).
    pub sandboxed: bool,
    /// The folder the file, exec and memory tools are confined to: the agent's workspace, or a
    /// per-session folder for sandboxed sessions.
    pub workspace: Arc<Path>,
    /// What the session tools need.
    pub sessions: Arc<SessionHandles>,
    /// Pincer's own files, refused to every tool (see [`walls`]).
    pub walls: Arc<walls::Walls>,
    /// The chat the turn's message came from (a channel message), the `message` tool's "this
    /// chat"; `None` for operator turns (HTTP, WebSocket, CLI).
    pub origin: Option<ChatOrigin>,
    /// The running channels, for the `message` tool; `None` where there are none.
    pub chat: Option<Arc<dyn ChatSender>>,
    /// The skills of this run (which it read, so which env its `exec` calls get); `None` for
    /// sandboxed sessions, which see no skills.
    pub skills: Option<Arc<crate::agent::skills::SkillUse>>,
}

/// A chat of a channel: where a turn's message came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatOrigin {
    /// The channel's name (`whatsapp`).
    pub channel: String,
    /// The chat's platform id (a WhatsApp number, a Telegram chat id).
    pub chat: String,
}

impl std::fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolContext")
            .field("session_key", &self.session_key)
            .field("sandboxed", &self.sandboxed)
            .field("workspace", &self.workspace)
            .field("origin", &self.origin)
            .finish()
    }
}

/// The session store and the router, for the session tools. The router's address is reserved
/// before the engine is built (see `gateway::tree::Prepared`), so it is given here at
/// construction; it answers once the tree is started.
pub struct SessionHandles {
    pub store: Arc<SessionStore>,
    pub router: ActorRef<SessionRouter>,
    /// Whether a session key is sandboxed: sandboxed sessions only see sandboxed sessions.
    sandboxed: Box<dyn Fn(&str) -> bool + Send + Sync>,
    /// The sub-agent records and registry (`sessions_spawn`); `None` where there is none.
    pub subagents: Option<crate::sessions::subagents::Subagents>,
}

impl SessionHandles {
    pub fn new(
        store: Arc<SessionStore>,
        router: ActorRef<SessionRouter>,
        sandboxed: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        SessionHandles {
            store,
            router,
            sandboxed: Box::new(sandboxed),
            subagents: None,
        }
    }

    /// The sub-agents `sessions_spawn` starts and the session tools show.
    pub fn with_subagents(mut self, subagents: crate::sessions::subagents::Subagents) -> Self {
        self.subagents = Some(subagents);
        self
    }

    /// Whether `key` runs sandboxed.
    pub fn is_sandboxed(&self, key: &str) -> bool {
        (self.sandboxed)(key)
    }
}

/// Tools by name.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tools.keys()).finish()
    }
}

impl ToolRegistry {
    /// Adds (or replaces, by name) a tool.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.spec().name, tool);
    }

    /// Adds every tool of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: ToolRegistry) {
        self.tools.extend(other.tools);
    }

    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|tool| tool.spec()).collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.tools.get(name).cloned()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }
}

/// A context for unit tests: the main session, unsandboxed, working in `workspace`, with a store
/// in `workspace/.sessions` and a router address that is never started.
#[cfg(test)]
pub(crate) fn test_context(workspace: &Path) -> ToolContext {
    let store = SessionStore::open(&workspace.join(".sessions")).expect("test store");
    ToolContext {
        session_key: Arc::from(crate::sessions::key::MAIN),
        is_main: true,
        sandboxed: false,
        workspace: Arc::from(workspace),
        sessions: Arc::new(SessionHandles::new(
            Arc::new(store),
            pincer_actors::Reserved::new(1).actor_ref().clone(),
            |key| key != crate::sessions::key::MAIN,
        )),
        walls: Arc::new(walls::Walls::none()),
        skills: None,
        origin: None,
        chat: None,
    }
}
