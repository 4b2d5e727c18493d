//! Cron jobs: fired on time, answered, delivered once per firing, across `kill -9` and restarts.

use std::time::Duration;

use serde_json::json;

use super::{config, firings, jobs, sent_to_chat, wait_for_firings, CHAT};
use crate::support::{http_post, run_cli, stderr, stdout, Gateway};
use pincer_emulators::telegram::BotApi;
use pincer_emulators::Emulator;

use crate::support::channels::BOT_TOKEN;

const WAIT: Duration = Duration::from_secs(30);

fn post(gateway: &Gateway, path: &str, body: serde_json::Value) -> crate::support::Response {
    let token = format!("Bearer {}", gateway.token());
    http_post(gateway.addr, path, &[("Authorization", &token)], &body)
}

fn delivered(found: &[(u64, Vec<String>)]) -> usize {
    found
        .iter()
        .filter(|(_, s)| s.iter().any(|s| s == "delivered"))
        .count()
}

#[test]
fn a_job_every_second_is_answered_and_delivered_once_per_firing() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = Gateway::start(Some(&config(&provider, &bot, "")));
    assert!(bot.wait_for_poller(WAIT));
    let added = post(
        &gateway,
        "/admin/cron",
        json!({ "id": "ping", "schedule": { "kind": "every", "every": "1s" },
                "message": "cron ping",
                "deliver": { "channel": "telegram", "to": CHAT.to_string() } }),
    );
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(added.body["job"]["sessionKey"], "agent:main:cron:ping");
    let state = gateway.state_dir();
    wait_for_firings(&state, "ping", WAIT, |f| delivered(f) >= 3);
    // Stop the job (an update keeps its runs), let the last firing finish, then count.
    let paused = post(
        &gateway,
        "/admin/cron/ping",
        json!({ "schedule": { "kind": "every", "every": "1s" }, "message": "cron ping",
                "enabled": false,
                "deliver": { "channel": "telegram", "to": CHAT.to_string() } }),
    );
    assert_eq!(paused.status, 200, "{}", paused.text);
    assert_eq!(paused.body["job"]["nextRunAtMs"], serde_json::Value::Null);
    std::thread::sleep(Duration::from_secs(2));
    let found = firings(&state, "ping");
    let sent = sent_to_chat(&bot);
    assert_eq!(sent.len(), delivered(&found), "{found:?} / {sent:?}");
    assert!(
        sent.iter().all(|text| text == "echo: cron ping"),
        "{sent:?}"
    );
    for (at, statuses) in &found {
        assert_eq!(
            statuses,
            &["fired", "answered", "delivering", "delivered"],
            "firing {at}"
        );
    }
    // Each firing is its own whole second (the schedule counts from the job's creation).
    let mut times: Vec<u64> = found.iter().map(|(at, _)| *at).collect();
    times.dedup();
    assert_eq!(times.len(), found.len());
    let runs = run_cli(gateway.home(), &["cron", "runs", "ping", "--json"]);
    assert!(runs.status.success(), "{}", stderr(&runs));
    let runs: serde_json::Value = serde_json::from_str(&stdout(&runs)).expect("runs json");
    assert!(runs["runs"].as_array().is_some_and(|r| r.len() >= 12));
}

#[test]
fn a_firing_killed_mid_turn_is_delivered_exactly_once_after_the_restart() {
    let provider = Emulator::openai();
    // The first ask is still thinking when the gateway is killed.
    provider.set_delay(Duration::from_secs(4));
    let bot = BotApi::start(BOT_TOKEN);
    let at = now_ms() + 1500;
    let job = format!(
        "cron: {{ jobs: [{{ id: 'once', schedule: {{ kind: 'at', at: {at} }}, \
         message: 'wake up', deliver: {{ channel: 'telegram', to: '{CHAT}' }} }}] }}"
    );
    let gateway = Gateway::start(Some(&config(&provider, &bot, &job)));
    let state = gateway.state_dir();
    wait_for_firings(&state, "once", WAIT, |f| !f.is_empty());
    let deadline = std::time::Instant::now() + WAIT;
    while provider.requests().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the model was never asked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let home = gateway.kill9();
    assert!(sent_to_chat(&bot).is_empty());
    provider.set_delay(Duration::ZERO);
    let gateway = Gateway::start_in(home, &[]);
    let found = wait_for_firings(&state, "once", WAIT, |f| delivered(f) == 1);
    // Anything sent twice would show by now.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sent_to_chat(&bot), vec!["echo: wake up".to_string()]);
    assert_eq!(found.len(), 1, "one firing: {found:?}");
    assert_eq!(found[0].0, at);
    assert_eq!(found[0].1, ["fired", "answered", "delivering", "delivered"]);
    // The killed ask and the resumed one.
    assert_eq!(provider.requests().len(), 2);
    let listed = jobs(&gateway);
    let once = listed
        .iter()
        .find(|j| j["job"]["id"] == "once")
        .expect("listed");
    assert_eq!(once["origin"], "config");
    assert_eq!(once["lastStatus"], "delivered");
    assert_eq!(once["nextRunAtMs"], serde_json::Value::Null);

    // A crash after the session persisted its answer but before the firing recorded it: only
    // `fired` is left. The resumed firing finds the answer in the transcript (no model call)
    // and delivers it.
    let mut gateway = gateway;
    let output = gateway.terminate();
    assert!(output.status.success(), "{}", stderr(&output));
    let runs = state.join("cron").join("runs").join("once.jsonl");
    let text = std::fs::read_to_string(&runs).expect("runs");
    let first = text.lines().next().expect("the fired record");
    assert!(first.contains("\"fired\""), "{first}");
    std::fs::write(&runs, format!("{first}\n")).expect("cut the runs");
    let home = std::mem::replace(&mut gateway.home, tempfile::tempdir().expect("placeholder"));
    let _gateway = Gateway::start_in(home, &[]);
    wait_for_firings(&state, "once", WAIT, |f| delivered(f) == 1);
    assert_eq!(provider.requests().len(), 2, "the model was asked again");
    assert_eq!(sent_to_chat(&bot), ["echo: wake up", "echo: wake up"]);
}

#[test]
fn jobs_added_at_run_time_survive_a_restart_and_the_scheduler_is_an_actor() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let extra = "cron: { jobs: [{ id: 'fixed', schedule: { kind: 'cron', expr: '0 8 * * *', \
                 tz: 'Europe/Paris' }, message: 'morning' }] }";
    let gateway = Gateway::start(Some(&config(&provider, &bot, extra)));
    let added = run_cli(
        gateway.home(),
        &[
            "cron",
            "add",
            "--id",
            "keep",
            "--every",
            "1h",
            "--message",
            "hourly",
            "--deliver",
            "telegram:4242",
        ],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("keep"), "{}", stdout(&added));
    let refused = run_cli(gateway.home(), &["cron", "rm", "fixed"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("config"), "{}", stderr(&refused));
    let gateway = gateway.restart();
    let listed = jobs(&gateway);
    let keep = listed
        .iter()
        .find(|j| j["job"]["id"] == "keep")
        .expect("kept");
    assert_eq!(keep["origin"], "runtime");
    assert_eq!(keep["job"]["deliver"]["to"], "4242");
    assert!(keep["nextRunAtMs"].as_u64().is_some());
    let fixed = listed
        .iter()
        .find(|j| j["job"]["id"] == "fixed")
        .expect("config job");
    assert_eq!(fixed["origin"], "config");
    let actors = gateway.get_authed("/admin/actors?flat=1");
    assert!(actors.text.contains("/gateway/cron"), "{}", actors.text);
    let list = run_cli(gateway.home(), &["cron", "list"]);
    assert!(
        stdout(&list).contains("keep [runtime] every 1h"),
        "{}",
        stdout(&list)
    );
    let removed = run_cli(gateway.home(), &["cron", "rm", "keep"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(jobs(&gateway).iter().all(|j| j["job"]["id"] != "keep"));
    // A corrupt store: the gateway still starts, says why, and does not overwrite the file.
    let mut gateway = gateway;
    let output = gateway.terminate();
    assert!(output.status.success(), "{}", stderr(&output));
    let store = gateway.state_dir().join("cron").join("jobs.json");
    std::fs::write(&store, "{ not json").expect("corrupt the store");
    let home = std::mem::replace(&mut gateway.home, tempfile::tempdir().expect("placeholder"));
    let gateway = Gateway::start_in(home, &[]);
    let status = gateway.get_authed("/admin/cron/status");
    assert_eq!(status.status, 200, "{}", status.text);
    assert!(
        status.body["storeError"]
            .as_str()
            .is_some_and(|e| e.contains("jobs.json")),
        "{}",
        status.text
    );
    let add = post(
        &gateway,
        "/admin/cron",
        json!({ "schedule": { "kind": "every", "every": "1h" }, "message": "x" }),
    );
    assert_eq!(add.status, 500, "{}", add.text);
    assert_eq!(std::fs::read_to_string(&store).expect("kept"), "{ not json");
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    u64::try_from(since.as_millis()).expect("milliseconds fit")
}
