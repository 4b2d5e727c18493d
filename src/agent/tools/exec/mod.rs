//! `exec` (run a shell command in the workspace) and `process` (manage background commands).
//!
//! - `spawn.rs`: one command: process group, scrubbed environment, Landlock, output, group kill;
//! - `processes.rs`: the `maxProcesses` slots, background commands by id, the `process` tool;
//! - `output.rs`: bounded head + tail output; `env.rs`: which variables are secrets;
//! - `landlock.rs`: the confinement (nothing of Pincer's state or config readable; with
//!   `tools.exec.sandbox`, writes only inside the workspace and the exec temp folder), from the
//!   grants of `grants.rs`; `privileges.rs`: `CAP_SYS_PTRACE` dropped from every command.
//!
//! A foreground command runs until it exits or `tools.exec.timeout` (or its own shorter
//! `timeout`) expires; then its whole process group is killed and the model reads what it
//! printed. If the run goes away meanwhile (aborted turn), the invocation drops this future and
//! [`spawn::KillOnDrop`] kills the group. A background command returns an id at once and is
//! killed after `tools.exec.backgroundTimeout`.

pub(crate) mod env;
pub(crate) mod grants;
pub(crate) mod landlock;
pub(crate) mod output;
pub(crate) mod privileges;
pub(crate) mod processes;
pub(crate) mod spawn;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use self::processes::ProcessTable;
use self::spawn::{spawn, KillOnDrop, Settings};
use super::invoke::human;
use super::workspace::resolve_for;
use super::{args, Tool, ToolContext};
use crate::providers::ToolSpec;

/// How long a foreground command waits for a free process slot.
const SLOT_WAIT: Duration = Duration::from_secs(10);

/// `exec`.
pub(crate) struct Exec {
    pub settings: Arc<Settings>,
    pub table: Arc<ProcessTable>,
}

impl Tool for Exec {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "exec".into(),
            description: format!(
                "Run a shell command (/bin/sh -c) in the workspace and return its exit code and \
                 output (stdout and stderr merged; the middle of long output is cut). Commands \
                 are killed after {} (timeout, in seconds, can shorten that). Set background: \
                 true for long-running commands; then use the process tool.",
                human(self.settings.timeout)
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": { "type": "string" },
                    "workdir": { "type": "string", "description": "a folder of the workspace" },
                    "timeout": { "type": "integer", "minimum": 1 },
                    "background": { "type": "boolean" }
                },
                "required": ["command"]
            }),
        }
    }

    fn timeout(&self) -> Duration {
        // The command's own limit answers first, with its output; this only backs it up.
        self.settings.timeout + SLOT_WAIT + Duration::from_secs(10)
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let settings = Arc::clone(&self.settings);
        let table = Arc::clone(&self.table);
        let cx = cx.clone();
        Box::pin(async move {
            let command = args::string(&arguments, "command")?.to_string();
            let background = args::opt_bool(&arguments, "background")?.unwrap_or(false);
            let limit = match args::opt_u64(&arguments, "timeout")? {
                Some(secs) => Duration::from_secs(secs.max(1)).min(settings.timeout),
                None => settings.timeout,
            };
            let cwd = match args::opt_string(&arguments, "workdir")? {
                Some(dir) => resolve_for(&cx, dir)?,
                None => cx.workspace.to_path_buf(),
            };
            if !cwd.is_dir() {
                return Err(format!("workdir {} is not a folder", cwd.display()));
            }
            if background {
                let permit = table.permit(Duration::ZERO).await?;
                let proc = spawn(&command, &cwd, &cx, &settings, permit)?;
                let id = table.add(Arc::clone(&cx.session_key), Arc::clone(&proc));
                let watched = Arc::clone(&proc);
                let lifetime = settings.background_timeout;
                actix::spawn(async move {
                    if tokio::time::timeout(lifetime, watched.wait())
                        .await
                        .is_err()
                    {
                        watched.kill();
                    }
                });
                return Ok(format!(
                    "started p{id} (pid {}) in the background; it is killed after {}. Use the \
                     process tool to poll, read or kill it.",
                    proc.pid,
                    human(lifetime)
                ));
            }
            let permit = table.permit(SLOT_WAIT).await?;
            let proc = spawn(&command, &cwd, &cx, &settings, permit)?;
            let guard = KillOnDrop(Arc::clone(&proc));
            let finished = tokio::time::timeout(limit, proc.wait()).await;
            match finished {
                Ok(exit) => {
                    proc.drained(Duration::from_secs(1)).await;
                    Ok(format!("[{exit}]\n{}", proc.render()))
                }
                Err(_) => {
                    drop(guard);
                    let _ = tokio::time::timeout(Duration::from_secs(2), proc.wait()).await;
                    proc.drained(Duration::from_millis(500)).await;
                    Err(format!(
                        "the command timed out after {} and its process group was killed. \
                         Output so far:\n{}",
                        human(limit),
                        proc.render()
                    ))
                }
            }
        })
    }
}

/// Whether `exec` commands are confined: the setting, and what the kernel offers.
pub(crate) fn confinement(enabled: bool) -> (bool, String) {
    match (enabled, landlock::abi_version()) {
        (false, Some(abi)) => (
            false,
            format!(
                "writes unconfined (tools.exec.sandbox is false); Landlock ABI v{abi} keeps \
                 Pincer's state and config unreadable"
            ),
        ),
        (false, None) => (false, "off (tools.exec.sandbox is false)".to_string()),
        (true, Some(abi)) => (
            true,
            format!(
                "Landlock ABI v{abi}: writes only in the workspace; Pincer's state and config \
                 unreadable"
            ),
        ),
        (true, None) => (
            false,
            "unavailable: this kernel has no Landlock (Linux 5.13+, enabled in the LSM list)"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests;
