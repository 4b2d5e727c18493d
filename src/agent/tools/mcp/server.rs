//! `/gateway/mcp` and its children: one permanent task actor per enabled server.
//!
//! An incarnation connects ([`super::session::connect`]), lists the tools, publishes them in
//! the [`McpHub`], and then waits for the connection's [`Event`]s: a tools change is listed
//! again, the end of the connection fails the incarnation with the reason (and the server's last
//! stderr lines), so the supervisor restarts it after its backoff, for as long as it takes (a
//! broken server must not take the gateway down). Stopping the actor drops its future, which
//! kills a stdio server's process group and withdraws its tools.

use std::sync::Arc;
use std::time::Duration;

use pincer_actors::{
    Backoff, ChildContext, ChildSpec, Intensity, RestartType, Strategy, SupervisorSpec,
};
use tokio::sync::mpsc;

use super::rpc::Event;
use super::session::{self, with_stderr};
use super::{McpHub, ServerSlot, ServerState};

/// The spec of `/gateway/mcp`: one child per enabled server, restarted with backoff without
/// limit.
pub(crate) fn supervisor_spec(hub: &Arc<McpHub>) -> SupervisorSpec {
    let mut spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(Intensity {
            max_restarts: u32::MAX,
            period: Duration::from_secs(1),
        })
        .backoff(Backoff {
            min: Duration::from_millis(200),
            max: Duration::from_secs(30),
            random_factor: 0.2,
            reset_after: Duration::from_secs(60),
        });
    for slot in hub.servers().filter(|slot| slot.config.enabled) {
        let (hub, slot) = (Arc::clone(hub), Arc::clone(slot));
        let child = ChildSpec::task(slot.name.clone(), "mcp-server", move |cx| {
            Box::pin(run(Arc::clone(&hub), Arc::clone(&slot), cx.clone()))
        })
        .restart(RestartType::Permanent);
        spec = spec.child(child);
    }
    spec
}

/// Withdraws the server's tools when its incarnation ends, however it ends.
struct Withdraw {
    hub: Arc<McpHub>,
    slot: Arc<ServerSlot>,
    error: Option<String>,
}

impl Drop for Withdraw {
    fn drop(&mut self) {
        let state = if self.error.is_some() {
            ServerState::Failed
        } else {
            ServerState::Stopped
        };
        self.slot.ended(state, self.error.take());
        self.hub.rebuild();
    }
}

/// One incarnation of a server's actor; `Err` (the connection ended) restarts it.
async fn run(hub: Arc<McpHub>, slot: Arc<ServerSlot>, cx: ChildContext) -> Result<(), String> {
    slot.starting();
    let mut withdraw = Withdraw {
        hub: Arc::clone(&hub),
        slot: Arc::clone(&slot),
        error: None,
    };
    cx.set_status("connecting");
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let timeout = Duration::from_millis(slot.config.timeout.max(1));
    let outcome = async {
        let connection =
            session::connect(&slot.name, &slot.config, &hub.secret_env, events_tx).await?;
        let tools = session::list_tools(&connection.peer, timeout)
            .await
            .map_err(|e| with_stderr(e, connection.process.as_ref()))?;
        let count = tools.len();
        slot.ready(
            Arc::clone(&connection.peer),
            connection.server_info.clone(),
            tools,
        );
        hub.rebuild();
        cx.set_status(format!("ready, {count} tools"));
        tracing::info!(server = %slot.name, tools = count, "MCP server ready");
        loop {
            match events.recv().await {
                Some(Event::ToolsChanged) => {
                    let tools = session::list_tools(&connection.peer, timeout).await?;
                    let count = tools.len();
                    slot.set_tools(tools);
                    hub.rebuild();
                    cx.set_status(format!("ready, {count} tools"));
                    tracing::info!(server = %slot.name, tools = count, "MCP tools changed");
                }
                Some(Event::Closed(reason)) => {
                    return Err(with_stderr(reason, connection.process.as_ref()));
                }
                None => return Err("the connection's events ended".to_string()),
            }
        }
    }
    .await;
    let error = match outcome {
        Ok(()) => return Ok(()),
        Err(error) => error,
    };
    tracing::warn!(server = %slot.name, %error, "MCP server failed; restarting after a backoff");
    cx.set_status(format!("failed: {error}"));
    withdraw.error = Some(error.clone());
    drop(withdraw);
    Err(error)
}
