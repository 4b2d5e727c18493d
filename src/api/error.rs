//! The one error type of the operator API. Each failure has one code, and the same code goes out
//! on both transports: [`ApiError::status`] is the HTTP status the web adapter answers with, and
//! [`ApiError::code`] plus the message are the `error` object of both the HTTP body
//! (`{ok: false, error: {code, message}}`) and the WebSocket `res` frame.
//!
//! Where the two transports used to disagree, the better answer was kept: a store that cannot be
//! read or written is `STORE` (WS said `INTERNAL`), a send the channel could not make is
//! `SEND_FAILED` with 502 (WS said `UNAVAILABLE`), and a channel Pincer does not have is
//! `NOT_FOUND` (WS said `INVALID_REQUEST`).

use serde::{Deserialize, Serialize};

use crate::channels::pairing::PairingError;
use crate::sessions::store::StoreError;

/// Why an operator operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: a missing or empty parameter, a value of the wrong type.
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist: a session, a channel, an actor, a pairing code, a
    /// config key, a log file.
    #[error("{0}")]
    NotFound(String),
    /// `POST /admin/actors/{id}/panic` while `gateway.faultInjection` is off.
    #[error("fault injection is off; set gateway.faultInjection: true to allow it (never in production)")]
    FaultInjectionDisabled,
    /// The actor exists but is not running, so it cannot be made to panic.
    #[error("{0}")]
    NotRunning(String),
    /// The session store or the pairing store could not be read or written.
    #[error("{0}")]
    Store(String),
    /// The channel could not send the message (not enabled, unavailable, refused by the platform).
    #[error("{0}")]
    SendFailed(String),
    /// The request's file is over the limit for its kind (or the body over the largest file).
    #[error("{0}")]
    TooLarge(String),
    /// The gateway failed in a way the request could not cause (a blocking task died).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The wire code, the same on HTTP and WebSocket.
    pub const fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "INVALID_REQUEST",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::FaultInjectionDisabled => "FAULT_INJECTION_DISABLED",
            ApiError::NotRunning(_) => "NOT_RUNNING",
            ApiError::Store(_) => "STORE",
            ApiError::SendFailed(_) => "SEND_FAILED",
            ApiError::TooLarge(_) => "PAYLOAD_TOO_LARGE",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status the web adapter answers with (a number: this layer knows no HTTP crate).
    pub const fn status(&self) -> u16 {
        match self {
            ApiError::Invalid(_) => 400,
            ApiError::FaultInjectionDisabled => 403,
            ApiError::NotFound(_) => 404,
            ApiError::NotRunning(_) => 409,
            ApiError::TooLarge(_) => 413,
            ApiError::Store(_) | ApiError::Internal(_) => 500,
            ApiError::SendFailed(_) => 502,
        }
    }

    /// The `error` object both transports send.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }

    /// Every variant once, for the tests that check both adapters map each the same way.
    #[cfg(test)]
    pub fn examples() -> Vec<ApiError> {
        vec![
            ApiError::Invalid("bad".into()),
            ApiError::NotFound("none".into()),
            ApiError::FaultInjectionDisabled,
            ApiError::NotRunning("stopped".into()),
            ApiError::Store("disk".into()),
            ApiError::SendFailed("refused".into()),
            ApiError::TooLarge("big".into()),
            ApiError::Internal("died".into()),
        ]
    }
}

/// The `error` object of a refused operation, as both transports send it; the CLI reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// An HTTP answer that is an error: `{ok: false, error}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub ok: bool,
    pub error: ErrorBody,
}

impl From<&ApiError> for ErrorReply {
    fn from(error: &ApiError) -> Self {
        ErrorReply {
            ok: false,
            error: error.body(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::Store(error.to_string())
    }
}

impl From<PairingError> for ApiError {
    fn from(error: PairingError) -> Self {
        match error {
            PairingError::UnknownCode { .. } => ApiError::NotFound(error.to_string()),
            other => ApiError::Store(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_one_code_and_one_status() {
        let mapped: Vec<(&str, u16)> = ApiError::examples()
            .iter()
            .map(|e| (e.code(), e.status()))
            .collect();
        assert_eq!(
            mapped,
            [
                ("INVALID_REQUEST", 400),
                ("NOT_FOUND", 404),
                ("FAULT_INJECTION_DISABLED", 403),
                ("NOT_RUNNING", 409),
                ("STORE", 500),
                ("SEND_FAILED", 502),
                ("PAYLOAD_TOO_LARGE", 413),
                ("INTERNAL", 500),
            ]
        );
        let mut codes: Vec<&str> = mapped.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), mapped.len(), "a code names one failure");
    }

    #[test]
    fn the_body_carries_the_code_and_the_message() {
        let error = ApiError::NotFound("no session \"x\"".into());
        assert_eq!(
            serde_json::to_value(ErrorReply::from(&error)).unwrap(),
            serde_json::json!({ "ok": false,
                "error": { "code": "NOT_FOUND", "message": "no session \"x\"" } })
        );
    }

    #[test]
    fn store_failures_are_store_and_an_unknown_code_is_not_found() {
        let unknown = PairingError::UnknownCode {
            channel: "whatsapp".into(),
            code: "ZZ".into(),
        };
        assert_eq!(ApiError::from(unknown).code(), "NOT_FOUND");
        let corrupt = PairingError::Corrupt {
            path: "/x".into(),
            message: "bad".into(),
        };
        assert_eq!(ApiError::from(corrupt).code(), "STORE");
        let io = StoreError::Io {
            path: "/y".into(),
            source: std::io::Error::other("full"),
        };
        let error = ApiError::from(io);
        assert_eq!((error.code(), error.status()), ("STORE", 500));
        assert!(error.to_string().contains("/y"), "{error}");
    }
}
