//! `pincer config suggest` and `pincer config template`: the seed's
//! `ConfigBestPractices.suggestPerformanceConfig` and `getSecureConfigTemplate`.
//!
//! Both print JSON5 that [`crate::config::parse_str`] accepts, written in Pincer's keys, so the
//! output can be pasted into `pincer.json5` (or saved as it). The secure template is
//! `config/secure-template.json5` (compiled in) with its placeholder password replaced by a fresh
//! random one; nothing here reads the user's config, so both work without one, or with a broken
//! one.

use super::error::OpsError;

/// The seed's hardened template, as shipped in `config/`.
const SECURE_TEMPLATE: &str = include_str!("../../config/secure-template.json5");
/// The every-key-with-its-default example, as shipped in `config/`.
pub(crate) const EXAMPLE_CONFIG: &str = include_str!("../../config/pincer.example.json5");
/// The template's placeholder password (a JSON5 string literal, quotes included).
const PASSWORD_PLACEHOLDER: &str = "\"generate-a-very-secure-password\"";
/// The template's comment asking for a password; replaced along with the placeholder.
const PASSWORD_COMMENT: &str =
    "// Placeholder: use a long, random passphrase (at least 12 characters).";
/// Length of generated passwords: 32 characters from 62 symbols, about 190 bits.
pub(crate) const GENERATED_PASSWORD_CHARS: usize = 32;
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The seed's performance settings for a personal machine or a production server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PerformanceSuggestion {
    pub production: bool,
    pub max_connections: u32,
    /// Milliseconds.
    pub request_timeout: u64,
    pub rate_limiting_enabled: bool,
    pub requests_per_minute: u32,
    pub burst_size: u32,
    pub max_concurrent_runs: u32,
    pub session_cache_size: u32,
    /// Megabytes.
    pub memory_limit: u64,
}

impl PerformanceSuggestion {
    /// The seed's values: `production` for a shared server, otherwise a personal machine.
    pub(crate) fn new(production: bool) -> Self {
        let pick = |server: u32, personal: u32| if production { server } else { personal };
        PerformanceSuggestion {
            production,
            max_connections: pick(100, 10),
            request_timeout: 30_000,
            rate_limiting_enabled: production,
            requests_per_minute: pick(1000, 100),
            burst_size: pick(100, 10),
            max_concurrent_runs: pick(5, 2),
            session_cache_size: pick(100, 10),
            memory_limit: u64::from(pick(1024, 512)),
        }
    }

    /// A commented JSON5 fragment in Pincer's keys.
    pub(crate) fn to_json5(self) -> String {
        let target = if self.production {
            "a production server"
        } else {
            "a personal machine"
        };
        format!(
            r#"// Suggested performance settings for {target} (the seed's suggestPerformanceConfig).
// Merge into pincer.json5; `pincer config validate` checks the result.
{{
  gateway: {{
    maxConnections: {max_connections},
    requestTimeout: {request_timeout}, // ms, non-streaming requests
    rateLimiting: {{
      enabled: {rate_limiting},
      requestsPerMinute: {requests_per_minute}, // per client address
      burstSize: {burst_size},
    }},
  }},
  agents: {{
    maxConcurrentRuns: {max_concurrent_runs},
    sessionCacheSize: {session_cache_size}, // live sessions kept in memory
    memoryLimit: {memory_limit}, // MB of RSS; the memory guard sheds load at 80%
  }},
}}
"#,
            max_connections = self.max_connections,
            request_timeout = self.request_timeout,
            rate_limiting = self.rate_limiting_enabled,
            requests_per_minute = self.requests_per_minute,
            burst_size = self.burst_size,
            max_concurrent_runs = self.max_concurrent_runs,
            session_cache_size = self.session_cache_size,
            memory_limit = self.memory_limit,
        )
    }
}

/// A random password of `length` letters and digits from the OS random source (unbiased:
/// bytes that would favour some symbols are drawn again).
pub(crate) fn generate_password(length: usize) -> Result<String, OpsError> {
    // 248 = 4 * 62: bytes below it map evenly onto the alphabet.
    const LIMIT: u8 = 248;
    let mut password = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while password.len() < length {
        getrandom::fill(&mut buffer).map_err(|e| OpsError::Random(e.to_string()))?;
        for byte in buffer.iter().filter(|&&b| b < LIMIT) {
            if password.len() == length {
                break;
            }
            password.push(char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]));
        }
    }
    Ok(password)
}

/// The secure template with `password` in place of the placeholder (and of the comment asking
/// for one), under a header saying so.
pub(crate) fn secure_template(password: &str) -> String {
    let body = SECURE_TEMPLATE
        .replacen(PASSWORD_PLACEHOLDER, &format!("\"{password}\""), 1)
        .replacen(
            PASSWORD_COMMENT,
            "// Generated: 32 random letters and digits.",
            1,
        );
    format!(
        "// Generated by `pincer config template --secure` ({}): the gateway password\n\
         // below is new and random. Keep this file private (chmod 600), or move the\n\
         // password to PINCER_GATEWAY_PASSWORD and delete it here.\n{body}",
        crate::clock::now_rfc3339()
    )
}

/// The secure template with a freshly generated password.
pub(crate) fn fresh_secure_template() -> Result<String, OpsError> {
    Ok(secure_template(&generate_password(
        GENERATED_PASSWORD_CHARS,
    )?))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{parse_str, validate, SandboxMode};

    #[test]
    fn suggestions_parse_into_the_seeds_values() {
        for production in [true, false] {
            let text = PerformanceSuggestion::new(production).to_json5();
            let config = parse_str(&text, Path::new("suggest.json5")).expect("parses");
            assert!(validate(&config).is_empty(), "{text}");
            let (gateway, agents) = (&config.gateway, &config.agents);
            let pick = |a: u32, b: u32| if production { a } else { b };
            assert_eq!(gateway.max_connections, pick(100, 10));
            assert_eq!(gateway.request_timeout, 30_000);
            assert_eq!(gateway.rate_limiting.enabled, production);
            assert_eq!(gateway.rate_limiting.requests_per_minute, pick(1000, 100));
            assert_eq!(gateway.rate_limiting.burst_size, pick(100, 10));
            assert_eq!(agents.max_concurrent_runs, pick(5, 2));
            assert_eq!(agents.session_cache_size, pick(100, 10));
            assert_eq!(agents.memory_limit, u64::from(pick(1024, 512)));
        }
    }

    #[test]
    fn generated_passwords_are_long_random_and_plain() {
        let first = generate_password(GENERATED_PASSWORD_CHARS).expect("random");
        let second = generate_password(GENERATED_PASSWORD_CHARS).expect("random");
        assert_eq!(first.chars().count(), 32);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, second);
        assert_eq!(generate_password(300).expect("random").len(), 300);
    }

    #[test]
    fn the_secure_template_parses_with_the_new_password() {
        assert!(
            SECURE_TEMPLATE.contains(PASSWORD_PLACEHOLDER),
            "config/secure-template.json5 lost its placeholder password"
        );
        let text = fresh_secure_template().expect("template");
        let config = parse_str(&text, Path::new("secure.json5")).expect("parses");
        assert!(validate(&config).is_empty());
        let password = config.gateway.auth.password.clone().expect("password");
        assert!(password.expose().len() >= 24);
        assert_ne!(password.expose(), "generate-a-very-secure-password");
        assert_eq!(config.agents.defaults.sandbox.mode, SandboxMode::NonMain);
        assert!(config.gateway.rate_limiting.enabled);
        let audit = crate::ops::audit::audit(&config, &Default::default());
        assert!(!audit.has_critical(), "{:?}", audit.findings);
    }

    #[test]
    fn the_example_parses() {
        parse_str(EXAMPLE_CONFIG, Path::new("example.json5")).expect("parses");
    }
}
