//! A blocking WebSocket client for protocol tests (tungstenite over a plain `TcpStream`): the
//! handshake, requests, and waiting for a given answer or event with a deadline.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

pub struct WsClient {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Frames read while looking for something else, in order.
    pub seen: Vec<Value>,
}

impl WsClient {
    /// Opens `/ws` (no handshake yet).
    pub fn open(addr: SocketAddr) -> WsClient {
        WsClient::open_with(addr, &[])
    }

    /// Opens the socket at `path` (`/ws`, or `/` as OpenClaw's clients do).
    pub fn open_at(addr: SocketAddr, path: &str) -> WsClient {
        WsClient::open_path(addr, path, &[])
    }

    /// Opens `/ws` sending extra upgrade headers (e.g. the `Origin` a browser would send).
    pub fn open_with(addr: SocketAddr, headers: &[(&str, &str)]) -> WsClient {
        WsClient::open_path(addr, "/ws", headers)
    }

    /// Opens the socket at `path` with extra upgrade headers.
    pub fn open_path(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> WsClient {
        use tungstenite::client::IntoClientRequest;
        let stream = TcpStream::connect(addr).expect("connect");
        // A generous timeout for the upgrade (a loaded machine is slow), a short one afterwards
        // so that reads can poll for a deadline.
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut request = format!("ws://{addr}{path}")
            .into_client_request()
            .expect("request");
        for (name, value) in headers {
            let name = tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("name");
            let value = tungstenite::http::HeaderValue::from_str(value).expect("value");
            request.headers_mut().insert(name, value);
        }
        let (socket, _) = tungstenite::client::client(request, stream)
            .unwrap_or_else(|e| panic!("WebSocket upgrade of ws://{addr}{path}: {e}"));
        socket
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        WsClient {
            socket,
            next_id: 1,
            seen: Vec::new(),
        }
    }

    /// Opens `/ws` and completes the handshake with `token`; the `hello-ok` payload.
    pub fn connect(addr: SocketAddr, token: &str) -> (WsClient, Value) {
        let mut client = WsClient::open(addr);
        let challenge = client
            .next_frame(Duration::from_secs(5))
            .expect("challenge");
        assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
        let hello = client.request("connect", connect_params(token));
        assert_eq!(hello["ok"], true, "connect refused: {hello}");
        (client, hello["payload"].clone())
    }

    /// Opens `/ws` and connects with `token`, asking for `scopes` (`Value::Null`: no `scopes` key);
    /// the `hello-ok` payload.
    pub fn connect_scoped(addr: SocketAddr, token: &str, scopes: Value) -> (WsClient, Value) {
        let mut client = WsClient::open(addr);
        let challenge = client
            .next_frame(Duration::from_secs(5))
            .expect("challenge");
        assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
        let mut params = connect_params(token);
        match scopes {
            Value::Null => {
                params.as_object_mut().expect("object").remove("scopes");
            }
            scopes => params["scopes"] = scopes,
        }
        let hello = client.request("connect", params);
        assert_eq!(hello["ok"], true, "connect refused: {hello}");
        (client, hello["payload"].clone())
    }

    /// The TCP stream under the WebSocket, to write hand-made frames.
    pub fn raw_stream(&mut self) -> &mut TcpStream {
        self.socket.get_mut()
    }

    pub fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).expect("send");
    }

    /// Sends a request without insisting: the gateway may already have closed the socket.
    pub fn try_send(&mut self, method: &str, params: Value) -> Result<String, tungstenite::Error> {
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        let frame = json!({ "type": "req", "id": id, "method": method, "params": params });
        self.socket.send(Message::text(frame.to_string()))?;
        Ok(id)
    }

    /// Sends a request; its id.
    pub fn send(&mut self, method: &str, params: Value) -> String {
        let id = format!("r{}", self.next_id);
        self.next_id += 1;
        let frame = json!({ "type": "req", "id": id, "method": method, "params": params });
        self.send_text(&frame.to_string());
        id
    }

    /// Sends a request and waits for its answer.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params);
        self.response(&id, Duration::from_secs(20))
    }

    /// The next `res` for `id`.
    pub fn response(&mut self, id: &str, limit: Duration) -> Value {
        self.wait(limit, |frame| frame["type"] == "res" && frame["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {id} within {limit:?}; seen: {:?}", self.seen))
    }

    /// The next frame matching `wanted`, reading (and keeping in `seen`) the others.
    pub fn wait(&mut self, limit: Duration, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(frame) = self.next_frame(deadline.saturating_duration_since(Instant::now()))
            {
                if wanted(&frame) {
                    return Some(frame);
                }
                self.seen.push(frame);
            }
        }
        None
    }

    /// The next JSON text frame, `None` on timeout; panics when the socket closes.
    pub fn next_frame(&mut self, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).expect("JSON frame"))
                }
                Ok(Message::Close(reason)) => panic!("closed by the gateway: {reason:?}"),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if Instant::now() >= deadline {
                        return None;
                    }
                }
                Err(e) => panic!("WebSocket read failed: {e}"),
            }
        }
    }

    /// Reads until the gateway closes; the close frame's code and reason.
    pub fn closed(&mut self, limit: Duration) -> Option<(u16, String)> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            match self.socket.read() {
                Ok(Message::Close(Some(frame))) => {
                    return Some((u16::from(frame.code), frame.reason.to_string()))
                }
                Ok(Message::Close(None)) => return Some((1005, String::new())),
                Ok(Message::Text(text)) => self
                    .seen
                    .push(serde_json::from_str(text.as_str()).unwrap_or(Value::Null)),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Some((1006, "connection lost".into())),
            }
        }
        None
    }
}

/// `connect` params of a well-behaved operator client.
pub fn connect_params(token: &str) -> Value {
    json!({
        "minProtocol": 3, "maxProtocol": 3,
        "client": { "id": "pincer-tests", "version": "1.0", "platform": "linux", "mode": "cli" },
        "role": "operator", "scopes": ["operator.read", "operator.write", "operator.admin"],
        "auth": { "token": token },
    })
}
