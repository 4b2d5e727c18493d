//! Gathering what `pincer doctor` reports (see [`super::doctor`]): the config as far as it can be
//! read, the machine, this process and the gateway's, the files, the gateway port, the models.
//! Every reader degrades to "unknown" instead of failing.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;

use sysinfo::{CpuRefreshKind, Disks, System};

use super::doctor::{DiskInfo, GatewayProcess, ModelStatus, ProcessInfo, StorageInfo, SystemInfo};
use super::doctor_checks::PortProbe;
use super::{perms, procfs};
use crate::agent::RunSettings;
use crate::config::workspace::workspace_dir;
use crate::config::{self, Bind, Config};
use crate::config::{load_config, GatewayOptions};
use crate::paths::Paths;
use crate::providers::catalog::ProviderCatalog;
use crate::runtime_file::{process_alive, read_runtime};

/// Environment variables shown in the report; the credentials only as `(set)`.
const ENV_SHOWN: [&str; 8] = [
    "PINCER_HOME",
    "PINCER_CONFIG",
    "PINCER_STATE_DIR",
    "PINCER_GATEWAY_PORT",
    "PINCER_AGENT_MODEL",
    "PINCER_LOG",
    "CLAWDBOT_GATEWAY_PORT",
    "CLAWDBOT_AGENT_MODEL",
];
const ENV_SECRET: [&str; 5] = [
    "PINCER_GATEWAY_TOKEN",
    "PINCER_GATEWAY_PASSWORD",
    "CLAWDBOT_GATEWAY_PASSWORD",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
];

/// The config as the gateway would load it; when that fails, the error text and the file as
/// parsed without validation (or the defaults), so that the other checks still see the user's
/// settings.
pub(crate) fn load_config_leniently(
    paths: &Paths,
    config_path: Option<&Path>,
) -> (Config, Option<String>) {
    let options = GatewayOptions {
        config_path: config_path.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    match load_config(paths, &options) {
        Ok(loaded) => (loaded.config, None),
        Err(error) => {
            // The secrets file may be the broken part: then the environment alone.
            let environment = config::Environment::load(&paths.secrets_file()).unwrap_or_default();
            let env = |name: &str| environment.get(name);
            let mut config = std::fs::read_to_string(&paths.config_file)
                .ok()
                .and_then(|text| config::parse_str(&text, &paths.config_file).ok())
                .unwrap_or_default();
            // A bad override is part of the error already; keep whatever applied.
            let _ = config::apply_overrides(&mut config, &env);
            (config, Some(error.to_string()))
        }
    }
}

/// The machine's figures from `sysinfo`.
pub(crate) fn system_info() -> SystemInfo {
    let (total, available, cpus) = match System::new() {
        Ok(mut system) => {
            system.refresh_memory();
            system.refresh_cpu_list(CpuRefreshKind::nothing());
            (
                system.total_memory(),
                system.available_memory(),
                system.cpus().len(),
            )
        }
        Err(_) => (0, 0, 0),
    };
    let cpu_count = if cpus > 0 {
        cpus
    } else {
        std::thread::available_parallelism().map_or(0, |n| n.get())
    };
    let load = System::load_average().ok();
    SystemInfo {
        platform: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        release: System::kernel_version().unwrap_or_default(),
        hostname: System::host_name().unwrap_or_default(),
        uptime: System::uptime().unwrap_or(0),
        total_memory: total,
        free_memory: available,
        load_average: load.map_or([0.0; 3], |l| [l.one, l.five, l.fifteen]),
        cpu_count,
        pincer_version: env!("CARGO_PKG_VERSION"),
    }
}

/// The gateway recorded in `gateway.json`, with its memory when it runs.
pub(crate) fn gateway_process(paths: &Paths) -> Option<GatewayProcess> {
    let info = read_runtime(&paths.runtime_file())?;
    let running = process_alive(info.pid);
    let status = running.then(|| procfs::read_status(info.pid)).flatten();
    Some(GatewayProcess {
        pid: info.pid,
        url: info.url,
        version: info.version,
        started_at_ms: info.started_at_ms,
        running,
        rss_bytes: status.as_ref().and_then(|s| s.vm_rss_bytes),
        threads: status.and_then(|s| s.threads),
    })
}

/// This CLI process.
pub(crate) fn process_info(gateway: Option<GatewayProcess>) -> ProcessInfo {
    let pid = std::process::id();
    let mut env = BTreeMap::new();
    for name in ENV_SHOWN {
        if let Some(value) = std::env::var_os(name) {
            env.insert(name.to_string(), value.to_string_lossy().into_owned());
        }
    }
    for name in ENV_SECRET {
        if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
            env.insert(name.to_string(), "(set)".to_string());
        }
    }
    ProcessInfo {
        pid,
        rss_bytes: procfs::read_status(pid).and_then(|s| s.vm_rss_bytes),
        argv: std::env::args().collect(),
        env,
        gateway,
    }
}

/// Pincer's paths, whether they exist, their modes, and the free space where the state lives.
pub(crate) fn storage_info(paths: &Paths, config: &Config) -> StorageInfo {
    let workspace = workspace_dir(config, &paths.state_dir);
    let token_file = paths.token_file();
    StorageInfo {
        config_exists: paths.config_file.is_file(),
        config_mode: perms::mode(&paths.config_file),
        config_file: paths.config_file.clone(),
        state_dir_exists: paths.state_dir.is_dir(),
        state_dir_mode: perms::mode(&paths.state_dir),
        state_dir: paths.state_dir.clone(),
        workspace_exists: workspace.is_dir(),
        workspace,
        token_file_exists: token_file.is_file(),
        token_file_mode: perms::mode(&token_file),
        token_file,
        disk: disk_holding(&paths.state_dir),
    }
}

/// The filesystem that holds `path` (or its nearest existing ancestor): the longest mount point
/// that is a prefix of it.
fn disk_holding(path: &Path) -> Option<DiskInfo> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let resolved = existing.canonicalize().ok()?;
    let disks = Disks::new_with_refreshed_list().ok()?;
    disks
        .iter()
        .filter(|d| resolved.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| DiskInfo {
            mount_point: d.mount_point().to_path_buf(),
            total_bytes: d.total_space(),
            available_bytes: d.available_space(),
        })
}

/// Whether the gateway could listen on its port now. Skipped while our own gateway holds it.
pub(crate) fn probe_port(config: &Config, gateway_running: bool) -> PortProbe {
    let port = config.gateway.port;
    if gateway_running {
        return PortProbe::Skipped;
    }
    if port == 0 {
        return PortProbe::Skipped;
    }
    let ip = match config.gateway.bind {
        Bind::Lan => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let addr = SocketAddr::new(ip, port);
    match TcpListener::bind(addr) {
        Ok(_listener) => PortProbe::Free { addr },
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => PortProbe::InUse { addr },
        Err(error) => PortProbe::Failed {
            addr,
            reason: error.to_string(),
        },
    }
}

/// Whether each model of the chain resolves to a usable provider (keys present, provider known);
/// keys are looked up as the gateway does, in the environment and then in `secrets_file`.
pub(crate) fn model_status(config: &Config, secrets_file: &Path) -> Vec<ModelStatus> {
    let environment = config::Environment::load(secrets_file).unwrap_or_default();
    let env = |name: &str| environment.get(name);
    let catalog = ProviderCatalog::from_config(&config.models, &env);
    RunSettings::from_config(config)
        .models
        .into_iter()
        .map(|model| match catalog.resolve(&model) {
            Ok(_) => ModelStatus {
                model,
                usable: true,
                problem: None,
            },
            Err(error) => ModelStatus {
                model,
                usable: false,
                problem: Some(error.message),
            },
        })
        .collect()
}
