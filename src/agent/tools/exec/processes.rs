//! The process table (`tools.exec.maxProcesses` slots, background commands by id) and the
//! `process` tool that polls, reads and kills background commands.
//!
//! A session sees only the background commands it started. Every running command, foreground
//! or background, holds one slot until it exits; a finished background command stays listed
//! (with its output) until 16 newer ones have finished. At shutdown [`ProcessTable::kill_all`]
//! kills every group still running, so no command outlives the gateway.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::spawn::Proc;
use crate::agent::tools::{args, Tool, ToolContext};
use crate::providers::ToolSpec;

/// Finished background commands kept for reading.
const KEEP_FINISHED: usize = 16;

struct Entry {
    session: Arc<str>,
    proc: Arc<Proc>,
}

/// Slots and background commands, shared by `exec` and `process`.
pub struct ProcessTable {
    slots: Arc<Semaphore>,
    max: usize,
    next: AtomicU64,
    background: Mutex<BTreeMap<u64, Entry>>,
}

impl ProcessTable {
    pub fn new(max: u32) -> Self {
        let max = usize::try_from(max.max(1)).unwrap_or(1);
        ProcessTable {
            slots: Arc::new(Semaphore::new(max)),
            max,
            next: AtomicU64::new(1),
            background: Mutex::new(BTreeMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Entry>> {
        self.background.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot, waiting at most `wait` for one to free up.
    pub async fn permit(&self, wait: Duration) -> Result<OwnedSemaphorePermit, String> {
        let acquire = Arc::clone(&self.slots).acquire_owned();
        match tokio::time::timeout(wait, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(format!(
                "all {} process slots are busy (tools.exec.maxProcesses); wait for a command to \
                 finish or stop a background one with the process tool",
                self.max
            )),
        }
    }

    /// Records a background command of `session`; returns its id.
    pub fn add(&self, session: Arc<str>, proc: Arc<Proc>) -> u64 {
        let id = self.next.fetch_add(1, Relaxed);
        let mut entries = self.entries();
        entries.insert(id, Entry { session, proc });
        let finished: Vec<u64> = entries
            .iter()
            .filter(|(_, e)| e.proc.exit().is_some())
            .map(|(id, _)| *id)
            .collect();
        for old in finished
            .iter()
            .take(finished.len().saturating_sub(KEEP_FINISHED))
        {
            entries.remove(old);
        }
        id
    }

    fn get(&self, session: &str, id: u64) -> Result<Arc<Proc>, String> {
        self.entries()
            .get(&id)
            .filter(|e| &*e.session == session)
            .map(|e| Arc::clone(&e.proc))
            .ok_or_else(|| format!("no background process p{id} in this session"))
    }

    fn list(&self, session: &str) -> Vec<(u64, Arc<Proc>)> {
        self.entries()
            .iter()
            .filter(|(_, e)| &*e.session == session)
            .map(|(id, e)| (*id, Arc::clone(&e.proc)))
            .collect()
    }

    /// Kills every background command still running (gateway shutdown).
    pub fn kill_all(&self) {
        for entry in self.entries().values() {
            entry.proc.kill();
        }
    }
}

/// One line about a background command.
fn describe(id: u64, proc: &Proc) -> String {
    let state = match proc.exit() {
        Some(exit) => format!("finished ({exit})"),
        None => format!("running for {} s", proc.started.elapsed().as_secs()),
    };
    format!("p{id} pid {} {state}: {}", proc.pid, proc.command)
}

/// `p3` or `3` → 3.
fn parse_id(text: &str) -> Result<u64, String> {
    text.trim()
        .trim_start_matches('p')
        .parse()
        .map_err(|_| format!("bad process id {text:?}; use the id exec returned, like p3"))
}

/// `process`.
pub(crate) struct ProcessTool {
    pub table: Arc<ProcessTable>,
}

impl Tool for ProcessTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "process".into(),
            description: "Manage background commands started with exec (background: true). \
                          action: list | poll (status and output since the last poll) | read \
                          (status and all retained output) | kill (the whole process group)."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "action": { "type": "string", "enum": ["list", "poll", "read", "kill"] },
                    "id": { "type": "string", "description": "the id exec returned, like p3" }
                },
                "required": ["action"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let table = Arc::clone(&self.table);
        let session = Arc::clone(&cx.session_key);
        Box::pin(async move {
            let action = args::string(&arguments, "action")?;
            if action == "list" {
                let lines: Vec<String> = table
                    .list(&session)
                    .iter()
                    .map(|(id, proc)| describe(*id, proc))
                    .collect();
                return Ok(if lines.is_empty() {
                    "no background processes".to_string()
                } else {
                    lines.join("\n")
                });
            }
            let id = parse_id(args::string(&arguments, "id")?)?;
            let proc = table.get(&session, id)?;
            match action {
                "poll" => Ok(format!("{}\n{}", describe(id, &proc), proc.take_unread())),
                "read" => Ok(format!("{}\n{}", describe(id, &proc), proc.render())),
                "kill" => {
                    proc.kill();
                    let exit = tokio::time::timeout(Duration::from_secs(5), proc.wait()).await;
                    match exit {
                        Ok(exit) => Ok(format!("p{id} stopped ({exit})")),
                        Err(_) => Err(format!("p{id} did not stop within 5 s of SIGKILL")),
                    }
                }
                other => Err(format!(
                    "unknown action {other:?}; use list, poll, read or kill"
                )),
            }
        })
    }
}
