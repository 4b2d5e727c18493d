//! The WhatsApp plug-in: how the channel starts (the Graph API client, the channel actor, what
//! the webhook checks), its routes, and its check ids.

use std::sync::Arc;
use std::time::Duration;

use super::client::GraphClient;
use super::LABELS;
use crate::channels::hub::ChannelsError;
use crate::channels::plugin::{
    ActorOptions, ChannelPlugin, CheckIds, StartContext, Started, Webhook,
};
use crate::channels::setup::{Ask, ChannelAnswer, SetupAsk, SetupError, SetupFlag};
use crate::channels::transport::{Labels, Transport};
use crate::config::channels::ChannelSection;
use crate::config::{Config, Secret};

/// The WhatsApp channel.
pub struct WhatsApp;

/// What the webhook routes check, from the config.
pub(crate) struct WhatsAppWebhook {
    /// Notifications for other numbers are skipped.
    pub phone_number_id: String,
    /// The HMAC key of `X-Hub-Signature-256`.
    pub app_secret: Secret,
    /// Echoed by Meta in the subscription handshake.
    pub verify_token: Secret,
}

impl ChannelPlugin for WhatsApp {
    fn labels(&self) -> Labels {
        LABELS
    }

    fn start(&self, cx: &StartContext<'_>) -> Result<Started, ChannelsError> {
        let config = &cx.config.channels.whatsapp;
        let transport: Arc<dyn Transport> = Arc::new(GraphClient::new(config, cx.http.clone()));
        let (spec, channel) = cx.channel_actor(
            transport,
            config.common(),
            ActorOptions {
                mark_read: config.mark_read,
                confirm_wait: Duration::from_secs(config.confirm_wait_seconds),
            },
        );
        Ok(Started {
            channel,
            specs: vec![spec],
            webhook: Arc::new(WhatsAppWebhook {
                phone_number_id: config.phone_number_id.clone(),
                app_secret: config.app_secret.clone().unwrap_or_else(|| Secret::new("")),
                verify_token: config
                    .verify_token
                    .clone()
                    .unwrap_or_else(|| Secret::new("")),
            }),
        })
    }

    fn transport(&self, config: &Config, http: reqwest::Client) -> Arc<dyn Transport> {
        Arc::new(GraphClient::new(&config.channels.whatsapp, http))
    }

    fn webhooks(&self) -> &'static [Webhook] {
        &[
            Webhook {
                methods: &["GET"],
                path: "/webhooks/whatsapp",
                check: "Meta's subscription handshake, answered only with the verify token",
                register: |routes| {
                    routes.service(super::routes::verify);
                },
            },
            Webhook {
                methods: &["POST"],
                path: "/webhooks/whatsapp",
                check: "signed by Meta: X-Hub-Signature-256, an HMAC with the app secret",
                register: |routes| {
                    routes.service(super::routes::receive);
                },
            },
        ]
    }

    fn check_ids(&self) -> CheckIds {
        CheckIds {
            not_configured: "channels.whatsapp_not_configured",
            dm_policy: "channels.whatsapp_dm_policy",
            dm_open: "channels.whatsapp_dm_open",
            groups_open: "channels.whatsapp_groups_open",
        }
    }

    fn env_hint(&self) -> &'static str {
        "PINCER_WHATSAPP_*"
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
