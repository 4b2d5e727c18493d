//! The doctor's issues (the seed's `checkCommonIssues`), derived from gathered [`Facts`] so that
//! every rule is a pure function and testable without a machine in a given state.
//!
//! Severity `error` means Pincer cannot work as configured (the doctor exits 1); `warning`
//! means it works but something is wrong or about to be; `info` is worth knowing. Issues that
//! `pincer doctor --fix` can repair carry their [`Fix`].

use std::net::SocketAddr;
use std::path::Path;

use serde::Serialize;

use super::doctor::{GatewayProcess, ModelStatus, StorageInfo, SystemInfo};
use super::fix::Fix;
use super::perms;
use super::units::bytes;
use crate::config::Config;

/// Below this fraction of memory available, the machine is short of memory (the seed's 10%).
pub(crate) const LOW_MEMORY_FRACTION: f64 = 0.10;
/// Below this fraction of the disk free, or [`LOW_DISK_BYTES`], the disk is nearly full.
pub(crate) const LOW_DISK_FRACTION: f64 = 0.05;
/// 1 GiB: transcripts, logs and backups need room.
pub(crate) const LOW_DISK_BYTES: u64 = 1 << 30;

/// How urgent an issue is. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum IssueSeverity {
    Error,
    Warning,
    Info,
}

impl IssueSeverity {
    /// Upper-case label for the text report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            IssueSeverity::Error => "ERROR",
            IssueSeverity::Warning => "WARNING",
            IssueSeverity::Info => "INFO",
        }
    }
}

/// One problem found, in the seed's shape plus a stable id and the repair, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Issue {
    /// Stable identifier, e.g. `files.token_permissions`.
    pub id: &'static str,
    pub severity: IssueSeverity,
    pub category: &'static str,
    pub title: String,
    pub description: String,
    pub recommendation: String,
    /// What `--fix` would do about it.
    pub fix: Option<Fix>,
}

impl Issue {
    pub(crate) fn new(
        id: &'static str,
        severity: IssueSeverity,
        category: &'static str,
        title: impl Into<String>,
        description: impl Into<String>,
        recommendation: impl Into<String>,
    ) -> Self {
        Issue {
            id,
            severity,
            category,
            title: title.into(),
            description: description.into(),
            recommendation: recommendation.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

/// Whether the gateway's port is free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortProbe {
    /// Not checked: our gateway holds it, or the port is 0 (any free port).
    Skipped,
    Free {
        addr: SocketAddr,
    },
    InUse {
        addr: SocketAddr,
    },
    Failed {
        addr: SocketAddr,
        reason: String,
    },
}

/// Everything the rules look at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub system: &'a SystemInfo,
    pub storage: &'a StorageInfo,
    pub gateway: Option<&'a GatewayProcess>,
    /// The effective config, or as much of it as could be read.
    pub config: &'a Config,
    /// Why the config does not load, if it does not.
    pub config_error: Option<&'a str>,
    pub port: &'a PortProbe,
    /// The systemd user unit, when installed.
    pub service_unit: Option<&'a Path>,
    pub models: &'a [ModelStatus],
}

/// Every issue, most severe first.
pub(crate) fn check(facts: &Facts<'_>) -> Vec<Issue> {
    let mut issues = Vec::new();
    resources(facts, &mut issues);
    config_and_gateway(facts, &mut issues);
    files(facts.storage, &mut issues);
    models(facts.models, &mut issues);
    channels(facts.config, &mut issues);
    issues.sort_by_key(|issue| issue.severity);
    issues
}

/// Every enabled channel of the registry that lacks credentials.
fn channels(config: &Config, issues: &mut Vec<Issue>) {
    use crate::channels::registry::PLUGINS;
    let hints: Vec<&str> = PLUGINS.iter().map(|plugin| plugin.env_hint()).collect();
    for plugin in PLUGINS {
        let name = plugin.labels().channel;
        let enabled = config
            .channels
            .section(name)
            .is_some_and(|section| section.enabled());
        let missing = crate::config::channels::missing_credentials(&config.channels, name);
        if enabled && !missing.is_empty() {
            let keys: Vec<&str> = missing.iter().map(|(key, _)| *key).collect();
            issues.push(Issue::new(
                plugin.check_ids().not_configured,
                IssueSeverity::Warning,
                "channels",
                format!("The {name} channel is enabled but not configured"),
                format!("Missing: {}. The channel stays down until they are set.", keys.join(", ")),
                format!(
                    "Set them in the config file or in the environment ({}), then restart the gateway.",
                    hints.join(", ")
                ),
            ));
        }
    }
}

fn resources(facts: &Facts<'_>, issues: &mut Vec<Issue>) {
    let system = facts.system;
    if system.total_memory > 0
        && (system.free_memory as f64) < system.total_memory as f64 * LOW_MEMORY_FRACTION
    {
        issues.push(Issue::new(
            "system.low_memory",
            IssueSeverity::Warning,
            "system",
            "Low memory available",
            format!(
                "Only {} of {} available",
                bytes(system.free_memory),
                bytes(system.total_memory)
            ),
            "Consider closing other applications, lowering agents.maxConcurrentRuns, or \
             upgrading hardware.",
        ));
    }
    if let Some(disk) = &facts.storage.disk {
        let low_fraction =
            (disk.available_bytes as f64) < disk.total_bytes as f64 * LOW_DISK_FRACTION;
        if disk.total_bytes > 0 && (low_fraction || disk.available_bytes < LOW_DISK_BYTES) {
            issues.push(Issue::new(
                "storage.low_disk",
                IssueSeverity::Warning,
                "storage",
                "Low disk space",
                format!(
                    "Only {} of {} free on {} (holding {})",
                    bytes(disk.available_bytes),
                    bytes(disk.total_bytes),
                    disk.mount_point.display(),
                    facts.storage.state_dir.display()
                ),
                "Free space, or move the state with PINCER_STATE_DIR; old backups and archived \
                 transcripts can go.",
            ));
        }
    }
}

fn config_and_gateway(facts: &Facts<'_>, issues: &mut Vec<Issue>) {
    if let Some(error) = facts.config_error {
        issues.push(Issue::new(
            "config.invalid",
            IssueSeverity::Error,
            "config",
            "The configuration is invalid",
            error,
            "Fix the keys named above (`pincer config validate` checks again); the gateway \
             refuses to start with exit code 78 until then.",
        ));
    }
    let port = facts.config.gateway.port;
    match facts.port {
        PortProbe::InUse { addr } => issues.push(Issue::new(
            "network.port_in_use",
            IssueSeverity::Error,
            "network",
            "Gateway port in use",
            format!("Port {port} ({addr}) is already in use by another process"),
            "Change gateway.port (or PINCER_GATEWAY_PORT) or stop the conflicting process.",
        )),
        PortProbe::Failed { addr, reason } => issues.push(Issue::new(
            "network.port_unavailable",
            IssueSeverity::Warning,
            "network",
            "The gateway could not listen on its port",
            format!("Listening on {addr} failed: {reason}"),
            "Choose a port above 1023 with gateway.port, or check the address.",
        )),
        PortProbe::Skipped | PortProbe::Free { .. } => {}
    }
    let running = facts.gateway.is_some_and(|g| g.running);
    if let Some(gateway) = facts.gateway.filter(|g| !g.running) {
        issues.push(Issue::new(
            "gateway.stale_runtime",
            IssueSeverity::Info,
            "gateway",
            "A gateway stopped without cleaning up",
            format!(
                "gateway.json names pid {}, which is not running (a crash or a kill -9).",
                gateway.pid
            ),
            "Nothing to do: the next `pincer gateway` replaces the file.",
        ));
    }
    if let (Some(unit), false) = (facts.service_unit, running) {
        issues.push(Issue::new(
            "service.not_running",
            IssueSeverity::Warning,
            "service",
            "The service is installed but the gateway is not running",
            format!("{} exists, but no gateway runs.", unit.display()),
            "Run `pincer service status` and `pincer logs`; `pincer service start` starts it \
             (a config error, exit 78, keeps it stopped).",
        ));
    }
}

fn files(storage: &StorageInfo, issues: &mut Vec<Issue>) {
    if !storage.state_dir_exists {
        issues.push(
            Issue::new(
                "storage.state_dir_missing",
                IssueSeverity::Info,
                "storage",
                "The state directory does not exist yet",
                format!("{} is missing.", storage.state_dir.display()),
                "The gateway creates it on first start; `pincer doctor --fix` creates it now.",
            )
            .with_fix(Fix::CreateDir {
                path: storage.state_dir.clone(),
            }),
        );
    }
    if !storage.workspace_exists {
        issues.push(
            Issue::new(
                "storage.workspace_missing",
                IssueSeverity::Info,
                "storage",
                "The agent workspace does not exist yet",
                format!("{} is missing.", storage.workspace.display()),
                "`pincer doctor --fix` creates it (mode 0700).",
            )
            .with_fix(Fix::CreateDir {
                path: storage.workspace.clone(),
            }),
        );
    }
    if let Some(mode) = storage
        .token_file_mode
        .filter(|&m| perms::shared_with_others(m))
    {
        issues.push(
            Issue::new(
                "files.token_permissions",
                IssueSeverity::Error,
                "security",
                "The gateway token file is readable by others",
                format!(
                    "{} has mode {mode:04o}; it must be 0600 (owner only).",
                    storage.token_file.display()
                ),
                "Run `pincer doctor --fix`, or chmod 600 the file.",
            )
            .with_fix(Fix::Chmod {
                path: storage.token_file.clone(),
                mode: 0o600,
            }),
        );
    }
    if let Some(mode) = storage
        .config_mode
        .filter(|&m| perms::shared_with_others(m))
    {
        issues.push(
            Issue::new(
                "files.config_permissions",
                IssueSeverity::Warning,
                "security",
                "The config file is accessible to others",
                format!(
                    "{} has mode {mode:04o}; it may hold a password or provider keys.",
                    storage.config_file.display()
                ),
                "Run `pincer doctor --fix`, or chmod 600 the file.",
            )
            .with_fix(Fix::Chmod {
                path: storage.config_file.clone(),
                mode: 0o600,
            }),
        );
    }
    if let Some(mode) = storage
        .state_dir_mode
        .filter(|&m| perms::shared_with_others(m))
    {
        issues.push(
            Issue::new(
                "files.state_dir_permissions",
                IssueSeverity::Warning,
                "security",
                "The state directory is accessible to others",
                format!(
                    "{} has mode {mode:04o}; it must be 0700 (it holds the token and transcripts).",
                    storage.state_dir.display()
                ),
                "Run `pincer doctor --fix`, or chmod 700 the directory.",
            )
            .with_fix(Fix::Chmod {
                path: storage.state_dir.clone(),
                mode: 0o700,
            }),
        );
    }
}

fn models(models: &[ModelStatus], issues: &mut Vec<Issue>) {
    let unusable: Vec<&ModelStatus> = models.iter().filter(|m| !m.usable).collect();
    if unusable.is_empty() {
        return;
    }
    let details = unusable
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.model,
                m.problem.as_deref().unwrap_or("unusable")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let none_usable = unusable.len() == models.len();
    let (severity, title) = if none_usable {
        (IssueSeverity::Error, "No model of the chain can be called")
    } else {
        (
            IssueSeverity::Warning,
            "Some fallback models cannot be called",
        )
    };
    issues.push(Issue::new(
        "providers.not_configured",
        severity,
        "providers",
        title,
        details,
        "Set the provider's API key (ANTHROPIC_API_KEY, OPENAI_API_KEY, or \
         models.providers.<id>.apiKeyEnv), or change agents.defaults.model.",
    ));
}

#[cfg(test)]
#[path = "doctor_checks_tests.rs"]
mod tests;
