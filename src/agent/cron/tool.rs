//! The agent's `cron` tool (group `group:automation`): list, add, remove and run jobs. A job the
//! model adds may only deliver to a chat its `message` tool could send to (its own chat, a
//! `tools.message.allowTargets` entry, anything from the owner's unsandboxed main session), so a
//! prompt-injected model cannot schedule messages to arbitrary numbers. Only the owner's
//! unsandboxed main session may list, run or remove jobs or schedule into the main session
//! (whose turns have the owner's tools); any other session may only add isolated jobs.
//! Sandboxed sessions do not get the tool unless the sandbox allowlist names it.

use futures_util::future::BoxFuture;
use pincer_actors::ActorRef;
use serde_json::{json, Value};

use super::{AddJob, CronScheduler, ListJobs, RemoveJob, RunJob};
use crate::agent::tools::message::target;
use crate::agent::tools::{Tool, ToolContext};
use crate::config::cron::{CronJob, DeliverTarget, SessionTarget};
use crate::config::schedule::{AtTime, ScheduleSpec};
use crate::providers::ToolSpec;

/// The `cron` tool over `/gateway/cron`.
pub(crate) struct CronTool {
    pub scheduler: ActorRef<CronScheduler>,
    /// `tools.message.allowTargets`.
    pub allow_targets: Vec<String>,
}

fn text<'a>(arguments: &'a Value, key: &str) -> Option<&'a str> {
    arguments
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The owner's unsandboxed main session: it alone may see, run and remove jobs (which hold the
/// owner's messages and targets); other sessions may only add isolated jobs.
fn owner(cx: &ToolContext) -> bool {
    cx.is_main && !cx.sandboxed
}

/// The schedule the call names: `cron` (+ `tz`), `every` or `at`.
fn schedule(arguments: &Value) -> Result<ScheduleSpec, String> {
    if let Some(expr) = text(arguments, "cron") {
        return Ok(ScheduleSpec::Cron {
            expr: expr.to_string(),
            tz: text(arguments, "tz").map(String::from),
        });
    }
    if let Some(every) = text(arguments, "every") {
        return Ok(ScheduleSpec::Every {
            every: every.to_string(),
            anchor_ms: None,
        });
    }
    match arguments.get("at") {
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|ms| ScheduleSpec::At {
                at: AtTime::Millis(ms),
            })
            .ok_or_else(|| "at: Unix milliseconds or an RFC 3339 time".to_string()),
        Some(Value::String(at)) => Ok(ScheduleSpec::At {
            at: AtTime::Text(at.clone()),
        }),
        _ => Err("give the schedule: cron (with tz), every or at".into()),
    }
}

impl CronTool {
    fn job(&self, cx: &ToolContext, arguments: &Value) -> Result<CronJob, String> {
        let message = text(arguments, "message").ok_or("message is required")?;
        let deliver = match (text(arguments, "channel"), text(arguments, "to")) {
            (None, None) => None,
            (channel, to) => {
                let allowed = target(cx, &self.allow_targets, channel, to)?;
                Some(DeliverTarget {
                    channel: allowed.channel,
                    to: allowed.to,
                })
            }
        };
        let session_target = match text(arguments, "sessionTarget") {
            None | Some("isolated") => SessionTarget::Isolated,
            // A message scheduled into the owner's session runs with its tools: only the owner's
            // own (unsandboxed main) session may do that.
            Some("main") if owner(cx) => SessionTarget::Main,
            Some("main") => {
                return Err(
                    "only the owner's main session may schedule into it; use isolated".into(),
                )
            }
            Some(other) => return Err(format!("sessionTarget {other:?}: main or isolated")),
        };
        Ok(CronJob {
            id: String::new(),
            name: text(arguments, "name").map(String::from),
            enabled: true,
            schedule: schedule(arguments)?,
            message: message.to_string(),
            session_target,
            deliver,
            misfire: None,
        })
    }
}

impl Tool for CronTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "cron".into(),
            description: "Scheduled jobs: list them, add one (a message sent to a session on a \
                schedule, its answer optionally sent to a chat), remove one, or run one now."
                .into(),
            parameters: json!({
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "type": "string", "enum": ["list", "add", "remove", "run"] },
                    "id": { "type": "string", "description": "The job (remove, run)" },
                    "name": { "type": "string" },
                    "message": { "type": "string", "description": "What the session is told at each firing (add)" },
                    "cron": { "type": "string", "description": "5-field cron expression, e.g. \"0 8 * * 1-5\"" },
                    "tz": { "type": "string", "description": "IANA time zone of cron, default UTC" },
                    "every": { "type": "string", "description": "Interval, e.g. \"30m\", \"2h\"" },
                    "at": { "type": "string", "description": "One-shot time, RFC 3339" },
                    "sessionTarget": { "type": "string", "enum": ["isolated", "main"] },
                    "channel": { "type": "string", "description": "Deliver the answer on this channel" },
                    "to": { "type": "string", "description": "Deliver the answer to this chat" }
                }
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let scheduler = self.scheduler.clone();
        let action = text(&arguments, "action").unwrap_or_default().to_string();
        let id = text(&arguments, "id").map(String::from);
        let job = (action == "add").then(|| self.job(cx, &arguments));
        let owner = owner(cx);
        Box::pin(async move {
            let unavailable =
                |e: pincer_actors::AskError| format!("the scheduler is unavailable: {e}");
            let need_id = || id.clone().ok_or_else(|| "id is required".to_string());
            if matches!(action.as_str(), "list" | "remove" | "run") && !owner {
                return Err(format!(
                    "cron {action}: only the owner's main session may; this session may add isolated jobs"
                ));
            }
            match action.as_str() {
                "list" => {
                    let jobs = scheduler.ask(ListJobs).await.map_err(unavailable)?;
                    Ok(json!({ "jobs": jobs }).to_string())
                }
                "add" => {
                    let job = job.unwrap_or_else(|| Err("no job".into()))?;
                    let view = scheduler.ask(AddJob(job)).await.map_err(unavailable)?;
                    let view = view.map_err(|e| e.to_string())?;
                    Ok(json!({ "ok": true, "job": view }).to_string())
                }
                "remove" => {
                    let id = need_id()?;
                    let removed = scheduler.ask(RemoveJob(id.clone())).await;
                    removed.map_err(unavailable)?.map_err(|e| e.to_string())?;
                    Ok(json!({ "ok": true, "removed": id }).to_string())
                }
                "run" => {
                    let id = need_id()?;
                    let ran = scheduler.ask(RunJob(id.clone())).await;
                    let run_at = ran.map_err(unavailable)?.map_err(|e| e.to_string())?;
                    Ok(json!({ "ok": true, "id": id, "runAtMs": run_at }).to_string())
                }
                other => Err(format!("action {other:?}: list, add, remove or run")),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::tools::{test_context, ChatOrigin};

    fn tool() -> CronTool {
        CronTool {
            scheduler: pincer_actors::Reserved::new(1).actor_ref().clone(),
            allow_targets: vec!["telegram:7".into()],
        }
    }

    fn stranger(workspace: &std::path::Path) -> ToolContext {
        ToolContext {
            session_key: std::sync::Arc::from("agent:main:direct:555"),
            is_main: false,
            origin: Some(ChatOrigin {
                channel: "telegram".into(),
                chat: "555".into(),
            }),
            ..test_context(workspace)
        }
    }

    fn call(cx: &ToolContext, arguments: Value) -> Result<String, String> {
        actix::System::new().block_on(tool().call(cx, arguments))
    }

    #[test]
    fn another_session_may_only_add_isolated_jobs_to_reachable_chats() {
        let dir = tempfile::tempdir().unwrap();
        let cx = stranger(dir.path());
        for action in ["list", "remove", "run"] {
            let refused = call(&cx, json!({ "action": action, "id": "x" })).unwrap_err();
            assert!(refused.contains("owner"), "{action}: {refused}");
        }
        let add = |extra: Value| {
            let mut arguments = json!({ "action": "add", "every": "1h", "message": "hi" });
            arguments
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            tool().job(&cx, &arguments)
        };
        let main = add(json!({ "sessionTarget": "main" })).unwrap_err();
        assert!(main.contains("owner"), "{main}");
        let elsewhere = add(json!({ "channel": "whatsapp", "to": "+15550001" })).unwrap_err();
        assert!(elsewhere.contains("allowTargets"), "{elsewhere}");
        let own = add(json!({ "channel": "telegram", "to": "555" })).unwrap();
        assert_eq!(own.deliver.unwrap().to, "555");
        let listed = add(json!({ "channel": "telegram", "to": "7" })).unwrap();
        assert_eq!(listed.session_target, SessionTarget::Isolated);
        assert!(add(json!({ "every": null, "cron": "0 8 * * *", "tz": "Europe/Paris" })).is_ok());
    }

    #[test]
    fn the_owner_may_schedule_into_the_main_session_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let cx = test_context(dir.path());
        let job = tool()
            .job(
                &cx,
                &json!({ "action": "add", "at": "2030-01-01T08:00:00Z", "message": "hi",
                         "sessionTarget": "main", "channel": "whatsapp", "to": "+15550001" }),
            )
            .unwrap();
        assert_eq!(job.session_target, SessionTarget::Main);
        assert!(
            tool().job(&cx, &json!({ "message": "hi" })).is_err(),
            "no schedule"
        );
    }
}
