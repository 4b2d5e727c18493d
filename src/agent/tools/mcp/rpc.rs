//! JSON-RPC 2.0 with one MCP server, whatever carries the messages.
//!
//! A [`Peer`] numbers the requests, keeps a oneshot per pending one, and sorts what the server
//! sends: responses go to their request, `ping` requests are answered, other server requests are
//! refused (`-32601`), `notifications/tools/list_changed` becomes an [`Event`] for the server's
//! actor. The transport ([`Link`]: a child process's pipes, or HTTP POSTs) only moves messages;
//! the HTTP link hands what it reads back to [`Peer::incoming`].
//!
//! When the transport ends (the process exited, the pipe closed), [`Peer::close`] fails every
//! pending request with the reason, so a call in flight learns at once that its server is gone.
//! A request whose caller stops waiting (a tool call that timed out or was aborted) sends
//! `notifications/cancelled` for it, as the protocol asks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::http::HttpLink;
use super::legacy_sse::LegacyLink;

/// Why a request got no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RpcError {
    /// The transport ended before the answer.
    #[error("the MCP server {server} exited during the call ({reason})")]
    Closed { server: String, reason: String },
    /// An HTTP request failed (refused, an error status, a body that is not JSON-RPC).
    #[error("the MCP server {server} could not be reached: {reason}")]
    Unreachable { server: String, reason: String },
    /// The server answered with a JSON-RPC error.
    #[error("the MCP server {server} answered error {code}: {message}")]
    Server {
        server: String,
        code: i64,
        message: String,
    },
}

/// What the server's actor hears from the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// `notifications/tools/list_changed`.
    ToolsChanged,
    /// The transport ended, with the reason.
    Closed(String),
}

/// How messages reach the server.
pub(crate) enum Link {
    /// Lines to the writer thread of a child process's stdin.
    Stdio(std::sync::mpsc::Sender<Vec<u8>>),
    /// POSTs to a streamable-HTTP endpoint.
    Http(HttpLink),
    /// POSTs to the endpoint an HTTP+SSE server named on its event stream.
    LegacySse(LegacyLink),
}

type Pending = HashMap<u64, oneshot::Sender<Result<Value, RpcError>>>;

/// One connection's JSON-RPC state.
pub(crate) struct Peer {
    server: String,
    next_id: AtomicU64,
    pending: Mutex<Pending>,
    closed: Mutex<Option<String>>,
    events: mpsc::UnboundedSender<Event>,
    link: Link,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("server", &self.server)
            .finish()
    }
}

impl Peer {
    pub(crate) fn new(server: &str, link: Link, events: mpsc::UnboundedSender<Event>) -> Arc<Peer> {
        Arc::new(Peer {
            server: server.to_string(),
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            closed: Mutex::new(None),
            events,
            link,
        })
    }

    /// The server's name.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// Sends `method` with `params` and waits for the result. Dropping the future before the
    /// answer cancels the request on the server.
    pub(crate) async fn request(
        self: &Arc<Self>,
        method: &str,
        params: Value,
    ) -> Result<Value, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            let closed = lock(&self.closed);
            if let Some(reason) = closed.as_ref() {
                return Err(self.closed_error(reason));
            }
            lock(&self.pending).insert(id, tx);
        }
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let mut guard = CancelOnDrop {
            peer: Arc::clone(self),
            id,
            armed: method != "initialize",
        };
        self.post(message, Some(id));
        let answer = rx.await;
        guard.armed = false;
        match answer {
            Ok(result) => result,
            Err(_) => Err(self.closed_error("the connection was dropped")),
        }
    }

    /// Sends a notification (no answer expected).
    pub(crate) fn notify(self: &Arc<Self>, method: &str, params: Value) {
        let message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.post(message, None);
    }

    /// Hands one message to the transport; a send failure of request `id` fails that request.
    fn post(self: &Arc<Self>, message: Value, id: Option<u64>) {
        match &self.link {
            Link::Stdio(lines) => {
                let mut line = message.to_string().into_bytes();
                line.push(b'\n');
                if lines.send(line).is_err() {
                    self.close("its stdin is closed");
                }
            }
            Link::Http(http) => http.post(Arc::clone(self), message, id),
            Link::LegacySse(sse) => sse.post(Arc::clone(self), message, id),
        }
    }

    /// Fails request `id` (its HTTP POST failed).
    pub(crate) fn fail(&self, id: u64, error: RpcError) {
        if let Some(tx) = lock(&self.pending).remove(&id) {
            let _ = tx.send(Err(error));
        }
    }

    /// One message from the server.
    pub(crate) fn incoming(self: &Arc<Self>, message: Value) {
        let method = message.get("method").and_then(Value::as_str);
        let id = message.get("id").filter(|id| !id.is_null());
        match (method, id) {
            (None, Some(id)) => self.answer(id, &message),
            (Some("ping"), Some(id)) => {
                self.post(json!({"jsonrpc": "2.0", "id": id, "result": {}}), None);
            }
            (Some(method), Some(id)) => {
                let error =
                    json!({"code": -32601, "message": format!("{method} is not supported")});
                self.post(json!({"jsonrpc": "2.0", "id": id, "error": error}), None);
            }
            (Some("notifications/tools/list_changed"), None) => {
                let _ = self.events.send(Event::ToolsChanged);
            }
            (Some(other), None) => {
                tracing::debug!(server = %self.server, method = other, "MCP notification ignored");
            }
            (None, None) => {
                tracing::debug!(server = %self.server, "an MCP message that is neither request nor response");
            }
        }
    }

    fn answer(&self, id: &Value, message: &Value) {
        let Some(id) = id.as_u64() else {
            return;
        };
        let Some(tx) = lock(&self.pending).remove(&id) else {
            return;
        };
        let result = match message.get("error") {
            Some(error) => Err(RpcError::Server {
                server: self.server.clone(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .chars()
                    .take(2000)
                    .collect(),
            }),
            None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
        };
        let _ = tx.send(result);
    }

    /// The transport ended: every pending request fails with `reason`, the actor is told.
    pub(crate) fn close(&self, reason: &str) {
        let pending: Vec<_> = {
            let mut closed = lock(&self.closed);
            if closed.is_some() {
                return;
            }
            *closed = Some(reason.to_string());
            lock(&self.pending).drain().collect()
        };
        for (_, tx) in pending {
            let _ = tx.send(Err(self.closed_error(reason)));
        }
        let _ = self.events.send(Event::Closed(reason.to_string()));
    }

    /// Whether the transport has ended.
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.closed).is_some()
    }

    fn closed_error(&self, reason: &str) -> RpcError {
        RpcError::Closed {
            server: self.server.clone(),
            reason: reason.to_string(),
        }
    }
}

/// Cancels a request whose caller stopped waiting.
struct CancelOnDrop {
    peer: Arc<Peer>,
    id: u64,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed || lock(&self.peer.pending).remove(&self.id).is_none() {
            return;
        }
        if !self.peer.is_closed() {
            self.peer.notify(
                "notifications/cancelled",
                json!({"requestId": self.id, "reason": "the tool call timed out or was aborted"}),
            );
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> (
        Arc<Peer>,
        std::sync::mpsc::Receiver<Vec<u8>>,
        mpsc::UnboundedReceiver<Event>,
    ) {
        let (lines, sent) = std::sync::mpsc::channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        (
            Peer::new("emu", Link::Stdio(lines), events_tx),
            sent,
            events,
        )
    }

    fn next(sent: &std::sync::mpsc::Receiver<Vec<u8>>) -> Value {
        serde_json::from_slice(&sent.recv().expect("a line")).expect("json")
    }

    #[actix::test]
    async fn answers_reach_their_request_and_errors_name_the_server() {
        let (peer, sent, _events) = peer();
        let asking = Arc::clone(&peer);
        let call = actix::spawn(async move { asking.request("tools/list", json!({})).await });
        actix::clock::sleep(std::time::Duration::from_millis(10)).await;
        let request = next(&sent);
        assert_eq!(request["method"], "tools/list");
        peer.incoming(json!({"jsonrpc": "2.0", "id": request["id"], "result": {"tools": []}}));
        assert_eq!(call.await.expect("joined"), Ok(json!({"tools": []})));

        let asking = Arc::clone(&peer);
        let call = actix::spawn(async move { asking.request("tools/call", json!({})).await });
        actix::clock::sleep(std::time::Duration::from_millis(10)).await;
        peer.incoming(
            json!({"jsonrpc": "2.0", "id": 2, "error": {"code": -32602, "message": "bad"}}),
        );
        let error = call.await.expect("joined").expect_err("an error");
        assert_eq!(
            error.to_string(),
            "the MCP server emu answered error -32602: bad"
        );
    }

    #[actix::test]
    async fn the_end_of_the_transport_fails_pending_calls() {
        let (peer, _sent, mut events) = peer();
        let asking = Arc::clone(&peer);
        let call = actix::spawn(async move { asking.request("tools/call", json!({})).await });
        actix::clock::sleep(std::time::Duration::from_millis(10)).await;
        peer.close("its stdout closed; the process exit status: 3");
        let error = call.await.expect("joined").expect_err("closed");
        assert!(
            error
                .to_string()
                .starts_with("the MCP server emu exited during the call"),
            "{error}"
        );
        assert!(matches!(events.recv().await, Some(Event::Closed(_))));
        assert!(
            peer.request("ping", json!({})).await.is_err(),
            "refused once closed"
        );
    }

    #[actix::test]
    async fn a_dropped_request_is_cancelled_and_server_requests_are_answered() {
        let (peer, sent, mut events) = peer();
        let call = peer.request("tools/call", json!({}));
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(20), call).await;
        assert!(timed_out.is_err());
        let request = next(&sent);
        let cancelled = next(&sent);
        assert_eq!(cancelled["method"], "notifications/cancelled");
        assert_eq!(cancelled["params"]["requestId"], request["id"]);

        peer.incoming(json!({"jsonrpc": "2.0", "id": "p1", "method": "ping"}));
        assert_eq!(
            next(&sent),
            json!({"jsonrpc": "2.0", "id": "p1", "result": {}})
        );
        peer.incoming(json!({"jsonrpc": "2.0", "id": 7, "method": "sampling/createMessage"}));
        assert_eq!(next(&sent)["error"]["code"], -32601);
        peer.incoming(json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}));
        assert_eq!(events.recv().await, Some(Event::ToolsChanged));
    }
}
