//! Readiness tells the truth (issue 14, item 8): an enabled channel that cannot run for want of a
//! credential makes `/readyz` answer 503 naming it, `pincer health` exit non-zero, `pincer config
//! validate` fail naming the key and its variable, and `pincer security audit` warn; the gateway
//! still starts and serves the rest. With the credential present (here through the secrets file,
//! as a service would get it) everything says ready.

use std::os::unix::fs::PermissionsExt;

use crate::support::channels::{whatsapp, WA_TOKEN};
use crate::support::*;
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

/// A config whose WhatsApp channel is enabled, with every credential but the access token.
fn without_access_token(provider: &Emulator, graph: &GraphApi) -> String {
    crate::support::channels::config(provider, &[whatsapp(graph, "pairing", "", "")])
        .replace(&format!("accessToken: '{WA_TOKEN}', "), "")
}

#[test]
fn an_enabled_channel_without_its_token_is_reported_everywhere_and_the_gateway_still_serves() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let config = without_access_token(&provider, &graph);
    assert!(!config.contains("accessToken"), "{config}");
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), &config).expect("write");

    let validate = run_cli(home.path(), &["config", "validate"]);
    assert_eq!(validate.status.code(), Some(78), "{}", stdout(&validate));
    let text = stderr(&validate);
    for needle in [
        "channels.whatsapp.accessToken",
        "PINCER_WHATSAPP_ACCESS_TOKEN",
        "secrets.env",
    ] {
        assert!(text.contains(needle), "{needle} missing: {text}");
    }
    assert!(!stdout(&validate).contains("config OK"));

    let audit = run_cli(home.path(), &["security", "audit", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&audit.stdout).expect("JSON");
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["checkId"] == "channels.not_configured")
        .unwrap_or_else(|| panic!("no channels.not_configured finding: {report:#}"));
    assert_eq!(finding["severity"], "warning", "{finding}");
    assert!(
        finding
            .to_string()
            .contains("channels.whatsapp.accessToken"),
        "{finding}"
    );

    let mut gateway = Gateway::start_in(home, &[]);
    assert_eq!(gateway.get("/healthz", &[]).status, 200);
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 503, "{}", ready.text);
    let not_ready = ready.body["notReady"].to_string();
    assert!(
        not_ready.contains("channels.whatsapp") && not_ready.contains("accessToken"),
        "{}",
        ready.text
    );
    assert_eq!(ready.body["channels"]["whatsapp"]["healthy"], false);

    let health = run_cli(gateway.home(), &["health"]);
    assert_ne!(health.status.code(), Some(0), "{}", stdout(&health));
    assert!(
        stdout(&health).contains("NOT ready") && stdout(&health).contains("channels.whatsapp"),
        "{}",
        stdout(&health)
    );
    let health_json = run_cli(gateway.home(), &["health", "--json"]);
    assert_ne!(health_json.status.code(), Some(0));

    // Everything else still works: the API answers.
    let models = gateway.get_authed("/v1/models");
    assert_eq!(models.status, 200, "{}", models.text);

    let output = gateway.terminate();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.lines()
            .any(|line| line.contains("ERROR") && line.contains("accessToken")),
        "the gateway logs the problem as an error:\n{log}"
    );
}

#[test]
fn with_the_token_in_the_secrets_file_everything_says_ready() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        without_access_token(&provider, &graph),
    )
    .expect("write");
    let state = home.path().join("state");
    std::fs::create_dir_all(&state).expect("state");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let secrets = state.join("secrets.env");
    std::fs::write(
        &secrets,
        format!("PINCER_WHATSAPP_ACCESS_TOKEN={WA_TOKEN}\n"),
    )
    .expect("write");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let validate = run_cli(home.path(), &["config", "validate"]);
    assert!(validate.status.success(), "{}", stderr(&validate));
    assert!(
        stdout(&validate).contains("config OK"),
        "{}",
        stdout(&validate)
    );
    let audit = stdout(&run_cli(home.path(), &["security", "audit", "--json"]));
    assert!(!audit.contains("channels.not_configured"), "{audit}");

    let gateway = Gateway::start_in(home, &[]);
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(
        ready.body["channels"]["whatsapp"]["healthy"], true,
        "{}",
        ready.text
    );
    let health = run_cli(gateway.home(), &["health"]);
    assert!(health.status.success(), "{}", stdout(&health));
    assert!(stdout(&health).contains("ready"), "{}", stdout(&health));
}

#[test]
fn telegram_without_its_bot_token_is_not_ready_either() {
    let provider = Emulator::openai();
    let config = crate::support::channels::config(
        &provider,
        &["telegram: { enabled: true, apiBaseUrl: 'http://127.0.0.1:9' }".to_string()],
    );
    let gateway = Gateway::start(Some(&config));
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 503, "{}", ready.text);
    let not_ready = ready.body["notReady"].to_string();
    assert!(
        not_ready.contains("channels.telegram") && not_ready.contains("PINCER_TELEGRAM_BOT_TOKEN"),
        "{}",
        ready.text
    );
    let validate = run_cli(gateway.home(), &["config", "validate"]);
    assert_eq!(validate.status.code(), Some(78));
    assert!(stderr(&validate).contains("channels.telegram.botToken"));
}
