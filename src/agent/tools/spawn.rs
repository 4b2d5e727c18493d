//! `sessions_spawn`: start a sub-agent, a child session that works on one task in the
//! background, under OpenClaw's parameters (`task`, `label`, `model`, `runTimeoutSeconds`).
//!
//! It answers at once, `{status: "accepted", childSessionKey, runId}`; the child's result comes
//! back to this session as a new turn when the child ends (see
//! [`crate::sessions::subagents`]), and `sessions_list` / `sessions_history` show it meanwhile.
//! The model decides when to spawn, so the registry's limits (depth, children per session,
//! total) are what stops a run from spawning without end; a refusal is a tool error saying which
//! limit. The child is sandboxed whenever its parent is (its key is never the main one), and
//! the tool is offered to sandboxed sessions only if the sandbox allowlist names it.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::{args, Tool, ToolContext};
use crate::providers::ToolSpec;
use crate::sessions::subagents::{AnnounceTarget, SpawnRequest};

/// Longest task text accepted, in bytes.
const MAX_TASK_BYTES: usize = 32 * 1024;
/// Longest `runTimeoutSeconds` (OpenClaw's run limit, 48 h).
const MAX_TIMEOUT_SECONDS: u64 = 172_800;

/// `sessions_spawn`.
pub(crate) struct SessionsSpawn;

impl Tool for SessionsSpawn {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "sessions_spawn".into(),
            description: "Start a sub-agent: a new session that works on `task` in the \
                background. Answers at once with its childSessionKey; its result arrives in \
                this session as a message when it finishes (or read it with sessions_history)."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "task": { "type": "string", "description": "what the sub-agent is to do, with everything it needs to know" },
                    "label": { "type": "string", "description": "a short name for it" },
                    "model": { "type": "string", "description": "provider/model to use instead of the default" },
                    "runTimeoutSeconds": { "type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS }
                },
                "required": ["task"]
            }),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let request = request(&cx, &arguments)?;
            let Some(subagents) = cx.sessions.subagents.as_ref() else {
                return Err("sub-agents are not available in this gateway".into());
            };
            let spawned = subagents
                .registry
                .ask(request)
                .await
                .map_err(|e| format!("the sub-agent registry is unavailable: {e}"))?
                .map_err(|refusal| refusal.to_string())?;
            Ok(json!({
                "status": "accepted",
                "childSessionKey": spawned.child_session_key,
                "runId": spawned.run_id,
                "depth": spawned.depth,
            })
            .to_string())
        })
    }
}

/// The spawn request of a call's `arguments`, checked.
fn request(cx: &ToolContext, arguments: &Value) -> Result<SpawnRequest, String> {
    let task = args::string(arguments, "task")?.trim();
    if task.is_empty() {
        return Err("`task` is empty".into());
    }
    if task.len() > MAX_TASK_BYTES {
        return Err(format!("`task` is longer than {MAX_TASK_BYTES} bytes"));
    }
    let label = args::opt_string(arguments, "label")?
        .map(|label| label.trim().chars().take(80).collect::<String>());
    let model = match args::opt_string(arguments, "model")? {
        Some(model) if is_model_ref(model) => Some(model.to_string()),
        Some(model) => return Err(format!("{model:?} is not a model ref (provider/model)")),
        None => None,
    };
    let timeout_seconds = match args::opt_u64(arguments, "runTimeoutSeconds")? {
        Some(0) => None,
        Some(seconds) if seconds > MAX_TIMEOUT_SECONDS => {
            return Err(format!(
                "`runTimeoutSeconds` is at most {MAX_TIMEOUT_SECONDS}"
            ))
        }
        other => other,
    };
    Ok(SpawnRequest {
        parent: cx.session_key.to_string(),
        task: task.to_string(),
        label,
        model,
        timeout_seconds,
        announce_to: cx.origin.as_ref().map(|origin| AnnounceTarget {
            channel: origin.channel.clone(),
            chat: origin.chat.clone(),
        }),
    })
}

/// `provider/model`: two non-empty parts, printable, no spaces, bounded.
fn is_model_ref(model: &str) -> bool {
    model.len() <= 200
        && !model.chars().any(|c| c.is_whitespace() || c.is_control())
        && model
            .split_once('/')
            .is_some_and(|(provider, name)| !provider.is_empty() && !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::tools::policy::is_sandboxed;
    use crate::config::SandboxMode;
    use crate::sessions::key::MAIN;
    use crate::sessions::subagents::child_key;

    #[test]
    fn arguments_are_checked_before_anything_starts() {
        let dir = tempfile::tempdir().unwrap();
        let mut cx = crate::agent::tools::test_context(dir.path());
        cx.origin = Some(crate::agent::tools::ChatOrigin {
            channel: "telegram".into(),
            chat: "42".into(),
        });
        let made = request(
            &cx,
            &json!({ "task": " sum it up ", "label": "sum", "model": "openai/gpt-4o-mini", "runTimeoutSeconds": 30 }),
        )
        .unwrap();
        assert_eq!(made.task, "sum it up");
        assert_eq!(made.parent, MAIN);
        assert_eq!(made.timeout_seconds, Some(30));
        assert_eq!(made.announce_to.unwrap().chat, "42");
        for bad in [
            json!({}),
            json!({ "task": "  " }),
            json!({ "task": "x", "model": "no slash" }),
            json!({ "task": "x", "model": "openai/" }),
            json!({ "task": "x", "runTimeoutSeconds": 172_801 }),
            json!({ "task": "x".repeat(MAX_TASK_BYTES + 1) }),
        ] {
            assert!(request(&cx, &bad).is_err(), "{bad}");
        }
    }

    #[actix::test]
    async fn without_a_registry_the_call_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let cx = crate::agent::tools::test_context(dir.path());
        let error = SessionsSpawn
            .call(&cx, json!({ "task": "x" }))
            .await
            .unwrap_err();
        assert!(error.contains("not available"), "{error}");
    }

    #[test]
    fn a_child_is_sandboxed_whenever_its_parent_is() {
        let child = child_key("0123abcd");
        for mode in [SandboxMode::Off, SandboxMode::NonMain, SandboxMode::All] {
            for parent in [MAIN, "agent:main:telegram:group:-100", child.as_str()] {
                if is_sandboxed(mode, parent) {
                    assert!(is_sandboxed(mode, &child), "{mode:?} {parent}");
                }
            }
        }
        assert!(is_sandboxed(SandboxMode::NonMain, &child));
    }
}
