//! The restart-on-crash service: a systemd user unit for `pincer gateway`, and `systemctl --user`
//! to install and control it.
//!
//! The unit is `Type=notify` (the gateway sends `READY=1` once it listens, see
//! `gateway::notify`), restarts always except on exit 78 (invalid config: relaunching cannot help),
//! has a watchdog the gateway feeds only while its supervision tree is healthy, a start limit, and
//! `KillMode=mixed` so that SIGTERM goes to the gateway alone (it stops its own children in order).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The unit's name.
pub const UNIT: &str = "pincer-gateway.service";

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("systemd is not available here (`systemctl --user` could not run: {0})")]
    NoSystemd(String),
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
pub struct UnitSpec {
    pub executable: PathBuf,
    pub pincer_home: Option<PathBuf>,
    pub config: Option<PathBuf>,
}

/// The unit file's text.
pub fn render_unit(spec: &UnitSpec) -> String {
    let mut exec = format!("{} gateway", quote(&spec.executable));
    if let Some(config) = &spec.config {
        exec.push_str(&format!(" --config {}", quote(config)));
    }
    let environment = spec
        .pincer_home
        .as_ref()
        .map(|home| format!("Environment=PINCER_HOME={}\n", quote(home)))
        .unwrap_or_default();
    format!(
        "# Written by `pincer service install`; remove with `pincer service uninstall`.\n\
         [Unit]\n\
         Description=Pincer gateway (personal AI assistant)\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
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
         [Install]\n\
         WantedBy=default.target\n"
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
pub fn unit_path() -> Result<PathBuf, ServiceError> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or(ServiceError::NoHome)?;
    Ok(base.join("systemd").join("user").join(UNIT))
}

/// Runs `systemctl --user <args>`.
pub fn systemctl(args: &[&str]) -> Result<Output, ServiceError> {
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

/// Writes the unit, reloads systemd, enables and starts it, and waits (up to `wait`) until the
/// gateway has reported READY (the unit turns `active`). Returns whether it did.
pub fn install(spec: &UnitSpec, wait: Duration) -> Result<bool, ServiceError> {
    // Fail early, before writing anything, when systemd cannot be reached.
    systemctl(&["--version"])?;
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
    let deadline = Instant::now() + wait;
    loop {
        let state = checked(&["show", "-p", "ActiveState", "--value", UNIT])?;
        if String::from_utf8_lossy(&state.stdout).trim() == "active" {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Stops, disables and removes the unit.
pub fn uninstall() -> Result<(), ServiceError> {
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
}
