//! Server-sent events: the framing both provider APIs stream their answers in.
//!
//! [`SseParser`] turns raw body bytes into [`SseEvent`]s. It is incremental: an event (or a line,
//! or a multi-byte character) may be split across any number of network reads, and lines may end
//! in `\n`, `\r\n` or `\r`, including a `\r\n` whose halves arrive in different reads.
//! [`event_stream`] drives a parser over a `reqwest` response and hands each event to a
//! protocol-specific [`Decoder`] (`openai`, `anthropic`), producing the provider-neutral
//! [`EventStream`].

use std::collections::VecDeque;
use std::time::Duration;

use super::error::{ErrorKind, ProviderError};
use super::types::{EventStream, StreamEvent};

/// Longest event (data plus the line being read) accepted, so that a broken server cannot make
/// the gateway buffer without bound. Whole tool calls (Ollama) can be large, hence the size.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// How long to wait for the end of the body once the protocol said the answer is complete and
/// the consumer asked for more after the last event: reading the body to its end (normally just
/// the last chunk marker) lets the connection go back to the pool.
const DRAIN_LIMIT: Duration = Duration::from_millis(500);

/// One dispatched event: its `event:` name (if any) and its `data:` lines joined with `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// The body is not usable SSE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event is larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
}

/// Incremental SSE parser (the WHATWG event-stream rules, minus `id`/`retry`, which one-shot
/// model calls do not use).
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous byte was `\r`: a `\n` right after it belongs to the same line break.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds the next bytes of the body; returns the events they completed.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if bytes[0] == b'\n' {
                    bytes = &bytes[1..];
                    continue;
                }
            }
            match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.line.extend_from_slice(&bytes[..end]);
                    self.after_cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    self.end_line(&mut out);
                }
                None => {
                    self.line.extend_from_slice(bytes);
                    bytes = &[];
                }
            }
            if self.line.len() + self.data.len() > MAX_EVENT_BYTES {
                return Err(SseError::TooLarge);
            }
        }
        Ok(out)
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let raw = std::mem::take(&mut self.line);
        if raw.is_empty() {
            if self.has_data {
                let mut data = std::mem::take(&mut self.data);
                data.pop(); // the `\n` appended after the last data line
                out.push(SseEvent {
                    event: self.event.take(),
                    data,
                });
            }
            self.event = None;
            self.has_data = false;
            return;
        }
        let line = String::from_utf8_lossy(&raw);
        if line.starts_with(':') {
            return; // comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            _ => {} // `id`, `retry` and unknown fields
        }
    }
}

/// Translates one protocol's events into [`StreamEvent`]s.
pub trait Decoder: Send + 'static {
    /// Handles one event, appending what it produced to `out`. Returns `Ok(true)` once the answer
    /// is complete (`[DONE]`, `message_stop`); an `Err` ends the stream after `out` is delivered.
    fn decode(
        &mut self,
        event: SseEvent,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<bool, ProviderError>;

    /// The error for a body that ended before the answer was complete.
    fn cut_off(&self) -> ProviderError;
}

/// What the stream still has to do.
struct State<D> {
    /// `None` once the body is finished with (complete, failed or cut off).
    body: Option<reqwest::Response>,
    /// The body of a complete answer, read to its end after the last event has been delivered.
    rest: Option<reqwest::Response>,
    parser: SseParser,
    decoder: D,
    provider: String,
    queue: VecDeque<Result<StreamEvent, ProviderError>>,
}

/// The event stream of a successful (2xx) streaming response.
pub fn event_stream<D: Decoder>(
    response: reqwest::Response,
    provider: &str,
    decoder: D,
) -> EventStream {
    let state = State {
        body: Some(response),
        rest: None,
        parser: SseParser::new(),
        decoder,
        provider: provider.to_string(),
        queue: VecDeque::new(),
    };
    Box::pin(futures_util::stream::unfold(state, State::next))
}

impl<D: Decoder> State<D> {
    /// The next item of the stream, reading the body as far as needed; `None` at the end.
    async fn next(mut self) -> Option<(Result<StreamEvent, ProviderError>, Self)> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some((item, self));
            }
            if let Some(rest) = self.rest.take() {
                drain(rest).await;
            }
            let body = self.body.as_mut()?;
            match body.chunk().await {
                Ok(Some(bytes)) => self.feed(&bytes),
                Ok(None) => {
                    self.body = None;
                    self.queue.push_back(Err(self.decoder.cut_off()));
                }
                Err(error) => {
                    self.body = None;
                    let error = read_error(&self.provider, &error);
                    self.queue.push_back(Err(error));
                }
            }
        }
    }

    /// Parses `bytes` and decodes the events into the queue, stopping at completion or failure.
    fn feed(&mut self, bytes: &[u8]) {
        let events = match self.parser.push(bytes) {
            Ok(events) => events,
            Err(error) => {
                self.body = None;
                self.queue.push_back(Err(ProviderError::new(
                    ErrorKind::Protocol,
                    &self.provider,
                    error.to_string(),
                )));
                return;
            }
        };
        let mut out = VecDeque::new();
        for event in events {
            let result = self.decoder.decode(event, &mut out);
            self.queue.extend(out.drain(..).map(Ok));
            match result {
                Ok(false) => {}
                Ok(true) => {
                    self.rest = self.body.take();
                    return;
                }
                Err(error) => {
                    self.body = None;
                    self.queue.push_back(Err(error));
                    return;
                }
            }
        }
    }
}

/// Reads what is left of a completed answer's body (normally just the end of the chunked
/// encoding) so that the connection can be reused; gives up after [`DRAIN_LIMIT`].
async fn drain(mut body: reqwest::Response) {
    let rest = async {
        let mut budget = 64 * 1024usize;
        while let Ok(Some(bytes)) = body.chunk().await {
            budget = budget.saturating_sub(bytes.len().max(1));
            if budget == 0 {
                break;
            }
        }
    };
    let _ = actix_web::rt::time::timeout(DRAIN_LIMIT, rest).await;
}

/// A failure while reading the body: the connection broke (or a read timeout set on the client
/// expired, which means the stream went quiet).
pub fn read_error(provider: &str, error: &reqwest::Error) -> ProviderError {
    let kind = if error.is_timeout() {
        ErrorKind::StreamIdle
    } else {
        ErrorKind::Network
    };
    ProviderError::new(
        kind,
        provider,
        format!(
            "the answer stream broke: {}",
            crate::net::http::error_chain(error)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(pieces: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(parser.push(piece).expect("parses"));
        }
        out
    }

    fn event(name: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: name.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn events_split_at_every_byte_parse_the_same() {
        let body = b"event: ping\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: x\ndata:y\n\n";
        let whole = parse_all(&[body]);
        assert_eq!(
            whole,
            vec![event(Some("ping"), "{\"a\":1}"), event(None, "x\ny")]
        );
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(parse_all(&bytes), whole);
    }

    #[test]
    fn cr_only_line_ends_and_split_crlf_work() {
        assert_eq!(
            parse_all(&[b"data: a\r", b"\n\r", b"\ndata: b\r\r"]),
            vec![event(None, "a"), event(None, "b")]
        );
    }

    #[test]
    fn split_utf8_characters_survive() {
        let body = "data: héllo €\n\n".as_bytes();
        let (first, second) = body.split_at(9); // inside `é`
        assert_eq!(parse_all(&[first, second]), vec![event(None, "héllo €")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_an_unfinished_one_is_held() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"event: x\n\n").expect("parses").is_empty());
        assert!(parser.push(b"data: partial").expect("parses").is_empty());
        assert_eq!(
            parser.push(b"\n\n").expect("parses"),
            vec![event(None, "partial")]
        );
    }

    #[test]
    fn oversized_events_are_refused() {
        let mut parser = SseParser::new();
        let big = vec![b'a'; MAX_EVENT_BYTES + 1];
        assert_eq!(parser.push(&big), Err(SseError::TooLarge));
    }
}
