//! The real binary: zero-config start, probes, the supervision tree, single instance, shutdown.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

/// With no config file, the gateway starts on loopback, creates its state directory, generates a
/// 0600 token and says where it is; `/healthz` and `/readyz` answer without auth.
#[test]
fn zero_config_start_generates_a_private_token_and_serves_probes() {
    let mut gateway = Gateway::start(None);
    assert!(
        gateway.addr.ip().is_loopback(),
        "default bind is loopback: {}",
        gateway.addr
    );

    let token_file = gateway.state_dir().join("gateway.token");
    let mode = std::fs::metadata(&token_file)
        .expect("token file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "token file mode");
    assert_eq!(gateway.token().len(), 64);

    let live = gateway.get("/healthz", &[]);
    assert_eq!(
        (live.status, live.body.clone()),
        (200, serde_json::json!({"ok": true, "status": "live"}))
    );
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 200, "readyz: {}", ready.text);
    assert_eq!(gateway.get("/nope", &[]).status, 404);

    let output = gateway.terminate();
    assert!(
        output.status.success(),
        "SIGTERM exits 0: {:?}\n{}",
        output.status,
        stderr(&output)
    );
    let banner = stdout(&output);
    assert!(
        banner.contains(&token_file.display().to_string()),
        "the banner names the token file:\n{banner}"
    );
    assert!(
        banner.contains("listening on http://127.0.0.1:"),
        "{banner}"
    );
    assert!(
        !gateway.state_dir().join("gateway.json").exists(),
        "runtime file removed on exit"
    );
    let log = stderr(&output);
    let draining = log.find("draining").expect("drain logged");
    let stopped = log.find("gateway stopped").expect("stop logged");
    assert!(
        draining < stopped,
        "drain happens before the tree is stopped:\n{log}"
    );
}

/// `/admin/actors` shows the supervision tree with mailbox figures, as a tree or flat, and one actor.
#[test]
fn admin_actors_shows_the_supervision_tree() {
    let gateway = Gateway::start(None);
    let tree = gateway.get_authed("/admin/actors");
    assert_eq!(tree.status, 200, "{}", tree.text);
    let roots = tree.body["actors"].as_array().expect("actors array");
    assert_eq!(roots.len(), 1, "one root: {}", tree.text);
    let mut paths = Vec::new();
    tree_paths(&roots[0], &mut paths);
    for expected in [
        "/gateway",
        "/gateway/monitor",
        "/gateway/sessions",
        "/gateway/channels",
        "/gateway/web",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} missing from {paths:?}"
        );
    }
    let root = &roots[0];
    assert_eq!(root["kind"], "supervisor");
    assert_eq!(root["state"], "running");
    assert!(
        root["mailbox"]["capacity"].as_u64().is_some_and(|c| c > 0),
        "{root}"
    );

    let flat = gateway.get_authed("/admin/actors?flat=1");
    let actors = flat.body["actors"].as_array().expect("flat list");
    assert_eq!(actors.len(), paths.len());
    let web = actors
        .iter()
        .find(|a| a["path"] == "/gateway/web")
        .expect("web actor");
    assert_eq!(web["restarts"], 0);
    for key in [
        "queued",
        "max_queued",
        "enqueued",
        "handled",
        "rejected_full",
        "dropped",
        "handler_time",
    ] {
        assert!(
            !web["mailbox"][key].is_null(),
            "mailbox.{key} missing: {web}"
        );
    }

    let id = web["id"].as_u64().expect("id");
    let one = gateway.get_authed(&format!("/admin/actors/{id}"));
    assert_eq!(
        (one.status, one.body["path"].as_str()),
        (200, Some("/gateway/web"))
    );
    assert_eq!(gateway.get_authed("/admin/actors/999999").status, 404);
    assert_eq!(gateway.get_authed("/admin/actors/not-a-number").status, 404);
}

/// A second gateway on the same state directory is refused with exit 69 and told who runs.
#[test]
fn a_second_gateway_on_the_same_state_directory_is_refused() {
    let gateway = Gateway::start(None);
    let output = run_cli(gateway.home(), &["gateway", "--port", "0"]);
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("already running") && message.contains(&gateway.pid.to_string()),
        "{message}"
    );
}

/// A port already in use gives exit 69 and a message that says so.
#[test]
fn a_taken_port_is_reported_clearly() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let home = tempfile::tempdir().expect("home");
    let output = run_cli(home.path(), &["gateway", "--port", &port]);
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("already in use"),
        "{}",
        stderr(&output)
    );
}
