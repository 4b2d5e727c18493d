//! Classifying provider failures: an HTTP error response, or an error event in the middle of a
//! stream, becomes a [`ProviderError`] whose [`ErrorKind`] drives retry, cooldown and fallback.
//!
//! OpenAI (`{"error":{"message","type","code"}}`), Anthropic
//! (`{"type":"error","error":{"type","message"}}`) and Ollama's native API (`{"error":"..."}`)
//! all fit [`ErrorBody`], so one classifier serves both clients. `Retry-After` hints come from
//! `retry-after-ms`, then `retry-after` (seconds or an HTTP date). [`send`] is the one place both
//! clients send a request, so every failure before the stream starts is classified the same way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{ErrorKind, ProviderError};
use crate::net::http::error_chain;

/// Longest error body kept in a message; error pages from proxies can be whole HTML documents.
const MAX_MESSAGE_CHARS: usize = 400;

/// The useful parts of an error payload, whatever the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    /// `error.message` (or the raw body when it is not JSON).
    pub message: String,
    /// `error.type` (`rate_limit_error`, `insufficient_quota`, `overloaded_error`, ...).
    pub error_type: Option<String>,
    /// `error.code` (OpenAI: `insufficient_quota`, `context_length_exceeded`, ...).
    pub code: Option<String>,
}

impl ErrorBody {
    /// Reads an error payload; a body that is not a known shape is kept (shortened) as the message.
    pub(crate) fn parse(text: &str) -> ErrorBody {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => ErrorBody::from_value(&value).unwrap_or_else(|| ErrorBody::raw(text)),
            Err(_) => ErrorBody::raw(text),
        }
    }

    /// The error inside a JSON value with an `error` key, `None` if there is none.
    pub(crate) fn from_value(value: &Value) -> Option<ErrorBody> {
        let error = value.get("error")?;
        if let Some(message) = error.as_str() {
            return Some(ErrorBody {
                message: shorten(message),
                ..ErrorBody::default()
            });
        }
        let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_string);
        let code = match error.get("code") {
            Some(Value::String(code)) => Some(code.clone()),
            Some(Value::Number(code)) => Some(code.to_string()),
            _ => None,
        };
        Some(ErrorBody {
            message: shorten(&text("message").unwrap_or_default()),
            error_type: text("type"),
            code,
        })
    }

    fn raw(text: &str) -> ErrorBody {
        ErrorBody {
            message: shorten(text.trim()),
            ..ErrorBody::default()
        }
    }

    fn is(&self, name: &str) -> bool {
        self.error_type.as_deref() == Some(name) || self.code.as_deref() == Some(name)
    }

    fn is_any(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.is(name))
    }

    /// The message with the type in front, e.g. `rate_limit_error: Number of requests ...`.
    fn describe(&self) -> String {
        match (&self.error_type, self.message.is_empty()) {
            (Some(kind), false) => format!("{kind}: {}", self.message),
            (Some(kind), true) => kind.clone(),
            (None, false) => self.message.clone(),
            (None, true) => "no error message".to_string(),
        }
    }

    /// The wording providers use for a conversation that does not fit the context window.
    fn is_context_overflow(&self) -> bool {
        if self.is("context_length_exceeded") {
            return true;
        }
        let message = self.message.to_ascii_lowercase();
        [
            "prompt is too long",
            "context length",
            "context_length",
            "context window",
            "maximum context",
            "context size",
            "exceed context limit",
            "too many tokens",
        ]
        .iter()
        .any(|phrase| message.contains(phrase))
    }
}

/// The kind of an error: by HTTP status when there is one (`None` for an error event inside a
/// stream that had already answered 200), refined by the payload.
pub(crate) fn classify(status: Option<u16>, body: &ErrorBody) -> ErrorKind {
    if body.is("insufficient_quota") {
        return ErrorKind::QuotaExhausted;
    }
    match status {
        Some(429) => ErrorKind::RateLimited,
        Some(401 | 403) => ErrorKind::Auth,
        Some(529) => ErrorKind::Overloaded,
        Some(413) => ErrorKind::ContextOverflow,
        Some(400 | 422) if body.is_context_overflow() => ErrorKind::ContextOverflow,
        // The official SDKs retry request timeouts and conflicts like server errors.
        Some(408 | 409) => ErrorKind::Server,
        Some(code) if code >= 500 && body.is("overloaded_error") => ErrorKind::Overloaded,
        Some(code) if code >= 500 => ErrorKind::Server,
        Some(_) => ErrorKind::InvalidRequest,
        None => classify_event(body),
    }
}

/// The kind of a mid-stream error, which has only its type and message to go by.
fn classify_event(body: &ErrorBody) -> ErrorKind {
    if body.is_context_overflow() {
        ErrorKind::ContextOverflow
    } else if body.is("overloaded_error") {
        ErrorKind::Overloaded
    } else if body.is_any(&[
        "rate_limit_error",
        "rate_limit_exceeded",
        "requests",
        "tokens",
    ]) {
        ErrorKind::RateLimited
    } else if body.is_any(&[
        "authentication_error",
        "permission_error",
        "invalid_api_key",
    ]) {
        ErrorKind::Auth
    } else if body.is_any(&["invalid_request_error", "not_found_error"]) {
        ErrorKind::InvalidRequest
    } else if body.is("request_too_large") {
        ErrorKind::ContextOverflow
    } else {
        // `api_error`, `server_error` or nothing: a failure on the provider's side.
        ErrorKind::Server
    }
}

/// The error for a non-2xx response: `status`, its headers and body text.
pub(crate) fn from_response(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    text: &str,
) -> ProviderError {
    let body = ErrorBody::parse(text);
    ProviderError {
        kind: classify(Some(status), &body),
        provider: provider.to_string(),
        status: Some(status),
        message: body.describe(),
        retry_after: retry_after(headers, SystemTime::now()),
    }
}

/// Longest error body read; the rest is not worth waiting for.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Sends a streaming request. `Ok` is a 2xx response whose body is the event stream; anything
/// else (no connection, a non-2xx status, a JSON body where events were expected) is classified.
pub(crate) async fn send(
    provider: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProviderError> {
    let response = request.send().await.map_err(|error| {
        ProviderError::new(
            ErrorKind::Network,
            provider,
            format!("request failed: {}", error_chain(&error)),
        )
    })?;
    let status = response.status().as_u16();
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if response.status().is_success() && !is_json {
        return Ok(response);
    }
    let headers = response.headers().clone();
    let text = read_capped(response).await;
    if !(200..300).contains(&status) {
        return Err(from_response(provider, status, &headers, &text));
    }
    // A 2xx JSON body: a server that ignored `stream: true`, or an error in a 200.
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|value| ErrorBody::from_value(&value));
    Err(match error {
        Some(body) => ProviderError {
            status: Some(status),
            ..from_event(provider, &body)
        },
        None => ProviderError {
            status: Some(status),
            ..ProviderError::new(
                ErrorKind::Protocol,
                provider,
                "expected an event stream (`stream: true`) but got a JSON document",
            )
        },
    })
}

/// The body as text, at most [`MAX_ERROR_BODY_BYTES`] of it; a broken body yields what arrived.
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ERROR_BODY_BYTES {
            bytes.truncate(MAX_ERROR_BODY_BYTES);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The error for an error event inside a stream.
pub(crate) fn from_event(provider: &str, body: &ErrorBody) -> ProviderError {
    ProviderError::new(
        classify(None, body),
        provider,
        format!("error in the answer stream: {}", body.describe()),
    )
}

/// The wait the provider asked for: `retry-after-ms`, else `retry-after` in seconds or as an
/// HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only HTTP-date form servers
/// still send.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    let (_, rest) = text.split_once(", ")?;
    let mut parts = rest.split_whitespace();
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    let days = crate::clock::days_from_civil(year, month, day as i64);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn kind(status: Option<u16>, body: &str) -> ErrorKind {
        classify(status, &ErrorBody::parse(body))
    }

    #[test]
    fn statuses_and_payloads_classify() {
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let rate = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        let overflow = r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208000 tokens > 200000 maximum"}}"#;
        let openai_overflow = r#"{"error":{"message":"too long","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        assert_eq!(kind(Some(429), quota), ErrorKind::QuotaExhausted);
        assert_eq!(kind(Some(429), rate), ErrorKind::RateLimited);
        assert_eq!(kind(Some(401), "{}"), ErrorKind::Auth);
        assert_eq!(kind(Some(403), "nope"), ErrorKind::Auth);
        assert_eq!(kind(Some(529), "{}"), ErrorKind::Overloaded);
        assert_eq!(kind(Some(500), "<html>"), ErrorKind::Server);
        assert_eq!(kind(Some(400), overflow), ErrorKind::ContextOverflow);
        assert_eq!(kind(Some(400), openai_overflow), ErrorKind::ContextOverflow);
        assert_eq!(kind(Some(400), rate), ErrorKind::InvalidRequest);
        assert_eq!(kind(Some(404), "{}"), ErrorKind::InvalidRequest);
        let overloaded =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(kind(None, overloaded), ErrorKind::Overloaded);
        assert_eq!(
            kind(None, r#"{"error":{"message":"boom"}}"#),
            ErrorKind::Server
        );
        assert_eq!(
            kind(None, r#"{"error":"model not found"}"#),
            ErrorKind::Server
        );
    }

    #[test]
    fn messages_name_the_type_and_are_bounded() {
        let body =
            ErrorBody::parse(r#"{"error":{"type":"rate_limit_error","message":"slow down"}}"#);
        assert_eq!(body.describe(), "rate_limit_error: slow down");
        let long = "x".repeat(5000);
        assert!(ErrorBody::parse(&long).message.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn retry_after_prefers_milliseconds_then_seconds_then_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            retry_after(&headers, now),
            Some(Duration::from_millis(1500))
        );
        headers.remove("retry-after-ms");
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Sun, 06 Nov 1994 08:50:07 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn http_dates_parse_to_the_right_instant() {
        let at = parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at, Some(UNIX_EPOCH));
        let at = parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT").expect("parses");
        assert_eq!(
            at.duration_since(UNIX_EPOCH).ok(),
            Some(Duration::from_secs(1_835_438_400))
        );
        assert_eq!(parse_http_date("Tue, 29 Foo 2028 12:00:00 GMT"), None);
    }
}
