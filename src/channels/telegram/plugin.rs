//! The Telegram plug-in: how the channel starts (the Bot API client, the channel actor, the
//! poller in polling mode, what the webhook checks in webhook mode), its routes, and its check
//! ids.

use std::sync::Arc;
use std::time::Duration;

use super::api::BotClient;
use super::identity::{BotIdentity, SharedIdentity};
use super::poller::Poller;
use super::LABELS;
use crate::channels::hub::ChannelsError;
use crate::channels::plugin::{
    ActorOptions, ChannelPlugin, CheckIds, StartContext, Started, Webhook,
};
use crate::channels::setup::{Ask, ChannelAnswer, SetupAsk, SetupError, SetupFlag};
use crate::channels::transport::{Labels, Transport};
use crate::config::channels::ChannelSection;
use crate::config::{Config, Secret, TelegramMode};

/// The Telegram channel.
pub struct Telegram;

/// What the webhook route checks, from the config.
pub(crate) struct TelegramWebhook {
    /// The bot's id (the account of its journal entries) and username.
    pub identity: SharedIdentity,
    /// Set in webhook mode only (the webhook route answers 404 in polling mode).
    pub webhook_secret: Option<Secret>,
}

impl ChannelPlugin for Telegram {
    fn labels(&self) -> Labels {
        LABELS
    }

    fn start(&self, cx: &StartContext<'_>) -> Result<Started, ChannelsError> {
        let config = &cx.config.channels.telegram;
        let client = BotClient::new(config, cx.http.clone());
        let bot_id = client.account().to_string();
        let (spec, channel) = cx.channel_actor(
            Arc::new(client.clone()),
            config.common(),
            ActorOptions {
                mark_read: true,
                confirm_wait: Duration::ZERO,
            },
        );
        let webhook = config.mode == TelegramMode::Webhook;
        let identity = SharedIdentity::new(BotIdentity::from_bot_id(&bot_id));
        let mut specs = vec![spec, identity.clone().learn(client.clone())];
        if !webhook {
            let poller = Poller {
                client,
                journal: cx.journal.clone(),
                actor: channel.actor.clone(),
                stats: Arc::clone(&channel.stats),
                poll_timeout: Duration::from_secs(config.poll_timeout_seconds),
                offset_file: cx
                    .state_dir
                    .join("channels")
                    .join(format!("telegram-{bot_id}.offset")),
                identity: identity.clone(),
            };
            specs.push(poller.spec());
        }
        Ok(Started {
            channel,
            specs,
            webhook: Arc::new(TelegramWebhook {
                identity,
                webhook_secret: if webhook {
                    config.webhook_secret.clone()
                } else {
                    None
                },
            }),
        })
    }

    fn transport(&self, config: &Config, http: reqwest::Client) -> Arc<dyn Transport> {
        Arc::new(BotClient::new(&config.channels.telegram, http))
    }

    fn webhooks(&self) -> &'static [Webhook] {
        &[Webhook {
            methods: &["POST"],
            path: "/webhooks/telegram",
            check: "Telegram's X-Telegram-Bot-Api-Secret-Token header",
            register: |routes| {
                routes.service(super::routes::receive);
            },
        }]
    }

    fn check_ids(&self) -> CheckIds {
        CheckIds {
            not_configured: "channels.telegram_not_configured",
            dm_policy: "channels.telegram_dm_policy",
            dm_open: "channels.telegram_dm_open",
            groups_open: "channels.telegram_groups_open",
        }
    }

    fn env_hint(&self) -> &'static str {
        "PINCER_TELEGRAM_BOT_TOKEN"
    }

    fn setup_flags(&self) -> &'static [SetupFlag] {
        super::setup::FLAGS
    }

    fn setup(&self, ask: &mut dyn SetupAsk) -> Result<Option<ChannelAnswer>, SetupError> {
        super::setup::ask(ask)
    }

    fn allow_from_question(&self) -> Ask<'static> {
        super::setup::ALLOW_FROM
    }

    fn allow_list(&self, text: &str) -> Result<Vec<String>, String> {
        super::setup::allow_list(text)
    }
}
