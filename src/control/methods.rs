//! The protocol's methods and the dispatch: an unknown method is refused, then the connection's
//! scopes are checked against [`crate::api::scopes`], then `idempotencyKey` is handled for
//! side-effecting methods, then the method runs.
//!
//! The operator methods are thin adapters over the operator API ([`crate::api::Operator`]): each
//! is one line of [`operator_methods!`], naming the method and the `Operator` method that
//! implements it; `params` are read into the request struct ([`crate::api::params::parse`]) and
//! the answer or the [`ApiError`] (same code as over HTTP) goes back. Only what belongs to this
//! connection-oriented protocol is written here or in [`super::chat`]: `presence`, and the chat
//! methods that stream events on the bus.

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use pincer_actors::ActorRef;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tracing::warn;

use super::connection::Outbox;
use super::frames::{code, ErrorShape, Request};
use super::idempotency::Claim;
use super::ControlPlane;
use super::{chat, roster, sessions};
use crate::api::scopes::{self, ScopeSet};
use crate::api::{params, ApiError, Operator};
use crate::sessions::router::SessionRouter;

/// Methods whose repeat with the same `idempotencyKey` must not repeat the work.
const SIDE_EFFECTS: [&str; 6] = [
    "chat.send",
    "agent",
    "send",
    "sessions.reset",
    "pairing.approve",
    "pairing.revoke",
];

/// What a method runs with.
pub(crate) struct Call {
    /// The operator API.
    pub operator: Arc<Operator>,
    /// The event bus, idempotency keys and presence.
    pub control: Arc<ControlPlane>,
    /// Finds (or starts) session actors, for the chat methods.
    pub router: ActorRef<SessionRouter>,
    pub outbox: Outbox,
    pub conn_id: String,
    /// What the client was granted at `connect`.
    pub scopes: ScopeSet,
    /// Whether this connection gets `sessions.changed` (`sessions.subscribe`).
    pub watching_sessions: AtomicBool,
}

/// Reads `params` into the operation's request, runs it, and serialises the answer.
async fn operate<Q, R, F>(params: Value, run: impl FnOnce(Q) -> F) -> Result<Value, ErrorShape>
where
    Q: DeserializeOwned,
    R: Serialize,
    F: Future<Output = Result<R, ApiError>>,
{
    let answer = run(params::parse(params)?).await?;
    serde_json::to_value(answer).map_err(|e| ErrorShape::new(code::INTERNAL, e.to_string()))
}

/// The methods: this protocol's own (run by [`run`]), and the operator-API ones, where
/// `"ws.method" => operator_method,` registers one.
macro_rules! methods {
    (own: [$($own:literal),*], api: { $($name:literal => $method:ident,)* }) => {
        /// Methods advertised in `hello-ok.features.methods`.
        pub(crate) const METHODS: &[&str] = &[$($name,)* $($own,)*];

        /// The operator-API methods.
        const API_METHODS: &[&str] = &[$($name,)*];

        /// Runs `method`, an operator-API method.
        async fn operator_method(
            operator: &Operator,
            method: &str,
            params: Value,
        ) -> Result<Value, ErrorShape> {
            match method {
                $($name => operate(params, |q| operator.$method(q)).await,)*
                other => Err(unknown_method(other)),
            }
        }
    };
}

methods! {
    own: ["chat.send", "chat.abort", "agent", "presence", "system-presence",
        "sessions.subscribe", "sessions.unsubscribe", "sessions.describe", "sessions.resolve",
        "agents.list", "models.list", "commands.list"],
    api: {
        "health" => health,
        "status" => status,
        "chat.history" => session_history,
        "send" => send,
        "sessions.list" => sessions_list,
        "sessions.inspect" => session_show,
        "sessions.traces" => session_traces,
        "sessions.reset" => session_reset,
        "subagents.list" => subagents_list,
        "pairing.list" => pairing_list,
        "pairing.approve" => pairing_approve,
        "pairing.revoke" => pairing_revoke,
        "channels.status" => channel_stats,
        "actors.list" => actors_list,
        "actors.tree" => actors_tree,
        "actors.get" => actor_get,
        "logs.tail" => logs_tail,
        "config.get" => config_get,
        "skills.status" => skills_status,
        "mcp.list" => mcp_list,
        "mcp.tools" => mcp_tools,
        "cron.list" => cron_list,
        "cron.status" => cron_status,
        "cron.add" => cron_add,
        "cron.update" => cron_update,
        "cron.remove" => cron_remove,
        "cron.run" => cron_run,
        "cron.runs" => cron_runs,
        "memory.status" => memory_status,
        "memory.reindex" => memory_reindex,
        "memory.search" => memory_search,
    }
}

/// Runs `request`; the future's output is the `res` payload or error.
pub(crate) fn dispatch(
    call: Arc<Call>,
    request: Request,
) -> LocalBoxFuture<'static, Result<Value, ErrorShape>> {
    Box::pin(async move {
        let Request {
            id, method, params, ..
        } = request;
        if !METHODS.contains(&method.as_str()) {
            return Err(unknown_method(&method));
        }
        // Before the idempotency claim: a refused call must not see (or hold) another's answer.
        if let Err(refusal) = scopes::required(&method).check(&method, call.scopes) {
            warn!(conn = %call.conn_id, %method, missing = %refusal.missing,
                granted = %call.scopes, "request refused: missing scope");
            return Err(ErrorShape::missing_scope(&refusal));
        }
        let key = SIDE_EFFECTS
            .contains(&method.as_str())
            .then(|| params["idempotencyKey"].as_str().map(str::to_string))
            .flatten();
        let control = Arc::clone(&call.control);
        if let Some(key) = &key {
            match control.idempotency.claim(&method, key) {
                Claim::New => {}
                Claim::InFlight => {
                    return Err(ErrorShape::unavailable(
                        "a request with this idempotencyKey is still being handled; retry",
                    ))
                }
                Claim::Done(answer) => {
                    return answer.map_err(|(code, message)| ErrorShape::new(code, message))
                }
            }
        }
        let result = run(&call, &id, &method, params).await;
        if let Some(key) = key {
            let stored = result.clone().map_err(|e| (e.code, e.message.clone()));
            control.idempotency.finish(&method, &key, stored);
        }
        result
    })
}

async fn run(call: &Arc<Call>, id: &str, method: &str, params: Value) -> Result<Value, ErrorShape> {
    if API_METHODS.contains(&method) {
        return operator_method(&call.operator, method, params).await;
    }
    match method {
        "presence" => Ok(call.control.presence_json(usize::MAX)),
        "system-presence" => Ok(roster::system_presence(call)),
        "sessions.subscribe" => sessions::subscribe(call, params).await,
        "sessions.unsubscribe" => Ok(sessions::unsubscribe(call)),
        "sessions.describe" => sessions::describe(call, &params),
        "sessions.resolve" => sessions::resolve(call, &params),
        "agents.list" => Ok(roster::agents_list()),
        "models.list" => Ok(roster::models_list(call)),
        "commands.list" => Ok(roster::commands_list()),
        "chat.send" => chat::send(call, &params).await,
        "chat.abort" => chat::abort(call, &params).await,
        "agent" => chat::agent(call, id, &params).await,
        other => Err(unknown_method(other)),
    }
}

/// OpenClaw's own words (`unknown method: <name>`, code `INVALID_REQUEST`), which its clients
/// match exactly to fall back to older methods; `details` lists what this gateway has. A method
/// that belongs to something Pincer does not have says so in the message too (`details.code`
/// `NOT_SUPPORTED`, `details.reason`).
fn unknown_method(method: &str) -> ErrorShape {
    let mut details = json!({ "code": "UNKNOWN_METHOD", "methods": METHODS });
    let mut message = format!("unknown method: {method}");
    if let Some(concept) = lacking(method) {
        // No older method to fall back to: the message may say why.
        details["code"] = json!("NOT_SUPPORTED");
        details["reason"] = json!(concept);
        message = format!("{message} ({concept})");
    }
    ErrorShape {
        details: Some(details),
        ..ErrorShape::invalid(message)
    }
}

/// What Pincer lacks that `method` (an OpenClaw method) is about.
fn lacking(method: &str) -> Option<&'static str> {
    const CONCEPTS: &[(&str, &str)] = &[
        ("node.", "Pincer has no nodes (device capability hosts)"),
        (
            "device.pair.",
            "Pincer pairs chat senders, not devices: see pairing.list",
        ),
        (
            "skills.",
            "Pincer lists skills (skills.status) but installs them only with `pincer skills install`",
        ),
        ("talk.", "Pincer has no voice (talk) sessions"),
        ("tts.", "Pincer has no text-to-speech"),
        (
            "wizard.",
            "Pincer's setup is `pincer onboard`, not a remote wizard",
        ),
        (
            "update.",
            "Pincer updates with its package, not over the protocol",
        ),
        ("plugins.", "Pincer has no plug-ins loaded at run time"),
        (
            "exec.approvals.",
            "Pincer has no exec approvals: see tools.exec in the config",
        ),
        (
            "config.set",
            "Pincer's config is changed in its file (`pincer config`), not remotely",
        ),
        (
            "config.patch",
            "Pincer's config is changed in its file (`pincer config`), not remotely",
        ),
        (
            "config.apply",
            "Pincer's config is changed in its file (`pincer config`), not remotely",
        ),
        ("usage.", "Pincer has no usage accounting yet"),
        ("worker.", "Pincer has no cloud workers"),
    ];
    CONCEPTS
        .iter()
        .find(|(prefix, _)| method.starts_with(prefix))
        .map(|(_, concept)| *concept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_registered_once() {
        let mut names = METHODS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METHODS.len(), "a method is registered twice");
        assert!(API_METHODS.iter().all(|m| METHODS.contains(m)));
    }

    #[test]
    fn an_api_error_keeps_its_code_on_the_socket() {
        for error in ApiError::examples() {
            let shape = ErrorShape::from(error.clone());
            assert_eq!(
                (shape.code, shape.message.as_str()),
                (error.code(), error.to_string().as_str())
            );
        }
    }
}
