//! The Telegram Bot API emulator: routing and parameters, long polling (blocking, offsets,
//! conflicts), scripted 429/409/403, `sendMessage` limits, the webhook switch, and the webhook
//! delivery helper.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{capture_once, captured};
use crate::support::{http_get, http_post, Response};
use pincer_emulators::client;
use pincer_emulators::telegram::{self, BotApi};

const TOKEN: &str = "123456:ABC-def";

fn call(bot: &BotApi, method: &str, params: &Value) -> Response {
    http_post(bot.addr(), &format!("/bot{TOKEN}/{method}"), &[], params)
}

/// The update ids of a getUpdates answer.
fn ids(response: &Response) -> Vec<i64> {
    assert_eq!(response.status, 200, "{}", response.text);
    let updates = response.body["result"].as_array().expect("a result array");
    updates
        .iter()
        .filter_map(|u| u["update_id"].as_i64())
        .collect()
}

/// A getUpdates on its own thread; the answer arrives on the channel.
fn poll_in_background(bot: &BotApi, params: Value) -> mpsc::Receiver<(Response, Duration)> {
    let (sender, receiver) = mpsc::channel();
    let addr = bot.addr();
    thread::spawn(move || {
        let started = Instant::now();
        let response = http_post(addr, &format!("/bot{TOKEN}/getUpdates"), &[], &params);
        let _ = sender.send((response, started.elapsed()));
    });
    receiver
}

#[test]
fn bot_routes_methods_checks_the_token_and_reads_every_parameter_style() {
    let bot = BotApi::start(TOKEN);
    for method in ["getMe", "getme", "GETME"] {
        let response = call(&bot, method, &json!({}));
        assert_eq!(response.status, 200, "{method}: {}", response.text);
        assert_eq!(response.body["result"]["id"], 123456);
        assert_eq!(response.body["result"]["is_bot"], true);
    }
    let response = http_post(bot.addr(), "/botWRONG:token/getMe", &[], &json!({}));
    assert_eq!(response.status, 401);
    assert_eq!(
        response.body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    let response = call(&bot, "noSuchMethod", &json!({}));
    assert_eq!(response.status, 404);
    assert_eq!(
        response.body,
        json!({"ok": false, "error_code": 404, "description": "Not Found"})
    );

    // JSON body, query string, urlencoded form.
    let response = call(
        &bot,
        "sendMessage",
        &json!({"chat_id": 5, "text": "json",
        "reply_parameters": {"message_id": 42}, "parse_mode": "HTML"}),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let message = &response.body["result"];
    assert_eq!(
        (message["chat"]["id"].as_i64(), message["text"].as_str()),
        (Some(5), Some("json"))
    );
    assert_eq!(message["from"]["is_bot"], true);
    assert!(message["message_id"].is_i64() && message["date"].is_i64());
    let query = client::encode_query(&[("chat_id", "-100123"), ("text", "query & more")]);
    let response = http_get(bot.addr(), &format!("/bot{TOKEN}/sendmessage?{query}"), &[]);
    assert_eq!(response.status, 200, "{}", response.text);
    let form = client::encode_query(&[
        ("chat_id", "6"),
        ("text", "form é"),
        ("reply_parameters", r#"{"message_id":7}"#),
    ]);
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let path = format!("/bot{TOKEN}/SendMessage");
    let (status, body) =
        client::request(bot.addr(), "POST", &path, &headers, Some(form.as_bytes()));
    assert_eq!(status, 200, "{body}");

    let sent = bot.sent();
    let summary: Vec<(i64, &str, Option<i64>)> = sent
        .iter()
        .map(|m| (m.chat_id, m.text.as_str(), m.reply_to))
        .collect();
    assert_eq!(
        summary,
        vec![
            (5, "json", Some(42)),
            (-100123, "query & more", None),
            (6, "form é", Some(7))
        ]
    );
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert!(sent[0].message_id < sent[1].message_id);

    let response = call(
        &bot,
        "sendChatAction",
        &json!({"chat_id": 5, "action": "typing"}),
    );
    assert_eq!(response.body, json!({"ok": true, "result": true}));
    assert_eq!(bot.chat_actions(), vec![(5, "typing".to_string())]);
    let methods: Vec<String> = bot.calls().into_iter().map(|c| c.method).collect();
    assert!(methods.contains(&"SendMessage".to_string()), "{methods:?}");
}

#[test]
fn bot_get_updates_waits_for_the_timeout_when_nothing_is_queued() {
    let bot = BotApi::start(TOKEN);
    let started = Instant::now();
    let response = call(&bot, "getUpdates", &json!({"timeout": 1}));
    let elapsed = started.elapsed();
    assert_eq!(response.body, json!({"ok": true, "result": []}));
    assert!(
        elapsed >= Duration::from_millis(950),
        "returned early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "returned late: {elapsed:?}"
    );
}

#[test]
fn bot_get_updates_returns_as_soon_as_an_update_is_pushed() {
    let bot = BotApi::start(TOKEN);
    let answers = poll_in_background(&bot, json!({"timeout": 30}));
    assert!(
        bot.wait_for_poller(Duration::from_secs(10)),
        "the poll never blocked"
    );
    let update_id = bot.push_message(111111111, 111111111, "/start hi");
    let (response, elapsed) = answers
        .recv_timeout(Duration::from_secs(10))
        .expect("the blocked poll did not return after the push");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(ids(&response), vec![update_id]);
    assert_eq!(update_id, telegram::FIRST_UPDATE_ID);
    let message = &response.body["result"][0]["message"];
    assert_eq!(message["text"], "/start hi");
    assert_eq!(message["chat"]["type"], "private");
    assert_eq!(message["from"]["id"], 111111111);
    assert_eq!(
        message["entities"][0],
        json!({"offset": 0, "length": 6, "type": "bot_command"})
    );
}

#[test]
fn bot_offsets_confirm_updates_and_a_negative_offset_keeps_the_last() {
    let bot = BotApi::start(TOKEN);
    let first: Vec<i64> = (0..3)
        .map(|i| bot.push_message(1, 1, &format!("m{i}")))
        .collect();
    assert_eq!(
        ids(&call(&bot, "getUpdates", &json!({}))),
        first,
        "offset 0 confirms nothing"
    );
    assert_eq!(bot.pending_updates(), 3);
    assert_eq!(
        ids(&call(&bot, "getUpdates", &json!({"offset": first[1]}))),
        first[1..]
    );
    assert_eq!(
        (bot.pending_updates(), bot.confirmed_offset()),
        (2, first[1])
    );
    assert_eq!(
        ids(&call(
            &bot,
            "getUpdates",
            &json!({"offset": first[2], "limit": 1})
        )),
        first[2..]
    );
    assert!(ids(&call(&bot, "getUpdates", &json!({"offset": first[2] + 1}))).is_empty());
    assert_eq!(
        (bot.pending_updates(), bot.confirmed_offset()),
        (0, first[2] + 1)
    );

    let second: Vec<i64> = (0..3)
        .map(|i| bot.push_message(1, 1, &format!("n{i}")))
        .collect();
    assert_eq!(
        ids(&call(&bot, "getUpdates", &json!({"offset": -1}))),
        second[2..]
    );
    assert_eq!(
        bot.pending_updates(),
        1,
        "a negative offset forgets the earlier updates"
    );
    assert_eq!(
        ids(&call(&bot, "getUpdates", &json!({"limit": 1}))),
        second[2..]
    );
    assert_eq!(
        bot.get_updates_offsets(),
        vec![0, first[1], first[2], first[2] + 1, -1, 0]
    );
    let raw =
        bot.push_raw_update(json!({"message_reaction": {"chat": {"id": 1, "type": "private"}}}));
    assert_eq!(raw, second[2] + 1);
    let response = call(&bot, "getUpdates", &json!({"offset": raw}));
    assert!(
        ids(&response).is_empty(),
        "reactions are not delivered by default"
    );
    let response = call(
        &bot,
        "getUpdates",
        &json!({"offset": raw, "allowed_updates": ["message_reaction"]}),
    );
    assert_eq!(ids(&response), vec![raw]);
}

#[test]
fn bot_a_second_poller_terminates_the_first_with_409() {
    let bot = BotApi::start(TOKEN);
    let first = poll_in_background(&bot, json!({"timeout": 30}));
    assert!(
        bot.wait_for_poller(Duration::from_secs(10)),
        "the first poll never blocked"
    );
    let second = call(&bot, "getUpdates", &json!({"timeout": 0}));
    assert_eq!(
        second.body,
        json!({"ok": true, "result": []}),
        "the new poll wins"
    );
    let (old, elapsed) = first
        .recv_timeout(Duration::from_secs(10))
        .expect("the superseded poll was not answered");
    assert!(elapsed < Duration::from_secs(10));
    assert_eq!(old.status, 409);
    assert_eq!(
        old.body,
        json!({"ok": false, "error_code": 409, "description":
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
    );

    bot.inject_409_next();
    assert_eq!(call(&bot, "getUpdates", &json!({})).status, 409);
    assert_eq!(
        call(&bot, "getUpdates", &json!({})).status,
        200,
        "only the next poll"
    );
}

#[test]
fn bot_refuses_get_updates_while_a_webhook_is_set() {
    let bot = BotApi::start(TOKEN);
    let params = json!({"url": "http://127.0.0.1:9/tg", "secret_token": "s3cret_-X"});
    let response = call(&bot, "setWebhook", &params);
    assert_eq!(
        response.body,
        json!({"ok": true, "result": true, "description": "Webhook was set"})
    );
    assert_eq!(
        bot.webhook(),
        Some(("http://127.0.0.1:9/tg".into(), Some("s3cret_-X".into())))
    );
    let response = call(&bot, "getUpdates", &json!({}));
    assert_eq!(response.status, 409);
    assert_eq!(
        response.body["description"],
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    );
    let bad = call(
        &bot,
        "setWebhook",
        &json!({"url": "http://x/", "secret_token": "no spaces"}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(
        call(
            &bot,
            "deleteWebhook",
            &json!({"drop_pending_updates": true})
        )
        .status,
        200
    );
    assert_eq!(bot.webhook(), None);
    assert_eq!(call(&bot, "getUpdates", &json!({})).status, 200);
}

#[test]
fn bot_injected_429_carries_retry_after() {
    let bot = BotApi::start(TOKEN);
    bot.inject_429(2, 7);
    for method in ["getMe", "sendMessage"] {
        let response = call(&bot, method, &json!({"chat_id": 1, "text": "x"}));
        assert_eq!(response.status, 429, "{method}");
        assert_eq!(
            response.body,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7}})
        );
    }
    assert_eq!(
        call(&bot, "sendMessage", &json!({"chat_id": 1, "text": "x"})).status,
        200
    );
    assert_eq!(
        bot.sent().len(),
        1,
        "refused sends are not recorded as sent"
    );
}

#[test]
fn bot_send_message_enforces_the_text_limit_and_blocked_chats() {
    let bot = BotApi::start(TOKEN);
    let send =
        |text: &str, chat: i64| call(&bot, "sendMessage", &json!({"chat_id": chat, "text": text}));
    assert_eq!(
        send(&"é".repeat(4096), 1).status,
        200,
        "4096 characters fit"
    );
    let too_long = send(&"é".repeat(4097), 1);
    assert_eq!(
        (too_long.status, too_long.body["description"].as_str()),
        (400, Some("Bad Request: message is too long"))
    );
    let empty = send("", 1);
    assert_eq!(
        (empty.status, empty.body["description"].as_str()),
        (400, Some("Bad Request: message text is empty"))
    );
    bot.block_chat(77);
    let blocked = send("hi", 77);
    assert_eq!(
        blocked.body,
        json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    );
    assert_eq!(blocked.status, 403);
    assert!(bot.wait_for_sent(1, Duration::from_secs(1)));
    assert!(
        !bot.wait_for_sent(2, Duration::from_millis(50)),
        "only one send succeeded"
    );
}

#[test]
fn post_update_delivers_one_update_with_the_secret_header() {
    let (addr, requests) = capture_once(200, "");
    let update = BotApi::update_json(111, 111, "/start hi", 900000005);
    assert_eq!(
        telegram::post_update(addr, "/telegram/webhook", &update, Some("s3cret")).0,
        200
    );
    let request = captured(&requests);
    assert_eq!(request.line, "POST /telegram/webhook");
    assert_eq!(
        request.header("x-telegram-bot-api-secret-token"),
        Some("s3cret")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let received: Value = serde_json::from_slice(&request.body).expect("JSON update");
    assert_eq!(received, update);
    assert_eq!(received["update_id"], 900000005);
    assert_eq!(received["message"]["chat"]["id"], 111);
}
