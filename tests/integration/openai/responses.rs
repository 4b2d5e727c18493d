//! `/v1/responses`: off by default; on, a string or item input with `instructions` reaches the
//! model, answers are stored and a `previous_response_id` continues from them (not one made
//! with `store: false`), the stream's events come in order with their sequence numbers, and a
//! client function tool comes back as a `function_call` item whose output a chained request
//! sends.

use serde_json::{json, Value};

use super::{post, sse_events};
use crate::support::agent::gateway_with;
use crate::support::Gateway;
use pincer_emulators::{Emulator, Reply};

fn responses_gateway(emulator: &Emulator) -> Gateway {
    responses_gateway_on(emulator, false)
}

/// With `anthropic`, the emulator speaks Anthropic's wire format.
fn responses_gateway_on(emulator: &Emulator, anthropic: bool) -> Gateway {
    let root = "gateway: { http: { endpoints: { responses: { enabled: true, maxStored: 10 } } } },";
    let (model, provider, api) = if anthropic {
        ("claude/m", "claude", "anthropic-messages")
    } else {
        ("gpt/m", "gpt", "openai-completions")
    };
    crate::support::agent::gateway_with_root(&[model], &[(provider, api, emulator)], "", root)
}

/// The `output_text` of a response object's message item.
fn output_text(response: &Value) -> String {
    response["output"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "message")
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(String::from))
        .collect()
}

#[test]
fn responses_are_off_unless_enabled_and_chat_completions_can_be_turned_off() {
    let emulator = Emulator::openai();
    let gateway = gateway_with(&["gpt/m"], &[("gpt", "openai-completions", &emulator)], "");
    let response = post(&gateway, "/v1/responses", &json!({ "input": "hi" }));
    assert_eq!(response.status, 404, "{}", response.text);
    assert!(
        response.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("gateway.http.endpoints.responses.enabled")),
        "{}",
        response.text
    );
    assert!(emulator.requests().is_empty());

    // And chat completions can be turned off the same way.
    let off = crate::support::agent::gateway_with_root(
        &["gpt/m"],
        &[("gpt", "openai-completions", &emulator)],
        "",
        "gateway: { http: { endpoints: { chatCompletions: { enabled: false } } } },",
    );
    let body = json!({ "messages": [{ "role": "user", "content": "hi" }] });
    let response = post(&off, "/v1/chat/completions", &body);
    assert_eq!(response.status, 404, "{}", response.text);
    assert!(emulator.requests().is_empty());
}

#[test]
fn answers_are_stored_and_previous_response_id_continues_from_them() {
    let emulator = Emulator::openai();
    let gateway = responses_gateway(&emulator);
    let first = post(
        &gateway,
        "/v1/responses",
        &json!({ "input": "My name is Ann.", "instructions": "Be a pirate.",
                 "temperature": 0.5, "max_output_tokens": 64 }),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["object"], "response");
    assert_eq!(first.body["status"], "completed");
    assert_eq!(output_text(&first.body), "echo: My name is Ann.");
    assert!(first.body["usage"]["total_tokens"].as_u64() > Some(0));
    let sent = &emulator.requests()[0].body;
    let system = sent["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(
        system.starts_with("You are Pincer") && system.ends_with("Be a pirate."),
        "{sent}"
    );
    assert_eq!(sent["temperature"], 0.5, "{sent}");
    assert_eq!(sent["max_completion_tokens"], 64, "{sent}");
    let id = first.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("resp_"), "{id}");
    let stored = gateway
        .state_dir()
        .join("responses")
        .join(format!("{id}.json"));
    assert!(
        stored.is_file(),
        "stored in the state directory: {stored:?}"
    );

    let second = post(
        &gateway,
        "/v1/responses",
        &json!({ "previous_response_id": id,
                 "input": [{ "type": "message", "role": "user",
                             "content": [{ "type": "input_text", "text": "What is my name?" }] }],
                 "store": false }),
    );
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["previous_response_id"], json!(id));
    let sent = &emulator.requests()[1].body;
    let turns: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(
        turns,
        [
            "My name is Ann.",
            "echo: My name is Ann.",
            "What is my name?"
        ],
        "the stored conversation comes first: {sent}"
    );
    let system = sent["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(
        !system.contains("pirate"),
        "instructions are not inherited, as in OpenAI's API: {system}"
    );

    // `store: false` left nothing to continue from.
    let unstored = second.body["id"].as_str().unwrap();
    let third = post(
        &gateway,
        "/v1/responses",
        &json!({ "previous_response_id": unstored, "input": "again" }),
    );
    assert_eq!(third.status, 404, "{}", third.text);
    assert_eq!(third.body["error"]["param"], "previous_response_id");
}

#[test]
fn a_streamed_response_sends_its_events_in_order() {
    let emulator = Emulator::openai();
    emulator.push(Reply::text(&["Hel", "lo"]));
    let gateway = responses_gateway(&emulator);
    let response = post(
        &gateway,
        "/v1/responses",
        &json!({ "input": "hi", "stream": true }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let events = sse_events(&response);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ],
        "{}",
        response.text
    );
    let numbers: Vec<u64> = events
        .iter()
        .filter_map(|e| e["sequence_number"].as_u64())
        .collect();
    assert_eq!(numbers, (0..events.len() as u64).collect::<Vec<_>>());
    for event in response.text.split("\n\n").filter(|e| !e.trim().is_empty()) {
        let kind = event.lines().next().unwrap_or_default();
        assert!(kind.starts_with("event: response."), "{event}");
    }
    let done = &events[6];
    assert_eq!(done["text"], "Hello");
    let completed = &events[9]["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(output_text(completed), "Hello");
    assert_eq!(events[0]["response"]["id"], completed["id"]);
}

fn a_client_function_call_comes_back_and_its_output_continues_the_turn(anthropic: bool) {
    let emulator = if anthropic {
        Emulator::anthropic()
    } else {
        Emulator::openai()
    };
    emulator.push(Reply::tool_call(
        "call_9",
        "get_weather",
        &["{\"city\":\"Oslo\"}"],
    ));
    emulator.push(Reply::text(&["Cold."]));
    let gateway = responses_gateway_on(&emulator, anthropic);
    let tools = json!([{ "type": "function", "name": "get_weather",
        "parameters": { "type": "object", "properties": { "city": { "type": "string" } } } }]);
    let first = post(
        &gateway,
        "/v1/responses",
        &json!({ "input": "Weather in Oslo?", "tools": tools }),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let call = &first.body["output"][0];
    assert_eq!(call["type"], "function_call", "{}", first.text);
    assert_eq!(call["call_id"], "call_9");
    assert_eq!(call["name"], "get_weather");
    assert_eq!(call["arguments"], "{\"city\":\"Oslo\"}");
    let offered = &emulator.requests()[0].body["tools"];
    let name = if anthropic {
        &offered[0]["name"]
    } else {
        &offered[0]["function"]["name"]
    };
    assert_eq!(name, "get_weather", "{offered}");
    assert_eq!(offered.as_array().map(Vec::len), Some(1), "{offered}");

    let second = post(
        &gateway,
        "/v1/responses",
        &json!({ "previous_response_id": first.body["id"], "tools": tools,
                 "input": [{ "type": "function_call_output", "call_id": "call_9",
                             "output": "-5C" }] }),
    );
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(output_text(&second.body), "Cold.");
    let messages = &emulator.requests()[1].body["messages"];
    if anthropic {
        assert_eq!(messages[1]["content"][0]["id"], "call_9", "{messages}");
        let result = &messages[2]["content"][0];
        assert_eq!(result["type"], "tool_result", "{messages}");
        assert_eq!(result["tool_use_id"], "call_9", "{messages}");
        assert_eq!(result["content"], "-5C", "{messages}");
    } else {
        assert_eq!(messages[2]["tool_calls"][0]["id"], "call_9", "{messages}");
        assert_eq!(
            messages[3],
            json!({ "role": "tool", "tool_call_id": "call_9", "content": "-5C" })
        );
    }
}

#[test]
fn openai_wire_a_client_function_call_round_trip() {
    a_client_function_call_comes_back_and_its_output_continues_the_turn(false);
}

#[test]
fn anthropic_wire_a_client_function_call_round_trip() {
    a_client_function_call_comes_back_and_its_output_continues_the_turn(true);
}
