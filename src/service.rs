//! The restart-on-crash service: a systemd user unit for `pincer gateway`, and `systemctl --user`
//! to install and control it.
//!
//! The unit is `Type=notify` (the gateway sends `READY=1` once it listens, see
//! `gateway::notify`), restarts always except on exit 78 (invalid config: relaunching cannot help),
//! has a watchdog the gateway feeds only while its supervision tree is healthy, a start limit, and
//! `KillMode=mixed` so that SIGTERM goes to the gateway alone (it stops its own children in order).
//! [`install`] first checks that a systemd user manager answers ([`check_user_session`]), restarts
//! a unit that already runs (so it picks up a new config), and reports [`Readiness`]; the CLI's
//! wording around it is in `cli/daemon.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub(crate) mod sandbox;

/// The unit's name.
pub(crate) const UNIT: &str = "pincer-gateway.service";

#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    #[error("systemd is not available here (`systemctl --user` could not run: {0})")]
    NoSystemd(String),
    /// `systemctl` exists but there is no systemd user manager to talk to (a container, a
    /// `su`/`sudo` shell, an SSH session without lingering).
    #[error("the systemd user session is not available here ({0})")]
    NoUserSession(String),
    #[error("`systemctl --user {command}` failed: {stderr}")]
    Systemctl { command: String, stderr: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no home directory to install the user unit into")]
    NoHome,
}

/// What the unit runs.
#[derive(Debug, Clone)]
pub(crate) struct UnitSpec {
    pub executable: PathBuf,
    pub pincer_home: Option<PathBuf>,
    pub config: Option<PathBuf>,
    /// `PINCER_STATE_DIR` at install time, carried into the unit so the service uses the same
    /// state directory its sandbox lets it write.
    pub state_dir_env: Option<PathBuf>,
    /// `--port` for the gateway, when it should not come from the config.
    pub port: Option<u16>,
    /// The only folders the service (and everything `exec` runs) may write: the state
    /// directory, the agent workspace, and the log folder when it is elsewhere.
    pub writable: Vec<PathBuf>,
}

/// How the service ended up after [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// The gateway sent `READY=1` (the unit is `active`).
    Ready,
    /// The unit failed (bad config, port taken, ...); the last state systemd reported.
    Failed(String),
    /// Still not active when the wait ended; the last state systemd reported.
    TimedOut(String),
}

/// The unit file's text.
pub(crate) fn render_unit(spec: &UnitSpec) -> String {
    let mut exec = format!("{} gateway", quote(&spec.executable));
    if let Some(config) = &spec.config {
        exec.push_str(&format!(" --config {}", quote(config)));
    }
    if let Some(port) = spec.port {
        exec.push_str(&format!(" --port {port}"));
    }
    let mut environment = String::new();
    for (name, value) in [
        ("PINCER_HOME", &spec.pincer_home),
        ("PINCER_STATE_DIR", &spec.state_dir_env),
    ] {
        if let Some(value) = value {
            environment.push_str(&format!("Environment={name}={}\n", quote(value)));
        }
    }
    format!(
        "# Written by `pincer service install`; remove with `pincer service uninstall`.\n\
         [Unit]\n\
         Description=Pincer gateway (personal AI assistant)\n\
         # Not ordered after the network: a user manager has no network-online.target, and\n\
         # the gateway retries its providers and channels itself when the network comes later.\n\
         StartLimitIntervalSec=300\n\
         StartLimitBurst=5\n\
         \n\
         [Service]\n\
         Type=notify\n\
         NotifyAccess=main\n\
         ExecStart={exec}\n\
         {environment}\
         Restart=always\n\
         RestartSec=5\n\
         RestartPreventExitStatus=78\n\
         WatchdogSec=30\n\
         TimeoutStopSec=75\n\
         KillMode=mixed\n\
         \n\
         {sandbox}\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        sandbox = sandbox::directives(&spec.writable)
    )
}

fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains(char::is_whitespace) {
        format!("\"{text}\"")
    } else {
        text
    }
}

/// `$XDG_CONFIG_HOME/systemd/user/pincer-gateway.service` (or `~/.config/...`).
pub(crate) fn unit_path() -> Result<PathBuf, ServiceError> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or(ServiceError::NoHome)?;
    Ok(base.join("systemd").join("user").join(UNIT))
}

/// Runs `systemctl --user <args>`.
pub(crate) fn systemctl(args: &[&str]) -> Result<Output, ServiceError> {
    Command::new("systemctl")
        .arg("--user")
        .args(args)
        .output()
        .map_err(|e| ServiceError::NoSystemd(e.to_string()))
}

fn checked(args: &[&str]) -> Result<Output, ServiceError> {
    let output = systemctl(args)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(ServiceError::Systemctl {
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Checks that a systemd user manager answers, so that nothing is written when it cannot work.
pub(crate) fn check_user_session() -> Result<(), ServiceError> {
    let output = systemctl(&["show-environment"])?;
    if output.status.success() {
        Ok(())
    } else {
        Err(ServiceError::NoUserSession(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ))
    }
}

/// Whether the unit is running now (`systemctl --user is-active` says `active`).
pub(crate) fn is_active() -> bool {
    systemctl(&["is-active", UNIT])
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "active")
}

/// Writes the unit, reloads systemd, enables and starts it (restarts it when it was already
/// running, so that it picks up a new config), and waits (up to `wait`) until the gateway has
/// reported READY (the unit turns `active`) or the unit failed.
pub(crate) fn install(spec: &UnitSpec, wait: Duration) -> Result<Readiness, ServiceError> {
    // Fail early, before writing anything, when systemd cannot be reached.
    check_user_session()?;
    let was_active = is_active();
    let path = unit_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ServiceError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(&path, render_unit(spec)).map_err(|source| ServiceError::Io {
        path: path.clone(),
        source,
    })?;
    checked(&["daemon-reload"])?;
    checked(&["enable", "--now", UNIT])?;
    if was_active {
        checked(&["restart", UNIT])?;
    }
    wait_ready(wait)
}

/// Polls the unit's state until it is `active` (READY was sent), `failed`, or `wait` has passed.
pub(crate) fn wait_ready(wait: Duration) -> Result<Readiness, ServiceError> {
    let deadline = Instant::now() + wait;
    loop {
        let state = checked(&["show", "-p", "ActiveState", "--value", UNIT])?;
        let state = String::from_utf8_lossy(&state.stdout).trim().to_string();
        match state.as_str() {
            "active" => return Ok(Readiness::Ready),
            "failed" => return Ok(Readiness::Failed(state)),
            _ if Instant::now() > deadline => return Ok(Readiness::TimedOut(state)),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Stops, disables and removes the unit.
pub(crate) fn uninstall() -> Result<(), ServiceError> {
    let path = unit_path()?;
    let _ = systemctl(&["disable", "--now", UNIT])?;
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(ServiceError::Io { path, source }),
    }
    checked(&["daemon-reload"])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_restarts_on_crash_but_not_on_bad_config() {
        let unit = render_unit(&UnitSpec {
            executable: PathBuf::from("/usr/local/bin/pincer"),
            pincer_home: Some(PathBuf::from("/srv/pincer home")),
            config: None,
            state_dir_env: None,
            port: None,
            writable: vec![PathBuf::from("/srv/pincer home/state")],
        });
        for line in [
            "Type=notify",
            "ExecStart=/usr/local/bin/pincer gateway",
            "Environment=PINCER_HOME=\"/srv/pincer home\"",
            "Restart=always",
            "RestartPreventExitStatus=78",
            "WatchdogSec=30",
            "StartLimitBurst=5",
            "WantedBy=default.target",
        ] {
            assert!(
                unit.lines().any(|l| l == line),
                "{line} missing from\n{unit}"
            );
        }
    }

    #[test]
    fn a_port_flag_reaches_exec_start() {
        let unit = render_unit(&UnitSpec {
            executable: PathBuf::from("/bin/pincer"),
            pincer_home: None,
            config: Some(PathBuf::from("/etc/p.json5")),
            state_dir_env: Some(PathBuf::from("/var/lib/p")),
            port: Some(18790),
            writable: vec![PathBuf::from("/var/lib/p")],
        });
        assert!(
            unit.lines()
                .any(|l| l == "ExecStart=/bin/pincer gateway --config /etc/p.json5 --port 18790"),
            "{unit}"
        );
        assert!(
            unit.lines()
                .any(|l| l == "Environment=PINCER_STATE_DIR=/var/lib/p"),
            "{unit}"
        );
        assert!(
            unit.lines().any(|l| l == "ReadWritePaths=-/var/lib/p"),
            "{unit}"
        );
        assert!(
            !unit
                .lines()
                .any(|l| l.starts_with("After=") || l.starts_with("Wants=")),
            "no ordering on targets a user manager lacks: {unit}"
        );
    }
}
