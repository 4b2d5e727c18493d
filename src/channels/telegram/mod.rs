//! Telegram through the Bot API: long polling ([`poller`]) or a webhook ([`routes`]), updates
//! parsed by [`update`] (the objects in [`wire`], message kinds in [`kinds`], group mentions in
//! [`mention`] against the bot's [`identity`] from `getMe`), the client ([`api`]) the channel
//! actor sends through and the run fetches media with ([`files`]), and the plug-in
//! ([`plugin`]) that makes it a channel. Its config section is
//! `src/config/channels/telegram.rs`.

pub(crate) mod api;
pub mod files;
pub mod identity;
mod kinds;
pub(crate) mod mention;
pub(crate) mod media_send;
pub(crate) mod plugin;
pub(crate) mod poller;
pub(crate) mod routes;
pub(crate) mod setup;
pub mod update;
mod wire;

pub use plugin::Telegram;

use super::transport::Labels;

/// Its names (`telegram` is [`crate::config::channels::telegram::NAME`]).
pub const LABELS: Labels = Labels {
    channel: crate::config::channels::telegram::NAME,
    platform: "Telegram",
    sender_id: "user id",
};
