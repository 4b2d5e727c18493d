//! Tests for [`super`]: parsing, error wording, the load pipeline and the
//! shipped example files.

use super::*;
use crate::config::channels::DmPolicy;
use crate::config::schema::{AuthMode, SandboxMode};
use crate::config::secret::Secret;
use std::collections::HashMap;

const ORIGIN: &str = "/x/pincer.json5";

const SEED_LOCAL: &str = r#"{
  "agent": { "model": "anthropic/claude-3-5-sonnet-20241022", "workspace": "~/clawd" },
  "gateway": { "port": 18789, "bind": "loopback",
    "auth": { "mode": "password", "password": "your-secure-password" },
    "controlUi": { "enabled": true } },
  "channels": { "whatsapp": { "enabled": true, "dmPolicy": "pairing", "allowFrom": ["+1234567890"] } },
  "agents": { "defaults": { "workspace": "~/clawd", "sandbox": { "mode": "non-main",
    "allowlist": ["read","write","edit","sessions_list","sessions_history","sessions_send"],
    "denylist": ["browser","canvas","nodes","cron","gateway"] } } } }"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_str(text, Path::new(ORIGIN))
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.json5");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn single_problem(err: ConfigError) -> Problem {
    match err {
        ConfigError::Invalid { mut problems, .. } if problems.len() == 1 => problems.remove(0),
        other => panic!("expected one problem, got {other:?}"),
    }
}

#[test]
fn seed_local_example_parses_and_validates() {
    let (_dir, path) = write_config(SEED_LOCAL);
    let loaded = load(&path, &no_env).unwrap();
    let c = &loaded.config;
    assert_eq!(loaded.source, ConfigSource::File(path.clone()));
    assert!(loaded.overrides.is_empty());
    assert_eq!(c.agent.model, "anthropic/claude-3-5-sonnet-20241022");
    assert_eq!(c.agent.workspace.as_deref(), Some("~/clawd"));
    assert_eq!(c.gateway.auth.mode, AuthMode::Password);
    assert_eq!(
        c.gateway.auth.password,
        Some(Secret::new("your-secure-password"))
    );
    assert!(c.channels.whatsapp.enabled);
    assert_eq!(c.channels.whatsapp.dm_policy, DmPolicy::Pairing);
    assert_eq!(c.channels.whatsapp.allow_from, ["+1234567890"]);
    assert_eq!(c.agents.defaults.sandbox.mode, SandboxMode::NonMain);
    assert_eq!(c.agents.defaults.sandbox.allowlist.len(), 6);
    assert_eq!(c.agents.defaults.sandbox.denylist.len(), 5);
    // Keys the file leaves out keep their defaults.
    assert_eq!(c.gateway.max_connections, 100);
}

#[test]
fn json5_comments_trailing_commas_and_unquoted_keys() {
    let c = parse(
        "// leading comment\n{\n  /* block */ gateway: { port: 8080, bind: 'lan', },\n  \
         \"$schema\": 'https://example.invalid/s.json',\n}\n",
    )
    .unwrap();
    assert_eq!(c.gateway.port, 8080);
    assert_eq!(c.schema.as_deref(), Some("https://example.invalid/s.json"));
}

#[test]
fn empty_object_gives_defaults() {
    assert_eq!(parse("{}").unwrap(), Config::default());
}

#[test]
fn unknown_key_names_its_path() {
    let err = parse("{ gateway: { prot: 1 } }").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("invalid config /x/pincer.json5: gateway.prot: unknown field `prot`, expected one of `port`"),
        "{text}"
    );
    assert_eq!(single_problem(err).key, "gateway.prot");
}

#[test]
fn unknown_root_key_names_itself() {
    let problem = single_problem(parse("{ agnet: {} }").unwrap_err());
    assert_eq!(problem.key, "agnet");
    assert!(
        problem.message.contains("`$schema`, `agent`"),
        "{}",
        problem.message
    );
}

#[test]
fn wrong_type_names_path_and_expectation() {
    let err = parse("{\n  gateway: {\n    port: 'abc',\n  },\n}").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "invalid config /x/pincer.json5: gateway.port: invalid type: string \"abc\", expected u16"
        ),
        "{text}"
    );
    assert!(text.contains("line 3 column 11"), "{text}");
}

#[test]
fn wrong_values_name_their_paths() {
    for (text, key, fragment) in [
        ("{gateway: {port: 70000}}", "gateway.port", "expected u16"),
        (
            "{gateway: {bind: 'public'}}",
            "gateway.bind",
            "unknown variant `public`",
        ),
        (
            "{gateway: {auth: {token: 5}}}",
            "gateway.auth.token",
            "expected a string",
        ),
        (
            "{channels: {whatsapp: {allowFrom: ['+1', 2]}}}",
            "channels.whatsapp.allowFrom[1]",
            "expected a string",
        ),
        (
            "{gateway: {port: 1, port: 2}}",
            "gateway",
            "duplicate field `port`",
        ),
        ("[]", "(root)", "expected opening brace"),
    ] {
        let problem = single_problem(parse(text).unwrap_err());
        assert_eq!(problem.key, key, "{text}");
        assert!(
            problem.message.contains(fragment),
            "{text}: {}",
            problem.message
        );
    }
}

#[test]
fn syntax_error_keeps_line_and_column() {
    let err = parse("{\n  gateway: {\n    port: 1\n    bind: 'lan'\n  }\n}").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "syntax error in config /x/pincer.json5: expected comma at line 4 column 5"
    );
}

#[test]
fn truncated_file_and_trailing_text_are_syntax_errors() {
    let err = parse("{ gateway: {").unwrap_err();
    assert!(
        err.to_string()
            .contains("unexpected end of file while parsing object"),
        "{err}"
    );
    let err = parse("{} extra").unwrap_err();
    assert!(
        err.to_string()
            .contains("trailing characters at line 1 column 4"),
        "{err}"
    );
    assert!(matches!(parse("").unwrap_err(), ConfigError::Syntax { .. }));
}

#[test]
fn missing_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = load(&dir.path().join("absent.json5"), &no_env).unwrap();
    assert_eq!(loaded.source, ConfigSource::Defaults);
    assert_eq!(loaded.config, Config::default());
    assert!(loaded.overrides.is_empty());
}

#[test]
fn unreadable_path_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = load(dir.path(), &no_env).unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

#[test]
fn env_overrides_apply_after_the_file() {
    let (_dir, path) = write_config("{ gateway: { port: 1234 }, agent: { model: 'file/model' } }");
    let env = env_of(&[
        ("CLAWDBOT_GATEWAY_PORT", "4321"),
        ("PINCER_AGENT_MODEL", "env/model"),
    ]);
    let loaded = load(&path, &env).unwrap();
    assert_eq!(loaded.config.gateway.port, 4321);
    assert_eq!(loaded.config.agent.model, "env/model");
    assert_eq!(
        loaded.overrides,
        ["CLAWDBOT_GATEWAY_PORT", "PINCER_AGENT_MODEL"]
    );
}

#[test]
fn env_password_satisfies_password_mode() {
    let (_dir, path) = write_config("{ gateway: { auth: { mode: 'password' } } }");
    let err = load(&path, &no_env).unwrap_err();
    assert_eq!(single_problem(err).key, "gateway.auth.password");
    let env = env_of(&[("CLAWDBOT_GATEWAY_PASSWORD", "from-env-password")]);
    let loaded = load(&path, &env).unwrap();
    assert_eq!(
        loaded.config.gateway.auth.password,
        Some(Secret::new("from-env-password"))
    );
}

/// The seed's `docker run -e CLAWDBOT_GATEWAY_PASSWORD=...`: zero config plus a password in the
/// environment is a password-protected gateway.
#[test]
fn env_password_alone_selects_password_mode() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_of(&[("PINCER_GATEWAY_PASSWORD", "pw")]);
    let loaded = load(&dir.path().join("absent.json5"), &env).unwrap();
    assert_eq!(loaded.source, ConfigSource::Defaults);
    assert_eq!(loaded.config.gateway.auth.mode, AuthMode::Password);
    assert_eq!(loaded.config.gateway.auth.password, Some(Secret::new("pw")));
}

#[test]
fn bad_env_value_fails_load() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_of(&[("PINCER_GATEWAY_PORT", "abc")]);
    let err = load(&dir.path().join("absent.json5"), &env).unwrap_err();
    assert!(matches!(&err, ConfigError::Env { var, .. } if var == "PINCER_GATEWAY_PORT"));
}

#[test]
fn load_reports_every_validation_problem() {
    let (_dir, path) = write_config(
        "{ gateway: { bind: 'lan', auth: { mode: 'none' }, tailscale: { mode: 'funnel' },\n\
         ssl: { enabled: true } } }",
    );
    let err = load(&path, &no_env).unwrap_err();
    let text = err.to_string();
    let ConfigError::Invalid { problems, .. } = err else {
        panic!("expected Invalid, got {text}");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "gateway.auth.mode",
            "gateway.tailscale.mode",
            "gateway.bind",
            "gateway.ssl.certPath",
            "gateway.ssl.keyPath"
        ]
    );
    assert!(text.contains("\n  - gateway.auth.mode: "), "{text}");
    assert!(
        text.contains("refuses to listen beyond loopback without auth"),
        "{text}"
    );
}

#[test]
fn allowed_origins_must_be_origins() {
    let (_dir, path) = write_config(
        "{ gateway: { controlUi: { allowedOrigins: ['https://ops.example.com', \
         'ops.example.com', 'https://ops.example.com/ui', 'null'] } } }",
    );
    let err = load(&path, &no_env).unwrap_err();
    let text = err.to_string();
    let ConfigError::Invalid { problems, .. } = err else {
        panic!("expected Invalid, got {text}");
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "gateway.controlUi.allowedOrigins.1",
            "gateway.controlUi.allowedOrigins.2"
        ],
        "{text}"
    );
    assert!(text.contains("it needs a scheme"), "{text}");
    assert!(text.contains("without path"), "{text}");
    let (_dir, path) = write_config(
        "{ gateway: { controlUi: { allowedOrigins: ['https://ops.example.com', 'null'] } } }",
    );
    assert!(load(&path, &no_env).is_ok());
}

#[test]
fn example_file_parses_validates_and_matches_the_defaults() {
    let text = include_str!("../../config/pincer.example.json5");
    let config = parse(text).unwrap();
    assert_eq!(config, Config::default());
    assert!(validate::validate(&config).is_empty());
    // Every key with a default value is spelled out in the example.
    let written: serde_json::Value = json5::from_str(text).unwrap();
    assert_eq!(
        written,
        without_nulls(serde_json::to_value(&config).unwrap())
    );
}

#[test]
fn secure_template_parses_and_validates() {
    let config = parse(include_str!("../../config/secure-template.json5")).unwrap();
    assert_eq!(config.gateway.auth.mode, AuthMode::Password);
    assert!(config.gateway.ssl.enabled);
    assert_eq!(config.agents.defaults.sandbox.mode, SandboxMode::NonMain);
    assert!(validate::validate(&config).is_empty());
}

fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, without_nulls(v)))
            .collect(),
        other => other,
    }
}
