//! The restart-on-crash service: the systemd notify protocol (checked with a test notify socket),
//! the crash-loop breaker, `pincer service install` with a stand-in `systemctl`, and the unit's
//! sandboxing as `systemd-analyze --user security` rates it.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

fn receive_until(socket: &UnixDatagram, wanted: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buffer) {
            let message = String::from_utf8_lossy(&buffer[..n]).to_string();
            let done = message.lines().any(|l| l == wanted);
            seen.push(message);
            if done {
                return seen;
            }
        }
    }
    panic!("no {wanted} within {limit:?}; received {seen:?}");
}

#[test]
fn ready_watchdog_and_stopping_reach_the_notify_socket() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("bind notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let path_text = path.display().to_string();
    let mut gateway = Gateway::start_with(
        None,
        &[("NOTIFY_SOCKET", &path_text), ("WATCHDOG_USEC", "200000")],
    );

    let ready = receive_until(&socket, "READY=1", Duration::from_secs(10));
    assert!(
        ready
            .iter()
            .any(|m| m.contains("STATUS=listening on http://127.0.0.1:")),
        "{ready:?}"
    );
    receive_until(&socket, "WATCHDOG=1", Duration::from_secs(5));
    let output = gateway.terminate();
    assert!(output.status.success());
    receive_until(&socket, "STOPPING=1", Duration::from_secs(5));
}

#[test]
fn three_crashes_in_a_row_start_the_gateway_in_safe_mode_until_cleared() {
    let mut home = Gateway::start(None).kill9();
    for _ in 0..2 {
        home = Gateway::start_in(home, &[]).kill9();
    }
    let gateway = Gateway::start_in(home, &[]);
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(
        ready.text.contains("safe mode") && ready.text.contains("crash loop"),
        "{}",
        ready.text
    );
    let status = run_cli(gateway.home(), &["status"]);
    assert!(stdout(&status).contains("SAFE MODE"), "{}", stdout(&status));

    let cleared = run_cli(gateway.home(), &["service", "clear-safe-mode"]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    let gateway = gateway.restart();
    assert_eq!(gateway.get("/readyz", &[]).status, 200);
}

#[test]
fn service_install_writes_a_notify_unit_and_waits_for_ready() {
    let bin = tempfile::tempdir().expect("bin");
    let calls = bin.path().join("calls.log");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\ncase \"$*\" in *show*) echo active ;; esac\nexit 0\n",
        calls.display()
    );
    let fake = bin.path().join("systemctl");
    std::fs::write(&fake, script).expect("fake systemctl");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let home = tempfile::tempdir().expect("home");
    let xdg = tempfile::tempdir().expect("xdg");
    let output = pincer(home.path())
        .args(["service", "install"])
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("XDG_CONFIG_HOME", xdg.path())
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let unit = std::fs::read_to_string(xdg.path().join("systemd/user/pincer-gateway.service"))
        .expect("unit written");
    assert!(
        unit.contains("Type=notify") && unit.contains("RestartPreventExitStatus=78"),
        "{unit}"
    );
    assert!(
        unit.contains(&format!(
            "Environment=PINCER_HOME={}",
            home.path().display()
        )),
        "{unit}"
    );
    let recorded = std::fs::read_to_string(&calls).expect("calls");
    assert!(
        recorded.contains("--user daemon-reload")
            && recorded.contains("--user enable --now pincer-gateway.service"),
        "{recorded}"
    );
}

#[test]
fn without_systemd_the_unit_is_printed_for_manual_installation() {
    let home = tempfile::tempdir().expect("home");
    let empty = tempfile::tempdir().expect("empty PATH");
    let output = pincer(home.path())
        .args(["service", "install"])
        .env("PATH", empty.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(69));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("systemd is not available") && text.contains("[Service]"),
        "{text}"
    );
}

/// Runs `pincer service install` in `home` against a stand-in `systemctl` and returns the unit
/// file it wrote (the real rendering, with this installation's paths).
fn installed_unit(home: &Path, xdg: &Path) -> PathBuf {
    let bin = tempfile::tempdir().expect("bin");
    let fake = bin.path().join("systemctl");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$*\" in *show*) echo active ;; esac\nexit 0\n",
    )
    .expect("fake systemctl");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = pincer(home)
        .args(["service", "install"])
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("XDG_CONFIG_HOME", xdg)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    xdg.join("systemd/user/pincer-gateway.service")
}

/// `systemd-analyze` on PATH. Missing: a skip with a message locally, a failure in CI (`.ci/run`
/// installs Debian's `systemd` package, which provides it).
fn systemd_analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("systemd-analyze"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but systemd-analyze is not on PATH: the unit's sandboxing test needs it. \
             `.ci/run` installs Debian's `systemd` package; elsewhere install it."
        );
        eprintln!(
            "SKIPPED: no systemd-analyze on PATH; install Debian's `systemd` package to rate the \
             unit's sandboxing"
        );
    }
    found
}

/// `systemd-analyze --user ARGS` offline; a user manager's runtime directory is faked, since
/// the offline analysis only needs one to exist.
fn analyze(tool: &Path, args: &[&str], runtime: &Path) -> std::process::Output {
    Command::new(tool)
        .arg("--user")
        .args(args)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("SYSTEMD_COLORS", "0")
        .output()
        .expect("run systemd-analyze")
}

/// The number in `→ Overall exposure level for pincer-gateway.service: 1.7 OK`.
fn overall_exposure(report: &str) -> f64 {
    let line = report
        .lines()
        .find(|line| line.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall exposure in:\n{report}"));
    let after = line.rsplit_once(": ").map_or("", |(_, after)| after);
    after
        .split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

#[test]
fn the_unit_is_sandboxed_below_exposure_5_and_verifies() {
    let Some(tool) = systemd_analyze() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let workspace = home.path().join("my work");
    std::fs::write(
        home.path().join("pincer.json5"),
        format!("{{ agent: {{ workspace: '{}' }} }}", workspace.display()),
    )
    .expect("config");
    let xdg = tempfile::tempdir().expect("xdg");
    let unit = installed_unit(home.path(), xdg.path());
    let text = std::fs::read_to_string(&unit).expect("unit");
    let state = home.path().join("state");
    assert!(
        text.lines().any(|l| l
            == format!(
                "ReadWritePaths=-{} \"-{}\"",
                state.display(),
                workspace.display()
            )),
        "only the state directory and the workspace are writable:\n{text}"
    );
    assert!(
        state.is_dir() && workspace.is_dir(),
        "install creates the folders the sandbox grants"
    );
    assert!(
        !text.contains("After=network-online.target") && !text.contains("Wants="),
        "a user manager has no network-online.target:\n{text}"
    );
    assert!(
        text.contains("landlock_restrict_self"),
        "exec's Landlock calls stay allowed:\n{text}"
    );

    let runtime = tempfile::tempdir().expect("runtime dir");
    let unit_arg = unit.to_str().expect("utf-8");
    let security = analyze(
        &tool,
        &["security", "--offline=yes", unit_arg],
        runtime.path(),
    );
    let report = String::from_utf8_lossy(&security.stdout).to_string()
        + &String::from_utf8_lossy(&security.stderr);
    let exposure = overall_exposure(&report);
    assert!(
        exposure < 5.0,
        "exposure {exposure} is not below 5.0:\n{report}"
    );
    eprintln!("systemd-analyze --user security: overall exposure {exposure}");

    let verify = analyze(&tool, &["verify", unit_arg], runtime.path());
    assert!(
        verify.status.success(),
        "systemd-analyze --user verify:\n{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn without_sandboxing_systemd_analyze_calls_a_unit_unsafe() {
    // The same check on the unit as it was before the sandboxing: it must fail, so the test
    // above can fail too (the parsing and the threshold are not vacuous).
    let Some(tool) = systemd_analyze() else {
        return;
    };
    let home = tempfile::tempdir().expect("home");
    let xdg = tempfile::tempdir().expect("xdg");
    let unit = installed_unit(home.path(), xdg.path());
    let text = std::fs::read_to_string(&unit).expect("unit");
    let bare: String = text
        .lines()
        .take_while(|line| !line.starts_with("# Sandboxing"))
        .chain(["", "[Install]", "WantedBy=default.target"])
        .map(|line| format!("{line}\n"))
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let bare_unit = dir.path().join("pincer-gateway.service");
    std::fs::write(&bare_unit, bare).expect("bare unit");
    let runtime = tempfile::tempdir().expect("runtime dir");
    let security = analyze(
        &tool,
        &[
            "security",
            "--offline=yes",
            bare_unit.to_str().expect("utf-8"),
        ],
        runtime.path(),
    );
    let report = String::from_utf8_lossy(&security.stdout).to_string();
    let exposure = overall_exposure(&report);
    assert!(exposure > 9.0, "{exposure}:\n{report}");
}
