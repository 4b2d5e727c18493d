//! What a chat channel is to the gateway: a [`ChannelPlugin`], found by name in
//! [`super::registry`]. The hub, the webhook routes, readiness, `pincer doctor`, `pincer security
//! audit`, `pincer onboard` and the CLI all go through it, so that no code outside a channel's
//! folder names the channel.
//!
//! A plug-in gives: its names ([`Labels`]); its config section (through the config layer's
//! [`ChannelSection`], found by the plug-in's name: the sections live in
//! `src/config/channels/<name>.rs`, since the config layer imports no channel); how it starts
//! ([`ChannelPlugin::start`]: its transport, its actor and other children, the state its
//! webhook routes read); its webhooks ([`Webhook`]: public, each with its own signature check,
//! reading the hub, never the web layer's state); its transport alone (the CLI without a gateway); the ids of its
//! doctor and audit checks; its onboarding questions ([`super::setup`]); its pairing words
//! ([`Labels::sender_id`]) and session-key rules ([`ChannelPlugin::session_origin`]).

use std::any::Any;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pincer_actors::{ActorRef, ChildSpec};

use super::actor::{ChannelActor, ChannelParts, ChannelSettings};
use super::hub::{ChannelHandle, ChannelsError};
use super::journal::{InboundRecord, Journal};
use super::pairing::PairingStore;
use super::setup::{Ask, ChannelAnswer, SetupAsk, SetupError, SetupFlag};
use super::stats::ChannelStats;
use super::transport::{Labels, Transport};
use crate::config::channels::{ChannelSection, Common};
use crate::config::Config;
use crate::sessions::key::Origin;
use crate::sessions::router::SessionRouter;

/// One webhook route of a channel, as the gateway's route table lists it.
#[derive(Clone, Copy)]
pub struct Webhook {
    /// The methods its handler answers.
    pub methods: &'static [&'static str],
    /// Its path pattern, as its handler's attribute declares it.
    pub path: &'static str,
    /// What authenticates a request in place of the gateway's credential.
    pub check: &'static str,
    /// Adds its handler to a service config.
    pub register: fn(&mut actix_web::web::ServiceConfig),
}

/// One chat channel.
pub trait ChannelPlugin: Send + Sync + 'static {
    /// Its names: `channel` (`whatsapp`) is its key under `channels` in the config, its name in
    /// the CLI and the API, the journal's and the pairing files' channel id, its actor's name and
    /// its segment of session keys; it must never change, since journals and pairing files on
    /// disk hold it.
    fn labels(&self) -> Labels;

    /// Starts the channel (its config section is enabled and has its credentials): the
    /// transport, the channel actor, any other children (a poller), and what its routes read.
    fn start(&self, cx: &StartContext<'_>) -> Result<Started, ChannelsError>;

    /// Its outbound side alone, for the CLI when no gateway runs (`pincer pairing approve
    /// --notify`, `pincer message send`).
    fn transport(&self, config: &Config, http: reqwest::Client) -> Arc<dyn Transport>;

    /// Its webhook routes, if it has any. They are public (the platform cannot hold the
    /// gateway's credential): each checks the platform's own signature or secret, and reads the
    /// hub ([`super::hub::Channels`], `web::Data<Channels>`) for its state. Declared rather than
    /// registered, so that the gateway's route table (and the test walking it) lists them.
    fn webhooks(&self) -> &'static [Webhook] {
        &[]
    }

    /// The stable ids of its `pincer doctor` and `pincer security audit` checks.
    fn check_ids(&self) -> CheckIds;

    /// The variables that stand in for its credentials, as `pincer doctor` words them
    /// (`PINCER_WHATSAPP_*`).
    fn env_hint(&self) -> &'static str;

    /// The flags it adds to `pincer onboard`.
    fn setup_flags(&self) -> &'static [SetupFlag];

    /// Its onboarding questions: whether to set it up and, if so, its answers (`None`: not set
    /// up). Asked in registry order; the DM policy that every channel set up shares comes after.
    fn setup(&self, ask: &mut dyn SetupAsk) -> Result<Option<ChannelAnswer>, SetupError>;

    /// The onboarding question of `allowFrom`, asked after the DM policy.
    fn allow_from_question(&self) -> Ask<'static>;

    /// Checks and normalises a typed `allowFrom` list (comma-separated).
    fn allow_list(&self, text: &str) -> Result<Vec<String>, String>;

    /// Who a message is from, for its session key (`session.dmScope`): by default the record's
    /// account and sender.
    fn session_origin<'a>(&self, record: &'a InboundRecord) -> Origin<'a> {
        Origin {
            channel: self.labels().channel,
            account: &record.account,
            peer: &record.sender,
        }
    }
}

/// The ids of a channel's checks (`channels.whatsapp_dm_open`): stable, since scripts and
/// tests match them.
#[derive(Debug, Clone, Copy)]
pub struct CheckIds {
    /// Doctor: enabled without its credentials.
    pub not_configured: &'static str,
    /// Audit: the DM policy is not `pairing`.
    pub dm_policy: &'static str,
    /// Audit: anyone can reach the agent.
    pub dm_open: &'static str,
    /// Audit: every group the bot is added to can reach the agent (`groupPolicy: "open"`).
    pub groups_open: &'static str,
}

/// What [`super::hub::Channels::build`] hands each plug-in it starts.
pub struct StartContext<'a> {
    /// The plug-in being started.
    pub plugin: &'static dyn ChannelPlugin,
    pub config: &'a Config,
    pub state_dir: &'a Path,
    pub journal: &'a Journal,
    pub router: &'a ActorRef<SessionRouter>,
    pub pairing: &'a PairingStore,
    /// The shared HTTP client of the channels.
    pub http: &'a reqwest::Client,
}

/// How a channel treats its senders and paces its sends beyond the [`Common`] settings.
#[derive(Debug, Clone, Copy)]
pub struct ActorOptions {
    /// Send read receipts when a message reaches the agent.
    pub mark_read: bool,
    /// How long a replayed, possibly answered message waits for its delivery status.
    pub confirm_wait: Duration,
}

impl StartContext<'_> {
    /// The channel actor of `labels.channel` over `transport`, with its settings from the
    /// section's `common` part: its spec for `/gateway/channels` and its handle.
    pub fn channel_actor(
        &self,
        transport: Arc<dyn Transport>,
        common: Common<'_>,
        options: ActorOptions,
    ) -> (ChildSpec, ChannelHandle) {
        let stats = Arc::new(ChannelStats::new());
        let parts = ChannelParts {
            plugin: self.plugin,
            transport: Arc::clone(&transport),
            journal: self.journal.clone(),
            router: self.router.clone(),
            pairing: self.pairing.clone(),
            stats: Arc::clone(&stats),
            settings: ChannelSettings {
                policy: common.dm_policy,
                allow_from: common.allow_from.to_vec(),
                chunk_limit: common.text_chunk_limit,
                sends_per_second: common.sends_per_second,
                mark_read: options.mark_read,
                dm_scope: self.config.session.dm_scope,
                confirm_wait: options.confirm_wait,
                conversation: super::dispatch::ConversationSettings::of(common.conversation),
            },
        };
        // Webhook bursts are delivered in batches; a deep mailbox absorbs them (and a full one
        // only delays messages to the next sweep: they are in the journal).
        let name = self.plugin.labels().channel;
        let (spec, actor) = ChildSpec::actor_with_capacity(name, "channel", 4096, move |cx| {
            ChannelActor::new(cx.clone(), parts.clone())
        });
        (spec, ChannelHandle { actor, stats })
    }
}

/// A started channel.
pub struct Started {
    /// Its actor and figures.
    pub channel: ChannelHandle,
    /// Its children under `/gateway/channels`, the channel actor first.
    pub specs: Vec<ChildSpec>,
    /// What its routes read (the plug-in's own type, found again with
    /// [`super::hub::Channels::webhook`]).
    pub webhook: Arc<dyn Any + Send + Sync>,
}

/// The channel's config section, by its name.
pub(crate) fn section<'a>(
    plugin: &dyn ChannelPlugin,
    config: &'a Config,
) -> Option<&'a dyn ChannelSection> {
    config.channels.section(plugin.labels().channel)
}
