//! The HTTP-client factory: one way to build a `reqwest` client, with the TLS provider installed
//! and the same defaults everywhere (a 10 s connect timeout), and one error that says what the
//! client was for.
//!
//! Callers keep their own settings (overall timeouts, pool lifetimes, resolvers, redirect policy)
//! through [`ClientBuilder::configure`]; what they cannot do is forget the provider.

use std::time::Duration;

/// How long any client waits for a TCP (and TLS) connection, unless its caller says otherwise.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client could not be built (in practice: the TLS backend failed to initialise).
#[derive(Debug, thiserror::Error)]
#[error("the HTTP client for {purpose} could not be created: {reason}")]
pub(crate) struct HttpClientError {
    /// What the client was for ("the channels", "the alert webhook"), for the operator.
    pub purpose: &'static str,
    /// The error and its causes.
    pub reason: String,
}

/// A client under construction; see [`builder`].
pub(crate) struct ClientBuilder {
    purpose: &'static str,
    inner: reqwest::ClientBuilder,
}

/// Starts a client for `purpose` (named in errors) with the shared defaults.
pub(crate) fn builder(purpose: &'static str) -> ClientBuilder {
    super::tls::install_default_provider();
    ClientBuilder {
        purpose,
        inner: reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT),
    }
}

impl ClientBuilder {
    /// Limits each whole request (connect, send, and reading the body).
    pub(crate) fn timeout(self, timeout: Duration) -> Self {
        self.configure(|b| b.timeout(timeout))
    }

    /// Closes pooled connections idle for longer than `idle`.
    pub(crate) fn pool_idle_timeout(self, idle: Duration) -> Self {
        self.configure(|b| b.pool_idle_timeout(idle))
    }

    /// Anything else reqwest offers (a resolver, a redirect policy, a pinned TLS config).
    pub(crate) fn configure(
        self,
        change: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Self {
        ClientBuilder {
            purpose: self.purpose,
            inner: change(self.inner),
        }
    }

    /// The client, or why it could not be made.
    pub(crate) fn build(self) -> Result<reqwest::Client, HttpClientError> {
        self.inner.build().map_err(|error| HttpClientError {
            purpose: self.purpose,
            reason: error_chain(&error),
        })
    }
}

/// `error` and its causes, joined with ": ", skipping a cause already quoted by its parent
/// (reqwest's errors hide the useful part, such as "connection refused", in their sources).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layered(&'static str, Option<Box<Layered>>);

    impl std::fmt::Display for Layered {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layered {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn the_chain_names_every_new_cause_once() {
        let error = Layered(
            "request failed: connect",
            Some(Box::new(Layered(
                "connect",
                Some(Box::new(Layered("connection refused", None))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "request failed: connect: connection refused"
        );
    }

    #[test]
    fn a_client_builds_with_the_provider_installed() {
        let client = builder("a test").timeout(Duration::from_secs(1)).build();
        assert!(client.is_ok(), "{:?}", client.err());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
