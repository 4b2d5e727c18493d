//! `gateway.tailscale.mode`: the gateway publishes itself with the Tailscale CLI and resets it on
//! exit. A stand-in `tailscale` on PATH records the calls (no tailnet is reachable here).

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

/// The node name the stand-in reports in `tailscale status --json`.
const MAGIC_DNS: &str = "mybox.tail1234.ts.net";

fn fake_tailscale(dir: &std::path::Path, exit_code: i32) {
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> \"$TAILSCALE_CALLS\"\n[ {exit_code} -eq 0 ] || echo 'tailscaled is not running' >&2\n\
         [ \"$1\" = status ] && echo '{{\"Self\":{{\"DNSName\":\"{MAGIC_DNS}.\"}}}}'\nexit {exit_code}\n"
    );
    let path = dir.join("tailscale");
    std::fs::write(&path, script).expect("write fake tailscale");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn path_with(dir: &std::path::Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn serve_is_published_at_start_and_reset_on_exit() {
    let bin = tempfile::tempdir().expect("bin dir");
    fake_tailscale(bin.path(), 0);
    let calls = bin.path().join("calls.log");
    let config = "{ gateway: { tailscale: { mode: 'serve', resetOnExit: true } } }";
    let path = path_with(bin.path());
    let calls_env = calls.display().to_string();
    let mut gateway = Gateway::start_with(
        Some(config),
        &[("PATH", &path), ("TAILSCALE_CALLS", &calls_env)],
    );

    let recorded = std::fs::read_to_string(&calls).expect("tailscale was called");
    assert_eq!(
        recorded.trim(),
        format!(
            "serve --bg --yes http://127.0.0.1:{}\nstatus --json",
            gateway.addr.port()
        )
    );
    // The Control UI opened at the published HTTPS name is one of the gateway's own origins.
    let origin = format!("https://{MAGIC_DNS}");
    let mut client = crate::support::ws::WsClient::open_with(
        gateway.addr,
        &[("Origin", &origin), ("Host", MAGIC_DNS)],
    );
    let challenge = client
        .next_frame(std::time::Duration::from_secs(10))
        .expect("challenge");
    assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
    let hello = client.request(
        "connect",
        crate::support::ws::connect_params(&gateway.token()),
    );
    assert_eq!(hello["ok"], true, "{hello}");
    drop(client);
    let output = gateway.terminate();
    assert!(output.status.success(), "{}", stderr(&output));
    let recorded = std::fs::read_to_string(&calls).expect("calls");
    assert_eq!(recorded.lines().last(), Some("serve reset"), "{recorded}");
}

#[test]
fn a_failing_tailscale_cli_stops_the_start_with_a_clear_message() {
    let bin = tempfile::tempdir().expect("bin dir");
    fake_tailscale(bin.path(), 1);
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ gateway: { tailscale: { mode: 'serve' } } }",
    )
    .expect("config");
    let child = pincer(home.path())
        .args(["gateway", "--port", "0"])
        .env("PATH", path_with(bin.path()))
        .env("TAILSCALE_CALLS", bin.path().join("calls.log"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let output = wait_with_timeout(child, std::time::Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("tailscaled is not running"),
        "{}",
        stderr(&output)
    );
}
