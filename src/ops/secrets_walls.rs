//! Whether the kernel keeps Pincer's own secrets out of reach of `exec`, for `pincer doctor` and
//! `pincer security audit` (same check id in both: `tools.exec_can_read_secrets`).
//!
//! The walls around the state directory and config file (see
//! [`crate::agent::tools::walls`]) hold for the file tools everywhere (they are path checks in
//! the gateway), but for `exec` only where the kernel has Landlock: without it a command the
//! model runs can `cat` the secrets file, the token and the config. Every Landlock right the
//! walls use exists since ABI v1, so any Landlock kernel enforces them in full; no ABI is too
//! old. The gateway's memory stays protected without Landlock too (it is not dumpable, and
//! commands lose `CAP_SYS_PTRACE`), and its `/proc/<pid>/environ` holds no secret value.

use super::audit::{Finding, Severity};
use super::doctor_checks::{Issue, IssueSeverity};
use super::doctor_tools::{exec_allowed, ToolsInfo};
use crate::config::Config;

/// The stable id of the finding (audit) and the issue (doctor).
pub(crate) const CHECK_ID: &str = "tools.exec_can_read_secrets";

const TITLE: &str = "exec commands can read Pincer's secrets";
const RECOMMENDATION: &str = "Use a kernel with Landlock enabled (Linux 5.13+, \"landlock\" in \
                              the lsm= list), or deny exec (tools.deny: [\"group:runtime\"]).";

fn description() -> String {
    "This kernel has no Landlock, so the commands the agent runs (or a prompt injected into it \
     through a web page or a message) can read the state directory: secrets.env, gateway.token, \
     session transcripts, and the config file with any key written in it. The file tools still \
     refuse these paths."
        .to_string()
}

/// The audit finding: `exec` usable while the kernel (Landlock ABI `landlock_abi`) cannot
/// wall the secrets off.
pub(crate) fn audit_findings(config: &Config, landlock_abi: Option<u32>) -> Vec<Finding> {
    if landlock_abi.is_some() || !exec_allowed(config) {
        return Vec::new();
    }
    vec![Finding::new(
        CHECK_ID,
        Severity::Warning,
        TITLE,
        description(),
        RECOMMENDATION,
    )]
}

/// The doctor issue, from what the doctor found about the tools.
pub(crate) fn doctor_issues(info: &ToolsInfo, exec_allowed_somewhere: bool) -> Vec<Issue> {
    if info.landlock_abi.is_some() || !exec_allowed_somewhere {
        return Vec::new();
    }
    vec![Issue::new(
        CHECK_ID,
        IssueSeverity::Warning,
        "tools",
        TITLE,
        description(),
        RECOMMENDATION,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SandboxMode;

    #[test]
    fn only_a_kernel_without_landlock_with_exec_usable_is_reported() {
        let config = Config::default();
        let found = audit_findings(&config, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].check_id, CHECK_ID);
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(found[0].description.contains("secrets.env"));
        assert!(
            audit_findings(&config, Some(1)).is_empty(),
            "ABI v1 is enough"
        );
        let mut no_exec = Config::default();
        no_exec.tools.deny = vec!["group:runtime".into()];
        assert!(audit_findings(&no_exec, None).is_empty());

        let info = ToolsInfo {
            sandbox_mode: SandboxMode::NonMain,
            sandboxed_tools: vec![],
            exec_sandbox: false,
            landlock_abi: None,
            exec_confined: false,
        };
        let issues = doctor_issues(&info, true);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].id, CHECK_ID);
        assert!(doctor_issues(&info, false).is_empty());
        let walled = ToolsInfo {
            landlock_abi: Some(7),
            ..info
        };
        assert!(doctor_issues(&walled, true).is_empty());
    }
}
