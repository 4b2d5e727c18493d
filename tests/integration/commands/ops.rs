//! Operations commands against the real binary: `security audit`, `doctor [--fix]`,
//! `config suggest|template` and `debug memory`.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::*;
use serde_json::Value;

/// The seed's insecure examples in one file; valid, because auth "none" is allowed on loopback.
const INSECURE: &str = r#"{
  gateway: { auth: { mode: "none", password: "short" } },
  agents: { defaults: { sandbox: { mode: "off" } } },
  channels: { whatsapp: { dmPolicy: "open", allowFrom: ["*"] } },
}"#;

/// A model that needs no API key, so that provider checks do not depend on the environment.
const KEYLESS_MODEL: &str = r#"agents: { defaults: { model: "ollama/qwen3" } }"#;

/// Runs `pincer` in `home` with HOME there too, so that no real systemd unit is seen.
fn run_isolated(home: &Path, args: &[&str]) -> Output {
    let child = pincer(home)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pincer");
    wait_with_timeout(child, Duration::from_secs(30))
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

fn ids(report: &Value, list: &str, field: &str) -> Vec<String> {
    report[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item[field].as_str().map(str::to_string))
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_audit_reports_the_seeds_insecure_example_and_exits_1() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), INSECURE).expect("config");
    let output = run_isolated(home.path(), &["security", "audit", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json_of(&output);
    let found = ids(&report, "findings", "checkId");
    for id in [
        "gateway.auth_none",
        "gateway.password_short",
        "agents.sandbox_mode",
        "channels.whatsapp_dm_policy",
        "channels.whatsapp_dm_open",
    ] {
        assert!(found.contains(&id.to_string()), "{id} missing: {found:?}");
    }
    assert_eq!(report["findings"][0]["severity"], "critical");
    assert!(report["summary"]["critical"].as_u64() >= Some(2));

    let text = run_isolated(home.path(), &["security", "audit"]);
    assert_eq!(text.status.code(), Some(1));
    let text = stdout(&text);
    assert!(
        text.contains("[CRITICAL]") && text.contains("gateway.auth_none"),
        "{text}"
    );
    let critical = text.find("[CRITICAL]").expect("critical block");
    let warning = text.find("[WARNING]").expect("warning block");
    assert!(critical < warning, "sorted by severity:\n{text}");
}

#[test]
fn a_clean_default_home_passes_the_audit() {
    let gateway = Gateway::start(None);
    let token_file = gateway.state_dir().join("gateway.token");
    assert_eq!(mode(&token_file), 0o600);
    let output = run_isolated(gateway.home(), &["security", "audit", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let report = json_of(&output);
    assert_eq!(report["summary"]["critical"], 0, "{report:#}");
    assert_eq!(report["summary"]["warning"], 0, "{report:#}");

    // A leaked token is critical.
    chmod(&token_file, 0o644);
    let output = run_isolated(gateway.home(), &["security", "audit", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(ids(&json_of(&output), "findings", "checkId")
        .contains(&"files.token_permissions".to_string()));
}

#[test]
fn the_audit_refuses_an_invalid_config_with_exit_78() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ gateway: { port: \"x\" } }",
    )
    .expect("config");
    let output = run_isolated(home.path(), &["security", "audit"]);
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("gateway.port"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn doctor_finds_a_port_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = taken.local_addr().expect("addr").port();
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        format!("{{ gateway: {{ port: {port} }}, {KEYLESS_MODEL} }}"),
    )
    .expect("config");
    let output = run_isolated(home.path(), &["doctor", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = json_of(&output);
    assert!(
        ids(&report, "issues", "id").contains(&"network.port_in_use".to_string()),
        "{report:#}"
    );
    let issue = &report["issues"][0];
    assert_eq!(issue["severity"], "error");
    assert_eq!(issue["category"], "network");
    assert!(issue["description"]
        .as_str()
        .unwrap_or("")
        .contains(&port.to_string()));
    for section in ["system", "process", "network", "storage"] {
        assert!(report[section].is_object(), "{section} missing");
    }
    assert!(report["system"]["totalMemory"].as_u64() > Some(0));
    assert!(report["timestamp"].is_string());

    let text = run_isolated(home.path(), &["doctor"]);
    assert!(
        stdout(&text).contains("Gateway port in use"),
        "{}",
        stdout(&text)
    );

    drop(taken);
    let freed = json_of(&run_isolated(home.path(), &["doctor", "--json"]));
    assert!(!ids(&freed, "issues", "id").contains(&"network.port_in_use".to_string()));
}

#[test]
fn doctor_reports_a_broken_config_instead_of_crashing() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        home.path().join("pincer.json5"),
        "{ gateway: { port: 0, bogus: 1 } }",
    )
    .expect("config");
    let output = run_isolated(home.path(), &["doctor", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json_of(&output);
    let issue = report["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["id"] == "config.invalid")
        .unwrap_or_else(|| panic!("config.invalid missing: {report:#}"));
    assert!(issue["description"]
        .as_str()
        .unwrap_or("")
        .contains("bogus"));
}

#[test]
fn doctor_fix_repairs_loose_permissions() {
    let mut gateway = Gateway::start(Some(&format!(
        "{{ gateway: {{ port: 0 }}, {KEYLESS_MODEL} }}"
    )));
    let stopped = gateway.terminate();
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    let home = gateway.home().to_path_buf();
    let token_file = gateway.state_dir().join("gateway.token");
    chmod(&token_file, 0o644);

    let before = run_isolated(&home, &["doctor", "--json"]);
    assert_eq!(before.status.code(), Some(1), "{}", stdout(&before));
    let report = json_of(&before);
    assert!(
        ids(&report, "issues", "id").contains(&"files.token_permissions".to_string()),
        "{report:#}"
    );
    assert_eq!(report["storage"]["tokenFileMode"], "0644");

    let fixed = run_isolated(&home, &["doctor", "--fix", "--json"]);
    let report = json_of(&fixed);
    assert_eq!(fixed.status.code(), Some(0), "{report:#}");
    let repairs: Vec<&str> = report["fixed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        repairs
            .iter()
            .any(|r| r.starts_with("chmod 600") && r.ends_with("gateway.token")),
        "{repairs:?}"
    );
    assert!(!ids(&report, "issues", "id").contains(&"files.token_permissions".to_string()));
    assert_eq!(mode(&token_file), 0o600);

    let after = run_isolated(&home, &["doctor"]);
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));
    assert!(
        !stdout(&after).contains("files.token_permissions"),
        "{}",
        stdout(&after)
    );
}

#[test]
fn config_suggest_and_template_parse_even_with_a_broken_config() {
    let home = tempfile::tempdir().expect("home");
    std::fs::write(home.path().join("pincer.json5"), "{ not json5").expect("config");
    let parse = |output: &Output| {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        pincer::config::parse_str(&stdout(output), Path::new("stdout.json5"))
            .unwrap_or_else(|e| panic!("{e}\n{}", stdout(output)))
    };

    let production = parse(&run_isolated(
        home.path(),
        &["config", "suggest", "--production"],
    ));
    assert_eq!(production.gateway.max_connections, 100);
    assert_eq!(production.gateway.rate_limiting.requests_per_minute, 1000);
    assert_eq!(production.agents.memory_limit, 1024);
    let personal = parse(&run_isolated(home.path(), &["config", "suggest"]));
    assert_eq!(personal.gateway.max_connections, 10);
    assert!(!personal.gateway.rate_limiting.enabled);
    assert_eq!(personal.agents.max_concurrent_runs, 2);

    let first = parse(&run_isolated(
        home.path(),
        &["config", "template", "--secure"],
    ));
    let second = parse(&run_isolated(
        home.path(),
        &["config", "template", "--secure"],
    ));
    let password = |c: &pincer::config::Config| {
        c.gateway
            .auth
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default()
    };
    assert!(password(&first).len() >= 24);
    assert_ne!(password(&first), "generate-a-very-secure-password");
    assert_ne!(password(&first), password(&second));
    assert!(pincer::config::validate(&first).is_empty());
}

#[test]
fn debug_memory_shows_rss_and_actor_counts() {
    let gateway = Gateway::start(None);
    let output = run_isolated(gateway.home(), &["debug", "memory", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let profile = json_of(&output);
    assert_eq!(profile["pid"], gateway.pid);
    assert!(
        profile["process"]["vmRssBytes"].as_u64() > Some(0),
        "{profile:#}"
    );
    assert!(profile["actors"]["total"].as_u64() > Some(3), "{profile:#}");
    assert!(
        profile["actors"]["byKind"]["supervisor"]["running"].as_u64() >= Some(1),
        "{profile:#}"
    );
    assert_eq!(profile["sessions"]["cacheSize"], 100);
    assert_eq!(profile["sessions"]["live"], 0);

    let text = run_isolated(gateway.home(), &["debug", "memory"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(
        text.contains("RSS") && text.contains("supervisor"),
        "{text}"
    );
}

#[test]
fn debug_memory_without_a_gateway_exits_69() {
    let home = tempfile::tempdir().expect("home");
    let output = run_isolated(home.path(), &["debug", "memory"]);
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
}
