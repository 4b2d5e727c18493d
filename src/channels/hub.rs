//! The channels as the rest of the gateway sees them: the inbound journal, the pairing store,
//! and, per enabled channel, its actor's address, its figures and what its webhook handler
//! checks. [`Channels::build`] opens the journal and returns the channel actors' specs for the
//! `/gateway/channels` supervisor.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pincer_actors::{ActorRef, ChildSpec};
use serde_json::{json, Value};
use tracing::{error, warn};

use super::actor::{ChannelActor, ChannelParts, ChannelSettings};
use super::journal::{Journal, JournalError, JournalOptions};
use super::pairing::PairingStore;
use super::stats::ChannelStats;
use super::telegram::api::BotClient;
use super::telegram::poller::Poller;
use super::transport::Transport;
use super::whatsapp::client::GraphClient;
use crate::config::channels::missing_credentials;
use crate::config::{Config, Secret, TelegramMode};
use crate::sessions::router::SessionRouter;

/// Channel names the CLI and the API accept.
pub const KNOWN: [&str; 2] = ["whatsapp", "telegram"];

/// One running channel.
pub struct ChannelHandle {
    pub actor: ActorRef<ChannelActor>,
    pub stats: Arc<ChannelStats>,
}

/// What the WhatsApp webhook handler needs.
pub struct WhatsAppHandle {
    pub channel: ChannelHandle,
    pub phone_number_id: String,
    pub app_secret: Secret,
    pub verify_token: Secret,
}

/// What the Telegram webhook handler needs.
pub struct TelegramHandle {
    pub channel: ChannelHandle,
    pub bot_id: String,
    /// Set in webhook mode only (the webhook route answers 404 in polling mode).
    pub webhook_secret: Option<Secret>,
}

/// Everything channel-related the gateway holds.
pub struct Channels {
    pub journal: Journal,
    pub pairing: PairingStore,
    pub webhook_max_bytes: usize,
    pub whatsapp: Option<WhatsAppHandle>,
    pub telegram: Option<TelegramHandle>,
    /// Enabled channels that lack credentials, and what to set.
    pub unconfigured: Vec<(&'static str, String)>,
}

/// Why the channels could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChannelsError {
    #[error("the inbound message journal cannot be opened: {0}")]
    Journal(#[from] JournalError),
    #[error("the HTTP client for the channels could not be created: {0}")]
    Http(String),
}

impl Channels {
    /// Opens the journal and prepares the actor of every enabled channel. `run_channels` false
    /// (safe mode) prepares no actor: webhooks are still journaled, and answered after the next
    /// normal start.
    pub fn build(
        config: &Config,
        state_dir: &Path,
        router: &ActorRef<SessionRouter>,
        run_channels: bool,
    ) -> Result<(Channels, Vec<ChildSpec>), ChannelsError> {
        let channels = &config.channels;
        let options = JournalOptions {
            dedup_window: Duration::from_secs(channels.dedupe_hours.max(1) * 3600),
            ..JournalOptions::default()
        };
        let (journal, report) =
            Journal::open(&state_dir.join("channels").join("inbound.journal"), options)?;
        if !report.corrupt.is_empty() {
            warn!(
                regions = report.corrupt.len(),
                "the inbound journal had corrupt regions; they were skipped (see the log above)"
            );
        }
        let pairing = PairingStore::new(state_dir);
        let mut specs = Vec::new();
        let mut unconfigured = Vec::new();
        for channel in crate::config::channels::unrunnable(channels) {
            let why = format!("not configured: {}", channel.what_to_set());
            error!(
                channel = channel.channel,
                "the channel is enabled but {why}; it stays down and the gateway reports not \
                 ready (/readyz) until the config is fixed"
            );
            unconfigured.push((channel.channel, why));
        }
        let configured = |name: &str| !unconfigured.iter().any(|(n, _)| *n == name);
        let mut whatsapp = None;
        let wa = &channels.whatsapp;
        if wa.enabled && configured("whatsapp") {
            let http = http_client()?;
            let stats = Arc::new(ChannelStats::new());
            let parts = ChannelParts {
                transport: Arc::new(GraphClient::new(wa, http)),
                journal: journal.clone(),
                router: router.clone(),
                pairing: pairing.clone(),
                stats: Arc::clone(&stats),
                settings: ChannelSettings {
                    policy: wa.dm_policy,
                    allow_from: wa.allow_from.clone(),
                    chunk_limit: wa.text_chunk_limit,
                    sends_per_second: wa.sends_per_second,
                    mark_read: wa.mark_read,
                    dm_scope: config.session.dm_scope,
                    confirm_wait: Duration::from_secs(wa.confirm_wait_seconds),
                },
            };
            let (spec, actor) = channel_spec("whatsapp", parts);
            if run_channels {
                specs.push(spec);
            } else {
                stats.set_link(false, "not started (safe mode)");
            }
            whatsapp = Some(WhatsAppHandle {
                channel: ChannelHandle { actor, stats },
                phone_number_id: wa.phone_number_id.clone(),
                app_secret: wa.app_secret.clone().unwrap_or_else(|| Secret::new("")),
                verify_token: wa.verify_token.clone().unwrap_or_else(|| Secret::new("")),
            });
        }
        let mut telegram = None;
        let tg = &channels.telegram;
        if tg.enabled && configured("telegram") {
            let client = BotClient::new(tg, http_client()?);
            let bot_id = client.account().to_string();
            let stats = Arc::new(ChannelStats::new());
            let parts = ChannelParts {
                transport: Arc::new(client.clone()),
                journal: journal.clone(),
                router: router.clone(),
                pairing: pairing.clone(),
                stats: Arc::clone(&stats),
                settings: ChannelSettings {
                    policy: tg.dm_policy,
                    allow_from: tg.allow_from.clone(),
                    chunk_limit: tg.text_chunk_limit,
                    sends_per_second: tg.sends_per_second,
                    mark_read: true,
                    dm_scope: config.session.dm_scope,
                    confirm_wait: Duration::ZERO,
                },
            };
            let (spec, actor) = channel_spec("telegram", parts);
            let webhook = tg.mode == TelegramMode::Webhook;
            if run_channels {
                specs.push(spec);
                if !webhook {
                    let poller = Poller {
                        client,
                        journal: journal.clone(),
                        actor: actor.clone(),
                        stats: Arc::clone(&stats),
                        poll_timeout: Duration::from_secs(tg.poll_timeout_seconds),
                        offset_file: state_dir
                            .join("channels")
                            .join(format!("telegram-{bot_id}.offset")),
                        bot_id: bot_id.clone(),
                    };
                    specs.push(poller.spec());
                }
            } else {
                stats.set_link(false, "not started (safe mode)");
            }
            telegram = Some(TelegramHandle {
                channel: ChannelHandle { actor, stats },
                bot_id,
                webhook_secret: if webhook {
                    tg.webhook_secret.clone()
                } else {
                    None
                },
            });
        }
        Ok((
            Channels {
                journal,
                pairing,
                webhook_max_bytes: channels.webhook_max_bytes,
                whatsapp,
                telegram,
                unconfigured,
            },
            specs,
        ))
    }

    /// The running channel called `name`.
    pub fn handle(&self, name: &str) -> Option<&ChannelHandle> {
        match name {
            "whatsapp" => self.whatsapp.as_ref().map(|w| &w.channel),
            "telegram" => self.telegram.as_ref().map(|t| &t.channel),
            _ => None,
        }
    }

    /// Sends `text` to `to` through the running channel's actor (so its rate limits and retries
    /// apply): pairing approvals with `--notify`, operator sends over HTTP and WebSocket.
    pub async fn notify(&self, channel: &str, to: &str, text: &str) -> Result<(), String> {
        let Some(handle) = self.handle(channel) else {
            return Err(format!("the {channel} channel is not enabled"));
        };
        let message = super::actor::Notify {
            to: to.to_string(),
            text: text.to_string(),
        };
        match handle.actor.ask(message).await {
            Ok(result) => result,
            Err(error) => Err(format!("the {channel} channel is unavailable: {error}")),
        }
    }

    /// Supervision paths of the enabled channels (required for `/readyz`).
    pub fn paths(&self) -> Vec<String> {
        KNOWN
            .iter()
            .filter(|name| self.handle(name).is_some())
            .map(|name| format!("/gateway/channels/{name}"))
            .collect()
    }

    /// Figures of every enabled channel and of the journal.
    pub fn status_json(&self) -> Value {
        let mut channels = serde_json::Map::new();
        for name in KNOWN {
            if let Some(handle) = self.handle(name) {
                channels.insert(name.to_string(), handle.stats.to_json());
            }
        }
        for (name, why) in &self.unconfigured {
            channels.insert(name.to_string(), json!({ "healthy": false, "link": why }));
        }
        let journal = self.journal.stats();
        json!({
            "channels": channels,
            "journal": {
                "pending": journal.pending,
                "appended": journal.appended,
                "duplicates": journal.duplicates,
                "groupCommits": journal.group_commits,
                "fileBytes": journal.file_bytes,
                "corruptSkippedBytes": journal.corrupt_skipped_bytes,
                "compactions": journal.compactions,
                "writeErrors": journal.write_errors,
            },
        })
    }

    /// The enabled channels the config leaves without credentials, one readiness problem each
    /// (`channels.whatsapp: enabled but not configured: set ...`).
    pub fn config_problems(&self) -> Vec<String> {
        self.unconfigured
            .iter()
            .map(|(name, why)| format!("channels.{name}: enabled but {why}"))
            .collect()
    }

    /// Link state per enabled channel, for `/readyz`.
    pub fn links(&self) -> Value {
        let mut links = serde_json::Map::new();
        for name in KNOWN {
            if let Some(handle) = self.handle(name) {
                links.insert(
                    name.to_string(),
                    json!({ "healthy": handle.stats.healthy(), "link": handle.stats.link() }),
                );
            }
        }
        for (name, why) in &self.unconfigured {
            links.insert(name.to_string(), json!({ "healthy": false, "link": why }));
        }
        Value::Object(links)
    }
}

/// The outbound side of `channel` built from the config, for the CLI when no gateway runs
/// (`pincer pairing approve --notify`); `None` when the channel is not enabled.
pub fn offline_transport(config: &Config, channel: &str) -> Option<Arc<dyn Transport>> {
    let http = http_client().ok()?;
    match channel {
        _ if !missing_credentials(&config.channels, channel).is_empty() => None,
        "whatsapp" if config.channels.whatsapp.enabled => {
            Some(Arc::new(GraphClient::new(&config.channels.whatsapp, http)))
        }
        "telegram" if config.channels.telegram.enabled => {
            Some(Arc::new(BotClient::new(&config.channels.telegram, http)))
        }
        _ => None,
    }
}

fn channel_spec(name: &'static str, parts: ChannelParts) -> (ChildSpec, ActorRef<ChannelActor>) {
    // Webhook bursts are delivered in batches; a deep mailbox absorbs them (and a full one only
    // delays messages to the next sweep: they are in the journal).
    ChildSpec::actor_with_capacity(name, "channel", 4096, move |cx| {
        ChannelActor::new(cx.clone(), parts.clone())
    })
}

fn http_client() -> Result<reqwest::Client, ChannelsError> {
    crate::net::http::builder("the channels")
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| ChannelsError::Http(e.reason))
}
