//! The doctor's view of the tools: the sandbox mode, what a non-main session gets, and whether
//! `exec` commands are really confined (Landlock), with the issues that follow.

use serde::Serialize;

use super::doctor_checks::{Issue, IssueSeverity};
use crate::agent::tools::exec::landlock;
use crate::agent::tools::policy::{builtin_names, ToolPolicy};
use crate::config::{Config, SandboxMode};

/// The `tools` part of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolsInfo {
    pub sandbox_mode: SandboxMode,
    /// Built-in tools a sandboxed session may use.
    pub sandboxed_tools: Vec<&'static str>,
    /// `tools.exec.sandbox`.
    pub exec_sandbox: bool,
    /// The kernel's Landlock ABI, if it has Landlock.
    pub landlock_abi: Option<u32>,
    /// Whether `exec` commands run confined.
    pub exec_confined: bool,
}

/// What the config and the kernel say.
pub(crate) fn tools_info(config: &Config) -> ToolsInfo {
    let policy = ToolPolicy::from_config(config);
    let landlock_abi = landlock::abi_version();
    ToolsInfo {
        sandbox_mode: policy.mode,
        sandboxed_tools: builtin_names()
            .filter(|tool| policy.decide(tool, true).allowed)
            .collect(),
        exec_sandbox: config.tools.exec.sandbox,
        landlock_abi,
        exec_confined: config.tools.exec.sandbox && landlock_abi.is_some(),
    }
}

/// Issues about the tools' confinement.
pub(crate) fn issues(info: &ToolsInfo, exec_allowed_somewhere: bool) -> Vec<Issue> {
    let mut issues = Vec::new();
    if !exec_allowed_somewhere {
        return issues;
    }
    if info.exec_sandbox && info.landlock_abi.is_none() {
        issues.push(Issue::new(
            "tools.exec_unconfined",
            IssueSeverity::Warning,
            "tools",
            "exec commands run unconfined",
            "tools.exec.sandbox is on, but this kernel has no Landlock (Linux 5.13+ with \
             \"landlock\" in the LSM list), so commands the agent runs can write anywhere your \
             user can.",
            "Use a kernel with Landlock enabled (lsm=...,landlock), or deny exec \
             (tools.deny: [\"group:runtime\"]) if the agent does not need it.",
        ));
    }
    if !info.exec_sandbox {
        issues.push(Issue::new(
            "tools.exec_sandbox_off",
            IssueSeverity::Info,
            "tools",
            "exec confinement is off",
            "tools.exec.sandbox is false: commands the agent runs can write anywhere your user can.",
            "Set tools.exec.sandbox to true to confine writes to the workspace (Landlock).",
        ));
    }
    issues
}

/// Whether any session may use `exec` under `config`.
pub(crate) fn exec_allowed(config: &Config) -> bool {
    let policy = ToolPolicy::from_config(config);
    let main = policy.decide("exec", false).allowed && policy.mode != SandboxMode::All;
    main || policy.decide("exec", true).allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconfined_exec_is_a_warning_only_when_exec_is_usable() {
        let info = ToolsInfo {
            sandbox_mode: SandboxMode::NonMain,
            sandboxed_tools: vec![],
            exec_sandbox: true,
            landlock_abi: None,
            exec_confined: false,
        };
        let ids: Vec<&str> = issues(&info, true).iter().map(|i| i.id).collect();
        assert_eq!(ids, ["tools.exec_unconfined"]);
        assert!(issues(&info, false).is_empty());
        let mut config = Config::default();
        assert!(exec_allowed(&config));
        config.tools.deny = vec!["exec".into()];
        assert!(!exec_allowed(&config));
        let defaults = tools_info(&Config::default());
        assert_eq!(defaults.sandboxed_tools.len(), 6);
    }
}
