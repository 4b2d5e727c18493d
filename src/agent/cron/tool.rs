//! The agent's `cron` tool (group `group:automation`): list, add, remove and run jobs. A job the
//! model adds may only deliver to a chat its `message` tool could send to (its own chat, a
//! `tools.message.allowTargets` entry, anything from the owner's unsandboxed main session), so a
//! prompt-injected model cannot schedule messages to arbitrary numbers; sandboxed sessions do
//! not get the tool unless the sandbox allowlist names it.

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
            Some("main") => SessionTarget::Main,
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
        Box::pin(async move {
            let unavailable = |e: pincer_actors::AskError| format!("the scheduler is unavailable: {e}");
            let need_id = || id.clone().ok_or_else(|| "id is required".to_string());
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
