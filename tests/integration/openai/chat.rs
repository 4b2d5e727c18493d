//! Stateless `/v1/chat/completions`, as chat apps send it: the client's whole conversation, its
//! system message and its sampling settings reach the model (checked in the OpenAI and the
//! Anthropic wire formats), the client's tools are offered instead of the gateway's, and a
//! call of one comes back to the client, whose next request carries the result.

use serde_json::{json, Value};

use super::{gateway_for, post, sse_events};
use pincer_emulators::{Emulator, Reply};

/// The system prompt the model received.
fn system_of(body: &Value, anthropic: bool) -> String {
    if anthropic {
        body["system"].as_str().unwrap_or_default().to_string()
    } else {
        assert_eq!(body["messages"][0]["role"], "system", "{body}");
        body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// The conversation the model received, system prompt left out, as `role: text` lines.
fn turns_of(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] != "system")
        .map(|m| {
            let text = match &m["content"] {
                Value::String(text) => text.clone(),
                Value::Array(blocks) => blocks
                    .iter()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(""),
                _ => String::new(),
            };
            format!("{}: {text}", m["role"].as_str().unwrap_or_default())
        })
        .collect()
}

fn the_history_system_and_settings_reach_the_model(anthropic: bool) {
    let emulator = if anthropic {
        Emulator::anthropic()
    } else {
        Emulator::openai()
    };
    let gateway = gateway_for(&emulator, anthropic, "");
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({
            "model": "pincer",
            "messages": [
                { "role": "system", "content": "Speak like a pirate." },
                { "role": "user", "content": "My name is Ann." },
                { "role": "assistant", "content": "Ahoy, Ann." },
                { "role": "user", "content": [{ "type": "text", "text": "What is my name?" }] },
            ],
            "temperature": 0.25, "top_p": 0.5, "max_tokens": 77, "stop": "END",
        }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.body["choices"][0]["message"]["content"],
        "echo: What is my name?"
    );
    assert_eq!(response.body["choices"][0]["finish_reason"], "stop");
    assert!(
        response.body["usage"]["prompt_tokens"].as_u64() > Some(0),
        "{}",
        response.text
    );
    assert!(
        response.header("x-pincer-session-key").is_none(),
        "a stateless answer names no session"
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "one model call");
    let body = &requests[0].body;
    let system = system_of(body, anthropic);
    assert!(
        system.starts_with("You are Pincer") && system.ends_with("Speak like a pirate."),
        "the client's system message follows the gateway's prompt: {system:?}"
    );
    assert_eq!(
        turns_of(body),
        [
            "user: My name is Ann.",
            "assistant: Ahoy, Ann.",
            "user: What is my name?"
        ],
        "the client's history is the conversation: {body}"
    );
    assert_eq!(body["temperature"], 0.25, "{body}");
    assert_eq!(body["top_p"], 0.5, "{body}");
    if anthropic {
        assert_eq!(body["max_tokens"], 77, "{body}");
        assert_eq!(body["stop_sequences"], json!(["END"]), "{body}");
    } else {
        assert_eq!(body["max_completion_tokens"], 77, "{body}");
        assert_eq!(body["stop"], json!(["END"]), "{body}");
    }
    assert!(
        body.get("tools").is_none(),
        "a stateless request without tools is offered none of the gateway's: {body}"
    );
}

#[test]
fn openai_wire_the_history_system_and_settings_reach_the_model() {
    the_history_system_and_settings_reach_the_model(false);
}

#[test]
fn anthropic_wire_the_history_system_and_settings_reach_the_model() {
    the_history_system_and_settings_reach_the_model(true);
}

const WEATHER_TOOL: &str = r#"{ "type": "function", "function": { "name": "get_weather",
    "description": "Weather of a city",
    "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } } }"#;

fn a_client_tool_call_goes_to_the_client_and_its_result_comes_back(anthropic: bool) {
    let emulator = if anthropic {
        Emulator::anthropic()
    } else {
        Emulator::openai()
    };
    emulator.push(Reply::tool_call(
        "call_1",
        "get_weather",
        &["{\"city\":", "\"Paris\"}"],
    ));
    let gateway = gateway_for(&emulator, anthropic, "");
    let tool: Value = serde_json::from_str(WEATHER_TOOL).unwrap();
    let question = json!({ "role": "user", "content": "Weather in Paris?" });
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({ "messages": [question], "tools": [tool], "tool_choice": "required" }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let choice = &response.body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{}", response.text);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_1");
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris"}));
    let first = &emulator.requests()[0].body;
    let offered: Vec<&str> = first["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            t["name"]
                .as_str()
                .or(t["function"]["name"].as_str())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(offered, ["get_weather"], "only the client's tools: {first}");
    if anthropic {
        assert_eq!(first["tool_choice"], json!({"type": "any"}), "{first}");
    } else {
        assert_eq!(first["tool_choice"], "required", "{first}");
    }

    // The client ran the tool; its next request carries the result.
    let assistant = choice["message"].clone();
    let result = json!({ "role": "tool", "tool_call_id": "call_1", "content": "18C and sunny" });
    emulator.push(Reply::text(&["It is ", "18C."]));
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({ "messages": [question, assistant, result], "tools": [tool] }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.body["choices"][0]["message"]["content"],
        "It is 18C."
    );
    assert_eq!(response.body["choices"][0]["finish_reason"], "stop");
    let second = &emulator.requests()[1].body;
    let text = second.to_string();
    if anthropic {
        let blocks = &second["messages"][1]["content"];
        assert_eq!(blocks[0]["type"], "tool_use", "{second}");
        assert_eq!(blocks[0]["input"], json!({"city": "Paris"}), "{second}");
        let results = &second["messages"][2]["content"];
        assert_eq!(results[0]["type"], "tool_result", "{second}");
        assert_eq!(results[0]["tool_use_id"], "call_1", "{second}");
        assert_eq!(results[0]["content"], "18C and sunny", "{second}");
    } else {
        let messages = &second["messages"];
        assert_eq!(
            messages[2]["tool_calls"][0]["function"]["name"], "get_weather",
            "{second}"
        );
        assert_eq!(
            messages[3],
            json!({"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"}),
            "{second}"
        );
    }
    assert!(text.contains("Weather in Paris?"), "{text}");
}

#[test]
fn openai_wire_a_client_tool_call_round_trip() {
    a_client_tool_call_goes_to_the_client_and_its_result_comes_back(false);
}

#[test]
fn anthropic_wire_a_client_tool_call_round_trip() {
    a_client_tool_call_goes_to_the_client_and_its_result_comes_back(true);
}

#[test]
fn a_streamed_tool_call_and_usage_come_as_openai_streams_them() {
    let emulator = Emulator::openai();
    emulator.push(Reply::tool_call(
        "call_7",
        "get_weather",
        &["{\"city\":\"Rome\"}"],
    ));
    let gateway = gateway_for(&emulator, false, "");
    let tool: Value = serde_json::from_str(WEATHER_TOOL).unwrap();
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({
            "stream": true, "stream_options": { "include_usage": true },
            "messages": [{ "role": "user", "content": "Weather in Rome?" }], "tools": [tool],
        }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(
        response.text.trim_end().ends_with("data: [DONE]"),
        "{}",
        response.text
    );
    let events = sse_events(&response);
    assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
    let call = events
        .iter()
        .find_map(|e| e["choices"][0]["delta"]["tool_calls"].get(0))
        .unwrap_or_else(|| panic!("no tool call chunk in {}", response.text));
    assert_eq!(call["index"], 0);
    assert_eq!(call["id"], "call_7");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\":\"Rome\"}");
    let finish: Vec<&Value> = events
        .iter()
        .map(|e| &e["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("tool_calls")], "{}", response.text);
    let last = events.last().unwrap();
    assert_eq!(last["choices"], json!([]), "the usage chunk has no choices");
    assert!(last["usage"]["total_tokens"].as_u64() > Some(0), "{last}");

    // Without `include_usage`, no usage chunk.
    let response = post(
        &gateway,
        "/v1/chat/completions",
        &json!({ "stream": true, "messages": [{ "role": "user", "content": "hi" }] }),
    );
    let events = sse_events(&response);
    assert!(
        events.iter().all(|e| e.get("usage").is_none()),
        "{}",
        response.text
    );
    let text: String = events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "echo: hi");
}

#[test]
fn a_session_request_keeps_the_server_side_conversation_and_honours_the_settings() {
    let emulator = Emulator::openai();
    let gateway = gateway_for(&emulator, false, "");
    let bearer = format!("Bearer {}", gateway.token());
    let headers = [
        ("Authorization", bearer.as_str()),
        ("x-pincer-session-key", "agent:main:chat-app"),
    ];
    for text in ["first", "second"] {
        let response = crate::support::http_post(
            gateway.addr,
            "/v1/chat/completions",
            &headers,
            &json!({ "messages": [
                { "role": "system", "content": "ignored for a session" },
                { "role": "user", "content": "not sent again" },
                { "role": "assistant", "content": "nor this" },
                { "role": "user", "content": text },
            ], "temperature": 1.5 }),
        );
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(
            response.header("x-pincer-session-key"),
            Some("agent:main:chat-app")
        );
    }
    let body = &emulator.requests()[1].body;
    assert_eq!(
        turns_of(body),
        ["user: first", "assistant: echo: first", "user: second"],
        "the session's transcript, not the client's messages: {body}"
    );
    assert_eq!(body["temperature"], 1.5, "{body}");
}
