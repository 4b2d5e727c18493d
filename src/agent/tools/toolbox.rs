//! The engine's entry point to tools: what a session is offered, and running one call.
//!
//! Built once at start-up from the registry (built-ins plus any extra tools), the policy and the
//! workspaces. The offered tool specs depend only on whether a session is sandboxed, so both
//! sets are computed here once. A call to a tool the session may not use (the model may try one
//! it was not offered) is refused with the policy's reason, without starting anything; any
//! other call becomes an invocation actor ([`super::invoke`]).

use std::path::Path;
use std::sync::Arc;

use pincer_actors::{ActorRef, Supervisor};

use super::exec::processes::ProcessTable;
use super::invoke::{invoke, Invocation, ToolOutcome};
use super::policy::{Decision, ToolPolicy};
use super::workspace::{ensure_dir, Workspaces};
use super::{SessionHandles, ToolContext, ToolRegistry};
use crate::providers::{ToolCall, ToolSpec};
use crate::sessions::key::MAIN;

/// Tools as the runs see them.
pub struct ToolBox {
    registry: ToolRegistry,
    policy: ToolPolicy,
    /// Offered specs: `[unsandboxed, sandboxed]`.
    offered: [Vec<ToolSpec>; 2],
    workspaces: Workspaces,
    supervisor: ActorRef<Supervisor>,
    handles: Arc<SessionHandles>,
    processes: Option<Arc<ProcessTable>>,
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
        let offered_to = |sandboxed: bool| -> Vec<ToolSpec> {
            registry
                .specs()
                .into_iter()
                .filter(|spec| policy.decide(&spec.name, sandboxed).allowed)
                .collect()
        };
        let offered = [offered_to(false), offered_to(true)];
        ToolBox {
            registry,
            policy,
            offered,
            workspaces,
            supervisor,
            handles,
            processes,
        }
    }

    /// The tools offered to the model in session `key`.
    pub fn specs_for(&self, key: &str) -> Vec<ToolSpec> {
        self.offered[usize::from(self.policy.sandboxed(key))].clone()
    }

    /// Every registered tool with the decision for session `key`.
    pub fn decisions(&self, key: &str) -> Vec<Decision> {
        let sandboxed = self.policy.sandboxed(key);
        self.registry
            .names()
            .map(|name| self.policy.decide(name, sandboxed))
            .collect()
    }

    /// The context of session `key`'s tool calls; creates a sandboxed session's folder.
    pub fn context(&self, key: &str) -> Arc<ToolContext> {
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
        })
    }

    /// Runs `call` for the session of `cx`; `id` names the invocation actor.
    pub async fn call(&self, cx: &Arc<ToolContext>, id: String, call: &ToolCall) -> ToolOutcome {
        let Some(tool) = self.registry.get(&call.name) else {
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

    /// The session tools' handles (the router is set on them once it exists).
    pub fn handles(&self) -> &Arc<SessionHandles> {
        &self.handles
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
