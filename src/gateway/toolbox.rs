//! The engine's tools as this gateway wires them: the walls no tool may cross, the toolbox
//! (built-ins, extra tools, the policy, the session handles, the main workspace) and the cron
//! scheduler's events on the control plane's bus. Split from `gateway::start`, which calls these
//! once while it builds the tree.

use std::sync::Arc;

use tracing::warn;

use super::tree;
use crate::agent::tools::policy::{is_sandboxed, ToolPolicy};
use crate::agent::tools::walls::Walls;
use crate::agent::tools::workspace::{ensure_dir, Workspaces};
use crate::agent::tools::{SessionHandles, ToolBox, ToolRegistry};
use crate::config::Config;
use crate::sessions::SessionStore;

/// What no tool may read: Pincer's state and config, and the TLS key when TLS is on.
pub(super) fn gateway_walls(
    config: &Config,
    state_dir: &std::path::Path,
    config_file: Option<&std::path::Path>,
) -> Walls {
    let mut walls = Walls::of(state_dir, config_file);
    if let Some(key) = config
        .gateway
        .ssl
        .key_path
        .as_deref()
        .filter(|_| config.gateway.ssl.enabled)
    {
        walls = walls.and_file(std::path::Path::new(key));
    }
    walls
}

/// The tools of this gateway: the built-ins and `extra`, under the config's policy, with the
/// main workspace created now.
pub(super) fn toolbox(
    config: &Config,
    state_dir: &std::path::Path,
    walls: Walls,
    store: &Arc<SessionStore>,
    builtins: crate::agent::tools::builtin::Builtins,
    extra: ToolRegistry,
    prepared: &tree::Prepared,
) -> ToolBox {
    let policy = ToolPolicy::from_config(config);
    let mode = policy.mode;
    let mut handles = SessionHandles::new(Arc::clone(store), prepared.router.clone(), move |key| {
        is_sandboxed(mode, key)
    });
    if let Some(subagents) = &prepared.subagents {
        handles = handles.with_subagents(subagents.clone());
    }
    let handles = Arc::new(handles);
    let main = crate::config::workspace::workspace_dir(config, state_dir);
    if let Err(error) = ensure_dir(&main) {
        warn!(%error, workspace = %main.display(), "cannot create the agent workspace; file tools will fail");
    }
    let mut registry = builtins.registry;
    registry.extend(extra);
    let workspaces = Workspaces::new(main, state_dir, walls);
    workspaces.remove_empty_sandboxes();
    ToolBox::new(
        registry,
        policy,
        workspaces,
        prepared.tools.clone(),
        handles,
        Some(builtins.processes),
    )
}

/// The scheduler's firings as the control plane's `cron` event.
pub(super) struct CronBus(pub(super) crate::control::bus::EventBus);

impl crate::agent::cron::CronEvents for CronBus {
    fn publish(&self, event: &serde_json::Value) {
        self.0.publish("cron", event);
    }
}
