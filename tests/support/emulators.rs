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

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{json, Value};

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
    requests: Mutex<Vec<Recorded>>,
    delay: Mutex<Duration>,
    api_key: Mutex<Option<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
    stopping: AtomicBool,
}

/// A running emulator; the server stops accepting when it is dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
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
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the emulator on 127.0.0.1:0");
        let addr = listener.local_addr().expect("emulator address");
        let shared = Arc::new(Shared {
            api,
            queue: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            delay: Mutex::new(Duration::ZERO),
            api_key: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let server = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name(format!("emulator-{addr}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if server.stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    server.connections.fetch_add(1, Ordering::SeqCst);
                    let connection = Arc::clone(&server);
                    let _ = thread::Builder::new()
                        .name("emulator-connection".into())
                        .spawn(move || serve(&connection, stream));
                }
            })
            .expect("spawn the emulator thread");
        Emulator {
            shared,
            addr,
            accept: Some(accept),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client is configured with: `http://127.0.0.1:P/v1` for OpenAI (its base
    /// URLs include `/v1`), `http://127.0.0.1:P` for Anthropic.
    pub fn base_url(&self) -> String {
        match self.shared.api {
            Api::OpenAi => format!("http://{}/v1", self.addr),
            Api::Anthropic => format!("http://{}", self.addr),
        }
    }

    /// Queues a reply for the next valid request.
    pub fn push(&self, reply: Reply) -> &Self {
        lock(&self.shared.queue).push_back(reply);
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

    /// Refuse requests without this key (`Authorization: Bearer` / `x-api-key`) with a 401, as the
    /// real API does. `None` (the default) accepts any key or none.
    pub fn require_api_key(&self, key: Option<&str>) {
        *lock(&self.shared.api_key) = key.map(str::to_string);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A parsed request.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Answers requests on one connection until the client closes it or a reply ends it.
fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        let close_requested = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let keep_open = answer(shared, &request, &mut writer).unwrap_or(false);
        if !keep_open || close_requested {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// Reads one request (Content-Length or chunked body); `None` at end of connection or on garbage.
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2]; // data and its CRLF
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length.parse().ok()?;
        request.body = vec![0; length];
        reader.read_exact(&mut request.body).ok()?;
    }
    Some(request)
}

/// Counts a request as in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Records, validates and answers one request; `Ok(false)` when the connection must close.
fn answer(shared: &Shared, request: &Request, out: &mut TcpStream) -> std::io::Result<bool> {
    let _in_flight = InFlight::enter(shared);
    let raw = String::from_utf8_lossy(&request.body).into_owned();
    let body: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    lock(&shared.requests).push(Recorded {
        method: request.method.clone(),
        path: request.path.clone(),
        headers: request.headers.clone(),
        body: body.clone(),
        raw,
    });
    let delay = *lock(&shared.delay);
    if !delay.is_zero() {
        thread::sleep(delay);
    }
    let api = shared.api;
    if let Some((code, message)) = refusal(shared, request, &body) {
        let body = error_body(api, code, &message);
        return write_status(out, code, &body, None).map(|()| true);
    }
    let reply = lock(&shared.queue).pop_front();
    let reply = reply.unwrap_or_else(|| {
        let last = last_user_text(&body);
        Reply::Text(vec!["echo: ".to_string(), last])
    });
    let script = Script {
        api,
        model: body["model"].as_str().unwrap_or("model").to_string(),
        input_tokens: prompt_words(&body),
    };
    script.play(&reply, out)
}

/// Why the real API would refuse this request: status and message.
fn refusal(shared: &Shared, request: &Request, body: &Value) -> Option<(u16, String)> {
    let api = shared.api;
    let path = match api {
        Api::OpenAi => "/v1/chat/completions",
        Api::Anthropic => "/v1/messages",
    };
    if request.method != "POST" || request.path != path {
        return Some((
            404,
            format!("Unknown request URL: {} {}", request.method, request.path),
        ));
    }
    if let Some(expected) = lock(&shared.api_key).clone() {
        let presented = match api {
            Api::OpenAi => request
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer ")),
            Api::Anthropic => request.header("x-api-key"),
        };
        if presented != Some(expected.as_str()) {
            return Some((401, "invalid x-api-key / Incorrect API key provided".into()));
        }
    }
    if api == Api::Anthropic && request.header("anthropic-version").is_none() {
        return Some((400, "anthropic-version: header is required".into()));
    }
    if !body.is_object() {
        return Some((400, "the request body is not a JSON object".into()));
    }
    if !body["model"].is_string() {
        return Some((400, "model: field required".into()));
    }
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return Some((400, "messages: at least one message is required".into()));
    };
    if body["stream"] != json!(true) {
        return Some((400, "this emulator only answers `stream: true`".into()));
    }
    if api == Api::Anthropic {
        if !body["max_tokens"].is_u64() {
            return Some((400, "max_tokens: field required".into()));
        }
        let roles_ok = messages
            .iter()
            .all(|m| matches!(m["role"].as_str(), Some("user" | "assistant")));
        if !roles_ok {
            return Some((
                400,
                "messages: roles must be `user` or `assistant` (put the system prompt in `system`)"
                    .into(),
            ));
        }
    }
    None
}

/// The text of the last user message (plain text; tool results are skipped).
fn last_user_text(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    for message in messages.iter().rev() {
        if message["role"] != "user" {
            continue;
        }
        match &message["content"] {
            Value::String(text) => return text.clone(),
            Value::Array(blocks) => {
                let text: Vec<&str> = blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect();
                if !text.is_empty() {
                    return text.join(" ");
                }
            }
            _ => {}
        }
    }
    String::new()
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

/// The API's error payload for `code`.
fn error_body(api: Api, code: u16, message: &str) -> String {
    match api {
        Api::OpenAi => {
            let (kind, error_code) = match code {
                429 => ("requests", Value::from("rate_limit_exceeded")),
                401 => ("invalid_request_error", Value::from("invalid_api_key")),
                404 => ("invalid_request_error", Value::from("unknown_url")),
                400..=499 => ("invalid_request_error", Value::Null),
                _ => ("server_error", Value::Null),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": error_code}})
                .to_string()
        }
        Api::Anthropic => {
            let kind = match code {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_emulator"})
                .to_string()
        }
    }
}

/// The message of the canonical error for `code`.
fn canonical_message(code: u16) -> &'static str {
    match code {
        401 => "Incorrect API key provided",
        403 => "Your API key does not have permission to use the specified resource.",
        429 => "Rate limit reached for requests",
        529 => "Overloaded",
        400..=499 => "Invalid request",
        _ => "The server had an error while processing your request.",
    }
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

fn write_status(
    out: &mut TcpStream,
    code: u16,
    body: &str,
    retry_after: Option<u64>,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {code} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-request-id: req_emulator\r\n",
        reason_phrase(code),
        body.len()
    );
    if let Some(seconds) = retry_after {
        head.push_str(&format!("retry-after: {seconds}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

/// A 200 event stream being written, one HTTP chunk per write.
struct Sse<'a> {
    out: &'a mut TcpStream,
}

impl<'a> Sse<'a> {
    fn start(out: &'a mut TcpStream) -> std::io::Result<Self> {
        out.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\nx-request-id: req_emulator\r\n\r\n",
        )?;
        out.flush()?;
        Ok(Sse { out })
    }

    fn chunk(&mut self, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(()); // an empty chunk would end the body
        }
        write!(self.out, "{:x}\r\n{text}\r\n", text.len())?;
        self.out.flush()
    }

    /// Ends the body properly (the connection stays usable).
    fn finish(self) -> std::io::Result<bool> {
        self.out.write_all(b"0\r\n\r\n")?;
        self.out.flush()?;
        Ok(true)
    }

    /// Closes the connection mid-body.
    fn cut(self) -> std::io::Result<bool> {
        self.out.shutdown(Shutdown::Both)?;
        Ok(false)
    }
}

/// What one reply needs to know about the request it answers.
struct Script {
    api: Api,
    model: String,
    input_tokens: u64,
}

impl Script {
    /// Writes `reply`; `Ok(false)` when the connection must not be reused.
    fn play(&self, reply: &Reply, out: &mut TcpStream) -> std::io::Result<bool> {
        match reply {
            Reply::Status {
                code,
                body,
                retry_after,
            } => {
                let body = body
                    .clone()
                    .unwrap_or_else(|| error_body(self.api, *code, canonical_message(*code)));
                write_status(out, *code, &body, *retry_after).map(|()| true)
            }
            Reply::Text(pieces) => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(pieces, true) {
                    sse.chunk(&event)?;
                }
                sse.finish()
            }
            Reply::ToolCall {
                id,
                name,
                argument_fragments,
            } => {
                let mut sse = Sse::start(out)?;
                for event in self.tool_events(id, name, argument_fragments) {
                    sse.chunk(&event)?;
                }
                sse.finish()
            }
            Reply::MidStreamError { text, error_type } => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(text, false) {
                    sse.chunk(&event)?;
                }
                sse.chunk(&self.error_event(error_type))?;
                sse.finish()
            }
            Reply::Stall(silence) => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(&["stalling".to_string()], false) {
                    sse.chunk(&event)?;
                }
                thread::sleep(*silence);
                sse.cut()
            }
            Reply::DropConnection => {
                let mut sse = Sse::start(out)?;
                for event in self.text_events(&["cut short".to_string()], false) {
                    sse.chunk(&event)?;
                }
                sse.cut()
            }
            Reply::Raw(pieces) => {
                let mut sse = Sse::start(out)?;
                for piece in pieces {
                    sse.chunk(piece)?;
                    thread::sleep(Duration::from_millis(5));
                }
                sse.finish()
            }
        }
    }

    /// The events of a text answer; `complete: false` stops after the text (no stop reason,
    /// usage or end marker).
    fn text_events(&self, pieces: &[String], complete: bool) -> Vec<String> {
        let output = pieces.len() as u64;
        match self.api {
            Api::OpenAi => {
                let mut events = vec![
                    self.openai_chunk(json!({"role": "assistant", "content": ""}), Value::Null)
                ];
                events.extend(
                    pieces
                        .iter()
                        .map(|p| self.openai_chunk(json!({"content": p}), Value::Null)),
                );
                if complete {
                    events.push(self.openai_chunk(json!({}), json!("stop")));
                    events.extend(self.openai_end(output));
                }
                events
            }
            Api::Anthropic => {
                let mut events = vec![
                    self.message_start(),
                    anthropic_event(
                        "content_block_start",
                        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                    ),
                    anthropic_event("ping", json!({"type": "ping"})),
                ];
                events.extend(pieces.iter().map(|p| {
                    anthropic_event(
                        "content_block_delta",
                        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}),
                    )
                }));
                if complete {
                    events.push(anthropic_event(
                        "content_block_stop",
                        json!({"type": "content_block_stop", "index": 0}),
                    ));
                    events.extend(self.anthropic_end("end_turn", output));
                }
                events
            }
        }
    }

    fn tool_events(&self, id: &str, name: &str, fragments: &[String]) -> Vec<String> {
        let output = fragments.len() as u64;
        match self.api {
            Api::OpenAi => {
                let start = json!({"role": "assistant", "content": null, "tool_calls": [
                    {"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}
                ]});
                let mut events = vec![self.openai_chunk(start, Value::Null)];
                events.extend(fragments.iter().map(|fragment| {
                    self.openai_chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}),
                        Value::Null,
                    )
                }));
                events.push(self.openai_chunk(json!({}), json!("tool_calls")));
                events.extend(self.openai_end(output));
                events
            }
            Api::Anthropic => {
                let mut events = vec![
                    self.message_start(),
                    anthropic_event(
                        "content_block_start",
                        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
                    ),
                ];
                let delta = |partial: &str| {
                    anthropic_event(
                        "content_block_delta",
                        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": partial}}),
                    )
                };
                events.push(delta(""));
                events.extend(fragments.iter().map(|f| delta(f)));
                events.push(anthropic_event(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": 0}),
                ));
                events.extend(self.anthropic_end("tool_use", output));
                events
            }
        }
    }

    fn error_event(&self, error_type: &str) -> String {
        let message = match error_type {
            "overloaded_error" => "Overloaded",
            _ => "The server had an error while processing your request.",
        };
        match self.api {
            Api::OpenAi => format!(
                "data: {}\n\n",
                json!({"error": {"message": message, "type": error_type, "param": null, "code": null}})
            ),
            Api::Anthropic => anthropic_event(
                "error",
                json!({"type": "error", "error": {"type": error_type, "message": message}}),
            ),
        }
    }

    fn openai_chunk(&self, delta: Value, finish_reason: Value) -> String {
        let chunk = json!({
            "id": "chatcmpl-emulator",
            "object": "chat.completion.chunk",
            "created": 1_694_268_190,
            "model": self.model,
            "system_fingerprint": "fp_emulator",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
            "usage": null,
        });
        format!("data: {chunk}\n\n")
    }

    /// The usage chunk (`choices: []`) and `[DONE]`.
    fn openai_end(&self, output: u64) -> Vec<String> {
        let usage = json!({
            "id": "chatcmpl-emulator",
            "object": "chat.completion.chunk",
            "created": 1_694_268_190,
            "model": self.model,
            "choices": [],
            "usage": {
                "prompt_tokens": self.input_tokens,
                "completion_tokens": output,
                "total_tokens": self.input_tokens + output,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        });
        vec![format!("data: {usage}\n\n"), "data: [DONE]\n\n".to_string()]
    }

    fn message_start(&self) -> String {
        anthropic_event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_emulator", "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": 1},
            }}),
        )
    }

    /// `message_delta` with the stop reason and cumulative usage, then `message_stop`.
    fn anthropic_end(&self, stop_reason: &str, output: u64) -> Vec<String> {
        vec![
            anthropic_event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": output}}),
            ),
            anthropic_event("message_stop", json!({"type": "message_stop"})),
        ]
    }
}

fn anthropic_event(name: &str, data: Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}
