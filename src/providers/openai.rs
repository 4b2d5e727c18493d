//! OpenAI Chat Completions over SSE, the protocol also spoken by Ollama, vLLM and llama.cpp.
//!
//! [`OpenAiClient::stream`] translates a [`ChatRequest`] into `POST {base_url}/chat/completions`
//! (`stream: true`, usage requested) and the SSE answer back into [`StreamEvent`]s. Tool calls
//! arrive as argument fragments per `index` (OpenAI) or whole in one chunk (Ollama); both are
//! joined and emitted once `finish_reason` (or `[DONE]`) says they are complete. Usage is held
//! back until `[DONE]` so that the stream keeps the documented order: text and tool calls, one
//! `Usage`, then `Finished`.

use std::collections::{BTreeMap, VecDeque};

use reqwest::header::{HeaderMap, ACCEPT};
use serde_json::{Map, Value};

use super::error::{ErrorKind, ProviderError};
use super::http_error::{self, ErrorBody};
use super::openai_body::Body;
use super::sse::{self, Decoder, SseEvent};
use super::types::{ChatRequest, EventStream, StopReason, StreamEvent, ToolCall, Usage};
use crate::config::Secret;

/// A configured OpenAI-compatible endpoint. Cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct OpenAiClient {
    /// The provider id errors are reported under (`openai`, `ollama`, a custom id).
    pub provider_id: String,
    /// Base URL including `/v1`, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; `None` for servers that need none (Ollama).
    pub api_key: Option<Secret>,
    /// Extra headers from `models.providers.<id>.headers`.
    pub headers: HeaderMap,
    pub http: reqwest::Client,
}

impl OpenAiClient {
    pub fn new(
        provider_id: impl Into<String>,
        base_url: impl Into<String>,
        api_key: Option<Secret>,
        headers: HeaderMap,
        http: reqwest::Client,
    ) -> Self {
        OpenAiClient {
            provider_id: provider_id.into(),
            base_url: base_url.into(),
            api_key,
            headers,
            http,
        }
    }

    /// Starts one model call. Failures before the first byte of the answer (no connection, a
    /// non-2xx status) are the `Err`; failures later arrive inside the stream.
    pub async fn stream(&self, request: &ChatRequest) -> Result<EventStream, ProviderError> {
        let url = format!("{}/chat/completions", self.base_url.trim_end_matches('/'));
        let mut builder = self
            .http
            .post(url)
            .header(ACCEPT, "text/event-stream")
            .json(&Body(request));
        if let Some(key) = self.api_key.as_ref().filter(|key| !key.is_empty()) {
            builder = builder.bearer_auth(key.expose());
        }
        let builder = builder.headers(self.headers.clone());
        let response = http_error::send(&self.provider_id, builder).await?;
        Ok(sse::event_stream(
            response,
            &self.provider_id,
            OpenAiDecoder::new(&self.provider_id),
        ))
    }
}

/// The JSON body for `request`, as a value (what [`OpenAiClient::stream`] sends, serialised
/// directly by `openai_body`).
pub fn request_body(request: &ChatRequest) -> Value {
    serde_json::to_value(Body(request)).unwrap_or(Value::Null)
}

/// A tool call whose arguments are still arriving.
#[derive(Debug, Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

/// Turns Chat Completions chunks into [`StreamEvent`]s.
pub struct OpenAiDecoder {
    provider: String,
    /// By the `index` the server gave each call.
    calls: BTreeMap<u64, PendingCall>,
    /// Tool calls were emitted (decides the stop reason when the server did not say).
    emitted_calls: bool,
    finish: Option<StopReason>,
    usage: Option<Usage>,
}

impl OpenAiDecoder {
    /// A decoder for one answer stream of `provider` (also the fuzzers' entry point).
    pub fn new(provider: &str) -> Self {
        OpenAiDecoder {
            provider: provider.to_string(),
            calls: BTreeMap::new(),
            emitted_calls: false,
            finish: None,
            usage: None,
        }
    }

    fn protocol(&self, message: String) -> ProviderError {
        ProviderError::new(ErrorKind::Protocol, &self.provider, message)
    }

    /// Adds the `tool_calls` fragments of one delta.
    fn add_fragments(&mut self, fragments: &[Value]) {
        for (position, fragment) in fragments.iter().enumerate() {
            let index = fragment
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            let call = self.calls.entry(index).or_default();
            if let Some(id) = fragment.get("id").and_then(Value::as_str) {
                if !id.is_empty() {
                    call.id = id.to_string();
                }
            }
            let function = fragment.get("function");
            if let Some(name) = function.and_then(|f| f.get("name")).and_then(Value::as_str) {
                if call.name.is_empty() {
                    call.name = name.to_string();
                }
            }
            match function.and_then(|f| f.get("arguments")) {
                Some(Value::String(piece)) => call.arguments.push_str(piece),
                // Some compatible servers send the arguments as an object.
                Some(value @ Value::Object(_)) => call.arguments.push_str(&value.to_string()),
                _ => {}
            }
        }
    }

    /// Emits the completed tool calls, in index order.
    fn flush_calls(&mut self, out: &mut VecDeque<StreamEvent>) -> Result<(), ProviderError> {
        for (index, call) in std::mem::take(&mut self.calls) {
            if call.name.is_empty() {
                return Err(self.protocol(format!("tool call #{index} has no function name")));
            }
            let arguments = if call.arguments.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_json::from_str(&call.arguments).map_err(|error| {
                    self.protocol(format!(
                        "the arguments of tool call `{}` are not valid JSON ({error}): {}",
                        call.name, call.arguments
                    ))
                })?
            };
            let id = if call.id.is_empty() {
                format!("call_{index}")
            } else {
                call.id
            };
            out.push_back(StreamEvent::ToolCall(ToolCall {
                id,
                name: call.name,
                arguments,
            }));
            self.emitted_calls = true;
        }
        Ok(())
    }

    fn chunk(
        &mut self,
        chunk: &Value,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<(), ProviderError> {
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            let count = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
            self.usage = Some(Usage {
                input_tokens: count("prompt_tokens"),
                output_tokens: count("completion_tokens"),
            });
        }
        // One choice is requested (no `n`), so only the first one matters.
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(());
        };
        if let Some(delta) = choice.get("delta") {
            if let Some(text) = delta.get("content").and_then(Value::as_str) {
                if !text.is_empty() {
                    out.push_back(StreamEvent::Text(text.to_string()));
                }
            }
            if let Some(fragments) = delta.get("tool_calls").and_then(Value::as_array) {
                self.add_fragments(fragments);
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.flush_calls(out)?;
            self.finish = Some(self.stop_reason(reason));
        }
        Ok(())
    }

    fn stop_reason(&self, reason: &str) -> StopReason {
        match reason {
            // Some compatible servers say `stop` after tool calls; the calls still need running.
            "stop" if self.emitted_calls => StopReason::ToolUse,
            "stop" => StopReason::EndTurn,
            "tool_calls" | "function_call" => StopReason::ToolUse,
            "length" => StopReason::MaxTokens,
            other => StopReason::Other(other.to_string()),
        }
    }
}

impl Decoder for OpenAiDecoder {
    fn decode(
        &mut self,
        event: SseEvent,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<bool, ProviderError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.flush_calls(out)?;
            if let Some(usage) = self.usage.take() {
                out.push_back(StreamEvent::Usage(usage));
            }
            let reason = match self.finish.take() {
                Some(reason) => reason,
                None if self.emitted_calls => StopReason::ToolUse,
                None => StopReason::EndTurn,
            };
            out.push_back(StreamEvent::Finished(reason));
            return Ok(true);
        }
        if data.is_empty() {
            return Ok(false);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|error| {
            self.protocol(format!("a stream chunk is not JSON ({error}): {data}"))
        })?;
        if let Some(body) = ErrorBody::from_value(&chunk) {
            return Err(http_error::from_event(&self.provider, &body));
        }
        self.chunk(&chunk, out)?;
        Ok(false)
    }

    fn cut_off(&self) -> ProviderError {
        ProviderError::new(
            ErrorKind::Network,
            &self.provider,
            "the answer stream ended before `data: [DONE]`",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::types::{ChatMessage, ToolSpec};
    use serde_json::json;

    fn decode_all(datas: &[&str]) -> (Vec<StreamEvent>, Result<bool, ProviderError>) {
        let mut decoder = OpenAiDecoder::new("openai");
        let mut out = VecDeque::new();
        let mut last = Ok(false);
        for data in datas {
            last = decoder.decode(
                SseEvent {
                    event: None,
                    data: data.to_string(),
                },
                &mut out,
            );
            if !matches!(last, Ok(false)) {
                break;
            }
        }
        (out.into_iter().collect(), last)
    }

    #[test]
    fn the_request_maps_tool_calls_tool_results_and_tools() {
        let request = ChatRequest {
            model: "gpt-4o-mini".into(),
            system: Some("Be brief.".into()),
            history: Default::default(),
            messages: vec![
                ChatMessage::User {
                    content: "Weather in Paris?".into(),
                    images: Vec::new(),
                },
                ChatMessage::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "call_abc".into(),
                        name: "get_weather".into(),
                        arguments: json!({"city": "Paris"}),
                    }],
                },
                ChatMessage::Tool {
                    call_id: "call_abc".into(),
                    name: "get_weather".into(),
                    content: "18C".into(),
                    is_error: false,
                },
            ],
            tools: vec![ToolSpec {
                name: "get_weather".into(),
                description: "Weather".into(),
                parameters: json!({"type": "object"}),
            }]
            .into(),
            max_tokens: 1024,
            sampling: Default::default(),
        };
        let body = request_body(&request);
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["max_completion_tokens"], 1024);
        assert_eq!(
            body["messages"][0],
            json!({"role":"system","content":"Be brief."})
        );
        let call = &body["messages"][2];
        assert_eq!(call["content"], Value::Null);
        assert_eq!(
            call["tool_calls"][0]["function"]["arguments"],
            "{\"city\":\"Paris\"}"
        );
        assert_eq!(
            body["messages"][3],
            json!({"role":"tool","tool_call_id":"call_abc","content":"18C"})
        );
        assert_eq!(body["tools"][0]["type"], "function");
        assert_eq!(body["tools"][0]["function"]["parameters"]["type"], "object");
    }

    #[test]
    fn the_sampling_settings_map_to_openai_fields_and_a_choice_needs_tools() {
        use crate::providers::{Sampling, ToolChoice};
        let mut request = ChatRequest {
            model: "m".into(),
            system: None,
            history: Default::default(),
            messages: vec![ChatMessage::User {
                content: "hi".into(),
                images: Vec::new(),
            }],
            tools: Vec::new().into(),
            max_tokens: 9,
            sampling: Sampling {
                temperature: Some(1.5),
                top_p: Some(0.5),
                stop: vec!["END".into()],
                tool_choice: Some(ToolChoice::Function("f".into())),
            },
        };
        let body = request_body(&request);
        assert_eq!(body["temperature"], 1.5);
        assert_eq!(body["top_p"], 0.5);
        assert_eq!(body["stop"], json!(["END"]));
        assert!(
            body.get("tool_choice").is_none(),
            "no tools, no choice: {body}"
        );
        request.tools = vec![ToolSpec {
            name: "f".into(),
            description: String::new(),
            parameters: json!({"type": "object"}),
        }]
        .into();
        let body = request_body(&request);
        assert_eq!(
            body["tool_choice"],
            json!({"type": "function", "function": {"name": "f"}})
        );
        request.sampling = Sampling::default();
        let body = request_body(&request);
        for field in ["temperature", "top_p", "stop", "tool_choice"] {
            assert!(body.get(field).is_none(), "{field} unset: {body}");
        }
    }

    #[test]
    fn fragments_join_per_index_and_parallel_calls_keep_their_order() {
        let (events, end) = decode_all(&[
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}},{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":""}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"y\":"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\""}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}},{"index":1,"function":{"arguments":"2}"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
            "[DONE]",
        ]);
        assert_eq!(end, Ok(true));
        assert_eq!(
            events,
            vec![
                StreamEvent::ToolCall(ToolCall {
                    id: "a".into(),
                    name: "f".into(),
                    arguments: json!({"x": 1})
                }),
                StreamEvent::ToolCall(ToolCall {
                    id: "b".into(),
                    name: "g".into(),
                    arguments: json!({"y": 2})
                }),
                StreamEvent::Usage(Usage {
                    input_tokens: 5,
                    output_tokens: 7
                }),
                StreamEvent::Finished(StopReason::ToolUse),
            ]
        );
    }

    #[test]
    fn empty_arguments_are_an_empty_object_and_broken_ones_a_protocol_error() {
        let start = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}"#;
        let (events, _) = decode_all(&[start, "[DONE]"]);
        assert_eq!(
            events[0],
            StreamEvent::ToolCall(ToolCall {
                id: "a".into(),
                name: "f".into(),
                arguments: json!({})
            })
        );
        let broken = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]},"finish_reason":"tool_calls"}]}"#;
        let (_, end) = decode_all(&[start, broken]);
        let error = end.expect_err("broken arguments");
        assert_eq!(error.kind, ErrorKind::Protocol);
        assert!(error.message.contains("not valid JSON"), "{error}");
    }

    #[test]
    fn stop_reasons_map_and_mid_stream_errors_are_classified() {
        let finish = |reason: &str| {
            let chunk =
                format!(r#"{{"choices":[{{"index":0,"delta":{{}},"finish_reason":"{reason}"}}]}}"#);
            let (events, _) = decode_all(&[&chunk, "[DONE]"]);
            events.last().cloned()
        };
        assert_eq!(
            finish("stop"),
            Some(StreamEvent::Finished(StopReason::EndTurn))
        );
        assert_eq!(
            finish("length"),
            Some(StreamEvent::Finished(StopReason::MaxTokens))
        );
        assert_eq!(
            finish("content_filter"),
            Some(StreamEvent::Finished(StopReason::Other(
                "content_filter".into()
            )))
        );
        let (events, end) = decode_all(&[
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"error":{"message":"The server had an error","type":"server_error","code":null}}"#,
        ]);
        assert_eq!(events, vec![StreamEvent::Text("Hi".into())]);
        assert_eq!(end.expect_err("error event").kind, ErrorKind::Server);
        let (_, end) = decode_all(&["not json"]);
        assert_eq!(end.expect_err("garbage").kind, ErrorKind::Protocol);
    }
}
