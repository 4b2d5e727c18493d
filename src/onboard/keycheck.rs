//! Trying an API key with one real, free request before it is written into the config.
//!
//! The request lists the provider's models (`GET /v1/models` with `x-api-key` for Anthropic,
//! `GET {baseUrl}/models` with a bearer key for OpenAI and compatible servers), which costs no
//! tokens. 401/403 means the key is wrong; any other failure (no network, a proxy, a server
//! without that endpoint) proves nothing either way and is only reported, so that onboarding works
//! offline.

use std::time::Duration;

use crate::config::ProviderApi;

/// The whole check gives up after this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What to try.
#[derive(Debug, Clone)]
pub(crate) struct KeyProbe {
    pub api: ProviderApi,
    pub base_url: String,
    pub key: Option<String>,
}

impl KeyProbe {
    /// The URL requested.
    pub(crate) fn url(&self) -> String {
        match self.api {
            ProviderApi::AnthropicMessages => format!("{}/v1/models", self.base_url),
            ProviderApi::OpenaiCompletions => format!("{}/models", self.base_url),
        }
    }
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// The provider answered 2xx: the key (or the keyless server) works.
    Accepted,
    /// 401 or 403: the provider refused the key; the text says what it answered.
    Rejected(String),
    /// Nothing could be concluded (network, other status); the text says why.
    Inconclusive(String),
}

/// Sends the probe's request and classifies the answer.
pub(crate) fn check(probe: &KeyProbe) -> KeyCheck {
    let runtime = match actix_web::rt::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return KeyCheck::Inconclusive(format!("no async runtime: {error}")),
    };
    runtime.block_on(request(probe))
}

async fn request(probe: &KeyProbe) -> KeyCheck {
    let client = match crate::net::http::builder("the key check")
        .timeout(TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(error) => return KeyCheck::Inconclusive(format!("no HTTP client: {error}")),
    };
    let url = probe.url();
    let mut request = client.get(&url);
    if let Some(key) = &probe.key {
        request = match probe.api {
            ProviderApi::AnthropicMessages => request
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01"),
            ProviderApi::OpenaiCompletions => request.bearer_auth(key),
        };
    }
    match request.send().await {
        Ok(response) => classify(response.status().as_u16(), &url),
        Err(error) => KeyCheck::Inconclusive(format!(
            "{url} could not be reached ({})",
            crate::net::http::error_chain(&error)
        )),
    }
}

/// The meaning of an HTTP status for a key check.
pub(crate) fn classify(status: u16, url: &str) -> KeyCheck {
    match status {
        200..=299 => KeyCheck::Accepted,
        401 | 403 => KeyCheck::Rejected(format!("{url} answered HTTP {status}")),
        other => KeyCheck::Inconclusive(format!("{url} answered HTTP {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_statuses() {
        let probe = KeyProbe {
            api: ProviderApi::AnthropicMessages,
            base_url: "https://api.anthropic.com".into(),
            key: None,
        };
        assert_eq!(probe.url(), "https://api.anthropic.com/v1/models");
        let probe = KeyProbe {
            api: ProviderApi::OpenaiCompletions,
            base_url: "http://127.0.0.1:11434/v1".into(),
            key: None,
        };
        assert_eq!(probe.url(), "http://127.0.0.1:11434/v1/models");
        assert_eq!(classify(200, "u"), KeyCheck::Accepted);
        assert!(matches!(classify(401, "u"), KeyCheck::Rejected(_)));
        assert!(matches!(classify(403, "u"), KeyCheck::Rejected(_)));
        assert!(matches!(classify(404, "u"), KeyCheck::Inconclusive(_)));
    }

    #[test]
    fn an_unreachable_server_is_inconclusive() {
        // Port 9 (discard) on loopback: nothing listens there in a test environment.
        let probe = KeyProbe {
            api: ProviderApi::OpenaiCompletions,
            base_url: "http://127.0.0.1:9/v1".into(),
            key: Some("k".into()),
        };
        assert!(matches!(check(&probe), KeyCheck::Inconclusive(_)));
    }
}
