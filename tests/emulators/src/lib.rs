//! Scriptable emulators of the OpenAI Chat Completions and Anthropic Messages streaming APIs, for
//! integration tests and benchmarks (no machine here can reach the real services).
//!
//! Each [`Emulator`] is a plain HTTP/1.1 server on `127.0.0.1:0` made of std threads and a
//! `TcpListener` (no async runtime), so that a test controls every byte: each SSE event is its own
//! write and its own HTTP chunk (`Transfer-Encoding: chunked`, with `TCP_NODELAY`), a dropped
//! connection is a real cut in the middle of the chunked body, and a stall is real silence.
//! Connections are kept alive between requests as `reqwest` expects.
//!
//! Usage:
//! ```ignore
//! let emulator = Emulator::openai();
//! emulator.push(Reply::text(&["Hel", "lo"]));
//! emulator.push(Reply::rate_limited(7));
//! // point a client at emulator.base_url() ...
//! let body = &emulator.requests()[0].body;
//! ```
//! Scripted replies are consumed in order; with none queued, a request is answered with the text
//! `echo: <last user text>` so load tests need no script. Requests the real API would refuse
//! (wrong path, missing or wrong key when [`Emulator::require_api_key`] is set, a malformed body,
//! no `stream: true`) get that API's error response and do not consume a scripted reply.
//!
//! Token usage is deterministic: input tokens are the whitespace-separated words of the system
//! prompt and the message texts (see [`prompt_words`]), output tokens the number of text pieces
//! or argument fragments sent.
//!
//! An OpenAI emulator also answers `POST /v1/audio/transcriptions` (multipart, parsed for real;
//! see [`transcription`], [`Emulator::push_transcript`], [`Emulator::transcriptions`]) and serves
//! files hosted with [`Emulator::host_file`] (a platform's media URL in download tests); both are
//! recorded in [`Emulator::requests`] too. It also answers `POST /v1/embeddings` with
//! deterministic vectors that put paraphrases close (see [`embeddings`],
//! [`Emulator::set_embedding_dimensions`], [`Emulator::embedding_inputs`]).
//!
//! Layout: this file holds the public API (what tests and benchmarks use); `connection` is the
//! HTTP/1.1 side (reading requests, keep-alive, refusals, status responses, chunked SSE writes),
//! `script` writes each [`Reply`] in each API's wire format.
//!
//! The channel emulators live beside it on the same HTTP plumbing: [`graph`] (the WhatsApp
//! Business Cloud API, and the signed webhooks Meta posts) and [`telegram`] (the Telegram Bot
//! API with long polling); [`client`] is the raw HTTP/1.1 client they use to post to a gateway.

pub mod client;
mod connection;
pub mod embeddings;
pub mod graph;
pub mod multipart;
mod script;
pub mod telegram;
pub mod transcription;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

/// Which API an emulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `POST /v1/chat/completions`, `Authorization: Bearer`, unnamed `data:` events, `[DONE]`.
    OpenAi,
    /// `POST /v1/messages`, `x-api-key`, named events ending in `message_stop`.
    Anthropic,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal text answer; each string is one chunk (OpenAI) or `text_delta` (Anthropic).
    Text(Vec<String>),
    /// A tool call whose arguments arrive in the given fragments (split them mid-token).
    ToolCall {
        id: String,
        name: String,
        argument_fragments: Vec<String>,
    },
    /// A non-2xx answer. `body: None` sends the API's canonical error for `code` (429 rate limit,
    /// 401 bad key, 529 overloaded, ...); `retry_after` adds a `retry-after` header (seconds).
    Status {
        code: u16,
        body: Option<String>,
        retry_after: Option<u64>,
    },
    /// Some text, then the API's in-stream error event of `error_type` (`overloaded_error`,
    /// `server_error`, ...); the body then ends without `[DONE]` / `message_stop`.
    MidStreamError {
        text: Vec<String>,
        error_type: String,
    },
    /// Headers and the first text event, then silence for the duration, then the connection
    /// closes.
    Stall(Duration),
    /// Headers and the first text event, then the connection closes in the middle of the chunked
    /// body (no terminating chunk).
    DropConnection,
    /// A 200 `text/event-stream` whose body is these pieces verbatim, each its own write and
    /// HTTP chunk with a short pause between, so that an SSE event can be split anywhere across
    /// reads (line endings, JSON, multi-byte characters). For protocol variants such as Ollama's.
    Raw(Vec<String>),
}

impl Reply {
    pub fn text(pieces: &[&str]) -> Reply {
        Reply::Text(strings(pieces))
    }

    pub fn tool_call(id: &str, name: &str, argument_fragments: &[&str]) -> Reply {
        Reply::ToolCall {
            id: id.to_string(),
            name: name.to_string(),
            argument_fragments: strings(argument_fragments),
        }
    }

    /// A status with the API's canonical error body.
    pub fn status(code: u16) -> Reply {
        Reply::Status {
            code,
            body: None,
            retry_after: None,
        }
    }

    /// A status with exactly this body.
    pub fn status_with_body(code: u16, body: &str) -> Reply {
        Reply::Status {
            code,
            body: Some(body.to_string()),
            retry_after: None,
        }
    }

    /// 429 with `retry-after: <seconds>`.
    pub fn rate_limited(retry_after_secs: u64) -> Reply {
        Reply::Status {
            code: 429,
            body: None,
            retry_after: Some(retry_after_secs),
        }
    }

    /// OpenAI's 429 for an account out of credit (not a rate limit: retrying does not help).
    pub fn insufficient_quota() -> Reply {
        Reply::status_with_body(
            429,
            r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        )
    }

    pub fn mid_stream_error(text: &[&str], error_type: &str) -> Reply {
        Reply::MidStreamError {
            text: strings(text),
            error_type: error_type.to_string(),
        }
    }

    pub fn raw(pieces: &[&str]) -> Reply {
        Reply::Raw(strings(pieces))
    }
}

fn strings(pieces: &[&str]) -> Vec<String> {
    pieces.iter().map(|s| s.to_string()).collect()
}

/// A request the emulator received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it was not JSON; see `raw`).
    pub body: Value,
    pub raw: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// State shared by the server threads and the test.
struct Shared {
    api: Api,
    queue: Mutex<VecDeque<Reply>>,
    /// Replies kept for the first request whose body contains a text, each after a pause (see
    /// [`Emulator::push_for`]); looked at before `queue`.
    routed: Mutex<Vec<(String, Duration, Reply)>>,
    requests: Mutex<Vec<Recorded>>,
    delay: Mutex<Duration>,
    api_key: Mutex<Option<String>>,
    /// Until when every valid request gets this status (see [`Emulator::fail_for`]).
    outage: Mutex<Option<(std::time::Instant, u16)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    /// Transcription requests received (`POST /v1/audio/transcriptions`).
    transcriptions: Mutex<Vec<transcription::Transcription>>,
    /// Transcripts to answer with, in order (then the default).
    transcripts: Mutex<VecDeque<String>>,
    /// Files answered to `GET <path>`: bytes and content type.
    files: Mutex<HashMap<String, (Vec<u8>, String)>>,
    /// The length of the vectors `POST /v1/embeddings` answers.
    embedding_dimensions: Mutex<usize>,
}

/// A running emulator; the server stops accepting when it is dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    server: connection::Server,
}

/// Locks ignoring poisoning: a panicking test thread must not hide the real failure.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Emulator {
    pub fn openai() -> Emulator {
        Emulator::start(Api::OpenAi)
    }

    pub fn anthropic() -> Emulator {
        Emulator::start(Api::Anthropic)
    }

    pub fn start(api: Api) -> Emulator {
        let shared = Arc::new(Shared {
            api,
            queue: Mutex::new(VecDeque::new()),
            routed: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            delay: Mutex::new(Duration::ZERO),
            api_key: Mutex::new(None),
            outage: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            transcriptions: Mutex::new(Vec::new()),
            transcripts: Mutex::new(VecDeque::new()),
            files: Mutex::new(HashMap::new()),
            embedding_dimensions: Mutex::new(embeddings::DEFAULT_DIMENSIONS),
        });
        let connection = Arc::clone(&shared);
        let server = connection::Server::start("emulator", move |stream| {
            connection::serve(&connection, stream)
        });
        Emulator { shared, server }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The base URL a client is configured with: `http://127.0.0.1:P/v1` for OpenAI (its base
    /// URLs include `/v1`), `http://127.0.0.1:P` for Anthropic.
    pub fn base_url(&self) -> String {
        match self.shared.api {
            Api::OpenAi => format!("http://{}/v1", self.addr()),
            Api::Anthropic => format!("http://{}", self.addr()),
        }
    }

    /// Queues a reply for the next valid request.
    pub fn push(&self, reply: Reply) -> &Self {
        lock(&self.shared.queue).push_back(reply);
        self
    }

    /// Keeps `reply` for the first valid request whose JSON body contains `needle` (a
    /// session's task, a system prompt), answered after `pause`: for conversations that run at
    /// the same time (a sub-agent beside its parent), where the order of the shared queue is a
    /// race. Such replies are looked at before the queue.
    pub fn push_for(&self, needle: &str, pause: Duration, reply: Reply) -> &Self {
        lock(&self.shared.routed).push((needle.to_string(), pause, reply));
        self
    }

    /// Every request received so far, in order (including refused ones).
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// The highest number of requests being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// TCP connections accepted (fewer than requests when connections are reused).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// A pause before every reply (models think; load tests need overlap).
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.delay) = delay;
    }

    /// An outage: for `duration` from now every valid request gets `code` with the API's canonical
    /// error body (529 `overloaded_error` for Anthropic, 503 for OpenAI...), ahead of any scripted
    /// reply; then the emulator answers normally again.
    pub fn fail_for(&self, duration: Duration, code: u16) {
        *lock(&self.shared.outage) = Some((std::time::Instant::now() + duration, code));
    }

    /// Queues the text of the next transcription answer (OpenAI speakers only).
    pub fn push_transcript(&self, text: &str) -> &Self {
        lock(&self.shared.transcripts).push_back(text.to_string());
        self
    }

    /// Every transcription request received, parsed.
    pub fn transcriptions(&self) -> Vec<transcription::Transcription> {
        lock(&self.shared.transcriptions).clone()
    }

    /// Answers `GET path` with `bytes` as `mime` (a platform's media URL in download tests);
    /// returns the file's URL.
    pub fn host_file(&self, path: &str, bytes: &[u8], mime: &str) -> String {
        lock(&self.shared.files).insert(path.to_string(), (bytes.to_vec(), mime.to_string()));
        format!("http://{}{path}", self.addr())
    }

    /// The length of the vectors `POST /v1/embeddings` answers from now on.
    pub fn set_embedding_dimensions(&self, dims: usize) {
        *lock(&self.shared.embedding_dimensions) = dims;
    }

    /// The inputs of every embeddings request received, one list per request (a batch).
    pub fn embedding_inputs(&self) -> Vec<Vec<String>> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/v1/embeddings"))
            .map(|r| embeddings::inputs_of(&r.body))
            .collect()
    }

    /// Refuse requests without this key (`Authorization: Bearer` / `x-api-key`) with a 401, as the
    /// real API does. `None` (the default) accepts any key or none.
    pub fn require_api_key(&self, key: Option<&str>) {
        *lock(&self.shared.api_key) = key.map(str::to_string);
    }
}

/// The emulator's input-token count: whitespace-separated words of the system prompt and of
/// every message's text (strings, `text` blocks and tool results).
pub fn prompt_words(body: &Value) -> u64 {
    fn words(value: &Value) -> u64 {
        match value {
            Value::String(text) => text.split_whitespace().count() as u64,
            Value::Array(blocks) => blocks
                .iter()
                .map(|block| match block {
                    Value::String(_) => words(block),
                    _ => words(&block["text"]) + words(&block["content"]),
                })
                .sum(),
            _ => 0,
        }
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    words(&body["system"]) + messages.iter().map(|m| words(&m["content"])).sum::<u64>()
}
