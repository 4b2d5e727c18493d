//! The Telegram channel against the Bot API emulator: long polling with pairing, offsets moving
//! on only after journaling, 429 with `retry_after`, a 409 conflict reported, and webhook mode
//! with its secret header.

use std::time::{Duration, Instant};

use crate::support::channels::{code_in, gateway, telegram, wait_for_status, BOT_TOKEN};
use crate::support::{run_cli, stderr};
use pincer_emulators::telegram::{post_update, BotApi};
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn polling_with_pairing_end_to_end() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = gateway(&provider, &[telegram(&bot, "pairing", "", "")]);

    let first = bot.push_message(111, 111, "/start");
    assert!(bot.wait_for_sent(1, WAIT), "no pairing code");
    let sent = bot.sent();
    assert_eq!(sent[0].chat_id, 111);
    assert!(
        sent[0].text.contains("Your Telegram user id: 111"),
        "{}",
        sent[0].text
    );
    let code = code_in(&sent[0].text);
    assert!(provider.requests().is_empty());

    bot.push_message(111, 111, "hello?");
    // Both wait in the journal for the approval (answered then only with --replay).
    wait_for_status(&gateway, "the second update", |s| {
        s["journal"]["appended"] == 2
            && s["journal"]["pending"] == 2
            && s["channels"]["telegram"]["pairingFollowups"] == 1
    });
    assert_eq!(bot.sent().len(), 1, "a repeat sender gets no new code");
    assert!(
        bot.confirmed_offset() > first,
        "the offset moved past handled updates"
    );

    let output = run_cli(
        gateway.home.path(),
        &["pairing", "approve", "telegram", &code],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let asked = bot.push_message(111, 111, "what time is it?");
    assert!(bot.wait_for_sent(2, WAIT), "no answer after approval");
    let answer = &bot.sent()[1];
    assert_eq!(answer.text, "echo: what time is it?");
    assert!(answer.reply_to.is_some(), "the answer quotes the question");
    assert!(bot
        .chat_actions()
        .iter()
        .any(|(chat, action)| *chat == 111 && action == "typing"));
    assert!(asked > first);
    // Every getUpdates asked with a long-poll timeout, and offsets never went backwards.
    let offsets = bot.get_updates_offsets();
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{offsets:?}");
}

#[test]
fn flood_limits_wait_retry_after_and_the_message_still_goes_out() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    assert!(bot.wait_for_poller(WAIT));
    bot.inject_429_for("sendMessage", 1, 2);
    let started = Instant::now();
    bot.push_message(222, 222, "hi");
    assert!(bot.wait_for_sent(1, WAIT), "the reply never went out");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited retry_after"
    );
    assert_eq!(bot.sent()[0].text, "echo: hi");
    let figures = wait_for_status(&gateway, "the pending count to settle", |s| {
        s["journal"]["pending"] == 0
    });
    assert_eq!(
        figures["channels"]["telegram"]["sendRetries"], 1,
        "{figures:#}"
    );
    let sends: Vec<_> = bot
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage")
        .collect();
    assert_eq!(sends.len(), 2, "one refused, one accepted");
}

#[test]
fn a_conflicting_poller_is_reported_and_polling_recovers() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    assert!(bot.wait_for_poller(WAIT));
    bot.inject_409_next();
    // The blocked poll ends with an empty answer when its timeout (2 s) passes; the next gets 409.
    let figures = wait_for_status(&gateway, "the conflict to be reported", |s| {
        s["channels"]["telegram"]["link"]
            .as_str()
            .is_some_and(|l| l.contains("conflict"))
    });
    assert_eq!(figures["channels"]["telegram"]["healthy"], false);
    let ready = gateway.get("/readyz", &[]);
    assert!(ready.text.contains("conflict"), "{}", ready.text);
    bot.push_message(333, 333, "after the conflict");
    assert!(bot.wait_for_sent(1, WAIT), "polling did not recover");
    wait_for_status(&gateway, "the link to recover", |s| {
        s["channels"]["telegram"]["healthy"] == true
    });
}

#[test]
fn webhook_mode_checks_the_secret_token() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let gateway = gateway(
        &provider,
        &[telegram(
            &bot,
            "open",
            "'*'",
            ", mode: 'webhook', webhookSecret: 'hook-secret_1'",
        )],
    );
    let update = BotApi::update_json(444, 444, "via webhook", 5000);
    let (status, _) = post_update(gateway.addr, "/webhooks/telegram", &update, None);
    assert_eq!(status, 401);
    let (status, _) = post_update(gateway.addr, "/webhooks/telegram", &update, Some("wrong"));
    assert_eq!(status, 401);
    let (status, _) = post_update(
        gateway.addr,
        "/webhooks/telegram",
        &update,
        Some("hook-secret_1"),
    );
    assert_eq!(status, 200);
    assert!(bot.wait_for_sent(1, WAIT));
    assert_eq!(bot.sent()[0].text, "echo: via webhook");
    // Redelivered: acknowledged, not answered again.
    let (status, _) = post_update(
        gateway.addr,
        "/webhooks/telegram",
        &update,
        Some("hook-secret_1"),
    );
    assert_eq!(status, 200);
    wait_for_status(&gateway, "the duplicate", |s| {
        s["channels"]["telegram"]["duplicates"] == 1
    });
    assert_eq!(bot.sent().len(), 1);
    assert!(
        bot.get_updates_offsets().is_empty(),
        "no polling in webhook mode"
    );
}
