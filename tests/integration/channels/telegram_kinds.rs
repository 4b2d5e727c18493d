//! Telegram message kinds through the real gateway and the Bot API emulator: an inline-button
//! press reaches the model as its data and its callback query is answered; a shared location
//! reaches the model as coordinates; the bot asks `getMe` when it starts.

use std::time::Duration;

use crate::support::channels::{gateway, telegram, BOT_TOKEN};
use pincer_emulators::telegram::{updates, BotApi};
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

/// The text of the last user message of every model request.
fn model_inputs(provider: &Emulator) -> Vec<String> {
    provider
        .requests()
        .iter()
        .map(|request| {
            request.body["messages"]
                .as_array()
                .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "user"))
                .map(|m| m["content"].to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_button_press_reaches_the_model_and_its_query_is_answered() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let _gateway = gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    assert!(bot.wait_for_poller(WAIT));
    let bot_id: i64 = BOT_TOKEN.split(':').next().unwrap().parse().unwrap();
    let press = updates::callback_query(
        444,
        444,
        bot_id,
        7,
        "book:yes",
        &[("Yes, book it", "book:yes"), ("No", "book:no")],
    );
    let query_id = press["callback_query"]["id"].as_str().unwrap().to_string();
    bot.push_raw_update(press);
    assert!(bot.wait_for_sent(1, WAIT), "the press was not answered");
    assert!(
        bot.wait_for_callback_answers(1, WAIT),
        "answerCallbackQuery was not called"
    );
    assert_eq!(bot.callback_answers(), vec![query_id]);
    let inputs = model_inputs(&provider);
    assert!(
        inputs
            .iter()
            .any(|text| text.contains("book:yes") && text.contains("Yes, book it")),
        "{inputs:?}"
    );
    assert_eq!(bot.sent()[0].chat_id, 444);
    assert_eq!(
        bot.sent()[0].reply_to,
        Some(7),
        "the answer quotes the button's message"
    );
    assert!(
        bot.calls().iter().any(|call| call.method == "getMe"),
        "the bot's identity was asked for"
    );
}

#[test]
fn a_location_reaches_the_model_as_coordinates() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let _gateway = gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    assert!(bot.wait_for_poller(WAIT));
    bot.push_raw_update(updates::location(555, 555, 52.520008, 13.404954));
    assert!(bot.wait_for_sent(1, WAIT), "the location was not answered");
    let inputs = model_inputs(&provider);
    assert!(
        inputs
            .iter()
            .any(|text| text.contains("52.520008, 13.404954")),
        "{inputs:?}"
    );
    assert!(bot.callback_answers().is_empty());
}

#[test]
fn a_failing_get_me_does_not_stop_the_channel() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    bot.inject_429_for("getMe", 3, 1);
    let _gateway = gateway(&provider, &[telegram(&bot, "open", "'*'", "")]);
    assert!(bot.wait_for_poller(WAIT));
    bot.push_message(666, 666, "still here?");
    assert!(bot.wait_for_sent(1, WAIT), "the channel stopped");
    assert_eq!(bot.sent()[0].text, "echo: still here?");
    let deadline = std::time::Instant::now() + WAIT;
    while bot.calls().iter().filter(|c| c.method == "getMe").count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "getMe was not retried"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
