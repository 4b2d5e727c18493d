//! `gateway.http`: the OpenAI-compatible HTTP endpoints, each switched on or off, under
//! OpenClaw's key names (`gateway.http.endpoints.chatCompletions.enabled`,
//! `gateway.http.endpoints.responses.enabled`).

use serde::{Deserialize, Serialize};

/// `gateway.http`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct HttpConfig {
    pub endpoints: Endpoints,
}

/// `gateway.http.endpoints`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Endpoints {
    pub chat_completions: ChatCompletionsEndpoint,
    pub responses: ResponsesEndpoint,
}

/// `gateway.http.endpoints.chatCompletions`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ChatCompletionsEndpoint {
    /// Default true (unlike OpenClaw, where it is off): `POST /v1/chat/completions` has always
    /// been Pincer's own API, and it needs the bearer credential like every other route.
    pub enabled: bool,
}

impl Default for ChatCompletionsEndpoint {
    fn default() -> Self {
        ChatCompletionsEndpoint { enabled: true }
    }
}

/// `gateway.http.endpoints.responses`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ResponsesEndpoint {
    /// Default false, as in OpenClaw: `POST /v1/responses` stores conversations in the state
    /// directory (for `previous_response_id`), so it is served only when asked for.
    pub enabled: bool,
    /// Stored responses kept at most; default 1000 (the oldest go first). 0 stores none.
    pub max_stored: u32,
    /// Days a stored response is kept; default 30 (OpenAI's own). 0: until `maxStored` drops it.
    pub retention_days: u32,
}

impl Default for ResponsesEndpoint {
    fn default() -> Self {
        ResponsesEndpoint {
            enabled: false,
            max_stored: 1000,
            retention_days: 30,
        }
    }
}
