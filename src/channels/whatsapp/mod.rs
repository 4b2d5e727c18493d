//! WhatsApp through the official Business Cloud API: the webhook ([`routes`], checked and parsed
//! by [`webhook`]; the message objects in [`wire`], each kind mapped in [`message_kinds`] with
//! the texts of data kinds in [`summaries`]), media lookups ([`media`]), the Graph API client ([`client`]) the channel actor sends through, and the
//! plug-in ([`plugin`]) that makes it a channel. Its config section is
//! `src/config/channels/whatsapp.rs`.

pub(crate) mod client;
pub(crate) mod media_send;
pub(crate) mod media;
pub mod message_kinds;
pub(crate) mod plugin;
pub(crate) mod routes;
pub(crate) mod setup;
mod summaries;
pub mod webhook;
mod wire;

pub use plugin::WhatsApp;

use super::transport::Labels;

/// Its names (`whatsapp` is [`crate::config::channels::whatsapp::NAME`]).
pub const LABELS: Labels = Labels {
    channel: crate::config::channels::whatsapp::NAME,
    platform: "WhatsApp",
    sender_id: "number",
};
