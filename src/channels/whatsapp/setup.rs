//! WhatsApp's part of `pincer onboard`: its flags, its questions (the phone number id, the
//! access token, the app secret, the webhook verify token, generated unless given, and the
//! public host for the webhook URL), the checks of each answer, and what goes into the config.

use crate::channels::setup::{
    numeric_ids, public_host, string_literal, token_like, Ask, ChannelAnswer, Note, SecretAnswer,
    SecretSource, SetupAsk, SetupError, SetupFlag,
};

/// The flags WhatsApp adds to `pincer onboard`.
pub(crate) const FLAGS: &[SetupFlag] = &[
    SetupFlag {
        long: "whatsapp",
        value_name: None,
        help: "Set up WhatsApp (needs PINCER_WHATSAPP_ACCESS_TOKEN and PINCER_WHATSAPP_APP_SECRET \
               in the environment; the verify token is PINCER_WHATSAPP_VERIFY_TOKEN or generated)",
    },
    SetupFlag {
        long: "whatsapp-phone-number-id",
        value_name: Some("ID"),
        help: "The WhatsApp phone number id from the Meta dashboard",
    },
    SetupFlag {
        long: "whatsapp-allow-from",
        value_name: Some("NUMBERS"),
        help: "WhatsApp numbers always allowed, comma-separated",
    },
    SetupFlag {
        long: "public-host",
        value_name: Some("HOST"),
        help: "Public HTTPS host forwarding to the gateway, to print the webhook URL",
    },
];

/// The question of `allowFrom`.
pub(crate) const ALLOW_FROM: Ask<'static> = Ask {
    label: "WhatsApp numbers allowed (with country code, comma-separated)",
    flag: "--whatsapp-allow-from",
    default: Some(""),
};

const VERIFY: &str = "PINCER_WHATSAPP_VERIFY_TOKEN";

/// What WhatsApp's questions decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WhatsAppSetup {
    pub phone_number_id: String,
    pub access_token: SecretAnswer,
    pub app_secret: SecretAnswer,
    pub verify_token: SecretAnswer,
    /// Shown once at the end: it has to be typed into the Meta dashboard.
    pub verify_token_generated: bool,
    /// The public host forwarding to the gateway, for printing the webhook URL.
    pub public_host: Option<String>,
}

/// Asks WhatsApp's questions; `None` when it is not set up.
pub(crate) fn ask(ask: &mut dyn SetupAsk) -> Result<Option<ChannelAnswer>, SetupError> {
    if !ask.confirm(Ask {
        label: "Set up WhatsApp (Business Cloud API)?",
        flag: "--whatsapp",
        default: Some("no"),
    })? {
        return Ok(None);
    }
    if ask.interactive() {
        ask.say(
            "  From the Meta app dashboard: WhatsApp > API setup (the phone number id, and a \
             system-user access token with whatsapp_business_messaging) and App settings > \
             Basic (the app secret).",
        );
    }
    let phone_number_id = ask.ask(
        Ask {
            label: "WhatsApp phone number id",
            flag: "--whatsapp-phone-number-id",
            default: None,
        },
        &phone_number_id,
    )?;
    let access_token = ask.required_credential(
        &["PINCER_WHATSAPP_ACCESS_TOKEN"],
        "WhatsApp access token",
        access_token,
    )?;
    let app_secret = ask.required_credential(
        &["PINCER_WHATSAPP_APP_SECRET"],
        "Meta app secret",
        app_secret,
    )?;
    let found = ask.found_credential(&[VERIFY], "Webhook verify token", verify_token)?;
    let (verify_token, verify_token_generated) = match found {
        Some(found) => (found, false),
        None => {
            let generate = !ask.interactive()
                || ask.confirm(Ask {
                    label: "Generate the webhook verify token (you paste it into the Meta \
                            dashboard)?",
                    flag: "-",
                    default: Some("yes"),
                })?;
            if generate {
                let token = ask.random_token()?;
                (SecretAnswer::stored(VERIFY, &token[..32]), true)
            } else {
                let typed = ask.ask(
                    Ask {
                        label: "Webhook verify token",
                        flag: VERIFY,
                        default: None,
                    },
                    &verify_token,
                )?;
                (SecretAnswer::stored(VERIFY, typed), false)
            }
        }
    };
    let host = ask.ask(
        Ask {
            label: "Public HTTPS host that forwards to this gateway, for the webhook URL (empty: \
                    later)",
            flag: "--public-host",
            default: Some(""),
        },
        &|text| public_host(text).map(Option::unwrap_or_default),
    )?;
    Ok(Some(answer(WhatsAppSetup {
        phone_number_id,
        access_token,
        app_secret,
        verify_token,
        verify_token_generated,
        public_host: (!host.is_empty()).then_some(host),
    })))
}

/// The config section and notes of `setup`.
pub(crate) fn answer(setup: WhatsAppSetup) -> ChannelAnswer {
    let host = setup.public_host.as_deref().unwrap_or("<your public host>");
    let comment = format!(
        "WhatsApp through the Business Cloud API. Register https://{host}/webhooks/whatsapp\n\
         as the callback URL in the Meta app dashboard (WhatsApp > Configuration), with the\n\
         verify token {}, and subscribe to \"messages\". The access token, app secret and\n\
         verify token are {}, {} and {}.",
        setup.verify_token.var,
        setup.access_token.var,
        setup.app_secret.var,
        setup.verify_token.var
    );
    let mut notes = vec![Note::Text(format!(
        "WhatsApp: in the Meta app dashboard (WhatsApp > Configuration), set the callback URL \
         to https://{host}/webhooks/whatsapp and subscribe to \"messages\"."
    ))];
    if setup.public_host.is_none() {
        notes.push(Note::Text(
            "  The gateway listens on loopback: publish it over HTTPS first, e.g. with \
             `tailscale funnel` (gateway.tailscale) or a reverse proxy."
                .to_string(),
        ));
    }
    notes.push(
        match (&setup.verify_token.source, setup.verify_token_generated) {
            (SecretSource::Stored(token), true) => Note::Reveal {
                text: format!(
                    "  Verify token (generated; stored as {}): ",
                    setup.verify_token.var
                ),
                secret: token.clone(),
            },
            _ => Note::Text(format!(
                "  Verify token: the value of {}.",
                setup.verify_token.var
            )),
        },
    );
    ChannelAnswer {
        channel: super::LABELS.channel,
        comment,
        fields: vec![("phoneNumberId", string_literal(&setup.phone_number_id))],
        summary: format!("WhatsApp (phone number id {})", setup.phone_number_id),
        secrets: vec![setup.access_token, setup.app_secret, setup.verify_token],
        notes,
        allow_from: Vec::new(),
    }
}

/// A WhatsApp phone number id: the digits the Meta dashboard shows (not the phone number).
pub(crate) fn phone_number_id(text: &str) -> Result<String, String> {
    if (5..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "the phone number id is the long number under WhatsApp > API setup in the Meta app \
             dashboard, digits only (got {text:?})"
        ))
    }
}

/// A WhatsApp access token.
pub(crate) fn access_token(text: &str) -> Result<String, String> {
    token_like(text, 20, "a WhatsApp access token")
}

/// The Meta app secret.
pub(crate) fn app_secret(text: &str) -> Result<String, String> {
    token_like(
        text,
        16,
        "the app secret (App settings > Basic in the Meta dashboard)",
    )
}

/// The webhook verify token: it travels in a URL query, so URL-safe characters only.
pub(crate) fn verify_token(text: &str) -> Result<String, String> {
    let safe = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
    if (8..=128).contains(&text.len()) && safe {
        Ok(text.to_string())
    } else {
        Err("the verify token needs 8 to 128 letters, digits, -, _, . or ~".into())
    }
}

/// `allowFrom`: phone numbers with country code (`+`, spaces and dashes are dropped).
pub(crate) fn allow_list(text: &str) -> Result<Vec<String>, String> {
    numeric_ids(
        text,
        6,
        15,
        "phone numbers with country code, e.g. 15551234567",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked() {
        assert!(verify_token("abc-DEF_123.~x").is_ok());
        assert!(verify_token("has space x").is_err());
        assert!(phone_number_id("106540352242922").is_ok());
        assert!(phone_number_id("+1 555 123").is_err());
        assert_eq!(
            allow_list("+1 555-123-4567, 4915112345678"),
            Ok(vec!["15551234567".to_string(), "4915112345678".to_string()])
        );
    }
}
