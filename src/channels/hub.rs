//! The channels as the rest of the gateway sees them: the inbound journal, the pairing store,
//! and, per enabled channel, its actor's address, its figures and what its webhook handler
//! checks. [`Channels::build`] opens the journal, starts every enabled channel of the
//! [`registry`](super::registry) through its plug-in, and returns their children's specs for the
//! `/gateway/channels` supervisor. Nothing here names a channel.

use std::any::Any;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pincer_actors::{ActorRef, ChildSpec};
use serde_json::{json, Value};
use tracing::{error, warn};

use super::actor::ChannelActor;
use super::journal::{Journal, JournalError, JournalOptions};
use super::pairing::PairingStore;
use super::plugin::{self, StartContext};
use super::registry::PLUGINS;
use super::stats::ChannelStats;
use super::transport::Transport;
use crate::config::channels::{missing_credentials, ChannelSection};
use crate::config::Config;
use crate::sessions::router::SessionRouter;

/// Channel names the CLI and the API accept (from the registry).
pub(crate) use super::registry::KNOWN;

/// One running channel.
pub struct ChannelHandle {
    pub actor: ActorRef<ChannelActor>,
    pub stats: Arc<ChannelStats>,
}

/// An enabled channel: its handle and what its routes read.
struct Running {
    name: &'static str,
    channel: ChannelHandle,
    webhook: Arc<dyn Any + Send + Sync>,
}

/// Everything channel-related the gateway holds.
pub struct Channels {
    pub journal: Journal,
    pub pairing: PairingStore,
    pub webhook_max_bytes: usize,
    /// The enabled and configured channels, in registry order.
    running: Vec<Running>,
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
            dedup_max_keys: channels.dedupe_max_messages,
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
        let mut running = Vec::new();
        for &plugin in PLUGINS {
            let name = plugin.labels().channel;
            let enabled = plugin::section(plugin, config).is_some_and(ChannelSection::enabled);
            if !enabled || unconfigured.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let http = http_client()?;
            let started = plugin.start(&StartContext {
                plugin,
                config,
                state_dir,
                journal: &journal,
                router,
                pairing: &pairing,
                http: &http,
            })?;
            if run_channels {
                specs.extend(started.specs);
            } else {
                started
                    .channel
                    .stats
                    .set_link(false, "not started (safe mode)");
            }
            running.push(Running {
                name,
                channel: started.channel,
                webhook: started.webhook,
            });
        }
        Ok((
            Channels {
                journal,
                pairing,
                webhook_max_bytes: channels.webhook_max_bytes,
                running,
                unconfigured,
            },
            specs,
        ))
    }

    /// The running channel called `name`.
    pub fn handle(&self, name: &str) -> Option<&ChannelHandle> {
        self.running
            .iter()
            .find(|running| running.name == name)
            .map(|running| &running.channel)
    }

    /// The running channel called `name` with what its routes read (`T`, the plug-in's own
    /// type, as its [`plugin::Started::webhook`]); `None` when it is not running.
    pub fn webhook<T: Any + Send + Sync>(&self, name: &str) -> Option<(&ChannelHandle, &T)> {
        let running = self.running.iter().find(|running| running.name == name)?;
        let state = running.webhook.downcast_ref::<T>()?;
        Some((&running.channel, state))
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

    /// Sends `file` to `to` through the running channel's actor (its gate and retries apply):
    /// operator file sends over HTTP.
    pub async fn send_file(
        &self,
        channel: &str,
        to: &str,
        file: crate::sessions::media::OutboundFile,
    ) -> Result<(), String> {
        let Some(handle) = self.handle(channel) else {
            return Err(format!("the {channel} channel is not enabled"));
        };
        let message = super::actor::SendFile {
            to: to.to_string(),
            file,
        };
        match handle.actor.ask(message).await {
            Ok(result) => result,
            Err(error) => Err(format!("the {channel} channel is unavailable: {error}")),
        }
    }

    /// The running channels as the agent's `message` tool sends through them (built before
    /// the engine: the actors' addresses exist before they start).
    pub fn chat_sender(&self) -> Arc<dyn crate::sessions::media::ChatSender> {
        Arc::new(super::sender::ChannelSender {
            channels: self
                .running
                .iter()
                .map(|running| (running.name, running.channel.actor.clone()))
                .collect(),
        })
    }

    /// Supervision paths of the enabled channels (required for `/readyz`).
    pub fn paths(&self) -> Vec<String> {
        self.running
            .iter()
            .map(|running| format!("/gateway/channels/{}", running.name))
            .collect()
    }

    /// Figures of every enabled channel and of the journal.
    pub fn status_json(&self) -> Value {
        let mut channels = serde_json::Map::new();
        for running in &self.running {
            channels.insert(running.name.to_string(), running.channel.stats.to_json());
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
        for running in &self.running {
            let stats = &running.channel.stats;
            links.insert(
                running.name.to_string(),
                json!({ "healthy": stats.healthy(), "link": stats.link(), "configured": true }),
            );
        }
        for (name, why) in &self.unconfigured {
            links.insert(
                name.to_string(),
                json!({ "healthy": false, "link": why, "configured": false }),
            );
        }
        Value::Object(links)
    }
}

/// The outbound side of `channel` built from the config, for the CLI when no gateway runs
/// (`pincer pairing approve --notify`); `None` when the channel is not enabled.
pub(crate) fn offline_transport(config: &Config, channel: &str) -> Option<Arc<dyn Transport>> {
    let http = http_client().ok()?;
    let plugin = super::registry::find(channel)?;
    let section = plugin::section(plugin, config)?;
    if !missing_credentials(&config.channels, channel).is_empty() || !section.enabled() {
        return None;
    }
    Some(plugin.transport(config, http))
}

fn http_client() -> Result<reqwest::Client, ChannelsError> {
    crate::net::http::builder("the channels")
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| ChannelsError::Http(e.reason))
}
