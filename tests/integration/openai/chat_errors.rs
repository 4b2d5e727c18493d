//! `/v1/chat/completions` errors in OpenAI's shape: 400 naming the field, 401 from the auth
//! layer, 429 with `Retry-After` when the model chain is rate limited, 503 with `Retry-After`
//! when it is overloaded or the gateway sheds load.

use serde_json::{json, Value};

use super::{gateway_for, post};
use crate::support::{http_post, Response};
use pincer_emulators::{Emulator, Reply};

/// Checks OpenAI's error shape and returns the error object.
fn openai_error(response: &Response, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.text);
    let error = response.body["error"].clone();
    for field in ["message", "type", "param", "code"] {
        assert!(
            error.get(field).is_some(),
            "no {field} in {}",
            response.text
        );
    }
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

#[test]
fn bad_values_are_400_naming_the_field() {
    let emulator = Emulator::openai();
    let gateway = gateway_for(&emulator, false, "");
    let user = json!({ "role": "user", "content": "hi" });
    let cases = [
        (
            json!({ "messages": [user], "temperature": 3 }),
            "temperature",
        ),
        (json!({ "messages": [user], "top_p": -1 }), "top_p"),
        (json!({ "messages": [user], "max_tokens": 0 }), "max_tokens"),
        (json!({ "messages": [user], "stop": 7 }), "stop"),
        (
            json!({ "messages": [{ "role": "wizard", "content": "hi" }] }),
            "messages[0].role",
        ),
        (
            json!({ "messages": [user], "tools": [{ "type": "function", "function": {} }] }),
            "tools[0].function.name",
        ),
        (
            json!({ "messages": [user, { "role": "tool", "tool_call_id": "nope", "content": "x" }] }),
            "messages[1].tool_call_id",
        ),
        (
            json!({ "messages": [user, { "role": "assistant", "content": "done" }] }),
            "messages",
        ),
    ];
    for (body, param) in cases {
        let response = post(&gateway, "/v1/chat/completions", &body);
        let error = openai_error(&response, 400);
        assert_eq!(error["param"], param, "for {body}: {}", response.text);
        assert_eq!(error["type"], "invalid_request_error");
    }
    assert!(
        emulator.requests().is_empty(),
        "no refused request reached the model"
    );
}

#[test]
fn a_missing_or_bad_token_is_401_in_openai_shape() {
    let emulator = Emulator::openai();
    let gateway = gateway_for(&emulator, false, "");
    let body = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    for headers in [vec![], vec![("Authorization", "Bearer wrong")]] {
        let response = http_post(gateway.addr, "/v1/chat/completions", &headers, &body);
        let error = openai_error(&response, 401);
        assert_eq!(error["type"], "authentication_error", "{}", response.text);
    }
}

#[test]
fn a_rate_limited_chain_is_429_with_retry_after() {
    let emulator = Emulator::openai();
    emulator.push(Reply::rate_limited(7));
    let gateway = gateway_for(&emulator, false, ", maxAttempts: 1");
    let body = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    let response = post(&gateway, "/v1/chat/completions", &body);
    let error = openai_error(&response, 429);
    assert_eq!(error["type"], "rate_limit_error");
    let wait: u64 = response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in {:?}", response.headers));
    assert!((1..=7).contains(&wait), "the provider's wait: {wait}");
}

#[test]
fn an_overloaded_chain_is_503_with_retry_after() {
    let emulator = Emulator::openai();
    for _ in 0..3 {
        emulator.push(Reply::status(503));
    }
    let gateway = gateway_for(&emulator, false, ", maxAttempts: 1");
    // Streamed or not: the turn fails before anything streams, so the status says it.
    let body = json!({ "stream": true, "messages": [{ "role": "user", "content": "hi" }] });
    let response = post(&gateway, "/v1/chat/completions", &body);
    let error = openai_error(&response, 503);
    assert_eq!(error["type"], "unavailable", "{}", response.text);
    assert!(
        response
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 1),
        "{:?}",
        response.headers
    );
    for _ in 0..3 {
        emulator.push(Reply::status(503));
    }
    let body = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    let response = post(&gateway, "/v1/chat/completions", &body);
    openai_error(&response, 503);
    assert!(
        response
            .header("retry-after")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|s| s >= 1),
        "{:?}",
        response.headers
    );
}
