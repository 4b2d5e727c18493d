//! The WebSocket frame-size limit, applied to the raw bytes as they arrive.
//!
//! actix-http's WebSocket codec checks a frame's length only once the whole frame has been
//! buffered: a header announcing 24 MiB (or 2^60 bytes) makes it wait and buffer until that much
//! has arrived. So every byte of a `/ws` connection passes through a [`GuardedPayload`] first,
//! which reads the frame headers as they go by (without copying or holding the payload) and fails
//! the stream the moment a header announces more than the current limit, or a fragmented message
//! (a first frame and its continuations) adds up to more than it. The limit is shared
//! ([`FrameLimit`]): 64 KiB before `connect` succeeds, raised to `maxPayload` after `hello-ok`.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::dev;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

/// The largest frame (and fragmented message) a connection may send now, shared between the
/// socket's handler (which raises it after the handshake) and its [`GuardedPayload`].
#[derive(Debug, Clone)]
pub struct FrameLimit {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max: AtomicUsize,
    /// The announced size that tripped the limit (0: not tripped).
    tripped: AtomicU64,
}

impl FrameLimit {
    /// A limit of `max` bytes per frame and per fragmented message.
    pub fn new(max: usize) -> FrameLimit {
        FrameLimit {
            shared: Arc::new(Shared {
                max: AtomicUsize::new(max),
                tripped: AtomicU64::new(0),
            }),
        }
    }

    /// Allows frames up to `max` bytes from now on.
    pub fn raise(&self, max: usize) {
        self.shared.max.store(max, Relaxed);
    }

    /// The current limit.
    pub fn max(&self) -> usize {
        self.shared.max.load(Relaxed)
    }

    /// The size a refused frame or message announced, once the limit has stopped the stream.
    pub fn tripped(&self) -> Option<u64> {
        match self.shared.tripped.load(Relaxed) {
            0 => None,
            size => Some(size),
        }
    }

    /// Wraps a connection's payload so that it fails once a frame passes this limit.
    pub fn guard(&self, payload: dev::Payload) -> dev::Payload {
        let guarded = GuardedPayload {
            inner: payload,
            limit: self.clone(),
            scanner: Scanner::default(),
            failed: false,
        };
        dev::Payload::Stream {
            payload: Box::pin(guarded),
        }
    }
}

/// A payload stream that passes bytes through unchanged until a frame header breaks the limit;
/// then it yields [`PayloadError::Overflow`] and ends.
pub(crate) struct GuardedPayload {
    inner: dev::Payload,
    limit: FrameLimit,
    scanner: Scanner,
    failed: bool,
}

impl Stream for GuardedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                let max = this.limit.max() as u64;
                match this.scanner.scan(&bytes, max) {
                    Ok(()) => Poll::Ready(Some(Ok(bytes))),
                    Err(announced) => {
                        this.failed = true;
                        this.limit.shared.tripped.store(announced.max(1), Relaxed);
                        Poll::Ready(Some(Err(PayloadError::Overflow)))
                    }
                }
            }
            other => other,
        }
    }
}

/// Follows frame boundaries in a WebSocket byte stream (RFC 6455 §5.2), one chunk at a time.
#[derive(Debug, Default)]
struct Scanner {
    /// The header being read (at most 2 + 8 + 4 bytes).
    header: [u8; 14],
    header_len: usize,
    /// Payload bytes of the current frame still to skip.
    payload_left: u64,
    /// Bytes of the current fragmented data message so far.
    message_total: u64,
}

impl Scanner {
    /// Reads `chunk`; `Err(size)` when a frame or fragmented message announces more than `max`.
    fn scan(&mut self, mut chunk: &[u8], max: u64) -> Result<(), u64> {
        while !chunk.is_empty() {
            if self.payload_left > 0 {
                let skip = self.payload_left.min(chunk.len() as u64);
                self.payload_left -= skip;
                chunk = &chunk[skip as usize..];
                continue;
            }
            let wanted = self.header_needed();
            let take = (wanted - self.header_len).min(chunk.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&chunk[..take]);
            self.header_len += take;
            chunk = &chunk[take..];
            if self.header_len == self.header_needed() {
                self.frame_header(max)?;
            }
        }
        Ok(())
    }

    /// How many header bytes the frame being read has (2 until the second byte is known).
    fn header_needed(&self) -> usize {
        if self.header_len < 2 {
            return 2;
        }
        let extended = match self.header[1] & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if self.header[1] & 0x80 != 0 { 4 } else { 0 };
        2 + extended + mask
    }

    /// A complete header: checks its length against `max` and starts skipping its payload.
    fn frame_header(&mut self, max: u64) -> Result<(), u64> {
        let fin = self.header[0] & 0x80 != 0;
        let opcode = self.header[0] & 0x0f;
        let length = match self.header[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&self.header[2..10]);
                u64::from_be_bytes(bytes)
            }
            short => u64::from(short),
        };
        self.header_len = 0;
        self.payload_left = length;
        let size = match opcode {
            // A continuation adds to the message it continues; text or binary starts one.
            0x0 => self.message_total.saturating_add(length),
            0x1 | 0x2 => length,
            // Control frames stand alone (the codec refuses those over 125 bytes).
            _ => return if length > max { Err(length) } else { Ok(()) },
        };
        if size > max {
            return Err(size);
        }
        self.message_total = if fin { 0 } else { size };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Scanner;

    /// A masked client frame header announcing `length` bytes.
    fn header(fin: bool, opcode: u8, length: u64) -> Vec<u8> {
        let mut bytes = vec![(if fin { 0x80 } else { 0 }) | opcode];
        match length {
            0..=125 => bytes.push(0x80 | length as u8),
            126..=65535 => {
                bytes.push(0x80 | 126);
                bytes.extend_from_slice(&(length as u16).to_be_bytes());
            }
            _ => {
                bytes.push(0x80 | 127);
                bytes.extend_from_slice(&length.to_be_bytes());
            }
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes
    }

    fn frame(fin: bool, opcode: u8, length: usize) -> Vec<u8> {
        let mut bytes = header(fin, opcode, length as u64);
        bytes.resize(bytes.len() + length, b'x');
        bytes
    }

    #[test]
    fn frames_within_the_limit_pass_even_split_byte_by_byte() {
        let mut stream = frame(true, 1, 100);
        stream.extend(frame(true, 2, 64 * 1024));
        stream.extend(frame(true, 9, 4));
        let mut scanner = Scanner::default();
        for byte in &stream {
            assert_eq!(scanner.scan(std::slice::from_ref(byte), 64 * 1024), Ok(()));
        }
        let mut scanner = Scanner::default();
        assert_eq!(scanner.scan(&stream, 64 * 1024), Ok(()));
    }

    #[test]
    fn a_header_announcing_too_much_fails_before_any_payload() {
        let mut scanner = Scanner::default();
        assert_eq!(
            scanner.scan(&header(true, 1, 1 << 60), 64 * 1024),
            Err(1 << 60)
        );
        let mut scanner = Scanner::default();
        assert_eq!(
            scanner.scan(&header(true, 2, 64 * 1024 + 1), 64 * 1024),
            Err(64 * 1024 + 1)
        );
    }

    #[test]
    fn a_header_after_a_full_frame_in_the_same_chunk_is_checked() {
        let mut stream = frame(true, 1, 10);
        stream.extend(header(true, 1, 24 << 20));
        let mut scanner = Scanner::default();
        assert_eq!(scanner.scan(&stream, 64 * 1024), Err(24 << 20));
    }

    #[test]
    fn continuations_count_toward_their_message() {
        let mut scanner = Scanner::default();
        let limit = 100;
        assert_eq!(scanner.scan(&frame(false, 1, 60), limit), Ok(()));
        // A ping between fragments does not reset the count.
        assert_eq!(scanner.scan(&frame(true, 9, 2), limit), Ok(()));
        assert_eq!(scanner.scan(&frame(false, 0, 40), limit), Ok(()));
        assert_eq!(scanner.scan(&header(true, 0, 1), limit), Err(101));
    }

    #[test]
    fn a_finished_message_resets_the_count() {
        let mut scanner = Scanner::default();
        let limit = 100;
        assert_eq!(scanner.scan(&frame(false, 1, 60), limit), Ok(()));
        assert_eq!(scanner.scan(&frame(true, 0, 40), limit), Ok(()));
        assert_eq!(scanner.scan(&frame(true, 1, 100), limit), Ok(()));
    }
}
