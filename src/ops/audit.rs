//! `pincer security audit`: the seed's `ConfigBestPractices.validateSecureConfig`, done for real
//! over the effective config *and* the files on disk.
//!
//! Validation ([`crate::config::validate`]) refuses configs that cannot run safely; the audit
//! goes further and flags settings that run but are risky (auth off on loopback, short
//! passwords, open DMs, tools allowed in sandboxes) and files that leak (a token or secrets file
//! readable by others, a world-writable state directory). Every finding has a stable `checkId` so that
//! scripts and tests can rely on it; severities are `critical` (fix now: the audit exits 1),
//! `warning` and `info`.
//!
//! The config rules live in [`super::audit_config`]; this file holds the types, the file
//! checks, and [`audit`], which combines both.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::audit_config;
use super::perms;
use crate::config::{AuthMode, Config};
use crate::paths::Paths;

/// How urgent a finding is. Ordered most urgent first, so sorting puts critical findings on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Exploitable as configured: the audit exits 1.
    Critical,
    /// Risky; fix unless deliberate.
    Warning,
    /// Worth knowing; often fine for a personal machine.
    Info,
}

impl Severity {
    /// Upper-case label for the human report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }
}

/// One audit result, in the seed's shape plus a stable id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Finding {
    /// Stable identifier, e.g. `gateway.auth_none`; never reworded.
    pub check_id: &'static str,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub recommendation: String,
}

impl Finding {
    /// Builds a finding; keeps the rules readable.
    pub(crate) fn new(
        check_id: &'static str,
        severity: Severity,
        title: impl Into<String>,
        description: impl Into<String>,
        recommendation: impl Into<String>,
    ) -> Self {
        Finding {
            check_id,
            severity,
            title: title.into(),
            description: description.into(),
            recommendation: recommendation.into(),
        }
    }
}

/// What the audit knows about the files on disk, gathered once so the rules stay pure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileFacts {
    pub config_file: PathBuf,
    /// Permission bits; `None` when the file does not exist (or there are no Unix modes).
    pub config_mode: Option<u32>,
    pub token_file: PathBuf,
    pub token_mode: Option<u32>,
    /// Length of the token stored in the token file, when the gateway uses that file.
    pub token_file_length: Option<usize>,
    pub state_dir: PathBuf,
    pub state_dir_mode: Option<u32>,
    /// The secrets file (`<state>/secrets.env`) and its mode, `None` when there is none.
    pub secrets_file: PathBuf,
    pub secrets_mode: Option<u32>,
    /// The kernel's Landlock ABI (`None`: no Landlock, so `exec` can read the state directory).
    pub landlock_abi: Option<u32>,
}

impl FileFacts {
    /// Reads the modes of the config file, token file and state directory of `paths`; the token
    /// itself is only measured when `config` makes the gateway use the token file.
    pub(crate) fn read(paths: &Paths, config: &Config) -> FileFacts {
        let token_file = paths.token_file();
        let auth = &config.gateway.auth;
        let uses_token_file = auth.mode == AuthMode::Token && auth.token.is_none();
        let token_file_length = uses_token_file
            .then(|| std::fs::read_to_string(&token_file).ok())
            .flatten()
            .map(|text| text.trim().chars().count());
        FileFacts {
            config_mode: perms::mode(&paths.config_file),
            config_file: paths.config_file.clone(),
            token_mode: perms::mode(&token_file),
            token_file,
            token_file_length,
            state_dir_mode: perms::mode(&paths.state_dir),
            state_dir: paths.state_dir.clone(),
            secrets_mode: perms::mode(&paths.secrets_file()),
            secrets_file: paths.secrets_file(),
            landlock_abi: crate::agent::tools::exec::landlock::abi_version(),
        }
    }
}

/// The audit's outcome: findings sorted by severity, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuditReport {
    pub config_file: PathBuf,
    pub state_dir: PathBuf,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

/// Finding counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub critical: usize,
    pub warning: usize,
    pub info: usize,
}

impl AuditReport {
    /// Whether anything must be fixed now (the audit's exit status).
    pub(crate) fn has_critical(&self) -> bool {
        self.summary.critical > 0
    }

    #[cfg(test)]
    /// The check ids found, in report order (for tests and scripts).
    pub(crate) fn check_ids(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.check_id).collect()
    }
}

/// Audits `config` (the effective settings) and the files described by `files`.
pub(crate) fn audit(config: &Config, files: &FileFacts) -> AuditReport {
    let mut findings = audit_config::check(config);
    findings.extend(super::audit_extensions::check(config));
    findings.extend(check_files(files));
    findings.extend(super::secrets_walls::audit_findings(
        config,
        files.landlock_abi,
    ));
    if let Some(length) = files.token_file_length {
        findings.extend(audit_config::token_length(length, &files.token_file));
    }
    findings.sort_by_key(|f| f.severity);
    let mut summary = Summary::default();
    for finding in &findings {
        match finding.severity {
            Severity::Critical => summary.critical += 1,
            Severity::Warning => summary.warning += 1,
            Severity::Info => summary.info += 1,
        }
    }
    AuditReport {
        config_file: files.config_file.clone(),
        state_dir: files.state_dir.clone(),
        summary,
        findings,
    }
}

/// Permission findings for the config file, the token file and the state directory.
fn check_files(files: &FileFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(mode) = files
        .token_mode
        .filter(|&mode| perms::shared_with_others(mode))
    {
        findings.push(Finding::new(
            "files.token_permissions",
            Severity::Critical,
            "The gateway token file is accessible to other users",
            format!(
                "{} has mode {mode:04o}: other accounts on this machine can read the bearer token \
                 and control the gateway.",
                display(&files.token_file)
            ),
            format!(
                "chmod 600 {} (or run `pincer doctor --fix`).",
                display(&files.token_file)
            ),
        ));
    }
    if let Some(mode) = files
        .secrets_mode
        .filter(|&mode| perms::shared_with_others(mode))
    {
        findings.push(Finding::new(
            "files.secrets_permissions",
            Severity::Critical,
            "The secrets file is accessible to other users",
            format!(
                "{} has mode {mode:04o}: other accounts on this machine can read the API keys \
                 and credentials stored in it.",
                display(&files.secrets_file)
            ),
            format!("chmod 600 {}", display(&files.secrets_file)),
        ));
    }
    if let Some(mode) = files
        .config_mode
        .filter(|&mode| perms::readable_by_others(mode))
    {
        findings.push(Finding::new(
            "files.config_permissions",
            Severity::Warning,
            "The config file is readable by other users",
            format!(
                "{} has mode {mode:04o}; it may hold the gateway password or provider keys.",
                display(&files.config_file)
            ),
            format!(
                "chmod 600 {} (or run `pincer doctor --fix`), and prefer environment variables \
                 for secrets.",
                display(&files.config_file)
            ),
        ));
    }
    if let Some(mode) = files
        .state_dir_mode
        .filter(|&mode| perms::world_writable(mode))
    {
        findings.push(Finding::new(
            "files.state_dir_world_writable",
            Severity::Critical,
            "The state directory is writable by everyone",
            format!(
                "{} has mode {mode:04o}: any local user can replace the token, the runtime file \
                 or session transcripts.",
                display(&files.state_dir)
            ),
            format!(
                "chmod 700 {} (or run `pincer doctor --fix`).",
                display(&files.state_dir)
            ),
        ));
    }
    findings
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> FileFacts {
        FileFacts {
            config_file: PathBuf::from("/h/pincer.json5"),
            config_mode: Some(0o600),
            token_file: PathBuf::from("/h/state/gateway.token"),
            token_mode: Some(0o600),
            token_file_length: Some(64),
            state_dir: PathBuf::from("/h/state"),
            state_dir_mode: Some(0o700),
            secrets_file: PathBuf::from("/h/state/secrets.env"),
            secrets_mode: Some(0o600),
            landlock_abi: Some(7),
        }
    }

    #[test]
    fn defaults_with_private_files_are_clean() {
        let report = audit(&Config::default(), &facts());
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert!(!report.has_critical());
    }

    #[test]
    fn loose_files_are_reported_by_severity() {
        let mut files = facts();
        files.token_mode = Some(0o644);
        files.config_mode = Some(0o644);
        files.state_dir_mode = Some(0o777);
        files.secrets_mode = Some(0o640);
        let report = audit(&Config::default(), &files);
        assert_eq!(
            report.check_ids(),
            [
                "files.token_permissions",
                "files.secrets_permissions",
                "files.state_dir_world_writable",
                "files.config_permissions"
            ]
        );
        assert_eq!(report.summary.critical, 3);
        assert!(report.has_critical());
        assert!(report.findings[0].description.contains("644"));
    }

    #[test]
    fn a_short_stored_token_is_a_warning() {
        let mut files = facts();
        files.token_file_length = Some(8);
        let report = audit(&Config::default(), &files);
        assert_eq!(report.check_ids(), ["gateway.token_short"]);
    }

    #[test]
    fn a_kernel_without_landlock_is_a_warning_while_exec_is_allowed() {
        let files = FileFacts {
            landlock_abi: None,
            ..facts()
        };
        let report = audit(&Config::default(), &files);
        assert_eq!(report.check_ids(), ["tools.exec_can_read_secrets"]);
        assert!(!report.has_critical());
    }

    #[test]
    fn missing_files_are_not_judged() {
        let files = FileFacts {
            config_mode: None,
            token_mode: None,
            state_dir_mode: None,
            secrets_mode: None,
            token_file_length: None,
            ..facts()
        };
        assert!(audit(&Config::default(), &files).findings.is_empty());
    }

    #[test]
    fn json_uses_the_seed_field_names() {
        let mut files = facts();
        files.token_mode = Some(0o640);
        let value = serde_json::to_value(audit(&Config::default(), &files)).expect("json");
        let finding = &value["findings"][0];
        assert_eq!(finding["checkId"], "files.token_permissions");
        assert_eq!(finding["severity"], "critical");
        for key in ["title", "description", "recommendation"] {
            assert!(finding[key].is_string(), "{key}");
        }
        assert_eq!(value["summary"]["critical"], 1);
    }
}
