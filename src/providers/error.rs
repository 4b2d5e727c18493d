//! Provider failures, classified so that the engine can decide: retry, cool down, fall back, or
//! give up.

use std::time::Duration;

/// The kind of failure, independent of the wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 429 (not quota): cool the provider down, honouring `Retry-After`, and fall back.
    RateLimited,
    /// 401/403: the key is wrong or revoked; cool down and fall back.
    Auth,
    /// Anthropic 529 or an `overloaded_error` event: retry with backoff, then fall back.
    Overloaded,
    /// Other 5xx: retry with backoff, then fall back.
    Server,
    /// OpenAI `insufficient_quota`: no retry; fall back.
    QuotaExhausted,
    /// The conversation does not fit the model's context: neither retry nor fall back.
    ContextOverflow,
    /// Any other 4xx: a bug or bad input; neither retry nor fall back.
    InvalidRequest,
    /// Connection refused, reset, DNS, or the stream was cut off: retry.
    Network,
    /// The stream sent nothing for the idle timeout: retry.
    StreamIdle,
    /// The provider sent something that is not its protocol: retry once it may be transient.
    Protocol,
    /// No such provider, or no API key: nothing to retry; the reply says how to configure one.
    NotConfigured,
}

/// A failed model call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{provider}: {message}{}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// Provider id (`anthropic`, `openai`, `ollama`, a custom id).
    pub provider: String,
    pub status: Option<u16>,
    pub message: String,
    /// From `retry-after-ms` / `retry-after` when the provider sent one.
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, provider: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            provider: provider.into(),
            status: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Worth trying the same provider again after a backoff.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Overloaded
                | ErrorKind::Server
                | ErrorKind::Network
                | ErrorKind::StreamIdle
                | ErrorKind::Protocol
        )
    }

    /// Puts the provider in cooldown (it will be skipped for a while).
    pub fn starts_cooldown(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Auth | ErrorKind::QuotaExhausted
        )
    }

    /// Worth trying the next model of the chain.
    pub fn allows_fallback(&self) -> bool {
        !matches!(
            self.kind,
            ErrorKind::ContextOverflow | ErrorKind::InvalidRequest
        )
    }
}
