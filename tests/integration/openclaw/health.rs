//! `openclaw health`, `openclaw gateway health`, `openclaw status` and `openclaw gateway probe`:
//! the commands a person runs first to see whether the gateway is there and well.

use pincer_emulators::Emulator;
use serde_json::Value;

use super::cli::{each_way, OpenClaw, Run, Target, Way};
use super::model_gateway;
use crate::support::agent::{answer_of, ask};
use crate::support::Gateway;

/// `openclaw health --json` prints the gateway's health snapshot: `ok: true` and the fields
/// OpenClaw's `HealthSummary` always has (`ts`, `durationMs`, `channels`, `channelOrder`,
/// `heartbeatSeconds`, `agents`, `sessions`), which the text form renders.
#[test]
fn health_json_is_the_gateways_snapshot() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::NO_FLAGS, |way| {
        let run = cli.run(&target, way, &["health", "--json"]);
        let health = run.ok().json();
        assert_eq!(health["ok"], true, "ok:{run}");
        for (field, is_kind) in [
            ("ts", Value::is_number as fn(&Value) -> bool),
            ("durationMs", Value::is_number),
            ("channels", Value::is_object),
            ("channelOrder", Value::is_array),
            ("heartbeatSeconds", Value::is_number),
            ("agents", Value::is_array),
            ("sessions", Value::is_object),
        ] {
            assert!(
                is_kind(&health[field]),
                "health.{field} missing or of the wrong kind ({way:?}):{run}"
            );
        }
    });
}

/// `openclaw health` (text) renders the gateway's agents and session store: the store's path
/// under the gateway's state directory, its count, and the stored session by key.
#[test]
fn health_text_renders_the_gateways_agents_and_sessions() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    let gateway = model_gateway(&emulator);
    answer_of(&ask(&gateway, "oc-health", "hello"));
    let target = Target::of(&gateway);
    let state = gateway.state_dir().display().to_string();
    each_way(&Way::NO_FLAGS, |way| {
        let run = cli.run(&target, way, &["health"]);
        run.ok();
        assert!(
            run.stdout.lines().any(|l| l.starts_with("Agents: main")),
            "no agents line ({way:?}):{run}"
        );
        let store = run
            .stdout
            .lines()
            .find(|l| l.starts_with("Session store (main):"))
            .unwrap_or_else(|| panic!("no session store line ({way:?}):{run}"));
        assert!(
            store.contains(&state) && store.ends_with("(1 entries)"),
            "the store is not the gateway's, with its one session ({way:?}):{run}"
        );
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with("- oc-health")),
            "the stored session is not listed ({way:?}):{run}"
        );
    });
}

/// `openclaw gateway health` renders `Gateway Health`, then `OK (<duration>ms)`.
#[test]
fn gateway_health_renders_ok_with_the_duration() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::ALL, |way| {
        let run = cli.run(&target, way, &["gateway", "health"]);
        run.ok();
        assert!(
            run.stdout.contains("Gateway Health"),
            "no heading ({way:?}):{run}"
        );
        let ok_line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("OK"));
        let duration = ok_line
            .and_then(|l| l.split_once('(')?.1.strip_suffix("ms)"))
            .and_then(|ms| ms.trim().parse::<u64>().ok());
        assert!(
            duration.is_some(),
            "no `OK (<n>ms)` line: the gateway's health has no durationMs ({way:?}):{run}"
        );
    });
}

/// `openclaw status --json` sees the gateway reachable at its URL, with no error, and counts
/// its sessions from the gateway's `status` answer.
#[test]
fn status_json_sees_the_gateway_reachable() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::NO_FLAGS, |way| {
        let run = cli.run(&target, way, &["status", "--json"]);
        let status = run.ok().json();
        let seen = &status["gateway"];
        assert_eq!(
            seen["url"],
            target.url.as_str(),
            "the URL used ({way:?}):{run}"
        );
        assert_eq!(seen["reachable"], true, "reachable ({way:?}):{run}");
        assert!(seen["error"].is_null(), "an error ({way:?}):{run}");
        assert!(
            seen["connectLatencyMs"].is_number(),
            "connectLatencyMs ({way:?}):{run}"
        );
        assert!(
            status["sessions"]["count"].is_number(),
            "sessions.count ({way:?}):{run}"
        );
    });
}

/// The target of a `gateway probe --json` answer that is this gateway.
fn probed<'a>(report: &'a Value, target: &Target, run: &Run) -> &'a Value {
    report["targets"]
        .as_array()
        .and_then(|targets| targets.iter().find(|t| t["url"] == target.url.as_str()))
        .unwrap_or_else(|| panic!("{} is not among the probed targets:{run}", target.url))
}

/// `openclaw gateway probe` connects, finds the operator role, and its read probe (`health`,
/// `status`, `system-presence`, `config.get`) passes. With `--url` the gateway is the explicit
/// target; configured in remote mode, the configured one. (The probe also tries the default
/// local port, 18789, whatever else runs there: only this gateway's target is looked at.)
#[test]
fn gateway_probe_reaches_the_gateway_and_reads_it() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&[Way::Flags, Way::Config], |way| {
        let run = cli.run(&target, way, &["gateway", "probe", "--json"]);
        let report = run.ok().json();
        let probe = probed(&report, &target, &run);
        assert_eq!(probe["connect"]["ok"], true, "connect ({way:?}):{run}");
        assert_eq!(probe["auth"]["role"], "operator", "role ({way:?}):{run}");
        assert_eq!(
            probe["connect"]["rpcOk"], true,
            "the read probe failed: {} ({way:?}):{run}",
            probe["connect"]["error"]
        );
    });
}
