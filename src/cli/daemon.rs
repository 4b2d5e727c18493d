//! Installing the gateway as the systemd user service and saying how it went: shared by
//! `pincer service install`, `pincer gateway --install-daemon` and `pincer onboard
//! --install-daemon`.
//!
//! [`crate::service`] does the systemd work; this file adds what a person at the terminal needs:
//! the config is loaded first (a unit that would exit 78 is not installed), the port is checked
//! before the unit is started (for `--install-daemon`), the wait for READY ends early when the
//! unit fails, and each failure says what happened and what to run instead.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::CliError;
use crate::config::{load_config, GatewayOptions};
use crate::gateway::bind;
use crate::paths::Paths;
use crate::runtime_file::{process_alive, read_runtime};
use crate::service::{self, Readiness, ServiceError, UnitSpec, UNIT};

/// How long the gateway gets to report READY after it was started.
const READY_WAIT: Duration = Duration::from_secs(30);

/// What to install.
#[derive(Debug, Clone, Copy, Default)]
pub struct DaemonRequest<'a> {
    /// `--config`, when given.
    pub config: Option<&'a Path>,
    /// `--port` for the unit's command line, when given.
    pub port: Option<u16>,
    /// Refuse to start the unit when its port is taken by something else.
    pub check_port: bool,
}

/// Installs, starts and checks the service; the exit code, having printed what happened.
pub fn install(request: DaemonRequest<'_>) -> Result<i32, CliError> {
    let paths = Paths::resolve(request.config)?;
    let options = GatewayOptions {
        config_path: request.config.map(Path::to_path_buf),
        port: request.port,
        ..GatewayOptions::default()
    };
    // A config the gateway would refuse (exit 78) is reported now, not by a failing unit.
    let loaded = load_config(&paths, &options)?;
    let spec = unit_spec(request.config, request.port, &paths, &loaded.config)?;
    if let Err(error) = service::check_user_session() {
        return Ok(unavailable(&error, &spec, loaded.config.gateway.port));
    }
    if request.check_port && !service::is_active() {
        let gateway = &loaded.config.gateway;
        let ip = bind::resolve(gateway.bind).map_err(|e| CliError::Usage(e.to_string()))?;
        if let Some(problem) = port_problem(SocketAddr::new(ip, gateway.port), &paths) {
            eprintln!("pincer: the service was not started: {problem}");
            return Ok(crate::exit::UNAVAILABLE);
        }
    }
    // The unit's sandbox can only grant folders that exist when the service starts, and the
    // service cannot create them itself outside the folders it may write.
    for folder in &spec.writable {
        crate::fsutil::create_private_dir(folder).map_err(|source| {
            CliError::Usage(format!("cannot create {}: {source}", folder.display()))
        })?;
    }
    let readiness = match service::install(&spec, READY_WAIT) {
        Ok(readiness) => readiness,
        Err(error @ (ServiceError::NoSystemd(_) | ServiceError::NoUserSession(_))) => {
            return Ok(unavailable(&error, &spec, loaded.config.gateway.port));
        }
        Err(other) => return Err(CliError::Usage(other.to_string())),
    };
    let unit = service::unit_path().map_err(|e| CliError::Usage(e.to_string()))?;
    println!("installed {}", unit.display());
    match readiness {
        Readiness::Ready => {
            println!(
                "the gateway service is running and reported READY; it starts at login and \
                 restarts after crashes (not after config errors). Check it with `pincer health`."
            );
            Ok(crate::exit::OK)
        }
        Readiness::Failed(state) | Readiness::TimedOut(state) => {
            eprintln!(
                "pincer: the service did not report READY within {} s (state: {state}).",
                READY_WAIT.as_secs()
            );
            if let Ok(output) = service::systemctl(&["status", "--no-pager", "-n", "20", UNIT]) {
                eprint!("{}", String::from_utf8_lossy(&output.stdout));
            }
            eprintln!(
                "See `journalctl --user -u {UNIT} -n 50` and `pincer logs`; fix the cause, then \
                 `pincer service restart`."
            );
            Ok(crate::exit::FAILURE)
        }
    }
}

/// What the unit runs: this executable, with the same `PINCER_HOME`, `PINCER_STATE_DIR` and
/// `--config` (or `PINCER_CONFIG`; made absolute, since the service does not start in this directory), and the
/// folders its sandbox lets it write: the state directory, the workspace and the log folder.
pub(crate) fn unit_spec(
    config: Option<&Path>,
    port: Option<u16>,
    paths: &Paths,
    loaded: &crate::config::Config,
) -> Result<UnitSpec, CliError> {
    let absolute = |path: &Path| -> Result<PathBuf, CliError> {
        Ok(if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()?.join(path)
        })
    };
    let env_path = |name: &str| -> Result<Option<PathBuf>, CliError> {
        match std::env::var_os(name).filter(|value| !value.is_empty()) {
            Some(value) => Ok(Some(absolute(Path::new(&value))?)),
            None => Ok(None),
        }
    };
    // A relative workspace is taken from the service's working directory, the home directory.
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let workspace = crate::config::workspace::workspace_dir(loaded, &paths.state_dir);
    let workspace = match (&home, workspace.is_relative()) {
        (Some(home), true) => home.join(workspace),
        _ => absolute(&workspace)?,
    };
    let state_dir = absolute(&paths.state_dir)?;
    let log_dir = absolute(&crate::logging::log_dir(&loaded.logging, &state_dir))?;
    Ok(UnitSpec {
        executable: std::env::current_exe()?,
        pincer_home: env_path("PINCER_HOME")?,
        config: match config {
            Some(path) => Some(absolute(path)?),
            None => env_path("PINCER_CONFIG")?,
        },
        state_dir_env: env_path("PINCER_STATE_DIR")?,
        port,
        writable: vec![state_dir, workspace, log_dir],
    })
}

/// Without systemd: what went wrong, how to run the gateway by hand, and the unit to install
/// elsewhere. Exit 69.
fn unavailable(error: &ServiceError, spec: &UnitSpec, port: u16) -> i32 {
    eprintln!("pincer: cannot install the service: {error}.");
    eprintln!("Run the gateway yourself instead (it stops when this terminal closes):\n");
    eprintln!("    pincer gateway --port {port}\n");
    eprintln!(
        "or keep it running with your own supervisor (tmux, screen, a container's restart \
         policy). Where systemd runs, log in as this user (over SSH, enable lingering first: \
         `loginctl enable-linger $USER`) and run `pincer gateway --install-daemon` again, or \
         install this unit by hand as ~/.config/systemd/user/{UNIT}:\n"
    );
    eprintln!("{}", service::render_unit(spec));
    crate::exit::UNAVAILABLE
}

/// Why the gateway could not listen on `addr`, if it could not.
pub fn port_problem(addr: SocketAddr, paths: &Paths) -> Option<String> {
    let error = TcpListener::bind(addr).err()?;
    let own = read_runtime(&paths.runtime_file()).filter(|info| process_alive(info.pid));
    Some(match (error.kind(), own) {
        (std::io::ErrorKind::AddrInUse, Some(info)) => format!(
            "port {} is in use by a Pincer gateway of this installation (pid {}, started outside \
             the service); stop it first (Ctrl-C in its terminal, or `kill {}`)",
            addr.port(),
            info.pid,
            info.pid
        ),
        (std::io::ErrorKind::AddrInUse, None) => format!(
            "port {} on {} is already in use by another program (see `ss -ltnp | grep {}`); stop \
             it, or choose another port (`--port N`, or gateway.port in the config)",
            addr.port(),
            addr.ip(),
            addr.port()
        ),
        (_, _) => format!("cannot listen on {addr}: {error}"),
    })
}
