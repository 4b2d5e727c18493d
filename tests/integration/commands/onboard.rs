//! `pincer onboard --non-interactive` end to end: the config it writes validates, passes the
//! security audit and runs a gateway whose model calls carry the stored key; an existing config
//! is never replaced without --force (and then backed up); each failing step says what to do
//! and writes nothing; `--install-daemon` with a stand-in systemctl and without systemd.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::support::agent::{answer_of, ask};
use crate::support::onboard::{fake_systemctl, free_port, onboard_command, path_with, KeyStub};
use crate::support::*;
use pincer_emulators::Emulator;

fn onboard(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = onboard_command(home);
    command.arg("onboard").args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run pincer onboard")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn non_interactive_onboarding_writes_a_config_the_gateway_runs_with() {
    let emulator = Emulator::anthropic();
    emulator.require_api_key(Some("sk-ant-onboard-test"));
    let home = tempfile::tempdir().expect("home");
    let port = free_port().to_string();
    let base_url = emulator.base_url();
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--provider",
            "anthropic",
            "--auth",
            "token",
            "--base-url",
            &base_url,
            "--store-secrets",
            "file",
            "--port",
            &port,
        ],
        &[("ANTHROPIC_API_KEY", "sk-ant-onboard-test"), ("CI", "true")],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("could not be checked"),
        "the emulator has no model list: the check is inconclusive, not fatal\n{text}"
    );
    assert!(text.contains("no findings"), "{text}");
    assert!(
        text.contains(&format!("pincer gateway --port {port}")),
        "{text}"
    );
    assert!(
        !text.contains("sk-ant-onboard-test"),
        "the key is never printed\n{text}"
    );

    let config_file = home.path().join("pincer.json5");
    let secrets = home.path().join("state/secrets.env");
    let config = std::fs::read_to_string(&config_file).expect("config");
    assert!(config.contains("// "), "commented:\n{config}");
    assert!(
        !config.contains("sk-ant-onboard-test"),
        "no secret in the config"
    );
    assert_eq!(mode(&config_file), 0o600);
    assert_eq!(mode(&secrets), 0o600);
    assert!(std::fs::read_to_string(&secrets)
        .expect("secrets")
        .contains("ANTHROPIC_API_KEY=sk-ant-onboard-test"));

    let validate = run_cli(home.path(), &["config", "validate"]);
    assert!(validate.status.success(), "{}", stderr(&validate));
    let audit = run_cli(home.path(), &["security", "audit"]);
    assert!(audit.status.success(), "{}", stdout(&audit));

    // The gateway (its environment has no ANTHROPIC_API_KEY) takes the key from the secrets file.
    let gateway = Gateway::start_in(home, &[]);
    assert_eq!(gateway.get("/readyz", &[]).status, 200);
    let answer = answer_of(&ask(&gateway, "onboard-test", "hello"));
    assert_eq!(answer, "echo: hello");
    let calls: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].header("x-api-key"), Some("sk-ant-onboard-test"));
}

#[test]
fn an_existing_config_is_replaced_only_with_force_and_then_backed_up() {
    let home = tempfile::tempdir().expect("home");
    let config_file = home.path().join("pincer.json5");
    let mine = "// mine\n{ gateway: { port: 18800 } }\n";
    std::fs::write(&config_file, mine).expect("write");
    let args = ["--non-interactive", "--skip-key-check"];

    let refused = onboard(home.path(), &args, &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(&config_file).expect("kept"), mine);

    let replaced = onboard(home.path(), &[&args[..], &["--force"]].concat(), &[]);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    let backups: Vec<_> = std::fs::read_dir(home.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("pincer.json5.bak-")
        })
        .collect();
    assert_eq!(backups.len(), 1, "{}", stdout(&replaced));
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).expect("backup"),
        mine
    );
    assert_eq!(mode(&backups[0].path()), 0o600);
    assert!(stdout(&replaced).contains("previous config is kept as"));
    assert_ne!(std::fs::read_to_string(&config_file).expect("new"), mine);
}

#[test]
fn failing_steps_say_what_to_do_and_write_nothing() {
    let home = tempfile::tempdir().expect("home");
    let config_file = home.path().join("pincer.json5");

    // No terminal and no --non-interactive.
    let output = onboard(home.path(), &[], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--non-interactive"),
        "{}",
        stderr(&output)
    );

    // A workspace that cannot be created.
    let file = home.path().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    let workspace = file.join("workspace").display().to_string();
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--skip-key-check",
            "--workspace",
            &workspace,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("--workspace")
            && text.contains("cannot create")
            && text.contains("nothing was written"),
        "{text}"
    );

    // WhatsApp without its credentials in the environment.
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--skip-key-check",
            "--whatsapp",
            "--whatsapp-phone-number-id",
            "106540352242922",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("PINCER_WHATSAPP_ACCESS_TOKEN"),
        "{}",
        stderr(&output)
    );

    // A key the provider rejects.
    let stub = KeyStub::start("the-good-key");
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--provider",
            "openai",
            "--base-url",
            &format!("{}/v1", stub.url()),
        ],
        &[("OPENAI_API_KEY", "a-revoked-key")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("rejected the API key"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stub.keys_seen(), ["a-revoked-key"]);

    assert!(!config_file.exists(), "no config after any failure");
    assert!(!home.path().join("state/secrets.env").exists());

    // The same key check passes with the right key.
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--provider",
            "openai",
            "--base-url",
            &format!("{}/v1", stub.url()),
        ],
        &[("OPENAI_API_KEY", "the-good-key")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("ok: the API key works"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn install_daemon_starts_the_service_and_waits_for_ready() {
    let (bin, calls) = fake_systemctl("case \"$*\" in *show*) echo active ;; esac\nexit 0");
    let home = tempfile::tempdir().expect("home");
    let xdg = tempfile::tempdir().expect("xdg");
    let port = free_port().to_string();
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--skip-key-check",
            "--install-daemon",
            "--port",
            &port,
        ],
        &[
            ("PATH", &path_with(bin.path())),
            ("XDG_CONFIG_HOME", &xdg.path().display().to_string()),
        ],
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(text.contains("reported READY"), "{text}");
    assert!(text.contains("pincer health"), "{text}");
    let unit = std::fs::read_to_string(xdg.path().join("systemd/user/pincer-gateway.service"))
        .expect("unit");
    assert!(
        unit.contains(&format!(
            "Environment=PINCER_HOME={}",
            home.path().display()
        )),
        "{unit}"
    );
    let recorded = std::fs::read_to_string(&calls).expect("calls");
    assert!(
        recorded.contains("--user show-environment")
            && recorded.contains("--user enable --now pincer-gateway.service"),
        "{recorded}"
    );
}

#[test]
fn without_a_systemd_user_session_the_config_is_kept_and_the_manual_command_given() {
    let (bin, calls) =
        fake_systemctl("echo 'Failed to connect to bus: No medium found' >&2\nexit 1");
    let home = tempfile::tempdir().expect("home");
    let port = free_port().to_string();
    let output = onboard(
        home.path(),
        &[
            "--non-interactive",
            "--skip-key-check",
            "--install-daemon",
            "--port",
            &port,
        ],
        &[("PATH", &path_with(bin.path()))],
    );
    assert_eq!(output.status.code(), Some(69), "{}", stdout(&output));
    let text = stderr(&output);
    assert!(
        text.contains("systemd user session is not available")
            && text.contains("Failed to connect to bus")
            && text.contains(&format!("pincer gateway --port {port}"))
            && text.contains("[Service]"),
        "{text}"
    );
    assert!(stdout(&output).contains("the service cannot be installed here"));
    assert!(
        home.path().join("pincer.json5").exists(),
        "the config is complete and kept"
    );
    assert!(!std::fs::read_to_string(&calls)
        .expect("calls")
        .contains("enable"));
}

#[test]
fn gateway_install_daemon_refuses_a_taken_port() {
    let (bin, calls) = fake_systemctl("exit 0");
    let home = tempfile::tempdir().expect("home");
    let xdg = tempfile::tempdir().expect("xdg");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = onboard_command(home.path())
        .args(["gateway", "--install-daemon", "--port", &port])
        .env("PATH", path_with(bin.path()))
        .env("XDG_CONFIG_HOME", xdg.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(69));
    assert!(
        stderr(&output).contains("already in use"),
        "{}",
        stderr(&output)
    );
    assert!(!xdg.path().join("systemd").exists(), "no unit written");
    assert!(!std::fs::read_to_string(&calls)
        .expect("calls")
        .contains("enable"));
}

#[test]
fn secrets_left_in_the_environment_are_named_with_what_that_means_for_a_service() {
    let home = tempfile::tempdir().expect("home");
    let port = free_port().to_string();
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-left-in-env"),
        (
            "PINCER_TELEGRAM_BOT_TOKEN",
            "123456789:AAHleft-in-env-abcdefghijklmnopqrst",
        ),
    ];
    let args = [
        "--non-interactive",
        "--skip-key-check",
        "--provider",
        "anthropic",
        "--telegram",
        "--port",
        &port,
    ];
    let output = onboard(
        home.path(),
        &[&args[..], &["--store-secrets", "env"]].concat(),
        &env,
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    let secrets_file = home.path().join("state/secrets.env");
    for needle in [
        "Not stored (--store-secrets env): ANTHROPIC_API_KEY, PINCER_TELEGRAM_BOT_TOKEN",
        "service",
        "does not see this shell's environment",
        "--store-secrets file",
        &secrets_file.display().to_string(),
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(
        !text.contains("left-in-env"),
        "no value is printed:\n{text}"
    );
    let stored = std::fs::read_to_string(&secrets_file).unwrap_or_default();
    assert!(!stored.contains("left-in-env"), "nothing stored: {stored}");

    // What the note warns about: a gateway without that environment (as a service would be)
    // has no bot token, and says so instead of claiming to be ready.
    let gateway = Gateway::start_in(home, &[]);
    let ready = gateway.get("/readyz", &[]);
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert!(
        ready.body["notReady"]
            .to_string()
            .contains("channels.telegram"),
        "{}",
        ready.text
    );

    // Stored in the file, nothing is left behind and there is no note.
    let home = tempfile::tempdir().expect("home");
    let output = onboard(
        home.path(),
        &[&args[..], &["--store-secrets", "file"]].concat(),
        &env,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stdout(&output).contains("Not stored"),
        "{}",
        stdout(&output)
    );
}
