//! The HTTP/1.1 side of the emulators: one thread per connection reads requests (Content-Length
//! or chunked bodies), keeps the connection alive between them, refuses what the real API would
//! refuse with that API's error body, and writes status responses and chunked SSE bodies (one
//! HTTP chunk per write). What a 200 stream says is up to [`super::script`].
//!
//! The generic pieces ([`Server`], [`serve_requests`], [`Request`], [`write_status`]) are shared
//! with the other emulators (`graph`, `telegram`).

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{json, Value};

use super::script::{last_user_text, Script};
use super::{lock, prompt_words, Api, Recorded, Reply, Shared};

/// A listening HTTP server on `127.0.0.1:0`: one thread accepts, one thread per connection runs
/// the handler; it stops accepting when dropped (connections already open finish on their own).
pub(super) struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds and starts accepting; `on_connection` runs on its own thread for each connection.
    pub(super) fn start<F>(name: &str, on_connection: F) -> Server
    where
        F: Fn(TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the emulator on 127.0.0.1:0");
        let addr = listener.local_addr().expect("emulator address");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let on_connection = Arc::new(on_connection);
        let accept = thread::Builder::new()
            .name(format!("{name}-{addr}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&on_connection);
                    let _ = thread::Builder::new()
                        .name("emulator-connection".into())
                        .spawn(move || handler(stream));
                }
            })
            .expect("spawn the emulator thread");
        Server {
            addr,
            stopping,
            accept: Some(accept),
        }
    }

    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A parsed request.
pub(super) struct Request {
    pub(super) method: String,
    /// The request target as sent, query string included.
    pub(super) path: String,
    /// Names lower-cased, in arrival order.
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (lower-case).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path without its query string.
    pub(super) fn route(&self) -> &str {
        self.path
            .split_once('?')
            .map_or(&self.path, |(path, _)| path)
    }

    /// The query string (without `?`; empty when there is none).
    pub(super) fn query(&self) -> &str {
        self.path.split_once('?').map_or("", |(_, query)| query)
    }
}

/// Answers requests on one connection until the client closes it or a reply ends it.
pub(super) fn serve(shared: &Shared, stream: TcpStream) {
    shared.connections.fetch_add(1, Ordering::SeqCst);
    serve_requests(stream, |request, out| answer(shared, request, out));
}

/// Reads requests on one connection and hands each to `handle` (which writes the answer and
/// returns `Ok(false)` when the connection must close), keeping the connection alive between
/// them until the client closes it or asks for `Connection: close`.
pub(super) fn serve_requests<F>(stream: TcpStream, mut handle: F)
where
    F: FnMut(&Request, &mut TcpStream) -> std::io::Result<bool>,
{
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
        let keep_open = handle(&request, &mut writer).unwrap_or(false);
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
    if request.method == "GET" {
        let file = lock(&shared.files).get(request.route()).cloned();
        if let Some((bytes, mime)) = file {
            return super::transcription::serve_file(out, &bytes, &mime);
        }
    }
    if shared.api == Api::OpenAi
        && request.method == "POST"
        && request.route() == "/v1/audio/transcriptions"
    {
        return super::transcription::answer(shared, request, out);
    }
    if shared.api == Api::OpenAi && request.method == "POST" && request.route() == "/v1/embeddings"
    {
        return super::embeddings::answer(shared, &body, out);
    }
    let delay = *lock(&shared.delay);
    if !delay.is_zero() {
        thread::sleep(delay);
    }
    let api = shared.api;
    if let Some((code, message)) = refusal(shared, request, &body) {
        let body = error_body(api, code, &message);
        return write_status(out, code, &body, None).map(|()| true);
    }
    let outage = *lock(&shared.outage);
    let routed = {
        let text = body.to_string();
        let mut routed = lock(&shared.routed);
        routed
            .iter()
            .position(|(needle, _, _)| text.contains(needle.as_str()))
            .map(|index| routed.remove(index))
    };
    let reply = match (outage, routed) {
        (Some((until, code)), _) if std::time::Instant::now() < until => Some(Reply::status(code)),
        (_, Some((_, pause, reply))) => {
            thread::sleep(pause);
            Some(reply)
        }
        _ => lock(&shared.queue).pop_front(),
    };
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

/// The API's error payload for `code`.
pub(super) fn error_body(api: Api, code: u16, message: &str) -> String {
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
pub(super) fn canonical_message(code: u16) -> &'static str {
    match code {
        401 => "Incorrect API key provided",
        403 => "Your API key does not have permission to use the specified resource.",
        429 => "Rate limit reached for requests",
        529 => "Overloaded",
        400..=499 => "Invalid request",
        _ => "The server had an error while processing your request.",
    }
}

pub(super) fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

/// Writes a complete JSON response (`content-length` framed, the connection stays usable).
pub(super) fn write_status(
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
pub(super) struct Sse<'a> {
    out: &'a mut TcpStream,
}

impl<'a> Sse<'a> {
    pub(super) fn start(out: &'a mut TcpStream) -> std::io::Result<Self> {
        out.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\nx-request-id: req_emulator\r\n\r\n",
        )?;
        out.flush()?;
        Ok(Sse { out })
    }

    pub(super) fn chunk(&mut self, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return Ok(()); // an empty chunk would end the body
        }
        write!(self.out, "{:x}\r\n{text}\r\n", text.len())?;
        self.out.flush()
    }

    /// Ends the body properly (the connection stays usable).
    pub(super) fn finish(self) -> std::io::Result<bool> {
        self.out.write_all(b"0\r\n\r\n")?;
        self.out.flush()?;
        Ok(true)
    }

    /// Closes the connection mid-body.
    pub(super) fn cut(self) -> std::io::Result<bool> {
        self.out.shutdown(Shutdown::Both)?;
        Ok(false)
    }
}
