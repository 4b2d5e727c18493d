//! The gateway protocol's frames (frame-compatible with OpenClaw's protocols v3 and v4): JSON text frames
//! of three types, `req` from clients, `res` and `event` from the gateway.
//!
//! ```text
//! {"type":"req","id":"1","method":"chat.send","params":{...}}
//! {"type":"res","id":"1","ok":true,"payload":{...}}
//! {"type":"res","id":"1","ok":false,"error":{"code":"INVALID_REQUEST","message":"..."}}
//! {"type":"event","event":"chat","payload":{...},"seq":7}
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

/// The newest protocol version Pincer speaks (OpenClaw's current one).
pub const PROTOCOL: u64 = 4;

/// The oldest protocol version Pincer still speaks, for older clients. Versions 3 and 4 share
/// the frames and the methods Pincer implements, so nothing else depends on the choice.
pub const OLDEST_PROTOCOL: u64 = 3;

/// The highest version both sides speak, given the client's `minProtocol..=maxProtocol`.
pub fn negotiate(min: u64, max: u64) -> Option<u64> {
    let top = max.min(PROTOCOL);
    (top >= min.max(OLDEST_PROTOCOL)).then_some(top)
}

/// A client request.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub method: String,
    #[serde(default)]
    pub params: Value,
}

/// Why a frame is not a request; the message goes back to the client.
pub fn parse_request(text: &str) -> Result<Request, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("invalid request frame: not JSON ({e})"))?;
    let request: Request = serde_json::from_value(value).map_err(|e| {
        format!("invalid request frame: {e} (expected {{type:\"req\", id, method, params}})")
    })?;
    if request.kind != "req" {
        return Err(format!(
            "invalid request frame: type {:?} (clients send \"req\")",
            request.kind
        ));
    }
    if request.id.is_empty() || request.id.len() > 128 {
        return Err("invalid request frame: id must be 1-128 characters".into());
    }
    Ok(request)
}

/// Error codes (the protocol's vocabulary).
pub mod code {
    pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    pub const AUTH_RATE_LIMITED: &str = "AUTH_RATE_LIMITED";
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const INTERNAL: &str = "INTERNAL";
    pub const PROTOCOL_MISMATCH: &str = "PROTOCOL_MISMATCH";
    /// Refused for a missing scope (`details.code: "MISSING_SCOPE"`).
    pub const FORBIDDEN: &str = crate::api::scopes::FORBIDDEN;
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorShape {
    pub code: &'static str,
    pub message: String,
    pub retryable: bool,
    pub retry_after_ms: Option<u64>,
    pub details: Option<Value>,
}

impl ErrorShape {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ErrorShape {
            code,
            message: message.into(),
            retryable: false,
            retry_after_ms: None,
            details: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ErrorShape::new(code::INVALID_REQUEST, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        ErrorShape {
            retryable: true,
            ..ErrorShape::new(code::UNAVAILABLE, message)
        }
    }

    /// The answer to a call the connection's scopes do not allow.
    pub fn missing_scope(refusal: &crate::api::scopes::MissingScope) -> Self {
        ErrorShape {
            details: Some(refusal.details()),
            ..ErrorShape::new(code::FORBIDDEN, refusal.to_string())
        }
    }

    fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if self.retryable {
            error["retryable"] = json!(true);
        }
        if let Some(ms) = self.retry_after_ms {
            error["retryAfterMs"] = json!(ms);
        }
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        error
    }
}

/// An operator-API failure, with the code it has over HTTP too.
impl From<crate::api::ApiError> for ErrorShape {
    fn from(error: crate::api::ApiError) -> Self {
        ErrorShape::new(error.code(), error.to_string())
    }
}

/// A `res` frame.
pub fn response(id: &str, result: &Result<Value, ErrorShape>) -> String {
    match result {
        Ok(payload) => json!({ "type": "res", "id": id, "ok": true, "payload": payload }),
        Err(error) => json!({ "type": "res", "id": id, "ok": false, "error": error.to_json() }),
    }
    .to_string()
}

/// An `event` frame from a pre-serialized payload (serialized once, sent to many clients).
pub fn event(name: &str, payload_json: &str, seq: u64) -> String {
    let mut frame = String::with_capacity(payload_json.len() + name.len() + 48);
    frame.push_str("{\"type\":\"event\",\"event\":");
    frame.push_str(&Value::from(name).to_string());
    frame.push_str(",\"payload\":");
    frame.push_str(payload_json);
    frame.push_str(",\"seq\":");
    frame.push_str(&seq.to_string());
    frame.push('}');
    frame
}

/// A string parameter, or an `INVALID_REQUEST` naming it.
pub fn string_param<'a>(params: &'a Value, name: &str) -> Result<&'a str, ErrorShape> {
    params[name]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ErrorShape::invalid(format!("params.{name} (a non-empty string) is required"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_bad_frames_are_explained() {
        let request = parse_request(r#"{"type":"req","id":"1","method":"health"}"#).unwrap();
        assert_eq!(request.method, "health");
        assert!(request.params.is_null());
        for bad in [
            "",
            "{",
            "[]",
            r#"{"type":"res","id":"1","method":"x"}"#,
            r#"{"type":"req","id":"","method":"x"}"#,
            r#"{"type":"req","method":"x"}"#,
        ] {
            let error = parse_request(bad).unwrap_err();
            assert!(error.starts_with("invalid request frame"), "{bad}: {error}");
        }
    }

    #[test]
    fn frames_are_valid_json() {
        let frame: Value = serde_json::from_str(&event("chat", r#"{"a":1}"#, 7)).unwrap();
        assert_eq!(
            frame,
            json!({"type":"event","event":"chat","payload":{"a":1},"seq":7})
        );
        let error = ErrorShape {
            retry_after_ms: Some(5),
            ..ErrorShape::unavailable("busy")
        };
        let frame: Value = serde_json::from_str(&response("9", &Err(error))).unwrap();
        assert_eq!(
            frame["error"],
            json!({"code":"UNAVAILABLE","message":"busy","retryable":true,"retryAfterMs":5})
        );
    }

    #[test]
    fn the_highest_common_version_is_chosen() {
        assert_eq!(negotiate(4, 4), Some(4));
        assert_eq!(negotiate(3, 4), Some(4));
        assert_eq!(negotiate(3, 3), Some(3));
        assert_eq!(negotiate(1, 9), Some(4));
        assert_eq!(negotiate(5, 6), None);
        assert_eq!(negotiate(1, 2), None);
        assert_eq!(negotiate(4, 3), None);
    }
}
