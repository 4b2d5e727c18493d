//! `subagents`: a session's own sub-agents, OpenClaw's tool of that name: `list` them (task,
//! status, result) or `kill` one that is running (its children with it). A session sees and
//! stops only the children it spawned itself.

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::{args, Tool, ToolContext};
use crate::providers::ToolSpec;
use crate::sessions::subagents::{StopChild, SubagentRecord};

/// Characters of a child's result (and task) the list shows.
const SHOWN_CHARS: usize = 500;

/// `subagents`.
pub(crate) struct SubagentsTool;

impl Tool for SubagentsTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "subagents".into(),
            description: "Your sub-agents (started with sessions_spawn): `list` them with their \
                status and result, or `kill` a running one (target: its runId or \
                childSessionKey)."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "action": { "type": "string", "enum": ["list", "kill"] },
                    "target": { "type": "string" }
                }
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let cx = cx.clone();
        Box::pin(async move {
            let Some(subagents) = cx.sessions.subagents.as_ref() else {
                return Err("sub-agents are not available in this gateway".into());
            };
            match args::opt_string(&arguments, "action")?.unwrap_or("list") {
                "list" => {
                    let rows: Vec<Value> = subagents
                        .book
                        .list(Some(&cx.session_key))
                        .iter()
                        .map(row)
                        .collect();
                    Ok(json!({ "count": rows.len(), "subagents": rows }).to_string())
                }
                "kill" => {
                    let target = args::string(&arguments, "target")?.to_string();
                    let stopped = subagents
                        .registry
                        .ask(StopChild {
                            parent: cx.session_key.to_string(),
                            target,
                        })
                        .await
                        .map_err(|e| format!("the sub-agent registry is unavailable: {e}"))??;
                    Ok(json!({ "killed": stopped.child_session_key, "runId": stopped.run_id })
                        .to_string())
                }
                other => Err(format!("unknown action {other:?}: list or kill")),
            }
        })
    }
}

fn row(record: &SubagentRecord) -> Value {
    let cut = |text: &str| -> String { text.chars().take(SHOWN_CHARS).collect() };
    json!({
        "runId": record.run_id,
        "childSessionKey": record.child_session_key,
        "label": record.label,
        "status": record.status.as_str(),
        "task": cut(&record.task),
        "result": record.result.as_deref().map(cut),
    })
}
