//! Rules that span several keys, checked after env overrides are applied.
//!
//! The schema already guarantees each value has the right type; these checks
//! catch combinations that would start an insecure or broken gateway (no auth
//! on a public interface, TLS without a certificate, ...). All rules run and
//! every failure is returned, so one start attempt shows everything to fix.

use super::error::Problem;
use super::schema::{AuthMode, Bind, Config, TailscaleMode};

/// Checks `config` and returns every problem found; empty means valid.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_auth(config, &mut problems);
    check_tailscale(config, &mut problems);
    check_ssl(config, &mut problems);
    check_allowed_origins(config, &mut problems);
    check_rate_limiting(config, &mut problems);
    check_connections(config, &mut problems);
    check_logging(config, &mut problems);
    super::channels::check(&config.channels, &mut problems);
    super::tools::check(config, &mut problems);
    super::media::check(config, &mut problems);
    super::skills::check(config, &mut problems);
    super::mcp::check(config, &mut problems);
    super::memory::check(config, &mut problems);
    super::threads::check(&config.engine, &mut problems);
    super::subagents::check(&config.agents.defaults.subagents, &mut problems);
    super::cron::check(config, &mut problems);
    problems
}

fn check_logging(config: &Config, problems: &mut Vec<Problem>) {
    let logging = &config.logging;
    if super::ops::parse_size(&logging.retention.max_size).is_none() {
        problems.push(Problem::new(
            "logging.retention.maxSize",
            format!(
                "{:?} is not a size; write it like \"100MB\", \"1GB\" or a number of bytes",
                logging.retention.max_size
            ),
        ));
    }
    for (index, transport) in logging.transports.iter().enumerate() {
        if transport.kind == super::ops::TransportKind::Http
            && transport.config.url.as_deref().is_none_or(str::is_empty)
        {
            problems.push(Problem::new(
                format!("logging.transports.{index}.config.url"),
                "required for an http transport",
            ));
        }
    }
}

fn check_rate_limiting(config: &Config, problems: &mut Vec<Problem>) {
    let limits = &config.gateway.rate_limiting;
    if !limits.enabled {
        return;
    }
    if limits.requests_per_minute == 0 {
        problems.push(Problem::new(
            "gateway.rateLimiting.requestsPerMinute",
            "must be at least 1 when rate limiting is enabled",
        ));
    }
    if limits.burst_size == 0 {
        problems.push(Problem::new(
            "gateway.rateLimiting.burstSize",
            "must be at least 1 when rate limiting is enabled",
        ));
    }
}

fn check_connections(config: &Config, problems: &mut Vec<Problem>) {
    let gateway = &config.gateway;
    if gateway.max_connections == 0 {
        problems.push(Problem::new(
            "gateway.maxConnections",
            "must be at least 1 (nothing could connect)",
        ));
    }
    if gateway.max_connections_per_client == Some(0) {
        problems.push(Problem::new(
            "gateway.maxConnectionsPerClient",
            "must be at least 1 (nothing could connect); leave it out for three quarters of maxConnections",
        ));
    }
    if gateway.connection_timeout == 0 {
        problems.push(Problem::new(
            "gateway.connectionTimeout",
            "must be at least 1 ms: 0 would let a connection that never sends a request hold its place forever",
        ));
    }
}

fn check_auth(config: &Config, problems: &mut Vec<Problem>) {
    let gateway = &config.gateway;
    let auth = &gateway.auth;
    if gateway.bind != Bind::Loopback && auth.mode == AuthMode::None {
        let bind = match gateway.bind {
            Bind::Lan => "lan",
            _ => "tailnet",
        };
        problems.push(Problem::new(
            "gateway.auth.mode",
            format!(
                "\"none\" is not allowed with gateway.bind = \"{bind}\": the gateway refuses to \
                 listen beyond loopback without auth; use \"token\" or \"password\""
            ),
        ));
    }
    match &auth.password {
        Some(password) if password.is_empty() => {
            problems.push(Problem::new("gateway.auth.password", "must not be empty"));
        }
        None if auth.mode == AuthMode::Password => problems.push(Problem::new(
            "gateway.auth.password",
            "required when gateway.auth.mode is \"password\" (set it in the file or with \
             PINCER_GATEWAY_PASSWORD)",
        )),
        _ => {}
    }
    if auth.token.as_ref().is_some_and(|token| token.is_empty()) {
        problems.push(Problem::new(
            "gateway.auth.token",
            "must not be empty; remove the key to have the gateway generate a token",
        ));
    }
    if auth.rate_limit.max_attempts == 0 {
        problems.push(Problem::new(
            "gateway.auth.rateLimit.maxAttempts",
            "must be at least 1 (0 would lock out every client on its first try)",
        ));
    }
}

fn check_tailscale(config: &Config, problems: &mut Vec<Problem>) {
    let gateway = &config.gateway;
    if gateway.tailscale.mode == TailscaleMode::Funnel && gateway.auth.mode != AuthMode::Password {
        problems.push(Problem::new(
            "gateway.tailscale.mode",
            "\"funnel\" publishes the gateway on the internet and requires \
             gateway.auth.mode = \"password\"",
        ));
    }
    if gateway.tailscale.mode != TailscaleMode::Off {
        // Serve and Funnel proxy tailnet or internet traffic to the loopback listener, where it
        // arrives from 127.0.0.1: auth is then the only thing that tells the owner from others.
        if gateway.bind != Bind::Loopback {
            problems.push(Problem::new(
                "gateway.bind",
                "must be \"loopback\" when gateway.tailscale.mode is \"serve\" or \"funnel\" \
                 (Tailscale proxies to the loopback listener)",
            ));
        }
        // (Beyond loopback, auth "none" is already reported by `check_auth`.)
        if gateway.auth.mode == AuthMode::None && gateway.bind == Bind::Loopback {
            problems.push(Problem::new(
                "gateway.auth.mode",
                "\"none\" is not allowed with Tailscale Serve or Funnel: proxied requests arrive \
                 from loopback, so the gateway could not tell the owner from anyone else",
            ));
        }
    }
}

/// `gateway.controlUi.allowedOrigins`: each entry must be an origin (`scheme://host[:port]`).
fn check_allowed_origins(config: &Config, problems: &mut Vec<Problem>) {
    for (index, text) in config.gateway.control_ui.allowed_origins.iter().enumerate() {
        if let Err(error) = super::origin::Origin::parse(text) {
            problems.push(Problem::new(
                format!("gateway.controlUi.allowedOrigins.{index}"),
                error.to_string(),
            ));
        }
    }
}

fn check_ssl(config: &Config, problems: &mut Vec<Problem>) {
    let ssl = &config.gateway.ssl;
    if !ssl.enabled {
        return;
    }
    let missing = |path: &Option<String>| path.as_deref().is_none_or(str::is_empty);
    if missing(&ssl.cert_path) {
        problems.push(Problem::new(
            "gateway.ssl.certPath",
            "required when gateway.ssl.enabled is true",
        ));
    }
    if missing(&ssl.key_path) {
        problems.push(Problem::new(
            "gateway.ssl.keyPath",
            "required when gateway.ssl.enabled is true",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;

    fn keys(config: &Config) -> Vec<String> {
        validate(config).into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn defaults_are_valid() {
        assert!(validate(&Config::default()).is_empty());
    }

    #[test]
    fn no_auth_on_loopback_is_allowed() {
        let mut c = Config::default();
        c.gateway.auth.mode = AuthMode::None;
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn no_auth_beyond_loopback_is_refused() {
        for bind in [Bind::Lan, Bind::Tailnet] {
            let mut c = Config::default();
            c.gateway.bind = bind;
            c.gateway.auth.mode = AuthMode::None;
            let problems = validate(&c);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].key, "gateway.auth.mode");
            assert!(problems[0]
                .message
                .contains("refuses to listen beyond loopback"));
        }
    }

    #[test]
    fn password_mode_needs_a_password() {
        let mut c = Config::default();
        c.gateway.auth.mode = AuthMode::Password;
        assert_eq!(keys(&c), ["gateway.auth.password"]);
        c.gateway.auth.password = Some(Secret::new("long-enough-password"));
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn empty_credentials_are_refused() {
        let mut c = Config::default();
        c.gateway.auth.token = Some(Secret::new(""));
        c.gateway.auth.password = Some(Secret::new(""));
        assert_eq!(keys(&c), ["gateway.auth.password", "gateway.auth.token"]);
    }

    #[test]
    fn funnel_requires_password_auth() {
        let mut c = Config::default();
        c.gateway.tailscale.mode = TailscaleMode::Funnel;
        assert_eq!(keys(&c), ["gateway.tailscale.mode"]);
        c.gateway.auth.mode = AuthMode::Password;
        c.gateway.auth.password = Some(Secret::new("pw"));
        assert!(validate(&c).is_empty());
        c.gateway.tailscale.mode = TailscaleMode::Serve;
        c.gateway.auth.mode = AuthMode::Token;
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn tailscale_exposure_requires_loopback_and_auth() {
        let mut c = Config::default();
        c.gateway.tailscale.mode = TailscaleMode::Serve;
        assert!(
            keys(&c).is_empty(),
            "serve with token auth on loopback is fine"
        );
        c.gateway.auth.mode = AuthMode::None;
        assert_eq!(keys(&c), ["gateway.auth.mode"]);
        c.gateway.bind = Bind::Lan;
        assert_eq!(
            keys(&c),
            ["gateway.auth.mode", "gateway.bind"],
            "auth none is reported once"
        );
    }

    #[test]
    fn ssl_requires_both_paths() {
        let mut c = Config::default();
        c.gateway.ssl.enabled = true;
        c.gateway.ssl.key_path = Some(String::new());
        assert_eq!(keys(&c), ["gateway.ssl.certPath", "gateway.ssl.keyPath"]);
        c.gateway.ssl.cert_path = Some("/c.pem".into());
        c.gateway.ssl.key_path = Some("/k.pem".into());
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn rate_limit_needs_at_least_one_attempt() {
        let mut c = Config::default();
        c.gateway.auth.rate_limit.max_attempts = 0;
        assert_eq!(keys(&c), ["gateway.auth.rateLimit.maxAttempts"]);
    }

    #[test]
    fn connection_limits_must_let_something_in() {
        let mut config = Config::default();
        config.gateway.max_connections = 0;
        config.gateway.max_connections_per_client = Some(0);
        config.gateway.connection_timeout = 0;
        assert_eq!(
            keys(&config),
            [
                "gateway.maxConnections",
                "gateway.maxConnectionsPerClient",
                "gateway.connectionTimeout"
            ]
        );
    }

    #[test]
    fn collects_every_problem() {
        let mut c = Config::default();
        c.gateway.bind = Bind::Lan;
        c.gateway.auth.mode = AuthMode::None;
        c.gateway.auth.token = Some(Secret::new(""));
        c.gateway.auth.rate_limit.max_attempts = 0;
        c.gateway.tailscale.mode = TailscaleMode::Funnel;
        c.gateway.ssl.enabled = true;
        assert_eq!(
            keys(&c),
            [
                "gateway.auth.mode",
                "gateway.auth.token",
                "gateway.auth.rateLimit.maxAttempts",
                "gateway.tailscale.mode",
                "gateway.bind",
                "gateway.ssl.certPath",
                "gateway.ssl.keyPath",
            ]
        );
    }
}
