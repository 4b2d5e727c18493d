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
                    Ok(
                        json!({ "killed": stopped.child_session_key, "runId": stopped.run_id })
                            .to_string(),
                    )
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::agent::tools::sessions::SessionsList;
    use crate::agent::tools::SessionHandles;
    use crate::providers::ChatMessage;
    use crate::sessions::key::MAIN;
    use crate::sessions::subagents::{child_key, SubagentBook, SubagentStatus, Subagents};
    use crate::sessions::Entry;

    fn with_one_child(dir: &std::path::Path) -> ToolContext {
        let mut cx = crate::agent::tools::test_context(dir);
        let book = Arc::new(SubagentBook::open(dir));
        let child = child_key("00aa");
        book.insert(SubagentRecord {
            run_id: "00aa".into(),
            child_session_key: child.clone(),
            parent_session_key: MAIN.into(),
            depth: 1,
            task: "find the answer".into(),
            label: Some("finder".into()),
            model: None,
            status: SubagentStatus::Done,
            result: Some("42".into()),
            created_ms: 1,
            ended_ms: Some(2),
            timeout_seconds: None,
            announce_to: None,
            announced: true,
        })
        .unwrap();
        cx.sessions
            .store
            .append(
                &child,
                &[Entry::Message {
                    ts_ms: 1,
                    turn: "00aa".into(),
                    message: ChatMessage::User {
                        content: "find the answer".into(),
                        images: Vec::new(),
                    },
                    usage: None,
                    model: None,
                    members: Vec::new(),
                    source: None,
                }],
            )
            .unwrap();
        let handles = SessionHandles::new(
            Arc::clone(&cx.sessions.store),
            cx.sessions.router.clone(),
            |key| key != MAIN,
        )
        .with_subagents(Subagents {
            book,
            registry: pincer_actors::Reserved::new(1).actor_ref().clone(),
        });
        cx.sessions = Arc::new(handles);
        cx
    }

    #[actix::test]
    async fn a_parent_lists_its_children_and_sees_them_in_sessions_list() {
        let dir = tempfile::tempdir().unwrap();
        let cx = with_one_child(dir.path());
        let listed: Value =
            serde_json::from_str(&SubagentsTool.call(&cx, json!({})).await.unwrap()).unwrap();
        assert_eq!(listed["count"], 1);
        assert_eq!(listed["subagents"][0]["status"], "done");
        assert_eq!(listed["subagents"][0]["result"], "42");
        let sessions: Value =
            serde_json::from_str(&SessionsList.call(&cx, json!({})).await.unwrap()).unwrap();
        let child = &sessions["sessions"][0];
        assert_eq!(child["parentSessionKey"], MAIN, "{sessions}");
        assert_eq!(child["label"], "finder");
        assert_eq!(child["subagentStatus"], "done");

        // Another session has no children; a kill needs the registry; actions are checked.
        let mut other = cx.clone();
        other.session_key = Arc::from("agent:main:other");
        let none: Value =
            serde_json::from_str(&SubagentsTool.call(&other, json!({})).await.unwrap()).unwrap();
        assert_eq!(none["count"], 0);
        let kill = SubagentsTool
            .call(&cx, json!({ "action": "kill", "target": "00aa" }))
            .await
            .unwrap_err();
        assert!(kill.contains("unavailable"), "{kill}");
        let bad = SubagentsTool
            .call(&cx, json!({ "action": "steer" }))
            .await
            .unwrap_err();
        assert!(bad.contains("unknown action"), "{bad}");
    }
}
