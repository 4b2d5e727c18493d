//! The chat-channel questions of onboarding: WhatsApp (Business Cloud API), Telegram (Bot API)
//! and who may message the agent through them (the DM policy). Part of [`super::flow`].
//!
//! Channel credentials are taken from the environment (`PINCER_WHATSAPP_*`,
//! `PINCER_TELEGRAM_BOT_TOKEN` or `TELEGRAM_BOT_TOKEN`) or typed without echo; in
//! non-interactive mode an enabled channel whose credentials are not in the environment stops
//! onboarding with the variable to set. The webhook verify token is generated unless given.

use super::answers::{SecretAnswer, TelegramAnswer, WhatsAppAnswer};
use super::checks;
use super::flow::Flow;
use super::prompt::{Choice, Question};
use super::OnboardError;
use crate::config::DmPolicy;

impl Flow<'_, '_> {
    /// WhatsApp, Telegram, and the DM policy of the channels set up.
    pub(super) fn channels(
        &mut self,
    ) -> Result<(Option<WhatsAppAnswer>, Option<TelegramAnswer>, DmPolicy), OnboardError> {
        let pre = self.ctx.presets;
        let yes = |flag: Option<bool>| flag.map(|on| if on { "yes" } else { "no" });
        let mut whatsapp = None;
        if self.p.confirm(
            &Question::new("Set up WhatsApp (Business Cloud API)?", "--whatsapp")
                .default("no")
                .preset(yes(pre.whatsapp)),
        )? {
            whatsapp = Some(self.whatsapp()?);
        }
        let mut telegram = None;
        if self.p.confirm(
            &Question::new(
                "Set up Telegram (a bot made with @BotFather)?",
                "--telegram",
            )
            .default("no")
            .preset(yes(pre.telegram)),
        )? {
            let bot_token = self.required_credential(
                &["PINCER_TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN"],
                "Telegram bot token",
                checks::telegram_token,
            )?;
            telegram = Some(TelegramAnswer {
                bot_token,
                allow_from: Vec::new(),
            });
        }
        if whatsapp.is_none() && telegram.is_none() {
            return Ok((None, None, pre.dm_policy.unwrap_or_default()));
        }
        let policy = self.p.choose(
            &Question::new("Who may message the assistant directly", "--dm-policy")
                .default("pairing")
                .preset(pre.dm_policy.map(DmPolicy::as_str)),
            &[
                Choice {
                    name: "pairing",
                    value: DmPolicy::Pairing,
                    help: "strangers get a code; you approve it with `pincer pairing approve` \
                           (recommended)",
                },
                Choice {
                    name: "allowlist",
                    value: DmPolicy::Allowlist,
                    help: "only the numbers / ids you list now (and approved pairings)",
                },
                Choice {
                    name: "disabled",
                    value: DmPolicy::Disabled,
                    help: "ignore direct messages",
                },
            ],
        )?;
        let ask_lists = policy == DmPolicy::Allowlist;
        if let Some(whatsapp) = &mut whatsapp {
            if ask_lists || pre.whatsapp_allow_from.is_some() {
                whatsapp.allow_from = self.p.ask(
                    &Question::new(
                        "WhatsApp numbers allowed (with country code, comma-separated)",
                        "--whatsapp-allow-from",
                    )
                    .default("")
                    .preset(pre.whatsapp_allow_from.as_ref().map(|l| l.join(","))),
                    |text| checks::allow_list(text, "whatsapp"),
                )?;
            }
        }
        if let Some(telegram) = &mut telegram {
            if ask_lists || pre.telegram_allow_from.is_some() {
                telegram.allow_from = self.p.ask(
                    &Question::new(
                        "Telegram user ids allowed (comma-separated)",
                        "--telegram-allow-from",
                    )
                    .default("")
                    .preset(pre.telegram_allow_from.as_ref().map(|l| l.join(","))),
                    |text| checks::allow_list(text, "telegram"),
                )?;
            }
        }
        Ok((whatsapp, telegram, policy))
    }

    fn whatsapp(&mut self) -> Result<WhatsAppAnswer, OnboardError> {
        let pre = self.ctx.presets;
        if self.p.interactive() {
            self.p.say(
                "  From the Meta app dashboard: WhatsApp > API setup (the phone number id, and a \
                 system-user access token with whatsapp_business_messaging) and App settings > \
                 Basic (the app secret).",
            );
        }
        let phone_number_id = self.p.ask(
            &Question::new("WhatsApp phone number id", "--whatsapp-phone-number-id")
                .preset(pre.whatsapp_phone_number_id.clone()),
            checks::phone_number_id,
        )?;
        let access_token = self.required_credential(
            &["PINCER_WHATSAPP_ACCESS_TOKEN"],
            "WhatsApp access token",
            checks::access_token,
        )?;
        let app_secret = self.required_credential(
            &["PINCER_WHATSAPP_APP_SECRET"],
            "Meta app secret",
            checks::app_secret,
        )?;
        const VERIFY: &str = "PINCER_WHATSAPP_VERIFY_TOKEN";
        let found =
            self.found_credential(&[VERIFY], "Webhook verify token", checks::verify_token)?;
        let (verify_token, verify_token_generated) = match found {
            Some(found) => (found, false),
            None => {
                let generate = !self.p.interactive()
                    || self.p.confirm(
                        &Question::new(
                            "Generate the webhook verify token (you paste it into the Meta \
                             dashboard)?",
                            "-",
                        )
                        .default("yes"),
                    )?;
                if generate {
                    let token = crate::config::credentials::generate_token()
                        .map_err(|e| OnboardError::Random(e.to_string()))?;
                    (SecretAnswer::stored(VERIFY, &token[..32]), true)
                } else {
                    let typed = self.p.ask(
                        &Question::new("Webhook verify token", VERIFY),
                        checks::verify_token,
                    )?;
                    (SecretAnswer::stored(VERIFY, typed), false)
                }
            }
        };
        let public_host = self.p.ask(
            &Question::new(
                "Public HTTPS host that forwards to this gateway, for the webhook URL (empty: \
                 later)",
                "--public-host",
            )
            .default("")
            .preset(pre.public_host.clone()),
            checks::public_host,
        )?;
        Ok(WhatsAppAnswer {
            phone_number_id,
            access_token,
            app_secret,
            verify_token,
            verify_token_generated,
            public_host,
            allow_from: Vec::new(),
        })
    }

    /// A credential from the environment, the secrets file, or typed; non-interactively it must
    /// be in the environment (or the file).
    fn required_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: fn(&str) -> Result<String, String>,
    ) -> Result<SecretAnswer, OnboardError> {
        if let Some(found) = self.found_credential(vars, label, check)? {
            return Ok(found);
        }
        match self.p.secret(label, check)? {
            Some(typed) => Ok(SecretAnswer::stored(vars[0], typed)),
            None => Err(OnboardError::Missing {
                what: label.to_string(),
                how: format!("set {} in the environment", vars[0]),
            }),
        }
    }
}
