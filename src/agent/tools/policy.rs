//! Which tools a session may use, and why.
//!
//! Two layers, each an allow list and a deny list of tool names or groups (`group:fs`, ...,
//! `group:openclaw` for every built-in, `*` for everything), deny winning within a layer:
//! 1. `tools.allow` / `tools.deny` apply to every session (an empty `allow` allows everything);
//! 2. a sandboxed session (`agents.defaults.sandbox.mode`: every session under `all`, every one
//!    but `agent:main:main` under `non-main`) gets only what `sandbox.allowlist` names, minus
//!    `sandbox.denylist`.
//!
//! The outcome depends only on the tool and on whether the session is sandboxed, so the toolbox
//! computes the two offered sets once. `pincer tools list` prints the same [`Decision`]s.

use serde::Serialize;

use crate::config::tools::TOOL_GROUPS;
use crate::config::{Config, SandboxMode};
use crate::sessions::key::MAIN;

/// Every built-in tool with a one-line summary, in the order `pincer tools list` prints them.
pub(crate) const BUILTIN_TOOLS: [(&str, &str); 17] = [
    ("read", "read a file of the workspace"),
    ("write", "create or overwrite a file of the workspace"),
    ("edit", "replace one exact occurrence of a text in a file"),
    (
        "apply_patch",
        "apply a unified diff to files of the workspace",
    ),
    ("exec", "run a shell command in the workspace"),
    ("process", "poll, read or kill background commands"),
    ("sessions_list", "list the sessions"),
    ("sessions_history", "read another session's conversation"),
    (
        "sessions_send",
        "send a message to another session and get its answer",
    ),
    ("session_status", "this session's counters, model and tools"),
    (
        "sessions_spawn",
        "start a sub-agent on a task; its result comes back",
    ),
    ("subagents", "list this session's sub-agents, or kill one"),
    ("web_fetch", "fetch a web page as readable text"),
    ("memory_search", "search MEMORY.md and memory/*.md"),
    ("memory_get", "read lines of a memory file"),
    ("message", "send a text or a workspace file to a chat"),
    ("current_time", "the current date and time"),
];

/// The built-in tool names.
pub(crate) fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN_TOOLS.iter().map(|(name, _)| *name)
}

/// The group a built-in tool belongs to, if any.
pub(crate) fn group_of(tool: &str) -> Option<&'static str> {
    TOOL_GROUPS
        .iter()
        .find(|(_, members)| members.contains(&tool))
        .map(|(group, _)| *group)
}

/// Whether the session `key` runs sandboxed under `mode`.
pub(crate) fn is_sandboxed(mode: SandboxMode, key: &str) -> bool {
    match mode {
        SandboxMode::Off => false,
        SandboxMode::NonMain => key != MAIN,
        SandboxMode::All => true,
    }
}

/// Whether one tool is available to one kind of session, and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub tool: String,
    pub allowed: bool,
    pub reason: String,
}

/// The policy lists of the config.
#[derive(Debug, Clone, Default)]
pub struct ToolPolicy {
    pub mode: SandboxMode,
    allow: Vec<String>,
    deny: Vec<String>,
    sandbox_allow: Vec<String>,
    sandbox_deny: Vec<String>,
}

impl ToolPolicy {
    pub fn from_config(config: &Config) -> Self {
        let sandbox = &config.agents.defaults.sandbox;
        ToolPolicy {
            mode: sandbox.mode,
            allow: config.tools.allow.clone(),
            deny: config.tools.deny.clone(),
            sandbox_allow: sandbox.allowlist.clone(),
            sandbox_deny: sandbox.denylist.clone(),
        }
    }

    /// Whether `key` runs sandboxed.
    pub fn sandboxed(&self, key: &str) -> bool {
        is_sandboxed(self.mode, key)
    }

    /// The decision for `tool` in a session that is (or is not) sandboxed.
    pub fn decide(&self, tool: &str, sandboxed: bool) -> Decision {
        let verdict = |allowed: bool, reason: String| Decision {
            tool: tool.to_string(),
            allowed,
            reason,
        };
        if let Some(entry) = matching(&self.deny, tool) {
            return verdict(false, format!("denied by tools.deny ({entry})"));
        }
        let allowed_by = matching(&self.allow, tool);
        if !self.allow.is_empty() && allowed_by.is_none() {
            return verdict(false, "not in tools.allow".to_string());
        }
        if sandboxed {
            if let Some(entry) = matching(&self.sandbox_deny, tool) {
                return verdict(
                    false,
                    format!(
                        "sandboxed session: denied by agents.defaults.sandbox.denylist ({entry})"
                    ),
                );
            }
            return match matching(&self.sandbox_allow, tool) {
                Some(entry) => verdict(
                    true,
                    format!("sandboxed session: in agents.defaults.sandbox.allowlist ({entry})"),
                ),
                None => verdict(
                    false,
                    "sandboxed session: not in agents.defaults.sandbox.allowlist".to_string(),
                ),
            };
        }
        match allowed_by {
            Some(entry) => verdict(true, format!("allowed by tools.allow ({entry})")),
            None => verdict(
                true,
                "allowed (tools.allow is empty: every tool)".to_string(),
            ),
        }
    }
}

/// The first entry of `list` that covers `tool`: its name, its group, `group:openclaw` (a
/// built-in), `group:mcp` (any MCP server's tool), `mcp:<server>` (that server's) or `*`.
fn matching<'a>(list: &'a [String], tool: &str) -> Option<&'a str> {
    let server = super::mcp::names::server_of(tool);
    list.iter().map(String::as_str).find(|entry| {
        *entry == "*"
            || *entry == tool
            || (*entry == "group:openclaw" && builtin_names().any(|name| name == tool))
            || group_of(tool) == Some(*entry)
            || (*entry == "group:mcp" && server.is_some())
            || (server.is_some() && entry.strip_prefix("mcp:") == server)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(edit: impl FnOnce(&mut Config)) -> ToolPolicy {
        let mut config = Config::default();
        edit(&mut config);
        ToolPolicy::from_config(&config)
    }

    #[test]
    fn by_default_main_gets_everything_and_others_the_seed_allowlist() {
        let policy = policy(|_| {});
        assert!(!policy.sandboxed(MAIN));
        assert!(policy.sandboxed("agent:main:whatsapp:direct:+1555"));
        for tool in builtin_names() {
            assert!(policy.decide(tool, false).allowed, "{tool}");
        }
        let sandboxed: Vec<&str> = builtin_names()
            .filter(|tool| policy.decide(tool, true).allowed)
            .collect();
        assert_eq!(
            sandboxed,
            [
                "read",
                "write",
                "edit",
                "sessions_list",
                "sessions_history",
                "sessions_send"
            ]
        );
        let exec = policy.decide("exec", true);
        assert_eq!(
            exec.reason,
            "sandboxed session: not in agents.defaults.sandbox.allowlist"
        );
    }

    #[test]
    fn deny_wins_and_groups_expand() {
        let policy = policy(|c| {
            c.tools.allow = vec!["group:fs".into(), "exec".into(), "web_fetch".into()];
            c.tools.deny = vec!["group:runtime".into()];
            c.agents.defaults.sandbox.allowlist = vec!["group:fs".into(), "group:memory".into()];
            c.agents.defaults.sandbox.denylist = vec!["write".into()];
        });
        let exec = policy.decide("exec", false);
        assert!(!exec.allowed);
        assert_eq!(exec.reason, "denied by tools.deny (group:runtime)");
        assert!(policy.decide("apply_patch", false).allowed);
        assert_eq!(
            policy.decide("apply_patch", false).reason,
            "allowed by tools.allow (group:fs)"
        );
        assert_eq!(
            policy.decide("memory_get", false).reason,
            "not in tools.allow"
        );
        // Sandboxed: the global layer applies first, then the sandbox's.
        assert!(!policy.decide("memory_get", true).allowed);
        assert!(!policy.decide("web_fetch", true).allowed);
        let write = policy.decide("write", true);
        assert!(!write.allowed);
        assert!(
            write.reason.contains("denylist (write)"),
            "{}",
            write.reason
        );
        assert!(policy.decide("read", true).allowed);
    }

    #[test]
    fn modes_decide_who_is_sandboxed() {
        assert!(!is_sandboxed(
            SandboxMode::Off,
            "agent:main:telegram:group:1"
        ));
        assert!(is_sandboxed(SandboxMode::All, MAIN));
        assert!(!is_sandboxed(SandboxMode::NonMain, MAIN));
        let star = policy(|c| c.tools.deny = vec!["*".into()]);
        assert!(!star.decide("current_time", false).allowed);
        let all = policy(|c| c.tools.allow = vec!["group:openclaw".into()]);
        assert!(all.decide("memory_search", false).allowed);
        assert!(!all.decide("a_test_tool", false).allowed);
    }

    #[test]
    fn mcp_tools_follow_their_group_and_server_entries() {
        let default = policy(|_| {});
        assert!(default.decide("files__read", false).allowed);
        assert!(
            !default.decide("files__read", true).allowed,
            "sandboxed sessions get MCP tools only when the allowlist names them"
        );
        let named = policy(|c| {
            c.agents.defaults.sandbox.allowlist = vec!["mcp:files".into(), "web__get".into()];
            c.tools.deny = vec!["mcp:shell".into()];
        });
        assert!(named.decide("files__read", true).allowed);
        assert!(named.decide("web__get", true).allowed);
        assert!(!named.decide("web__post", true).allowed);
        assert!(!named.decide("shell__run", false).allowed);
        assert!(
            !named.decide("files", true).allowed,
            "not a tool of server files"
        );
        let group = policy(|c| c.tools.allow = vec!["group:mcp".into()]);
        assert!(group.decide("any__tool", false).allowed);
        assert!(!group.decide("read", false).allowed);
    }
}
