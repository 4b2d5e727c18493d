//! CLI commands find the running gateway and its token by themselves.

use crate::support::*;

#[test]
fn actors_and_health_find_the_gateway_without_flags() {
    let gateway = Gateway::start(None);

    let table = run_cli(gateway.home(), &["actors"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.contains("QUEUED") && h.contains("RESTARTS")),
        "{text}"
    );
    for name in ["/gateway", "sessions", "channels", "monitor", "web"] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }

    let json = run_cli(gateway.home(), &["actors", "--json"]);
    let body: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert_eq!(body["actors"][0]["path"], "/gateway");

    let health = run_cli(gateway.home(), &["health"]);
    assert!(health.status.success(), "{}", stderr(&health));
    assert!(
        stdout(&health).contains("live, ready"),
        "{}",
        stdout(&health)
    );
}

#[test]
fn commands_say_when_no_gateway_runs() {
    let home = tempfile::tempdir().expect("home");
    let output = run_cli(home.path(), &["health"]);
    assert_eq!(output.status.code(), Some(69));
    assert!(
        stderr(&output).contains("pincer gateway"),
        "{}",
        stderr(&output)
    );
}
