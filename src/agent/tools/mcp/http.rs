//! The streamable-HTTP transport: every client message is a `POST` to the server's endpoint.
//!
//! Each POST carries `Accept: application/json, text/event-stream`, the configured headers, the
//! `Mcp-Session-Id` the server gave in its answer to `initialize` (if any) and, after
//! `initialize`, `MCP-Protocol-Version`. The answer is `202 Accepted` (a notification or a
//! response), one JSON message (`application/json`), or an SSE stream of messages ending with the
//! response; everything read goes to [`Peer::incoming`]. A failed POST fails its request.
//!
//! After `initialize`, [`HttpLink::listen`] opens the optional `GET` stream on which a server
//! sends what is not an answer to a POST (`notifications/tools/list_changed`); a server that
//! answers 405 (it offers none) is fine.
//!
//! A POST runs as its own task, so that the caller's future can be dropped (a timed-out tool
//! call) while the request ends on its own: every request is bounded by the server's timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use super::legacy_sse::StreamTask;
use super::rpc::{Peer, RpcError};
use crate::net::http::error_chain;
use crate::providers::sse::SseParser;

/// The session header of the streamable-HTTP transport.
const SESSION_HEADER: &str = "mcp-session-id";
/// The protocol version header sent after `initialize`.
const VERSION_HEADER: &str = "mcp-protocol-version";
/// The largest JSON body read from a server.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A streamable-HTTP endpoint and its session.
#[derive(Clone)]
pub(crate) struct HttpLink {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session: Mutex<Option<HeaderValue>>,
    version: Mutex<Option<HeaderValue>>,
    timeout: Duration,
}

impl HttpLink {
    /// A link to `url` with `headers` on every request, each bounded by `timeout`.
    pub(crate) fn new(
        url: &str,
        headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<HttpLink, String> {
        let (client, headers) = client_and_headers(headers)?;
        Ok(HttpLink {
            inner: Arc::new(Inner {
                client,
                url: url.to_string(),
                headers,
                session: Mutex::new(None),
                version: Mutex::new(None),
                timeout,
            }),
        })
    }

    /// Sends `protocolVersion` on every later request.
    pub(crate) fn set_version(&self, version: &str) {
        if let Ok(value) = HeaderValue::from_str(version) {
            *lock(&self.inner.version) = Some(value);
        }
    }

    /// Opens the server's `GET` event stream for its notifications, read by the returned task
    /// until the stream ends (or the task is dropped with the connection).
    pub(crate) fn listen(&self, peer: &Arc<Peer>) -> StreamTask {
        let inner = Arc::clone(&self.inner);
        let peer = Arc::clone(peer);
        StreamTask::spawn(async move {
            let mut request = inner
                .client
                .get(&inner.url)
                .headers(inner.headers.clone())
                .header(ACCEPT, "text/event-stream");
            if let Some(session) = lock(&inner.session).clone() {
                request = request.header(SESSION_HEADER, session);
            }
            if let Some(version) = lock(&inner.version).clone() {
                request = request.header(VERSION_HEADER, version);
            }
            let response = match request.send().await {
                Ok(response) if response.status().is_success() => response,
                Ok(_) | Err(_) => return,
            };
            if let Err(reason) = read_events(response, &peer).await {
                tracing::debug!(server = peer.server(), %reason, "the MCP event stream ended");
            }
        })
    }

    /// POSTs `message` in its own task; what comes back goes to `peer`, a failure to request `id`.
    pub(crate) fn post(&self, peer: Arc<Peer>, message: Value, id: Option<u64>) {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            if let Err(reason) = inner.exchange(&peer, &message).await {
                match id {
                    Some(id) => peer.fail(
                        id,
                        RpcError::Unreachable {
                            server: peer.server().to_string(),
                            reason,
                        },
                    ),
                    None => {
                        tracing::debug!(server = peer.server(), %reason, "an MCP notification failed")
                    }
                }
            }
        });
    }
}

/// An HTTP client for MCP servers and the configured headers (marked sensitive, so that no
/// debug output of a request shows them).
pub(crate) fn client_and_headers(
    headers: &[(String, String)],
) -> Result<(reqwest::Client, HeaderMap), String> {
    let client = crate::net::http::builder("an MCP server")
        .build()
        .map_err(|e| e.to_string())?;
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header {name} is not a valid header value"))?;
        value.set_sensitive(true);
        map.insert(name, value);
    }
    Ok((client, map))
}

impl Inner {
    async fn exchange(&self, peer: &Arc<Peer>, message: &Value) -> Result<(), String> {
        let mut request = self
            .client
            .post(&self.url)
            .timeout(self.timeout)
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(message.to_string());
        if let Some(session) = lock(&self.session).clone() {
            request = request.header(SESSION_HEADER, session);
        }
        if let Some(version) = lock(&self.version).clone() {
            request = request.header(VERSION_HEADER, version);
        }
        let response = request.send().await.map_err(|e| error_chain(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        if let Some(session) = response.headers().get(SESSION_HEADER) {
            *lock(&self.session) = Some(session.clone());
        }
        if status == reqwest::StatusCode::ACCEPTED {
            return Ok(());
        }
        let kind = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if kind.starts_with("text/event-stream") {
            read_events(response, peer).await
        } else {
            let body = read_limited(response).await?;
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Array(batch)) => batch.into_iter().for_each(|m| peer.incoming(m)),
                Ok(single) => peer.incoming(single),
                Err(_) if body.is_empty() => {}
                Err(error) => return Err(format!("the answer is not JSON: {error}")),
            }
            Ok(())
        }
    }
}

/// Hands every event of an SSE answer to `peer` until the stream ends.
async fn read_events(response: reqwest::Response, peer: &Arc<Peer>) -> Result<(), String> {
    let mut parser = SseParser::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| error_chain(&e))?;
        for event in parser.push(&chunk).map_err(|e| e.to_string())? {
            if event.data.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(&event.data) {
                Ok(message) => peer.incoming(message),
                Err(error) => return Err(format!("an event is not JSON: {error}")),
            }
        }
    }
    Ok(())
}

async fn read_limited(response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| error_chain(&e))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("the answer is larger than {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
