//! WhatsApp through the official Business Cloud API: the webhook ([`routes`], checked and parsed
//! by [`webhook`]) and the Graph API client ([`client`]) the channel actor sends through.

pub mod client;
pub mod routes;
pub mod webhook;
