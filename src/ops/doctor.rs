//! `pincer doctor`: the seed's `Diagnostics.diagnoseSystem`, measured instead of stubbed.
//!
//! [`diagnose`] gathers the machine (`system`), this CLI and the running gateway (`process`),
//! the IPv4 addresses (`network`), Pincer's files and the free disk space (`storage`) and the
//! model chain, then derives `issues` from them ([`super::doctor_checks`]). It never fails on a
//! broken installation: an invalid config is an issue, and the checks continue with the file as
//! parsed (or the defaults). [`repair`] applies the safe fixes the issues carry
//! ([`super::fix`]); the CLI then diagnoses again, so the report shows what remains.
//!
//! Gathering lives in [`super::doctor_facts`]; this file holds the report's shape.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::doctor_checks::{self, Facts, Issue, IssueSeverity};
use super::doctor_facts as gather;
use super::fix::{self, FixOutcome};
use super::netinfo::NetworkAddress;
use crate::paths::Paths;

/// The whole report, in the seed's shape (`processes` is `process` here: one CLI and one gateway).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiagnosticsReport {
    /// When the report was made (RFC 3339, UTC).
    pub timestamp: String,
    pub system: SystemInfo,
    pub process: ProcessInfo,
    pub network: NetworkInfo,
    pub storage: StorageInfo,
    /// The model chain and whether each model can be called.
    pub models: Vec<ModelStatus>,
    /// The sandbox mode, what sandboxed sessions get, and whether `exec` is confined.
    pub tools: super::doctor_tools::ToolsInfo,
    /// Most severe first.
    pub issues: Vec<Issue>,
    /// What `--fix` repaired (empty without `--fix`).
    pub fixed: Vec<String>,
    /// Repairs that were attempted and failed.
    pub fix_failures: Vec<String>,
}

impl DiagnosticsReport {
    /// Whether an `error` issue remains: the doctor's exit status.
    pub(crate) fn has_errors(&self) -> bool {
        self.issues
            .iter()
            .any(|issue| issue.severity == IssueSeverity::Error)
    }
}

/// The machine.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SystemInfo {
    pub platform: &'static str,
    pub arch: &'static str,
    /// Kernel version.
    pub release: String,
    pub hostname: String,
    /// Seconds since boot.
    pub uptime: u64,
    pub total_memory: u64,
    /// Memory available to new work (the kernel's estimate, including reclaimable cache).
    pub free_memory: u64,
    /// 1, 5 and 15 minutes.
    pub load_average: [f64; 3],
    pub cpu_count: usize,
    pub pincer_version: &'static str,
}

/// This CLI process and the running gateway.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcessInfo {
    pub pid: u32,
    pub rss_bytes: Option<u64>,
    pub argv: Vec<String>,
    /// Pincer's environment variables; credentials show as `(set)`.
    pub env: BTreeMap<String, String>,
    /// From `gateway.json`, when one was published.
    pub gateway: Option<GatewayProcess>,
}

/// A gateway recorded in the state directory's runtime file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayProcess {
    pub pid: u32,
    pub url: String,
    pub version: String,
    pub started_at_ms: u64,
    /// Whether that pid still exists (a crashed gateway leaves its runtime file behind).
    pub running: bool,
    pub rss_bytes: Option<u64>,
    pub threads: Option<u64>,
}

/// The seed's `NetworkInfo`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct NetworkInfo {
    pub addresses: Vec<NetworkAddress>,
}

/// Pincer's files and the filesystem holding them.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StorageInfo {
    pub config_file: PathBuf,
    pub config_exists: bool,
    /// Permission bits as octal text (`"0600"`), when the path exists.
    #[serde(serialize_with = "octal")]
    pub config_mode: Option<u32>,
    pub state_dir: PathBuf,
    pub state_dir_exists: bool,
    #[serde(serialize_with = "octal")]
    pub state_dir_mode: Option<u32>,
    pub workspace: PathBuf,
    pub workspace_exists: bool,
    pub token_file: PathBuf,
    pub token_file_exists: bool,
    #[serde(serialize_with = "octal")]
    pub token_file_mode: Option<u32>,
    /// The filesystem holding the state directory.
    pub disk: Option<DiskInfo>,
}

/// Space on one filesystem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiskInfo {
    pub mount_point: PathBuf,
    pub total_bytes: u64,
    pub available_bytes: u64,
}

/// One model of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModelStatus {
    /// `provider/model`.
    pub model: String,
    pub usable: bool,
    /// Why it cannot be called (e.g. which key to set).
    pub problem: Option<String>,
}

fn octal<S: Serializer>(mode: &Option<u32>, serializer: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(mode) => serializer.serialize_str(&format!("{mode:04o}")),
        None => serializer.serialize_none(),
    }
}

/// Diagnoses the installation described by `paths` (`config_path` is `--config`, for loading the
/// config exactly as the gateway would).
pub(crate) fn diagnose(paths: &Paths, config_path: Option<&Path>) -> DiagnosticsReport {
    let (config, config_error) = gather::load_config_leniently(paths, config_path);
    let system = gather::system_info();
    let gateway = gather::gateway_process(paths);
    let storage = gather::storage_info(paths, &config);
    let running = gateway.as_ref().is_some_and(|g| g.running);
    let port = gather::probe_port(&config, running);
    let models = gather::model_status(&config, &paths.secrets_file());
    let service_unit = super::layout::service_unit().filter(|unit| unit.exists());
    let facts = Facts {
        system: &system,
        storage: &storage,
        gateway: gateway.as_ref(),
        config: &config,
        config_error: config_error.as_deref(),
        port: &port,
        service_unit: service_unit.as_deref(),
        models: &models,
    };
    let mut issues = doctor_checks::check(&facts);
    let tools = super::doctor_tools::tools_info(&config);
    issues.extend(super::doctor_tools::issues(
        &tools,
        super::doctor_tools::exec_allowed(&config),
    ));
    issues.extend(super::secrets_walls::doctor_issues(
        &tools,
        super::doctor_tools::exec_allowed(&config),
    ));
    issues.sort_by_key(|issue| issue.severity);
    DiagnosticsReport {
        timestamp: crate::clock::now_rfc3339(),
        system,
        process: gather::process_info(gateway),
        network: NetworkInfo {
            addresses: super::netinfo::ipv4_addresses(),
        },
        storage,
        models,
        tools,
        issues,
        fixed: Vec::new(),
        fix_failures: Vec::new(),
    }
}

/// Applies the fixes of `report`'s issues.
pub(crate) fn repair(report: &DiagnosticsReport) -> FixOutcome {
    fix::apply_all(report.issues.iter().filter_map(|issue| issue.fix.as_ref()))
}
