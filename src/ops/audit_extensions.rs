//! The security audit's rules for what extends the agent beyond its built-in tools: MCP
//! servers, cron, sub-agents and memory embeddings (see [`super::audit`] for the types).
//!
//! Each rule reads the effective config and the gateway's own tool policy, so a group or a
//! `tools.deny` entry counts exactly as it would at run time. Like the other config rules they
//! do not assume the config passed validation.

use super::audit::{Finding, Severity};
use crate::agent::tools::policy::ToolPolicy;
use crate::config::Config;

/// Every finding of these rules, unsorted.
pub(crate) fn check(config: &Config) -> Vec<Finding> {
    let policy = ToolPolicy::from_config(config);
    let mut findings = Vec::new();
    mcp(config, &policy, &mut findings);
    automation_in_sandbox(&policy, &mut findings);
    remote_embeddings(config, &mut findings);
    findings
}

/// Stdio servers run unconfined; any MCP tool offered to sandboxed sessions is third-party code
/// that strangers' messages can drive.
fn mcp(config: &Config, policy: &ToolPolicy, findings: &mut Vec<Finding>) {
    let enabled = || {
        config
            .mcp
            .servers
            .iter()
            .filter(|(_, server)| server.enabled)
    };
    let stdio: Vec<&str> = enabled()
        .filter(|(_, server)| server.command.is_some())
        .map(|(name, _)| name.as_str())
        .collect();
    if !stdio.is_empty() {
        findings.push(Finding::new(
            "mcp.stdio_unconfined",
            Severity::Info,
            "MCP stdio servers run with the gateway's rights",
            format!(
                "mcp.servers {} start a command that runs as your user without the Landlock \
                 confinement exec gets (with the gateway's environment minus its secrets).",
                stdio.join(", ")
            ),
            "Configure only servers you trust as much as the config itself.",
        ));
    }
    // A name with `__` is how the policy recognises an MCP tool, so a probe per server asks
    // exactly what `group:mcp` and `mcp:<server>` entries decide.
    let reachable: Vec<&str> = enabled()
        .filter(|(name, _)| policy.decide(&format!("{name}__probe"), true).allowed)
        .map(|(name, _)| name.as_str())
        .collect();
    if !reachable.is_empty() {
        findings.push(Finding::new(
            "mcp.sandbox_allowed",
            Severity::Warning,
            "MCP tools are offered to sandboxed sessions",
            format!(
                "agents.defaults.sandbox.allowlist lets non-main sessions (other people's \
                 messages) call the tools of {}.",
                reachable.join(", ")
            ),
            "Remove group:mcp / mcp:<server> from the sandbox allowlist unless those tools are \
             safe for strangers to drive.",
        ));
    }
}

/// `cron` and `sessions_spawn` let a session act later or in parallel; in a sandboxed session
/// that is a stranger's message scheduling or multiplying work.
fn automation_in_sandbox(policy: &ToolPolicy, findings: &mut Vec<Finding>) {
    let allowed: Vec<&str> = ["cron", "sessions_spawn"]
        .into_iter()
        .filter(|tool| policy.decide(tool, true).allowed)
        .collect();
    if !allowed.is_empty() {
        findings.push(Finding::new(
            "agents.sandbox_allows_automation",
            Severity::Warning,
            "Sandboxed sessions may schedule jobs or spawn sub-agents",
            format!(
                "agents.defaults.sandbox.allowlist allows {} to non-main sessions, whose \
                 messages come from other people.",
                allowed.join(", ")
            ),
            "Keep cron and sessions_spawn to your main session (the default) unless strangers \
             should be able to schedule work or start sub-agents.",
        ));
    }
}

/// Embeddings send every memory paragraph to the provider: worth knowing when it is remote.
fn remote_embeddings(config: &Config, findings: &mut Vec<Finding>) {
    let Some(embeddings) = &config.memory.embeddings else {
        return;
    };
    let Some(base_url) =
        crate::providers::catalog::configured_base_url(&config.models, &embeddings.provider)
    else {
        return;
    };
    if is_loopback_url(&base_url) {
        return;
    }
    findings.push(Finding::new(
        "memory.remote_embeddings",
        Severity::Info,
        "Memory notes are sent to a remote embeddings provider",
        format!(
            "memory.embeddings.provider `{}` is reached at {base_url}: every paragraph of \
             MEMORY.md and memory/ and every memory_search query goes there.",
            embeddings.provider
        ),
        "Use a local provider (Ollama, llama.cpp) to keep your notes on this machine.",
    ));
}

/// Whether `url` names this machine (`localhost`, a loopback address); an unparsable URL is not.
fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::parse_str;

    fn ids(source: &str) -> Vec<&'static str> {
        let config = parse_str(source, Path::new("t.json5")).expect("the test config parses");
        check(&config).into_iter().map(|f| f.check_id).collect()
    }

    #[test]
    fn the_defaults_raise_nothing() {
        assert!(ids("{}").is_empty());
    }

    #[test]
    fn a_stdio_server_is_info_and_an_allowlisted_one_a_warning() {
        let found = ids("{ mcp: { servers: { files: { command: 'mcp-files' }, \
             web: { url: 'https://mcp.example.com/mcp' } } } }");
        assert_eq!(found, vec!["mcp.stdio_unconfined"]);
        let found = ids(
            "{ mcp: { servers: { web: { url: 'https://mcp.example.com/mcp' } } }, \
             agents: { defaults: { sandbox: { allowlist: ['read', 'mcp:web'] } } } }",
        );
        assert_eq!(found, vec!["mcp.sandbox_allowed"]);
    }

    #[test]
    fn a_disabled_server_is_not_reported() {
        let found = ids(
            "{ mcp: { servers: { files: { command: 'x', enabled: false } } }, \
             agents: { defaults: { sandbox: { allowlist: ['group:mcp'] } } } }",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn cron_or_spawn_in_the_sandbox_is_a_warning() {
        let found =
            ids("{ agents: { defaults: { sandbox: { allowlist: ['group:automation'] } } } }");
        assert_eq!(found, vec!["agents.sandbox_allows_automation"]);
        let found = ids(
            "{ agents: { defaults: { sandbox: { allowlist: ['sessions_spawn'], \
             denylist: [] } } } }",
        );
        assert_eq!(found, vec!["agents.sandbox_allows_automation"]);
    }

    #[test]
    fn remote_embeddings_are_info_and_local_ones_nothing() {
        let found = ids("{ memory: { embeddings: { provider: 'openai', \
             model: 'text-embedding-3-small' } } }");
        assert_eq!(found, vec!["memory.remote_embeddings"]);
        let found =
            ids("{ memory: { embeddings: { provider: 'ollama', model: 'nomic-embed-text' } } }");
        assert!(found.is_empty(), "{found:?}");
        let found = ids(
            "{ models: { providers: { box: { api: 'openai-completions', \
             baseUrl: 'http://localhost:8080/v1' } } }, \
             memory: { embeddings: { provider: 'box', model: 'e5' } } }",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn loopback_urls_are_recognised() {
        assert!(is_loopback_url("http://127.0.0.1:11434/v1"));
        assert!(is_loopback_url("http://[::1]:8080"));
        assert!(is_loopback_url("http://LOCALHOST/v1"));
        assert!(!is_loopback_url("https://api.openai.com/v1"));
        assert!(!is_loopback_url("not a url"));
    }
}
