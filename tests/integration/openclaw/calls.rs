//! `openclaw gateway call <method> --params … --json`: one method at a time, as OpenClaw's
//! clients call it, each answer checked for the shape OpenClaw's own commands read from it.
//! The turn-taking methods (`chat.*`, `agent`) are in [`super::chat`].

use std::time::Duration;

use pincer_emulators::telegram::BotApi;
use pincer_emulators::Emulator;
use serde_json::json;

use super::cli::{each_way, OpenClaw, Target, Way};
use super::model_gateway;
use crate::support::agent::{answer_of, ask};
use crate::support::channels::{self, telegram, BOT_TOKEN};
use crate::support::Gateway;

/// `gateway call health`, configured each of the three ways: `ok: true`.
#[test]
fn call_health_every_way() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::ALL, |way| {
        let run = cli.call(&target, way, "health", &json!({}));
        assert_eq!(run.ok().json()["ok"], true, "({way:?}){run}");
    });
}

/// `gateway call status`: the summary `openclaw status` builds its report from (`sessions` with
/// `count` and `byAgent`, `heartbeat` with `defaultAgentId`), counting a stored session.
#[test]
fn call_status_is_openclaws_status_summary() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    let gateway = model_gateway(&emulator);
    answer_of(&ask(&gateway, "oc-status", "hello"));
    let run = cli.call(&Target::of(&gateway), Way::Flags, "status", &json!({}));
    let status = run.ok().json();
    assert!(
        status["sessions"]["byAgent"].is_array(),
        "sessions.byAgent:{run}"
    );
    assert!(
        status["sessions"]["count"].as_u64() >= Some(1),
        "sessions.count counts the stored session:{run}"
    );
    assert!(
        status["heartbeat"]["defaultAgentId"].is_string(),
        "heartbeat.defaultAgentId:{run}"
    );
}

/// `gateway call system-presence`: a list of presence entries, the calling CLI among them.
#[test]
fn call_system_presence_lists_the_caller() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "system-presence",
        &json!({}),
    );
    let presence = run.ok().json();
    let entries = presence
        .as_array()
        .unwrap_or_else(|| panic!("not a list:{run}"));
    assert!(
        entries.iter().any(|e| e["mode"] == "cli"),
        "no entry of mode `cli` (the caller):{run}"
    );
}

/// `gateway call sessions.list`: the stored session, by key, with its count.
#[test]
fn call_sessions_list_shows_a_stored_session() {
    let Some(cli) = OpenClaw::find() else { return };
    let emulator = Emulator::openai();
    let gateway = model_gateway(&emulator);
    answer_of(&ask(&gateway, "oc-listed", "hello"));
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "sessions.list",
        &json!({}),
    );
    let listed = run.ok().json();
    let keys: Vec<&str> = listed["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("no sessions list:{run}"))
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert!(
        keys.iter().any(|k| k.contains("oc-listed")),
        "the session is not listed by key ({keys:?}):{run}"
    );
    assert_eq!(listed["count"], keys.len(), "count:{run}");
}

/// `gateway call sessions.subscribe` with no filter: `{subscribed: true}`.
#[test]
fn call_sessions_subscribe_subscribes() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "sessions.subscribe",
        &json!({}),
    );
    assert_eq!(run.ok().json()["subscribed"], true, "{run}");
}

/// `gateway call logs.tail {limit: 3}`: three lines, the file they are from and a numeric cursor
/// (the byte offset `openclaw logs --follow` polls on from).
#[test]
fn call_logs_tail_honours_the_limit_and_gives_a_cursor() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "logs.tail",
        &json!({ "limit": 3, "maxBytes": 250_000 }),
    );
    let tail = run.ok().json();
    assert_eq!(
        tail["lines"].as_array().map(Vec::len),
        Some(3),
        "limit 3:{run}"
    );
    assert!(tail["file"].is_string(), "file:{run}");
    assert!(tail["cursor"].is_number(), "cursor:{run}");
}

/// `gateway call send` on a Telegram channel (the Bot API emulator): the message reaches the
/// chat, and the answer names the channel.
#[test]
fn call_send_delivers_on_a_channel() {
    let Some(cli) = OpenClaw::find() else { return };
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = channels::gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "send",
        &json!({ "channel": "telegram", "to": "4242", "message": "from openclaw",
                 "idempotencyKey": "oc-send-1" }),
    );
    let sent = run.ok().json();
    assert_eq!(sent["channel"], "telegram", "{run}");
    assert!(
        bot.wait_for_sent(1, Duration::from_secs(20)),
        "the Bot API got nothing:{run}"
    );
    let message = &bot.sent()[0];
    assert_eq!(
        (message.chat_id, message.text.as_str()),
        (4242, "from openclaw")
    );
}

/// The pairing methods `openclaw devices` calls (`devices list` → `device.pair.list`; approve,
/// reject, remove, rename, token rotate/revoke use `device.pair.*` / `device.token.*`) are for
/// device identities, which Pincer does not have (the shared token is the credential; it pairs
/// chat senders): the answer is a clear refusal that says so, not an empty list.
/// (`openclaw pairing` works on the CLI's local store and calls no gateway method.)
#[test]
fn call_device_pair_list_is_refused_saying_why() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let run = cli.call(
        &Target::of(&gateway),
        Way::Flags,
        "device.pair.list",
        &json!({}),
    );
    assert_eq!(run.code, Some(1), "{run}");
    let answer = run.json();
    assert_eq!(answer["error"]["code"], "INVALID_REQUEST", "{run}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("unknown method: device.pair.list (")
            && message.contains("not devices"),
        "the refusal does not say why:{run}"
    );
}

/// `openclaw devices list`, configured each way: the CLI prints the gateway's reason.
#[test]
fn devices_list_every_way_prints_why_it_is_refused() {
    let Some(cli) = OpenClaw::find() else { return };
    let gateway = Gateway::start(None);
    let target = Target::of(&gateway);
    each_way(&Way::ALL, |way| {
        let run = cli.run(&target, way, &["devices", "list", "--json"]);
        assert_eq!(run.code, Some(1), "({way:?}){run}");
        let shown = format!("{}{}", run.stdout, run.stderr);
        assert!(
            shown.contains("device.pair.list") && shown.contains("not devices"),
            "({way:?}) the reason is not shown:{run}"
        );
    });
}
