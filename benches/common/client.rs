//! A minimal HTTP/1.1 client for the benchmarks (shared through `benches/common/`): one
//! keep-alive connection per client thread, one write per request, then the response head and
//! exactly Content-Length bytes or a chunked body. The engine and channel benches drive the
//! gateway with it; `common::gateway` uses it for `/healthz`, `/readyz` and the admin API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::Result;

/// A response slower than this counts as a hang: the run is abandoned.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// One keep-alive connection, opened on first use and again after the server closes it.
pub(crate) struct Client {
    addr: SocketAddr,
    connection: Option<BufReader<TcpStream>>,
    /// Requests answered on the current connection.
    reused: u64,
    pub(crate) connects: u64,
    request: Vec<u8>,
    line: String,
}

impl Client {
    pub(crate) fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            connection: None,
            reused: 0,
            connects: 0,
            request: Vec::with_capacity(512),
            line: String::with_capacity(128),
        }
    }

    pub(crate) fn connect(&mut self) -> Result<()> {
        if self.connection.is_none() {
            let stream = TcpStream::connect(self.addr)
                .map_err(|e| format!("connect to {}: {e}", self.addr))?;
            let _ = stream.set_nodelay(true);
            stream
                .set_read_timeout(Some(RESPONSE_TIMEOUT))
                .map_err(|e| e.to_string())?;
            self.connection = Some(BufReader::with_capacity(16 * 1024, stream));
            self.reused = 0;
            self.connects += 1;
        }
        Ok(())
    }

    /// Sends one request (`headers`: complete `Name: value\r\n` lines) and reads the whole
    /// response. A kept-alive connection that turns out to be closed is reopened once.
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<Response> {
        self.request.clear();
        let _ = write!(
            self.request,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}",
            self.addr
        );
        if method != "GET" || !body.is_empty() {
            let _ = write!(
                self.request,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        self.request.extend_from_slice(b"\r\n");
        self.request.extend_from_slice(body);
        for attempt in 0..2 {
            self.connect()?;
            match self.exchange() {
                Ok(response) => return Ok(response),
                Err(Exchange::Stale) if attempt == 0 => self.connection = None,
                Err(Exchange::Stale) => {
                    self.connection = None;
                    return Err("the connection closed before a response (twice)".into());
                }
                Err(Exchange::Failed(why)) => {
                    self.connection = None;
                    return Err(why);
                }
            }
        }
        unreachable!("the loop returns")
    }

    fn exchange(&mut self) -> std::result::Result<Response, Exchange> {
        let reused = self.reused > 0;
        let connection = self.connection.as_mut().expect("connected");
        let line = &mut self.line;
        let io = |what: &str, e: std::io::Error| -> Exchange {
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                Exchange::Failed(format!(
                    "timeout: no complete response within {RESPONSE_TIMEOUT:?} ({what})"
                ))
            } else {
                Exchange::Failed(format!("{what}: {e}"))
            }
        };
        if let Err(e) = connection.get_mut().write_all(&self.request) {
            return Err(if reused {
                Exchange::Stale
            } else {
                io("send", e)
            });
        }
        line.clear();
        match connection.read_line(line) {
            Ok(0) if reused => return Err(Exchange::Stale),
            Ok(0) => {
                return Err(Exchange::Failed(
                    "connection closed before a response".into(),
                ))
            }
            Err(e) if reused && e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Err(Exchange::Stale)
            }
            Err(e) => return Err(io("read status line", e)),
            Ok(_) => {}
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| Exchange::Failed(format!("not an HTTP status line: {line:?}")))?;
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            match connection.read_line(line) {
                Ok(0) => {
                    return Err(Exchange::Failed(
                        "connection closed in the response head".into(),
                    ))
                }
                Err(e) => return Err(io("read response head", e)),
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return Err(Exchange::Failed(format!("bad header line {header:?}")));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| Exchange::Failed(format!("bad content-length {value:?}")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                match connection.read_line(line) {
                    Ok(0) => {
                        return Err(Exchange::Failed(
                            "connection closed in a chunked body".into(),
                        ))
                    }
                    Err(e) => return Err(io("read chunk size", e)),
                    Ok(_) => {}
                }
                let size = line.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size, 16)
                    .map_err(|_| Exchange::Failed(format!("bad chunk size line {line:?}")))?;
                if size == 0 {
                    // Trailers, then the empty line.
                    loop {
                        line.clear();
                        match connection.read_line(line) {
                            Ok(0) => break,
                            Err(e) => return Err(io("read chunked trailer", e)),
                            Ok(_) if line.trim_end().is_empty() => break,
                            Ok(_) => {}
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size + 2, 0);
                connection
                    .read_exact(&mut body[start..])
                    .map_err(|e| io("read chunk", e))?;
                body.truncate(start + size); // drop the chunk's CRLF
            }
        } else if let Some(length) = content_length {
            body.resize(length, 0);
            connection
                .read_exact(&mut body)
                .map_err(|e| io("read body", e))?;
        } else if status != 204 && status != 304 {
            connection
                .read_to_end(&mut body)
                .map_err(|e| io("read body to close", e))?;
            close = true;
        }
        self.reused += 1;
        if close {
            self.connection = None;
        }
        Ok(Response { status, body })
    }
}

enum Exchange {
    /// A reused connection the server had already closed: reconnect and resend.
    Stale,
    Failed(String),
}

pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_string()
    }
}
