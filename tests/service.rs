//! The restart-on-crash service: the systemd notify protocol (checked with a test notify socket),
//! the crash-loop breaker, and `pincer service install` with a stand-in `systemctl`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use support::*;

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
