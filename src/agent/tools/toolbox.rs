//! The engine's entry point to tools: what a session is offered, and running one call.
//!
//! Built once at start-up from the registry (built-ins plus any extra tools), the policy and the
//! workspaces. The offered tool specs depend only on whether a session is sandboxed, so both
//! sets are computed here once. A call to a tool the session may not use (the model may try one
//! it was not offered) is refused with the policy's reason, without starting anything; any
//! other call becomes an invocation actor ([`super::invoke`]).
//!
//! MCP servers' tools ([`super::mcp`]) come and go while the gateway runs: with a hub given
//! ([`ToolBox::with_mcp`]), the offered sets are recomputed when the hub's generation changes
//! (a server connected, failed or changed its tools), on the next request that asks; every other
//! request clones the current sets' `Arc`s under a read lock.

use std::path::Path;
use std::sync::{Arc, RwLock};

use pincer_actors::{ActorRef, Supervisor};

use super::exec::processes::ProcessTable;
use super::invoke::{invoke, Invocation, ToolOutcome};
use super::mcp::McpHub;
use super::policy::{Decision, ToolPolicy};
use super::workspace::{ensure_dir, Workspaces};
use super::{ChatOrigin, SessionHandles, Tool, ToolContext, ToolRegistry};
use crate::agent::skills::{SkillCatalog, SkillUse};
use crate::providers::{ToolCall, ToolSpec};
use crate::sessions::key::MAIN;
use crate::sessions::media::{ChatSender, Inbound};

/// Tools as the runs see them.
pub struct ToolBox {
    registry: ToolRegistry,
    policy: ToolPolicy,
    /// Offered specs: `[unsandboxed, sandboxed]`, shared by every request that offers them,
    /// with the MCP hub's generation they were computed at.
    offered: RwLock<(u64, [Arc<[ToolSpec]>; 2])>,
    /// The MCP servers' tools (see [`ToolBox::with_mcp`]).
    mcp: Option<Arc<McpHub>>,
    workspaces: Workspaces,
    supervisor: ActorRef<Supervisor>,
    handles: Arc<SessionHandles>,
    processes: Option<Arc<ProcessTable>>,
    /// The running channels, for the `message` tool (see [`ToolBox::with_chat_sender`]).
    chat: Option<Arc<dyn ChatSender>>,
    /// The skills offered to unsandboxed sessions (see [`ToolBox::with_skills`]).
    skills: Option<Arc<SkillCatalog>>,
}

impl std::fmt::Debug for ToolBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolBox")
            .field("registry", &self.registry)
            .field("workspaces", &self.workspaces)
            .finish()
    }
}

impl ToolBox {
    /// `supervisor` is `/gateway/tools`; `processes` the table to empty at shutdown.
    pub fn new(
        registry: ToolRegistry,
        policy: ToolPolicy,
        workspaces: Workspaces,
        supervisor: ActorRef<Supervisor>,
        handles: Arc<SessionHandles>,
        processes: Option<Arc<ProcessTable>>,
    ) -> Self {
        let offered = RwLock::new((0, offered_sets(&registry, &policy, None)));
        ToolBox {
            registry,
            policy,
            offered,
            mcp: None,
            workspaces,
            supervisor,
            handles,
            processes,
            chat: None,
            skills: None,
        }
    }

    /// The skills listed to the model and tracked per run, given at construction.
    pub fn with_skills(mut self, skills: Arc<SkillCatalog>) -> Self {
        self.skills = Some(skills);
        self
    }

    /// The skills catalog, when the gateway has one.
    pub fn skills(&self) -> Option<&Arc<SkillCatalog>> {
        self.skills.as_ref()
    }

    /// The skills block of session `key`'s system prompt: the current eligible skills, none for
    /// a sandboxed session (its tools cannot read the skills' folders, and a skill's env must
    /// not reach a sandboxed session's commands).
    pub fn skills_prompt(&self, key: &str) -> Option<String> {
        if self.policy.sandboxed(key) {
            return None;
        }
        self.skills
            .as_ref()
            .and_then(|catalog| catalog.current().prompt().map(str::to_string))
    }

    /// The channels the `message` tool sends through, given at construction (the gateway
    /// builds the channels before the engine).
    pub fn with_chat_sender(mut self, chat: Arc<dyn ChatSender>) -> Self {
        self.chat = Some(chat);
        self
    }

    /// Adds the tools of the MCP servers of `hub`, as they come and go.
    pub(crate) fn with_mcp(mut self, hub: Arc<McpHub>) -> Self {
        self.mcp = Some(hub);
        self
    }

    /// The MCP hub, if the gateway has one.
    pub(crate) fn mcp(&self) -> Option<&Arc<McpHub>> {
        self.mcp.as_ref()
    }

    /// The tools offered to the model in session `key`.
    pub fn specs_for(&self, key: &str) -> Arc<[ToolSpec]> {
        let index = usize::from(self.policy.sandboxed(key));
        let generation = self.mcp.as_ref().map_or(0, |hub| hub.generation());
        {
            let offered = self.offered.read().unwrap_or_else(|p| p.into_inner());
            if offered.0 == generation {
                return Arc::clone(&offered.1[index]);
            }
        }
        let sets = offered_sets(&self.registry, &self.policy, self.mcp.as_deref());
        let chosen = Arc::clone(&sets[index]);
        *self.offered.write().unwrap_or_else(|p| p.into_inner()) = (generation, sets);
        chosen
    }

    /// Every registered tool (and MCP tool) with the decision for session `key`.
    pub fn decisions(&self, key: &str) -> Vec<Decision> {
        let sandboxed = self.policy.sandboxed(key);
        let mcp = self.mcp.as_ref().map(|hub| hub.tools()).unwrap_or_default();
        self.registry
            .names()
            .chain(mcp.keys().map(String::as_str))
            .map(|name| self.policy.decide(name, sandboxed))
            .collect()
    }

    /// A tool by name: a registered one, else an MCP server's.
    fn tool(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.registry.get(name).or_else(|| {
            self.mcp
                .as_ref()
                .and_then(|hub| hub.tool(name))
                .map(|tool| tool as Arc<dyn Tool>)
        })
    }

    /// The context of session `key`'s tool calls, for a turn that answers a channel message
    /// from `inbound` (if any); creates a sandboxed session's folder.
    pub fn context(&self, key: &str, inbound: Option<&Inbound>) -> Arc<ToolContext> {
        let sandboxed = self.policy.sandboxed(key);
        let workspace = self.workspaces.for_session(key, sandboxed);
        if let Err(error) = ensure_dir(&workspace) {
            tracing::warn!(%error, dir = %workspace.display(), "cannot create the session's workspace");
        }
        Arc::new(ToolContext {
            session_key: Arc::from(key),
            is_main: key == MAIN,
            sandboxed,
            workspace: Arc::from(workspace.as_path()),
            sessions: Arc::clone(&self.handles),
            walls: Arc::clone(&self.workspaces.walls),
            origin: inbound.map(|inbound| ChatOrigin {
                channel: inbound.channel.clone(),
                chat: inbound.chat.clone(),
            }),
            chat: self.chat.clone(),
            skills: self
                .skills
                .as_ref()
                .filter(|_| !sandboxed)
                .map(|catalog| Arc::new(SkillUse::new(catalog.current()))),
        })
    }

    /// Runs `call` for the session of `cx`; `id` names the invocation actor.
    pub async fn call(&self, cx: &Arc<ToolContext>, id: String, call: &ToolCall) -> ToolOutcome {
        let Some(tool) = self.tool(&call.name) else {
            return ToolOutcome::error(format!("unknown tool {:?}", call.name));
        };
        let decision = self.policy.decide(&call.name, cx.sandboxed);
        if !decision.allowed {
            return ToolOutcome::error(format!(
                "the tool `{}` is not available in this session: {}",
                call.name, decision.reason
            ));
        }
        let timeout = tool.timeout();
        invoke(
            &self.supervisor,
            Invocation {
                id,
                name: call.name.clone(),
                tool,
                cx: Arc::clone(cx),
                arguments: call.arguments.clone(),
                timeout,
            },
        )
        .await
    }

    /// The main workspace.
    pub fn main_workspace(&self) -> &Path {
        &self.workspaces.main
    }

    /// Kills every background command (gateway shutdown).
    pub fn shutdown(&self) {
        if let Some(processes) = &self.processes {
            processes.kill_all();
        }
    }
}

/// The offered specs `[unsandboxed, sandboxed]`: the registry's and the MCP hub's tools that
/// the policy allows.
fn offered_sets(
    registry: &ToolRegistry,
    policy: &ToolPolicy,
    mcp: Option<&McpHub>,
) -> [Arc<[ToolSpec]>; 2] {
    let mut specs = registry.specs();
    if let Some(hub) = mcp {
        specs.extend(hub.tools().values().map(|tool| tool.spec()));
    }
    let offered_to = |sandboxed: bool| -> Arc<[ToolSpec]> {
        specs
            .iter()
            .filter(|spec| policy.decide(&spec.name, sandboxed).allowed)
            .cloned()
            .collect()
    };
    [offered_to(false), offered_to(true)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::tools::invoke::supervisor_spec;
    use crate::agent::tools::policy::is_sandboxed;
    use crate::agent::tools::walls::Walls;
    use crate::config::{Config, SandboxMode};
    use crate::sessions::SessionStore;
    use pincer_actors::{Registry, RootHandle};
    use serde_json::json;

    #[actix::test]
    async fn offers_and_refuses_per_session_and_runs_allowed_calls() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::default();
        let root = RootHandle::start(&registry, "tools", supervisor_spec(Vec::new()));
        let config = Config::default();
        let built = crate::agent::tools::builtin::build(
            &config,
            dir.path(),
            crate::agent::tools::builtin::tests::test_memory(dir.path()),
        );
        let store = Arc::new(SessionStore::open(&dir.path().join("sessions")).unwrap());
        let router = pincer_actors::Reserved::new(1).actor_ref().clone();
        let handles = Arc::new(SessionHandles::new(store, router, |key| {
            is_sandboxed(SandboxMode::NonMain, key)
        }));
        let main = dir.path().join("workspace");
        ensure_dir(&main).unwrap();
        let toolbox = ToolBox::new(
            built.registry,
            ToolPolicy::from_config(&config),
            Workspaces::new(main.clone(), dir.path(), Walls::none()),
            root.supervisor().clone(),
            handles,
            Some(built.processes),
        );
        let names = |key: &str| -> Vec<String> {
            toolbox
                .specs_for(key)
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert!(names(MAIN).contains(&"exec".to_string()));
        assert!(!names("agent:main:x").contains(&"exec".to_string()));

        let group = toolbox.context("agent:main:x", None);
        assert!(group.sandboxed && group.workspace.starts_with(dir.path().join("sandboxes")));
        assert!(group.workspace.is_dir(), "created on first use");
        let exec = ToolCall {
            id: "c1".into(),
            name: "exec".into(),
            arguments: json!({ "command": "touch should-not-exist" }),
        };
        let refused = toolbox.call(&group, "x#t#c1".into(), &exec).await;
        assert!(refused.is_error);
        assert!(
            refused.content.contains("not available in this session"),
            "{}",
            refused.content
        );
        assert!(
            registry.find_by_path("/tools/x#t#c1").is_none(),
            "no actor for a refused call"
        );

        let owner = toolbox.context(MAIN, None);
        let write = ToolCall {
            id: "c2".into(),
            name: "write".into(),
            arguments: json!({ "path": "a.txt", "content": "x" }),
        };
        let written = toolbox.call(&owner, "m#t#c2".into(), &write).await;
        assert_eq!(written.content, "wrote 1 bytes to a.txt");
        assert!(main.join("a.txt").exists());
        let unknown = ToolCall {
            id: "c3".into(),
            name: "nope".into(),
            arguments: json!({}),
        };
        assert_eq!(
            toolbox
                .call(&owner, "m#t#c3".into(), &unknown)
                .await
                .content,
            "unknown tool \"nope\""
        );
        let decisions = toolbox.decisions("agent:main:x");
        assert!(decisions.iter().any(|d| d.tool == "read" && d.allowed));
    }
}
