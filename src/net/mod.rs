//! Outgoing and incoming TLS, and the one place HTTP clients are made.
//!
//! Part of the foundation layer: every module that talks HTTP to the outside (model providers,
//! channels, the log and alert webhooks, `web_fetch`, the CLI, `pincer onboard`'s key check)
//! builds its `reqwest` client through [`http::builder`], which installs the process-wide rustls
//! provider ([`tls::provider`], `ring`) first. Nothing else calls `reqwest::Client::builder` or
//! installs a crypto provider, so the TLS stack is chosen in one place.

pub(crate) mod http;
pub(crate) mod pinned;
pub mod tls;
