//! No printout of the config shows a credential (issue 14, item 5). The config used sets every key
//! of the schema, each credential to a `marker-...` value (tests/fixtures/config/every-key.json5,
//! which the schema walk in src/config/secret_walk_tests.rs keeps complete), and every printout a
//! user or a client can get is searched for the markers: `pincer config get` of the whole config
//! and of each section, the WS `config.get`, the admin API, the gateway's own log, `doctor --json`
//! and `security audit --json`, `backup create` and `verify`. `config get --reveal` is the one
//! deliberate exception.

use std::path::Path;

use crate::support::ws::WsClient;
use crate::support::*;
use serde_json::{json, Value};

const EVERY_KEY: &str = include_str!("../../fixtures/config/every-key.json5");
const TOKEN: &str = "marker-gateway-auth-token-0123456789";

/// The fixture, with its absolute paths moved under `home` so a gateway can run on it.
fn every_key_in(home: &Path) -> String {
    EVERY_KEY.replace("/srv/pincer", &home.display().to_string())
}

fn assert_no_marker(what: &str, text: &str) {
    if let Some(at) = text.find("marker-") {
        let end = (at + 60).min(text.len());
        panic!(
            "{what} shows a credential: ...{}...",
            text.get(at.saturating_sub(60)..end).unwrap_or(text)
        );
    }
}

#[test]
fn config_get_masks_every_credential_in_the_whole_config_and_each_section() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), every_key_in(home.path())).expect("write");

    let whole = run_cli(home.path(), &["config", "get"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let text = stdout(&whole);
    assert_no_marker("`pincer config get`", &text);
    let value: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["channels"]["whatsapp"]["accessToken"], "***");
    assert_eq!(value["channels"]["whatsapp"]["phoneNumberId"], "100200300");

    for key in [
        "gateway",
        "gateway.auth",
        "channels",
        "channels.whatsapp",
        "channels.whatsapp.appSecret",
        "channels.whatsapp.verifyToken",
        "channels.telegram",
        "channels.telegram.botToken",
        "channels.telegram.webhookSecret",
        "models",
        "models.providers.proxy",
        "models.providers.proxy.apiKey",
        "models.providers.proxy.headers",
        "monitoring",
        "monitoring.alertWebhook",
    ] {
        let output = run_cli(home.path(), &["config", "get", key]);
        assert!(output.status.success(), "{key}: {}", stderr(&output));
        assert_no_marker(&format!("`pincer config get {key}`"), &stdout(&output));
        assert_no_marker(
            &format!("`pincer config get {key}` (stderr)"),
            &stderr(&output),
        );
    }
    assert_eq!(
        stdout(&run_cli(
            home.path(),
            &["config", "get", "channels.whatsapp.accessToken"]
        ))
        .trim(),
        "***"
    );

    // The one deliberate way to see them: --reveal, on the whole config as on one key.
    let revealed = stdout(&run_cli(home.path(), &["config", "get", "--reveal"]));
    let value: Value = serde_json::from_str(&revealed).expect("JSON");
    assert_eq!(
        value["channels"]["whatsapp"]["accessToken"],
        "marker-whatsapp-access-token"
    );
    assert_eq!(
        stdout(&run_cli(
            home.path(),
            &[
                "config",
                "get",
                "models.providers.proxy.headers",
                "--reveal"
            ]
        ))
        .trim(),
        serde_json::to_string_pretty(&json!({ "X-Proxy-Auth": "marker-models-provider-header" }))
            .expect("json")
    );
}

#[test]
fn a_pasted_mask_is_refused_naming_the_key() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ channels: { telegram: { botToken: '***' } } }",
    )
    .expect("write");
    let output = run_cli(home.path(), &["config", "validate"]);
    assert_eq!(output.status.code(), Some(78), "{}", stdout(&output));
    let text = stderr(&output);
    assert!(text.contains("channels.telegram.botToken"), "{text}");
    assert!(text.contains("--reveal"), "{text}");
}

#[test]
fn doctor_and_the_security_audit_print_no_credential() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), every_key_in(home.path())).expect("write");
    for args in [
        &["doctor", "--json"][..],
        &["doctor"][..],
        &["security", "audit", "--json"][..],
        &["security", "audit"][..],
        &["config", "validate"][..],
    ] {
        let output = run_cli(home.path(), args);
        assert_no_marker(&format!("`pincer {}`", args.join(" ")), &stdout(&output));
        assert_no_marker(
            &format!("`pincer {}` (stderr)", args.join(" ")),
            &stderr(&output),
        );
    }
}

#[test]
fn backup_create_and_verify_show_no_credential() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), every_key_in(home.path())).expect("write");
    std::fs::create_dir_all(home.path().join("work")).expect("workspace");
    let create = run_cli(home.path(), &["backup", "create"]);
    assert!(create.status.success(), "{}", stderr(&create));
    assert_no_marker("`pincer backup create`", &stdout(&create));
    let archive = stdout(&create)
        .lines()
        .find_map(|line| line.strip_prefix("backup written: ").map(str::to_string))
        .expect("the archive's path");
    let verify = run_cli(home.path(), &["backup", "verify", archive.trim()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert_no_marker("`pincer backup verify`", &stdout(&verify));
}

#[test]
fn the_running_gateway_shows_no_credential_over_ws_http_or_its_log() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), every_key_in(home.path())).expect("write");
    let mut gateway = Gateway::start_in(home, &[]);

    let (mut client, hello) = WsClient::connect(gateway.addr, TOKEN);
    assert_no_marker("hello-ok", &hello.to_string());
    let whole = client.request("config.get", json!({}));
    assert_eq!(whole["ok"], true, "{whole}");
    assert_eq!(
        whole["payload"]["config"]["channels"]["whatsapp"]["phoneNumberId"], "100200300",
        "{whole}"
    );
    assert_eq!(
        whole["payload"]["config"]["channels"]["whatsapp"]["accessToken"],
        "***"
    );
    assert_no_marker("WS config.get", &whole.to_string());
    for path in [
        "channels.whatsapp",
        "channels.telegram",
        "gateway.auth",
        "models.providers",
        "monitoring.alertWebhook",
    ] {
        let part = client.request("config.get", json!({ "path": path }));
        assert_eq!(part["ok"], true, "{part}");
        assert_no_marker(&format!("WS config.get {path}"), &part.to_string());
    }
    for method in ["health", "status"] {
        let answer = client.request(method, json!({}));
        assert_no_marker(&format!("WS {method}"), &answer.to_string());
    }

    let bearer = format!("Bearer {TOKEN}");
    for path in [
        "/readyz",
        "/admin/status",
        "/admin/channels",
        "/admin/actors",
        "/admin/metrics",
    ] {
        let response = gateway.get(path, &[("Authorization", &bearer)]);
        assert_ne!(response.status, 401, "{path}: {}", response.text);
        assert_no_marker(path, &response.text);
    }

    let output = gateway.terminate();
    let console = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        console.contains("whatsapp"),
        "the debug log was read: {console}"
    );
    assert_no_marker(
        "the gateway's stdout",
        &String::from_utf8_lossy(&output.stdout),
    );
    assert_no_marker("the gateway's log", &console);
    let logs = gateway.home().join("logs");
    let mut files = 0;
    for entry in std::fs::read_dir(&logs)
        .expect("the file transport's folder")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        files += usize::from(!text.is_empty());
        assert_no_marker(&entry.path().display().to_string(), &text);
    }
    assert!(files > 0, "the log files were read");
}
