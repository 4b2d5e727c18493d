//! Chat channels (WhatsApp, Telegram): what they accept from their platforms and how it reaches
//! the sessions.
//!
//! - [`journal`]: the durable inbound journal. Every message a channel accepts is appended and
//!   fsynced before the platform is told so, marked done once its reply is handed back, and
//!   replayed on start; platform message ids are deduplicated across redeliveries and restarts.

pub mod journal;
