//! `mcp`: the Model Context Protocol servers whose tools the agent may call.
//!
//! Each `mcp.servers.<name>` is either a command Pincer starts and talks to over its stdin and
//! stdout (`command`, `args`, `env`, `cwd`), or a server reached over streamable HTTP (`url`,
//! `headers`). The gateway runs one supervised actor per enabled server
//! (`crate::agent::tools::mcp`); its tools are offered to the model as `<name>__<tool>`. The
//! server's name is part of every tool name, so it must be a short safe identifier ([`check`]).
//!
//! `env` and `headers` values are [`Secret`]s: both are the usual way to hand a server its API
//! key, and which ones hold one is the user's knowledge, not the schema's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::Problem;
use super::schema::Config;
use super::secret::Secret;

/// The longest server name: `<server>__<tool>` must fit the 64 characters OpenAI allows.
pub(crate) const MAX_SERVER_NAME: usize = 24;

/// `mcp`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct McpConfig {
    /// The servers by name. Default none.
    pub servers: BTreeMap<String, McpServerConfig>,
}

/// `mcp.servers.<name>`: one server, stdio (`command`) or streamable HTTP (`url`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpServerConfig {
    /// Default true; a disabled server is listed but not started.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The program to start (stdio transport); looked up in `PATH` when it has no slash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Variables added to the environment it starts with (the gateway's, minus its secrets).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, Secret>,
    /// Its working directory; default the gateway's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The endpoint of a streamable-HTTP server (`http://` or `https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Headers sent with every request to `url` (typically `Authorization`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Secret>,
    /// How `url` is spoken: `streamable-http` (the default) or `sse`, the HTTP+SSE transport of
    /// servers older than protocol revision 2025-03-26.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<McpTransport>,
    /// How long connecting (start, `initialize`, `tools/list`) may take, in ms. Default 30000.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// How long one tool call may take before it is cancelled, in ms. Default 60000.
    #[serde(default = "default_tool_timeout")]
    pub tool_timeout: u64,
    /// The most characters of one tool result the model reads; the rest is cut. Default 100000.
    #[serde(default = "default_max_result_chars")]
    pub max_result_chars: u64,
}

/// `mcp.servers.<name>.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum McpTransport {
    /// One endpoint, POSTs answered with JSON or an SSE stream (revision 2025-03-26 on).
    StreamableHttp,
    /// A GET event stream naming the endpoint messages are POSTed to (revision 2024-11-05).
    Sse,
}

fn enabled_by_default() -> bool {
    true
}

fn default_timeout() -> u64 {
    30_000
}

fn default_tool_timeout() -> u64 {
    60_000
}

fn default_max_result_chars() -> u64 {
    100_000
}

/// Whether `name` can be an MCP server's name: 1 to [`MAX_SERVER_NAME`] ASCII letters, digits,
/// `-` or `_`, without `__` (the separator of `<server>__<tool>`).
pub(crate) fn is_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_SERVER_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// The rules of `mcp.servers`: safe names, exactly one transport, sane limits; and every
/// `mcp:<server>` entry of the tool lists names a configured server.
pub(crate) fn check(config: &Config, problems: &mut Vec<Problem>) {
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
        for (index, entry) in list.iter().enumerate() {
            if let Some(server) = entry.strip_prefix("mcp:") {
                if !config.mcp.servers.contains_key(server) {
                    problems.push(Problem::new(
                        format!("{key}.{index}"),
                        format!("{entry:?} names no server of mcp.servers"),
                    ));
                }
            }
        }
    }
    for (name, server) in &config.mcp.servers {
        let key = format!("mcp.servers.{name}");
        if !is_server_name(name) {
            problems.push(Problem::new(
                key.clone(),
                format!(
                    "{name:?} is not a server name: 1 to {MAX_SERVER_NAME} letters, digits, `-` or \
                     `_`, without `__` and not ending in `_` (it starts every tool name, \
                     `<server>__<tool>`)"
                ),
            ));
        }
        match (&server.command, &server.url) {
            (Some(_), Some(_)) => problems.push(Problem::new(
                key.clone(),
                "set either `command` (stdio) or `url` (HTTP), not both",
            )),
            (None, None) => problems.push(Problem::new(
                key.clone(),
                "set `command` (a stdio server) or `url` (a streamable-HTTP server)",
            )),
            (Some(command), None) => {
                if command.trim().is_empty() {
                    problems.push(Problem::new(format!("{key}.command"), "must not be empty"));
                }
                for (field, set) in [
                    ("headers", !server.headers.is_empty()),
                    ("transport", server.transport.is_some()),
                ] {
                    if set {
                        problems.push(Problem::new(
                            format!("{key}.{field}"),
                            "only HTTP servers (`url`) take it",
                        ));
                    }
                }
            }
            (None, Some(url)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    problems.push(Problem::new(
                        format!("{key}.url"),
                        format!("{url:?} is not an http:// or https:// URL"),
                    ));
                }
                for field in [
                    ("args", !server.args.is_empty()),
                    ("env", !server.env.is_empty()),
                    ("cwd", server.cwd.is_some()),
                ] {
                    if field.1 {
                        problems.push(Problem::new(
                            format!("{key}.{}", field.0),
                            "only stdio servers (`command`) take it",
                        ));
                    }
                }
            }
        }
        for (field, value) in [
            ("timeout", server.timeout),
            ("toolTimeout", server.tool_timeout),
            ("maxResultChars", server.max_result_chars),
        ] {
            if value == 0 {
                problems.push(Problem::new(format!("{key}.{field}"), "must be at least 1"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> Vec<String> {
        let config =
            crate::config::parse_str(text, std::path::Path::new("t.json5")).expect("parses");
        crate::config::validate(&config)
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn names_are_safe_identifiers() {
        for good in ["fs", "git-hub", "a_b", "x1"] {
            assert!(is_server_name(good), "{good}");
        }
        for bad in ["", "a__b", "a b", "é", "x_", &"n".repeat(25)] {
            assert!(!is_server_name(bad), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_key() {
        let both = problems_of(r#"{mcp: {servers: {"a": {command: "x", url: "http://h"}}}}"#);
        assert!(both.iter().any(|p| p.contains("mcp.servers.a")), "{both:?}");
        let neither = problems_of(r#"{mcp: {servers: {"bad name": {}}}}"#);
        assert_eq!(neither.len(), 2, "{neither:?}");
        let url = problems_of(r#"{mcp: {servers: {h: {url: "ftp://x", cwd: "/"}}}}"#);
        assert!(
            url.iter().any(|p| p.contains("mcp.servers.h.url")),
            "{url:?}"
        );
        assert!(
            url.iter().any(|p| p.contains("mcp.servers.h.cwd")),
            "{url:?}"
        );
        let zero = problems_of(r#"{mcp: {servers: {s: {command: "x", toolTimeout: 0}}}}"#);
        assert!(zero.iter().any(|p| p.contains("mcp.servers.s.toolTimeout")));
        assert!(problems_of(r#"{mcp: {servers: {s: {command: "x"}}}}"#).is_empty());
        let entry = problems_of(
            r#"{tools: {deny: ["mcp:s", "mcp:nope"]}, mcp: {servers: {s: {command: "x"}}}}"#,
        );
        assert_eq!(entry.len(), 1, "{entry:?}");
        assert!(entry[0].starts_with("tools.deny.1: "), "{entry:?}");
        let sse = problems_of(r#"{mcp: {servers: {s: {command: "x", transport: "sse"}}}}"#);
        assert!(
            sse.iter().any(|p| p.contains("mcp.servers.s.transport")),
            "{sse:?}"
        );
    }
}
