//! Which browser pages may drive the gateway: the `Origin` and `Host` policy.
//!
//! A web page on any site can make its visitor's browser open `ws://127.0.0.1:18789/ws` or POST
//! to the gateway (the "ClawJacked" class). Browsers say who is asking in the `Origin` header, so
//! the gateway admits a WebSocket upgrade or a state-changing request only when it carries
//! - no `Origin` at all: not a browser (the CLI, scripts, OpenClaw's clients, webhooks), or
//! - one of the gateway's own origins: a same-origin request from a page the gateway served
//!   (`Origin` equal to `scheme://Host` of the request, the gateway's scheme, a `Host` that
//!   cannot be DNS-rebound: an IP literal or `localhost`), a page on one loopback name calling
//!   another with the same port, and `https://<MagicDNS name>` under Tailscale Serve/Funnel, or
//! - an origin listed in `gateway.controlUi.allowedOrigins`.
//!
//! Every browser request (one with `Origin` or fetch metadata, `Sec-Fetch-*`) must also name the
//! gateway in its `Host`: an IP literal, `localhost`, the Tailscale name or an allowed origin's
//! host. That defeats DNS rebinding, where `evil.example` is made to resolve to 127.0.0.1 and its
//! same-origin requests (which carry `Host: evil.example:18789`) reach the gateway. A plain-http
//! page's same-origin GET carries neither `Origin` nor fetch metadata (browsers send those only
//! to trustworthy origins), so it looks like any other client: with auth `none`, where such a read
//! would get everything, the `Host` of *every* request is checked; with a token or password the
//! rebound page cannot authenticate and gets only what is public anyway (probes, the UI's files).
//!
//! [`OriginPolicy`] is built once at start; the HTTP middleware
//! ([`crate::web::request_guard`]) and the WebSocket upgrade ([`crate::control::socket`]) both
//! ask it, so there is one rule for both.

use std::net::{Ipv4Addr, Ipv6Addr};

use actix_web::http::{header, Method};
use actix_web::HttpRequest;

use crate::config::origin::{split_authority, Origin, Scheme};

/// The error code of a refused origin (HTTP 403 body, WebSocket error frame).
pub(crate) const ORIGIN_NOT_ALLOWED: &str = "ORIGIN_NOT_ALLOWED";
/// The error code of a browser request whose `Host` is not one of the gateway's names.
pub(crate) const HOST_NOT_ALLOWED: &str = "HOST_NOT_ALLOWED";
/// The config key that admits more origins, named in every refusal.
pub(crate) const ALLOWED_ORIGINS_KEY: &str = "gateway.controlUi.allowedOrigins";

/// Whether `host` (normalized) is an IP address literal: it cannot be DNS-rebound.
fn is_ip_literal(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok()
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<Ipv6Addr>().is_ok())
}

/// Whether `host` names this machine's loopback interface.
fn is_loopback_name(host: &str) -> bool {
    host == "localhost"
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host == "[::1]"
}

/// The facts about one request the policy decides on.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The raw `Origin` header (`Some(None)`: present but not text).
    pub origin: Option<Option<&'a str>>,
    /// `Host` (or the HTTP/2 authority).
    pub host: Option<&'a str>,
    /// A `Sec-Fetch-Site`/`-Mode`/`-Dest` header: a browser sent it, even without `Origin`.
    pub fetch_metadata: bool,
    /// Changes state: any method but GET/HEAD/OPTIONS, or a WebSocket upgrade.
    pub state_changing: bool,
}

impl<'a> RequestFacts<'a> {
    /// Reads the facts off `request`; `websocket` marks the control-plane upgrade.
    pub fn of(request: &'a HttpRequest, websocket: bool) -> RequestFacts<'a> {
        let headers = request.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let fetch_metadata = ["sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest"]
            .iter()
            .any(|name| headers.contains_key(*name));
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        RequestFacts {
            origin: headers.get(header::ORIGIN).map(|v| v.to_str().ok()),
            host,
            fetch_metadata,
            state_changing: websocket || !safe,
        }
    }
}

/// Why a browser request was refused; its `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("origin {origin} is not allowed to use this gateway; to allow it, add \"{origin}\" to {ALLOWED_ORIGINS_KEY}")]
    Origin { origin: String },
    #[error("the Origin header {raw:?} is not an origin; browser pages must send a valid origin (allowed ones are set in {ALLOWED_ORIGINS_KEY})")]
    Malformed { raw: String },
    #[error("a request for host {host:?} is refused: it is not one of this gateway's names (DNS rebinding?); to reach the gateway under that name, add \"{suggest}\" to {ALLOWED_ORIGINS_KEY}")]
    Host {
        host: String,
        /// The origin that would admit the name: the page's own, else `scheme://Host`.
        suggest: String,
    },
}

impl Refusal {
    /// The error code sent with the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Host { .. } => HOST_NOT_ALLOWED,
            _ => ORIGIN_NOT_ALLOWED,
        }
    }
}

/// The gateway's rule for browser requests, built once at start.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// The scheme of the listener itself (`https` with `gateway.ssl`).
    scheme: Scheme,
    /// `https://<MagicDNS name>` when Tailscale Serve/Funnel publishes the gateway.
    tailscale: Option<Origin>,
    /// `gateway.controlUi.allowedOrigins`, normalized.
    allowed: Vec<Origin>,
    /// Check the `Host` of every request, not only of browser ones (auth mode `none`).
    every_host: bool,
}

impl OriginPolicy {
    /// `allowed` entries that do not parse are skipped with a warning (config validation has
    /// already refused them); `tailscale_name` is the node's MagicDNS name, if published.
    pub fn new(tls: bool, allowed: &[String], tailscale_name: Option<&str>) -> OriginPolicy {
        let allowed = allowed
            .iter()
            .filter_map(|text| match Origin::parse(text) {
                Ok(origin) => Some(origin),
                Err(error) => {
                    tracing::warn!(%error, "ignoring an entry of {ALLOWED_ORIGINS_KEY}");
                    None
                }
            })
            .collect();
        let tailscale = tailscale_name
            .map(|name| name.trim_end_matches('.'))
            .filter(|name| !name.is_empty())
            .and_then(|name| Origin::parse(&format!("https://{name}")).ok());
        OriginPolicy {
            scheme: if tls { Scheme::Https } else { Scheme::Http },
            tailscale,
            allowed,
            every_host: false,
        }
    }

    /// With `true` (auth mode `none`), non-browser requests must name the gateway in `Host` too:
    /// a rebound page's plain-http reads cannot be told from theirs, and nothing else stops them.
    pub fn checking_every_host(mut self, every_host: bool) -> OriginPolicy {
        self.every_host = every_host;
        self
    }

    /// Decides one request; `Ok` for every non-browser request unless every `Host` is checked.
    pub fn check(&self, facts: &RequestFacts<'_>) -> Result<(), Refusal> {
        let browser = facts.origin.is_some() || facts.fetch_metadata;
        if !browser && !self.every_host {
            return Ok(());
        }
        let host = facts.host.and_then(split_authority);
        let host_name = host.as_ref().map(|(name, _)| name.as_str());
        if !host_name.is_some_and(|name| self.is_own_name(name)) {
            let host: String = facts.host.unwrap_or("(none)").chars().take(100).collect();
            let suggest = facts
                .origin
                .flatten()
                .and_then(|raw| Origin::parse(raw).ok())
                .filter(|origin| *origin != Origin::Null)
                .map(|origin| origin.to_string())
                .unwrap_or_else(|| format!("{}://{host}", self.scheme.as_str()));
            return Err(Refusal::Host { host, suggest });
        }
        let Some(raw) = facts.origin else {
            return Ok(());
        };
        if !facts.state_changing {
            // Reads are answered without CORS headers: the page cannot see them.
            return Ok(());
        }
        let raw = raw.unwrap_or("(not text)");
        let origin = Origin::parse(raw).map_err(|_| Refusal::Malformed {
            raw: raw.chars().take(100).collect(),
        })?;
        let host_port = host.and_then(|(name, port)| {
            let port = match port {
                None => Some(self.scheme.default_port()),
                Some(digits) => digits.parse::<u16>().ok(),
            };
            port.map(|port| (name, port))
        });
        if self.admits(&origin, host_port) {
            Ok(())
        } else {
            Err(Refusal::Origin {
                origin: origin.to_string(),
            })
        }
    }

    /// Whether `origin` is allowed for a request that reached the gateway as `host`.
    fn admits(&self, origin: &Origin, host: Option<(String, u16)>) -> bool {
        if self.allowed.contains(origin) || self.tailscale.as_ref() == Some(origin) {
            return true;
        }
        let (
            Origin::Site {
                scheme,
                host: name,
                port,
            },
            Some((host, host_port)),
        ) = (origin, host)
        else {
            return false;
        };
        if *scheme != self.scheme || *port != host_port {
            return false;
        }
        // Same origin as the request's target, on a name that cannot be rebound: a page the
        // gateway served. Or one loopback name calling another on the same port: the same
        // machine, the same listener.
        let same_origin = *name == host && (is_ip_literal(&host) || host == "localhost");
        same_origin || (is_loopback_name(name) && is_loopback_name(&host))
    }

    /// Whether a browser may address the gateway as `host` (normalized, without port).
    fn is_own_name(&self, host: &str) -> bool {
        is_ip_literal(host)
            || host == "localhost"
            || self.tailscale.as_ref().and_then(Origin::host) == Some(host)
            || self
                .allowed
                .iter()
                .any(|origin| origin.host() == Some(host))
    }
}

#[cfg(test)]
#[path = "origin_tests.rs"]
mod tests;
