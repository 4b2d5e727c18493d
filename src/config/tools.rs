//! `tools.*`: which tools agents may call, and the limits every built-in tool runs under.
//!
//! The policy keys (`allow`, `deny`) name tools or groups (`group:fs`, `group:runtime`,
//! `group:sessions`, `group:web`, `group:memory`, `group:openclaw` for all of them); the
//! per-session sandbox (`agents.defaults.sandbox`) narrows them further. The tool code reads its
//! limits from here (`crate::agent::tools`); cross-key rules are in [`check`].

use serde::{Deserialize, Serialize};

use super::error::Problem;

/// `tools`: policy and limits for tool execution.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ToolsConfig {
    /// Tools (or groups) agents may use; default empty, meaning every tool.
    pub allow: Vec<String>,
    /// Tools (or groups) no agent may use; wins over `allow`. Default empty.
    pub deny: Vec<String>,
    /// Shell command execution (`exec`, `process`).
    pub exec: ExecTool,
    /// The workspace file tools (`read`, `write`, `edit`, `apply_patch`).
    pub fs: FsTool,
    /// `web_fetch`.
    pub web_fetch: WebFetchTool,
    /// Headless browser automation.
    pub browser: BrowserTool,
    /// `message`: texts and files to chats.
    pub message: MessageTool,
}

/// `tools.message`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MessageTool {
    /// Chats besides the current one that any session may send to, as
    /// `"<channel>:<id>"` (`"whatsapp:15551234567"`, `"telegram:123456789"`).
    /// Default empty: only the unsandboxed main session names other chats;
    /// every other session can only answer the chat it is talking to.
    pub allow_targets: Vec<String>,
}

/// `tools.exec`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ExecTool {
    /// Default 4 concurrent processes (foreground and background), matching
    /// `agents.maxConcurrentRuns`.
    pub max_processes: u32,
    /// Milliseconds before a foreground command's process group is killed;
    /// default 60000, long enough for builds of small projects, short enough
    /// to catch hangs.
    pub timeout: u64,
    /// Default true: commands are confined with Landlock (where the kernel
    /// supports it) to write only inside the workspace. Reading Pincer's own
    /// state directory and config is refused to every command either way.
    pub sandbox: bool,
    /// Bytes of output (stdout and stderr together) a command returns; the
    /// middle of longer output is cut. Default 65536 (64 KiB).
    pub max_output_bytes: u64,
    /// Milliseconds a background command (`background: true`) may run before
    /// it is killed; default 1800000 (30 minutes).
    pub background_timeout: u64,
}

impl Default for ExecTool {
    fn default() -> Self {
        ExecTool {
            max_processes: 4,
            timeout: 60_000,
            sandbox: true,
            max_output_bytes: 65_536,
            background_timeout: 1_800_000,
        }
    }
}

/// `tools.fs`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FsTool {
    /// Largest file `read` returns whole; longer files must be read in
    /// ranges. Default 262144 (256 KiB, about 64k tokens).
    pub max_read_bytes: u64,
    /// Largest file `write`, `edit` and `apply_patch` produce. Default
    /// 1048576 (1 MiB).
    pub max_write_bytes: u64,
}

impl Default for FsTool {
    fn default() -> Self {
        FsTool {
            max_read_bytes: 262_144,
            max_write_bytes: 1_048_576,
        }
    }
}

/// `tools.webFetch`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WebFetchTool {
    /// Milliseconds for the whole fetch (connect, redirects, body); default
    /// 15000.
    pub timeout: u64,
    /// Bytes downloaded at most; default 2097152 (2 MiB).
    pub max_bytes: u64,
    /// Characters of readable text returned at most; default 50000.
    pub max_chars: u64,
    /// Default false: loopback, private, link-local and other non-public
    /// addresses are refused, so a fetched page cannot steer the agent into
    /// the local network.
    pub allow_private: bool,
    /// Hosts (names or IP addresses) allowed even when they resolve to
    /// non-public addresses, e.g. `["127.0.0.1", "nas.local"]`. Default empty.
    pub allow_hosts: Vec<String>,
    /// Milliseconds a fetched page is served from the cache; default 300000
    /// (the seed's 5 minutes). 0 disables the cache.
    pub cache_ttl: u64,
    /// Bytes of pages kept in the memory tier (older ones stay on disk);
    /// default 8388608 (8 MiB).
    pub cache_memory_bytes: u64,
}

impl Default for WebFetchTool {
    fn default() -> Self {
        WebFetchTool {
            timeout: 15_000,
            max_bytes: 2_097_152,
            max_chars: 50_000,
            allow_private: false,
            allow_hosts: Vec::new(),
            cache_ttl: 300_000,
            cache_memory_bytes: 8_388_608,
        }
    }
}

/// `tools.browser`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BrowserTool {
    /// Default 1: a browser is the heaviest tool on a personal machine.
    pub max_instances: u32,
    /// Megabytes per browser instance; default 512.
    pub memory_limit: u64,
    /// Milliseconds per browser action; default 30000, matching the
    /// gateway's request timeout.
    pub timeout: u64,
}

impl Default for BrowserTool {
    fn default() -> Self {
        BrowserTool {
            max_instances: 1,
            memory_limit: 512,
            timeout: 30_000,
        }
    }
}

/// The tool groups a policy list may name, with their members. `group:openclaw` (every
/// built-in) is handled by the policy code.
pub(crate) const TOOL_GROUPS: [(&str, &[&str]); 7] = [
    ("group:fs", &["read", "write", "edit", "apply_patch"]),
    ("group:runtime", &["exec", "process"]),
    (
        "group:sessions",
        &[
            "sessions_list",
            "sessions_history",
            "sessions_send",
            "session_status",
            "sessions_spawn",
            "subagents",
        ],
    ),
    ("group:web", &["web_fetch"]),
    ("group:memory", &["memory_get", "memory_search"]),
    ("group:messaging", &["message"]),
    ("group:automation", &["cron"]),
];

/// Whether `name` is a group this version knows.
pub(crate) fn is_known_group(name: &str) -> bool {
    name == "group:openclaw"
        || name == "group:mcp"
        || TOOL_GROUPS.iter().any(|(group, _)| *group == name)
}

/// Cross-key rules of `tools.*` and the sandbox lists: unknown groups and zero limits.
pub(crate) fn check(config: &super::Config, problems: &mut Vec<Problem>) {
    let lists = [
        ("tools.allow", &config.tools.allow),
        ("tools.deny", &config.tools.deny),
        (
            "agents.defaults.sandbox.allowlist",
            &config.agents.defaults.sandbox.allowlist,
        ),
        (
            "agents.defaults.sandbox.denylist",
            &config.agents.defaults.sandbox.denylist,
        ),
    ];
    for (key, list) in lists {
        for (index, name) in list.iter().enumerate() {
            if name.starts_with("group:") && !is_known_group(name) {
                let known: Vec<&str> = TOOL_GROUPS.iter().map(|(group, _)| *group).collect();
                problems.push(Problem::new(
                    format!("{key}.{index}"),
                    format!(
                        "unknown tool group {name:?}; known groups: {}, group:openclaw",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let tools = &config.tools;
    for (index, target) in tools.message.allow_targets.iter().enumerate() {
        let valid = target
            .split_once(':')
            .is_some_and(|(channel, id)| !channel.is_empty() && !id.trim().is_empty());
        if !valid {
            problems.push(Problem::new(
                format!("tools.message.allowTargets.{index}"),
                format!("{target:?} is not \"<channel>:<id>\" (e.g. \"telegram:123456789\")"),
            ));
        }
    }
    let limits = [
        (
            "tools.exec.maxProcesses",
            u64::from(tools.exec.max_processes),
        ),
        ("tools.exec.timeout", tools.exec.timeout),
        ("tools.exec.maxOutputBytes", tools.exec.max_output_bytes),
        (
            "tools.exec.backgroundTimeout",
            tools.exec.background_timeout,
        ),
        ("tools.fs.maxReadBytes", tools.fs.max_read_bytes),
        ("tools.fs.maxWriteBytes", tools.fs.max_write_bytes),
        ("tools.webFetch.timeout", tools.web_fetch.timeout),
        ("tools.webFetch.maxBytes", tools.web_fetch.max_bytes),
        ("tools.webFetch.maxChars", tools.web_fetch.max_chars),
    ];
    for (key, value) in limits {
        if value == 0 {
            problems.push(Problem::new(key, "must be at least 1"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn defaults_are_documented_values() {
        let t = ToolsConfig::default();
        assert!(t.allow.is_empty() && t.deny.is_empty());
        assert_eq!(t.exec.max_output_bytes, 65_536);
        assert_eq!(t.exec.background_timeout, 1_800_000);
        assert_eq!(t.fs.max_read_bytes, 262_144);
        assert_eq!(t.fs.max_write_bytes, 1_048_576);
        assert_eq!(t.web_fetch.cache_ttl, 300_000);
        assert!(!t.web_fetch.allow_private);
    }

    #[test]
    fn unknown_groups_and_zero_limits_are_problems() {
        let mut config = Config::default();
        config.tools.deny = vec!["group:runtime".into(), "group:nope".into()];
        config.agents.defaults.sandbox.allowlist = vec!["group:fs".into(), "browser".into()];
        config.tools.exec.timeout = 0;
        config.tools.message.allow_targets = vec!["telegram:1".into(), "+1555".into()];
        let mut problems = Vec::new();
        check(&config, &mut problems);
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "tools.deny.1",
                "tools.message.allowTargets.1",
                "tools.exec.timeout"
            ],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("group:memory"));
    }
}
