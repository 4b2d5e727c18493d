//! Self-tests of the channel emulators in `tests/emulators/`: the WhatsApp Cloud API
//! (Graph) emulator and its webhook builders in `graph.rs`, the Telegram Bot API emulator in
//! `telegram.rs`. A one-shot capture server here stands in for the gateway on the receiving end
//! of webhooks.

mod graph;
mod multipart;
mod telegram;
mod transcription;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// One request received by [`capture_once`].
pub struct Captured {
    /// `METHOD target`.
    pub line: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A server that accepts one request on 127.0.0.1, answers `status` with `reply`, and hands the
/// request over on the channel.
pub fn capture_once(status: u16, reply: &'static str) -> (SocketAddr, Receiver<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the capture server");
    let addr = listener.local_addr().expect("capture address");
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("request line");
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("header");
            let Some((name, value)) = header.trim_end().split_once(':') else {
                break;
            };
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let length = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map_or(0, |(_, value)| value.parse().expect("content-length"));
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut stream = stream;
        let answer = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        stream.write_all(answer.as_bytes()).expect("answer");
        let line = line.trim_end().rsplit_once(' ').map(|(l, _)| l.to_string());
        let _ = sender.send(Captured {
            line: line.unwrap_or_default(),
            headers,
            body,
        });
    });
    (addr, receiver)
}

/// The next captured request, waiting at most 10 s.
pub fn captured(receiver: &Receiver<Captured>) -> Captured {
    receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("the capture server received no request within 10 s")
}
