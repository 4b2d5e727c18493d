//! Tests of the doctor's rules, on hand-made facts.

use std::path::PathBuf;

use super::*;
use crate::ops::doctor::DiskInfo;

const GIB: u64 = 1 << 30;

fn system() -> SystemInfo {
    SystemInfo {
        total_memory: 8 * GIB,
        free_memory: 4 * GIB,
        ..SystemInfo::default()
    }
}

fn storage() -> StorageInfo {
    StorageInfo {
        config_file: PathBuf::from("/h/pincer.json5"),
        config_exists: true,
        config_mode: Some(0o600),
        state_dir: PathBuf::from("/h/state"),
        state_dir_exists: true,
        state_dir_mode: Some(0o700),
        workspace: PathBuf::from("/h/state/agents/main/workspace"),
        workspace_exists: true,
        token_file: PathBuf::from("/h/state/gateway.token"),
        token_file_exists: true,
        token_file_mode: Some(0o600),
        disk: Some(DiskInfo {
            mount_point: PathBuf::from("/"),
            total_bytes: 100 * GIB,
            available_bytes: 50 * GIB,
        }),
    }
}

fn usable() -> Vec<ModelStatus> {
    vec![ModelStatus {
        model: "ollama/qwen3".into(),
        usable: true,
        problem: None,
    }]
}

struct Case {
    system: SystemInfo,
    storage: StorageInfo,
    gateway: Option<GatewayProcess>,
    config: Config,
    config_error: Option<String>,
    port: PortProbe,
    unit: Option<PathBuf>,
    models: Vec<ModelStatus>,
}

impl Case {
    fn healthy() -> Case {
        Case {
            system: system(),
            storage: storage(),
            gateway: None,
            config: Config::default(),
            config_error: None,
            port: PortProbe::Skipped,
            unit: None,
            models: usable(),
        }
    }

    fn issues(&self) -> Vec<Issue> {
        check(&Facts {
            system: &self.system,
            storage: &self.storage,
            gateway: self.gateway.as_ref(),
            config: &self.config,
            config_error: self.config_error.as_deref(),
            port: &self.port,
            service_unit: self.unit.as_deref(),
            models: &self.models,
        })
    }

    fn ids(&self) -> Vec<&'static str> {
        self.issues().into_iter().map(|i| i.id).collect()
    }
}

#[test]
fn a_healthy_installation_has_no_issues() {
    assert!(Case::healthy().issues().is_empty());
}

#[test]
fn low_memory_and_disk() {
    let mut case = Case::healthy();
    case.system.free_memory = GIB / 2;
    if let Some(disk) = case.storage.disk.as_mut() {
        disk.available_bytes = GIB / 2;
    }
    assert_eq!(case.ids(), ["system.low_memory", "storage.low_disk"]);
    // 4% of a big disk is still low.
    if let Some(disk) = case.storage.disk.as_mut() {
        disk.total_bytes = 1000 * GIB;
        disk.available_bytes = 40 * GIB;
    }
    case.system.free_memory = 4 * GIB;
    assert_eq!(case.ids(), ["storage.low_disk"]);
}

#[test]
fn a_taken_port_is_an_error_and_sorted_first() {
    let mut case = Case::healthy();
    case.config.channels.whatsapp.enabled = true;
    case.port = PortProbe::InUse {
        addr: "127.0.0.1:18789".parse().expect("addr"),
    };
    let issues = case.issues();
    assert_eq!(issues[0].id, "network.port_in_use");
    assert_eq!(issues[0].severity, IssueSeverity::Error);
    assert!(issues[0].description.contains("18789"));
    assert_eq!(issues[1].id, "channels.whatsapp_not_configured");
}

#[test]
fn an_invalid_config_is_reported() {
    let mut case = Case::healthy();
    case.config_error = Some("invalid config /h/pincer.json5: gateway.port: bad".into());
    let issues = case.issues();
    assert_eq!(issues[0].id, "config.invalid");
    assert!(issues[0].description.contains("gateway.port"));
}

#[test]
fn loose_permissions_carry_their_fix() {
    let mut case = Case::healthy();
    case.storage.token_file_mode = Some(0o644);
    case.storage.config_mode = Some(0o640);
    case.storage.state_dir_mode = Some(0o755);
    let issues = case.issues();
    let ids: Vec<_> = issues.iter().map(|i| i.id).collect();
    assert_eq!(
        ids,
        [
            "files.token_permissions",
            "files.config_permissions",
            "files.state_dir_permissions"
        ]
    );
    assert_eq!(
        issues[0].fix,
        Some(Fix::Chmod {
            path: PathBuf::from("/h/state/gateway.token"),
            mode: 0o600
        })
    );
    assert_eq!(
        issues[2].fix,
        Some(Fix::Chmod {
            path: PathBuf::from("/h/state"),
            mode: 0o700
        })
    );
}

#[test]
fn missing_directories_can_be_created() {
    let mut case = Case::healthy();
    case.storage.state_dir_exists = false;
    case.storage.workspace_exists = false;
    case.storage.state_dir_mode = None;
    case.storage.token_file_mode = None;
    let issues = case.issues();
    assert_eq!(issues.len(), 2);
    assert!(issues
        .iter()
        .all(|i| matches!(i.fix, Some(Fix::CreateDir { .. }))));
}

#[test]
fn an_installed_service_without_a_gateway() {
    let mut case = Case::healthy();
    case.unit = Some(PathBuf::from("/u/pincer-gateway.service"));
    assert_eq!(case.ids(), ["service.not_running"]);
    case.gateway = Some(GatewayProcess {
        pid: 1,
        running: true,
        ..GatewayProcess::default()
    });
    assert!(case.ids().is_empty());
    case.gateway = Some(GatewayProcess {
        pid: 999_999,
        running: false,
        ..GatewayProcess::default()
    });
    assert_eq!(case.ids(), ["service.not_running", "gateway.stale_runtime"]);
}

#[test]
fn model_keys() {
    let mut case = Case::healthy();
    let missing = ModelStatus {
        model: "anthropic/claude-sonnet-4-5".into(),
        usable: false,
        problem: Some("set ANTHROPIC_API_KEY".into()),
    };
    case.models.push(missing.clone());
    let issues = case.issues();
    assert_eq!(issues[0].id, "providers.not_configured");
    assert_eq!(issues[0].severity, IssueSeverity::Warning);
    assert!(issues[0].description.contains("ANTHROPIC_API_KEY"));
    case.models = vec![missing];
    assert_eq!(case.issues()[0].severity, IssueSeverity::Error);
}
