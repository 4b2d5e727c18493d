//! Writing: modes, backups, the kept token, and nothing written when a step fails.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::*;
use crate::config::{DmPolicy, SandboxMode, Secret};
use crate::onboard::answers::{ProviderAnswer, ProviderKind, SecretAnswer};

fn answers(auth: AuthAnswer) -> Answers {
    Answers {
        provider: ProviderAnswer {
            kind: ProviderKind::Anthropic,
            id: "anthropic".into(),
            base_url: "https://api.anthropic.com".into(),
            model: "claude-sonnet-4-5".into(),
            key: Some(SecretAnswer::stored("ANTHROPIC_API_KEY", "sk-ant-typed")),
        },
        auth,
        port: 18789,
        channels: Vec::new(),
        dm_policy: DmPolicy::Pairing,
        workspace: PathBuf::from("/w"),
        sandbox: SandboxMode::NonMain,
    }
}

fn paths(home: &std::path::Path) -> Paths {
    Paths {
        config_file: home.join("pincer.json5"),
        state_dir: home.join("state"),
    }
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn writes_private_files_then_backs_up_and_keeps_the_token() {
    let home = tempfile::tempdir().expect("home");
    let paths = paths(home.path());
    let password = AuthAnswer::Password {
        secret: SecretAnswer::stored("PINCER_GATEWAY_PASSWORD", "a-long-password-1"),
        generated: true,
    };
    let planned = plan(
        &answers(password),
        &paths,
        &SecretsFile::default(),
        &no_env,
        "t0",
    )
    .expect("plan");
    assert_eq!(
        planned.stored,
        ["ANTHROPIC_API_KEY", "PINCER_GATEWAY_PASSWORD"]
    );
    let first = apply(&planned, "20250101-000000").expect("written");
    assert_eq!(first.config_backup, None);
    assert_eq!(first.token, None, "password mode makes no token");
    assert_eq!(mode(&paths.config_file), 0o600);
    assert_eq!(mode(&paths.secrets_file()), 0o600);
    assert_eq!(mode(&paths.state_dir), 0o700);
    let secrets = SecretsFile::read(&paths.secrets_file()).expect("secrets");
    assert_eq!(
        secrets.get("PINCER_GATEWAY_PASSWORD"),
        Some(&Secret::new("a-long-password-1"))
    );
    let old_config = std::fs::read_to_string(&paths.config_file).expect("config");

    // Again, in token mode: the old config and secrets are backed up, the password goes.
    let planned = plan(&answers(AuthAnswer::Token), &paths, &secrets, &no_env, "t1").expect("plan");
    assert_eq!(planned.removed, ["PINCER_GATEWAY_PASSWORD"]);
    let second = apply(&planned, "20250101-000000").expect("written");
    let backup = second.config_backup.expect("config backup");
    assert_eq!(
        std::fs::read_to_string(&backup).expect("backup"),
        old_config
    );
    assert!(backup.ends_with("pincer.json5.bak-20250101-000000"));
    assert_eq!(mode(&backup), 0o600);
    assert!(second.secrets_backup.is_some());
    let (token_file, created) = second.token.clone().expect("token");
    assert!(created);
    let token = std::fs::read_to_string(&token_file).expect("token");
    let secrets = SecretsFile::read(&paths.secrets_file()).expect("secrets");
    assert_eq!(secrets.names(), ["ANTHROPIC_API_KEY"]);

    // A third time in the same second: a distinct backup, and the token is kept.
    let planned = plan(&answers(AuthAnswer::Token), &paths, &secrets, &no_env, "t2").expect("plan");
    assert_eq!(planned.secrets, None, "the secrets file does not change");
    let third = apply(&planned, "20250101-000000").expect("written");
    assert!(third
        .config_backup
        .expect("backup")
        .ends_with("pincer.json5.bak-20250101-000000-1"));
    assert_eq!(third.token.map(|(_, created)| created), Some(false));
    assert_eq!(std::fs::read_to_string(&token_file).expect("token"), token);
}

#[test]
fn a_failing_step_leaves_the_old_config_alone() {
    let home = tempfile::tempdir().expect("home");
    // The state directory cannot be created: its place is a file.
    std::fs::write(home.path().join("state"), b"not a dir").expect("file");
    std::fs::write(home.path().join("pincer.json5"), "{ /* mine */ }").expect("old");
    let paths = paths(home.path());
    let planned = plan(
        &answers(AuthAnswer::Token),
        &paths,
        &SecretsFile::default(),
        &no_env,
        "t",
    )
    .expect("plan");
    let error = apply(&planned, "s").expect_err("cannot write");
    assert!(matches!(error, OnboardError::State(_)), "{error}");
    assert!(error.to_string().contains("PINCER_HOME"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&paths.config_file).expect("old"),
        "{ /* mine */ }"
    );
    let leftovers: Vec<_> = std::fs::read_dir(home.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn an_environment_that_breaks_the_config_stops_the_plan() {
    let home = tempfile::tempdir().expect("home");
    let env = |name: &str| (name == "PINCER_GATEWAY_PORT").then(|| "not-a-port".to_string());
    let error = plan(
        &answers(AuthAnswer::Token),
        &paths(home.path()),
        &SecretsFile::default(),
        &env,
        "t",
    )
    .expect_err("bad override");
    assert!(error.to_string().contains("PINCER_GATEWAY_PORT"), "{error}");
}
