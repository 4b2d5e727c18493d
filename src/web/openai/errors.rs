//! Errors of the OpenAI-compatible endpoints in OpenAI's shape,
//! `{"error":{"message","type","param","code"}}`, with the status an OpenAI client expects: 400
//! naming the field, 429 or 503 with `Retry-After` when asking again later may work, 502 when
//! the model chain failed for good.

use std::time::Duration;

use actix_web::http::header::RETRY_AFTER;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{json, Value};

use crate::sessions::RetryHint;

/// What a client is told when no better figure is known: the run has already retried with
/// backoff, so a few seconds is a fair first wait.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// An error answer, before it is rendered (the responses endpoint renders it into its own
/// `response.failed` event too).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<&'static str>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// A 400 naming the field at fault (`messages[2].role`, `temperature`).
    pub(crate) fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
            param: Some(param.into()),
            code: None,
            retry_after: None,
        }
    }

    /// A 400 about the body as a whole.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        ApiError {
            param: None,
            ..ApiError::invalid("", message)
        }
    }

    /// The gateway cannot take the request now (the session could not be reached).
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            // The gateway's word since before these endpoints spoke OpenAI's shape.
            kind: "unavailable",
            message: message.into(),
            param: None,
            code: Some("service_unavailable"),
            retry_after: Some(DEFAULT_RETRY_AFTER),
        }
    }

    /// A turn that failed: 429 when the chain is rate limited, 503 when it is overloaded or
    /// the gateway sheds load (both with `Retry-After`), else 502.
    pub(crate) fn failed(message: String, retryable: bool, retry: Option<RetryHint>) -> Self {
        match retry {
            Some(hint) if hint.rate_limited => ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                kind: "rate_limit_error",
                message,
                param: None,
                code: Some("rate_limit_exceeded"),
                retry_after: Some(hint.after.unwrap_or(DEFAULT_RETRY_AFTER)),
            },
            Some(hint) => ApiError {
                retry_after: Some(hint.after.unwrap_or(DEFAULT_RETRY_AFTER)),
                ..ApiError::unavailable(message)
            },
            None if retryable => ApiError::unavailable(message),
            None => ApiError {
                status: StatusCode::BAD_GATEWAY,
                kind: "api_error",
                message,
                param: None,
                code: Some("model_error"),
                retry_after: None,
            },
        }
    }

    /// The `error` object.
    pub(crate) fn body(&self) -> Value {
        json!({
            "message": self.message, "type": self.kind, "param": self.param, "code": self.code,
        })
    }

    pub(crate) fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(after) = self.retry_after {
            response.insert_header((RETRY_AFTER, after.as_secs().max(1).to_string()));
        }
        response.json(json!({ "error": self.body() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limited_chain_is_429_with_its_wait_and_an_overload_503() {
        let limited = ApiError::failed(
            "slow down".into(),
            true,
            Some(RetryHint {
                after: Some(Duration::from_secs(42)),
                rate_limited: true,
            }),
        );
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.retry_after, Some(Duration::from_secs(42)));
        let busy = ApiError::failed(
            "busy".into(),
            true,
            Some(RetryHint {
                after: None,
                rate_limited: false,
            }),
        );
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.retry_after, Some(DEFAULT_RETRY_AFTER));
        let broken = ApiError::failed("bad".into(), false, None);
        assert_eq!(broken.status, StatusCode::BAD_GATEWAY);
        assert_eq!(broken.retry_after, None);
        assert_eq!(
            ApiError::invalid("temperature", "too hot").body(),
            json!({"message": "too hot", "type": "invalid_request_error",
                   "param": "temperature", "code": null})
        );
    }
}
