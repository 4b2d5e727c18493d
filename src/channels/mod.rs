//! Chat channels (WhatsApp through the official Business Cloud API, Telegram through the Bot API),
//! bridged to the agent.
//!
//! The flow of one message:
//! 1. a webhook handler ([`whatsapp::routes`], [`telegram::routes`]) or the Telegram poller
//!    checks and parses the platform's payload into [`journal::InboundRecord`]s;
//! 2. [`journal::Journal::accept`] drops redeliveries and makes the rest durable (grouped fsync)
//!    before the platform is acknowledged;
//! 3. the channel's [`actor::ChannelActor`] applies the DM policy ([`pairing`]), decides what
//!    the message is ([`dispatch`]: a turn in the sender's or the group's session, with its
//!    media; a note without a turn for reactions, edits, deletions and unaddressed group
//!    messages; nothing for notices), and sends the answer back ([`delivery`], [`chunk`],
//!    [`gate`]);
//! 4. the journal entry is marked done; on start, whatever is not done is replayed. A message
//!    whose turn failed for a passing reason (the models unavailable) stays pending and is asked
//!    again later ([`defer`]).
//!
//! [`hub::Channels`] is what the rest of the gateway holds: the journal, the pairing store and,
//! per enabled channel, its actor and figures.
//!
//! A channel is a plug-in ([`plugin::ChannelPlugin`]): a folder (`whatsapp/`, `telegram/`) and
//! one line in the `channels!` call below; its config section is
//! `src/config/channels/<name>.rs` and one line in that module's `channel_sections!` call.
//! Nothing outside those names a channel. The webhook routes are registered with [`routes`] and
//! read the hub (`web::Data<Channels>`), never the web layer's state.

pub(crate) mod actor;
pub(crate) mod chunk;
pub(crate) mod defer;
pub(crate) mod delivery;
pub(crate) mod dispatch;
pub(crate) mod gate;
pub(crate) mod hub;
pub(crate) mod ingress;
pub mod journal;
pub(crate) mod pairing;
pub(crate) mod plugin;
pub(crate) mod registry;
pub(crate) mod sender;
pub(crate) mod setup;
pub(crate) mod stats;
pub(crate) mod tasks;
pub(crate) mod transport;

/// Declares the channels: for each `name => Plugin`, the channel's folder `name/` and its
/// plug-in's place in [`CHANNELS`] (read through [`registry::PLUGINS`]). Adding a channel is its
/// folder and one line in the call below.
macro_rules! channels {
    ($($name:ident => $plugin:ident),* $(,)?) => {
        $(pub mod $name;)*

        /// Every channel, in the order they are started, asked about during onboarding and
        /// reported.
        pub const CHANNELS: &[&dyn plugin::ChannelPlugin] = &[$(&$name::$plugin,)*];
    };
}

channels! {
    whatsapp => WhatsApp,
    telegram => Telegram,
}
