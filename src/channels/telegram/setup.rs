//! Telegram's part of `pincer onboard`: its flags, its question (the bot token, from the
//! environment or typed), the checks of each answer, and what goes into the config.

use crate::channels::setup::{
    numeric_ids, Ask, ChannelAnswer, SecretAnswer, SetupAsk, SetupError, SetupFlag,
};

/// The flags Telegram adds to `pincer onboard`.
pub(crate) const FLAGS: &[SetupFlag] = &[
    SetupFlag {
        long: "telegram",
        value_name: None,
        help: "Set up Telegram (needs PINCER_TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN in the \
               environment)",
    },
    SetupFlag {
        long: "telegram-allow-from",
        value_name: Some("IDS"),
        help: "Telegram user ids always allowed, comma-separated",
    },
];

/// The question of `allowFrom`.
pub(crate) const ALLOW_FROM: Ask<'static> = Ask {
    label: "Telegram user ids allowed (comma-separated)",
    flag: "--telegram-allow-from",
    default: Some(""),
};

/// Asks Telegram's questions; `None` when it is not set up.
pub(crate) fn ask(ask: &mut dyn SetupAsk) -> Result<Option<ChannelAnswer>, SetupError> {
    if !ask.confirm(Ask {
        label: "Set up Telegram (a bot made with @BotFather)?",
        flag: "--telegram",
        default: Some("no"),
    })? {
        return Ok(None);
    }
    let bot_token = ask.required_credential(
        &["PINCER_TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN"],
        "Telegram bot token",
        bot_token,
    )?;
    Ok(Some(answer(bot_token)))
}

/// The config section of a bot whose token is `bot_token`.
pub(crate) fn answer(bot_token: SecretAnswer) -> ChannelAnswer {
    ChannelAnswer {
        channel: super::LABELS.channel,
        comment: format!(
            "Telegram through the Bot API, by long polling (nothing to expose). The bot token is\n\
             {} ({}).",
            bot_token.var,
            bot_token.source_words()
        ),
        fields: Vec::new(),
        summary: "Telegram".to_string(),
        secrets: vec![bot_token],
        notes: Vec::new(),
        allow_from: Vec::new(),
    }
}

/// A Telegram bot token, as @BotFather gives it: `<bot id>:<secret>`.
pub(crate) fn bot_token(text: &str) -> Result<String, String> {
    let valid = text.split_once(':').is_some_and(|(id, secret)| {
        id.len() >= 5
            && id.bytes().all(|b| b.is_ascii_digit())
            && secret.len() >= 30
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if valid {
        Ok(text.to_string())
    } else {
        Err(
            "a bot token looks like 123456789:AAH... (the bot's id, a colon, 35 characters); \
             @BotFather sends it after /newbot"
                .into(),
        )
    }
}

/// `allowFrom`: numeric Telegram user ids.
pub(crate) fn allow_list(text: &str) -> Result<Vec<String>, String> {
    numeric_ids(text, 1, 20, "numeric Telegram user ids, e.g. 111111111")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked() {
        assert!(bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1").is_ok());
        for bad in [
            "123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
            "123456789:short",
            "nocolon",
        ] {
            assert!(bot_token(bad).is_err(), "{bad}");
        }
        assert_eq!(allow_list(""), Ok(Vec::new()));
        assert!(allow_list("alice").is_err());
    }
}
