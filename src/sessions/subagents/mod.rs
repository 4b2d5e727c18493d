//! Sub-agents: child sessions that run one task for a parent session and report back.
//!
//! The `sessions_spawn` tool (in the agent layer above) asks the [`SubagentRegistry`] actor
//! (`/gateway/subagents`) to start a child: a session of its own, `agent:main:subagent:<id>`,
//! whose first turn is the task. The registry checks the limits (`agents.defaults.subagents`:
//! depth, children per parent, sub-agents running at once), records the child in
//! `subagents.json` next to the transcripts, submits the task to the child session like any entry
//! point (so it runs as a normal supervised run, restarted per `maxAttempts`), and waits for its
//! outcome. When the child's turn ends, its answer (or error) is submitted to the parent session
//! as a new turn, `[sub-agent <label> finished] ...`, whose answer goes to the parent's chat when
//! the parent talks to one. A parent that is reset stops its running children.
//!
//! - [`SubagentRecord`], [`SubagentStatus`]: what is kept of each child;
//! - [`book`]: the records, their file and the limits (shared with readers, no actor round trip);
//! - [`registry`]: the actor that drives children; `announce`: how it hands results to parents.
//!
//! The sandbox needs no rule of its own: a child's key is never `agent:main:main`, so under
//! `non-main` every child is sandboxed, under `all` every session is, and under `off` none is; a
//! sandboxed parent therefore never has an unsandboxed child.

mod announce;
pub(crate) mod book;
pub(crate) mod registry;

use serde::{Deserialize, Serialize};

pub use book::{Limits, SpawnRefusal, SubagentBook};
pub use registry::{
    spec, RegistrySettings, SpawnRequest, Spawned, StopChild, StopChildren, SubagentRegistry,
};

/// What the tools and the operator API hold of the sub-agents: the records, read directly, and
/// the registry actor, for spawning and stopping.
#[derive(Clone)]
pub struct Subagents {
    pub book: std::sync::Arc<SubagentBook>,
    pub registry: pincer_actors::ActorRef<SubagentRegistry>,
}

/// The namespace of child session keys (OpenClaw's `agent:<agentId>:subagent:<uuid>`).
pub(crate) const PREFIX: &str = "agent:main:subagent:";

/// The key of the child session of run `run_id`.
pub(crate) fn child_key(run_id: &str) -> String {
    format!("{PREFIX}{run_id}")
}

/// A fresh run id: 16 random hex digits (a counter and the clock if the system has no
/// randomness to give).
pub(crate) fn new_run_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return format!("{:x}{n:x}", crate::clock::now_ms());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a child stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubagentStatus {
    /// Its turn is queued or running.
    Running,
    /// It answered; `result` is the answer.
    Done,
    /// Its turn failed (after the run's attempts); `result` is the error.
    Failed,
    /// It ran past its `runTimeoutSeconds` and was stopped.
    TimedOut,
    /// Its parent was reset (or the operator stopped it): it was stopped and is not announced.
    Stopped,
}

impl SubagentStatus {
    /// Its name in the API and in the announce message.
    pub fn as_str(self) -> &'static str {
        match self {
            SubagentStatus::Running => "running",
            SubagentStatus::Done => "done",
            SubagentStatus::Failed => "failed",
            SubagentStatus::TimedOut => "timedOut",
            SubagentStatus::Stopped => "stopped",
        }
    }
}

/// The chat a parent's answers go to (its turn's origin), for the announce's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnounceTarget {
    pub channel: String,
    pub chat: String,
}

/// One child, as `subagents.json` keeps it and the operator API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubagentRecord {
    /// The child's run id: the turn id of its task, and the key's last part.
    pub run_id: String,
    pub child_session_key: String,
    /// The session that spawned it.
    pub parent_session_key: String,
    /// 1 for a child of a top-level session, 2 for a grandchild, ...
    pub depth: u32,
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The model asked for (tried before the gateway's chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub status: SubagentStatus,
    /// The child's answer, or why it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<u64>,
    /// `runTimeoutSeconds`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Where the parent's answer to the announce is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce_to: Option<AnnounceTarget>,
    /// The result was handed to the parent (or there is nothing to hand: stopped).
    #[serde(default)]
    pub announced: bool,
}

impl SubagentRecord {
    /// The name the announce uses: the label, else the run id.
    pub fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.run_id)
    }

    /// The parent's turn that announces the result: one id per child, so a replay after a
    /// restart finds that turn instead of asking the parent twice.
    pub(crate) fn announce_turn(&self) -> String {
        format!("{}-announce", self.run_id)
    }

    /// The message the parent gets when the child ends.
    pub(crate) fn announcement(&self) -> String {
        let verb = match self.status {
            SubagentStatus::Done => "finished",
            SubagentStatus::Failed => "failed",
            SubagentStatus::TimedOut => "timed out",
            SubagentStatus::Running | SubagentStatus::Stopped => "stopped",
        };
        format!(
            "[sub-agent {} {verb}]\n{}\n\n(session {}, task: {})",
            self.name(),
            self.result.as_deref().unwrap_or("(no answer)"),
            self.child_session_key,
            short(&self.task, 200),
        )
    }
}

/// Characters of a child's answer kept (and handed to its parent); its session has all of it.
pub(crate) const MAX_RESULT_CHARS: usize = 20_000;

/// `text` cut to [`MAX_RESULT_CHARS`], saying where the rest is.
pub(crate) fn capped(text: String, child_key: &str) -> String {
    if text.chars().count() <= MAX_RESULT_CHARS {
        return text;
    }
    let kept: String = text.chars().take(MAX_RESULT_CHARS).collect();
    format!("{kept}\n[... cut: the whole answer is in session {child_key}]")
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_keys_are_valid_session_keys_of_their_own_namespace() {
        let child = child_key(&new_run_id());
        assert!(child.starts_with(PREFIX) && crate::sessions::key::is_valid(&child));
        assert_ne!(child, crate::sessions::key::MAIN);
        assert_ne!(new_run_id(), new_run_id());
        assert_eq!(capped("short".into(), &child), "short");
        let long = capped("x".repeat(MAX_RESULT_CHARS + 5), &child);
        assert!(
            long.starts_with(&"x".repeat(MAX_RESULT_CHARS)) && long.ends_with(&format!("{child}]"))
        );
    }
}
