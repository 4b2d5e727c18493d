//! Invalid configuration stops the binary with exit code 78 and a message naming the key.

use crate::support::*;

fn start_with_config(config: &str, env: &[(&str, &str)]) -> std::process::Output {
    start_with_config_and_args(config, env, &[])
}

fn start_with_config_and_args(
    config: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), config).expect("write config");
    let mut command = pincer(home.path());
    command.args(["gateway", "--port", "0"]).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_with_timeout(child, std::time::Duration::from_secs(30))
}

#[test]
fn an_unknown_key_exits_78_naming_the_key() {
    let output = start_with_config("{ gateway: { prot: 18789 } }", &[]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("gateway.prot") && message.contains("unknown field"),
        "{message}"
    );
    assert!(
        message.contains("pincer.json5"),
        "the file is named: {message}"
    );
}

#[test]
fn a_wrong_type_exits_78_naming_the_key_and_the_expected_type() {
    let output = start_with_config("{ gateway: { port: \"eighty\" } }", &[]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("gateway.port") && message.contains("u16"),
        "{message}"
    );
}

#[test]
fn a_syntax_error_exits_78_with_its_line() {
    let output = start_with_config("{\n  gateway: {\n    port: 18789,,\n  }\n}", &[]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
}

#[test]
fn listening_beyond_loopback_without_auth_is_refused() {
    let output = start_with_config(
        "{ gateway: { bind: \"lan\", auth: { mode: \"none\" } } }",
        &[],
    );
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("gateway.auth.mode"),
        "{}",
        stderr(&output)
    );
}

/// Command-line flags are validated together with the file: `--bind lan` with auth off is refused.
#[test]
fn a_bind_flag_is_validated_with_the_config() {
    let output = start_with_config_and_args(
        "{ gateway: { auth: { mode: 'none' } } }",
        &[],
        &["--bind", "lan"],
    );
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("gateway.auth.mode"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let output = start_with_config("{}", &[("CLAWDBOT_GATEWAY_PORT", "not-a-port")]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("CLAWDBOT_GATEWAY_PORT"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn config_validate_get_and_path() {
    let home = tempfile::tempdir().expect("home");
    let path = home.path().join("pincer.json5");

    let output = run_cli(home.path(), &["config", "path"]);
    assert_eq!(stdout(&output).trim(), path.display().to_string());

    let output = run_cli(home.path(), &["config", "validate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("defaults"), "{}", stdout(&output));

    std::fs::write(
        &path,
        "{ gateway: { port: 19001, auth: { mode: 'token', token: 'abc-secret' } } }",
    )
    .expect("write");
    assert_eq!(
        stdout(&run_cli(home.path(), &["config", "get", "gateway.port"])).trim(),
        "19001"
    );
    assert_eq!(
        stdout(&run_cli(
            home.path(),
            &["config", "get", "gateway.auth.token"]
        ))
        .trim(),
        "***"
    );
    assert_eq!(
        stdout(&run_cli(
            home.path(),
            &["config", "get", "gateway.auth.token", "--reveal"]
        ))
        .trim(),
        "abc-secret"
    );
    let unknown = run_cli(home.path(), &["config", "get", "gateway.nope"]);
    assert!(!unknown.status.success());

    std::fs::write(&path, "{ agents: { maxConcurrentRuns: 'many' } }").expect("write");
    let invalid = run_cli(home.path(), &["config", "validate"]);
    assert_eq!(invalid.status.code(), Some(78));
    assert!(
        stderr(&invalid).contains("agents.maxConcurrentRuns"),
        "{}",
        stderr(&invalid)
    );
}
