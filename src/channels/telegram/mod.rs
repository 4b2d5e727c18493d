//! Telegram through the Bot API: long polling ([`poller`]) or a webhook ([`routes`]), updates
//! parsed by [`update`], and the client ([`api`]) the channel actor sends through.

pub mod api;
pub mod poller;
pub mod routes;
pub mod update;
