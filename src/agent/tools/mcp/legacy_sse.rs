//! The HTTP+SSE transport of protocol revision 2024-11-05, for servers that predate streamable
//! HTTP (`transport: "sse"`).
//!
//! The client opens one long `GET` with `Accept: text/event-stream`; the server's first event,
//! `endpoint`, gives the URL (relative to the stream's) that client messages are POSTed to, and
//! every server message (responses included) then arrives on the stream as a `message` event.
//! The stream's reader is a task owned by the connection ([`StreamTask`], aborted when dropped);
//! when the stream ends, the server is gone: the peer is closed and the actor restarts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use tokio::sync::oneshot;

use super::rpc::{Peer, RpcError};
use crate::net::http::error_chain;
use crate::providers::sse::SseParser;

/// The reader of the event stream; dropping it stops the reading.
#[derive(Debug)]
pub(crate) struct StreamTask(tokio::task::JoinHandle<()>);

impl StreamTask {
    /// Runs `reading` as a task that ends when this is dropped.
    pub(crate) fn spawn(reading: impl std::future::Future<Output = ()> + Send + 'static) -> Self {
        StreamTask(tokio::spawn(reading))
    }
}

impl Drop for StreamTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where messages are POSTed once the server has said.
#[derive(Clone)]
pub(crate) struct LegacyLink {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    url: String,
    headers: HeaderMap,
    endpoint: Mutex<Option<reqwest::Url>>,
    timeout: Duration,
}

impl LegacyLink {
    pub(crate) fn new(
        client: reqwest::Client,
        url: &str,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Self {
        LegacyLink {
            inner: Arc::new(Inner {
                client,
                url: url.to_string(),
                headers,
                endpoint: Mutex::new(None),
                timeout,
            }),
        }
    }

    /// Opens the event stream and waits (within `limit`) for its `endpoint` event; the stream is
    /// then read by the returned task, which hands messages to `peer` and closes it at the end.
    pub(crate) async fn open(
        &self,
        peer: &Arc<Peer>,
        limit: Duration,
    ) -> Result<StreamTask, String> {
        let response = self
            .inner
            .client
            .get(&self.inner.url)
            .headers(self.inner.headers.clone())
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        if !response.status().is_success() {
            return Err(format!(
                "the event stream answered HTTP {}",
                response.status()
            ));
        }
        let base = response.url().clone();
        let (ready_tx, ready_rx) = oneshot::channel();
        let inner = Arc::clone(&self.inner);
        let reading = Arc::clone(peer);
        let task = StreamTask::spawn(async move {
            let reason = read_stream(response, &base, &inner, &reading, ready_tx).await;
            reading.close(&reason);
        });
        match tokio::time::timeout(limit, ready_rx).await {
            Ok(Ok(())) => Ok(task),
            Ok(Err(_)) => Err("the event stream ended before its endpoint event".to_string()),
            Err(_) => Err(format!("no endpoint event within {} ms", limit.as_millis())),
        }
    }

    /// POSTs `message` to the endpoint in its own task; a failure fails request `id`.
    pub(crate) fn post(&self, peer: Arc<Peer>, message: Value, id: Option<u64>) {
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let endpoint = inner
                .endpoint
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let outcome = match endpoint {
                Some(endpoint) => inner
                    .client
                    .post(endpoint)
                    .timeout(inner.timeout)
                    .headers(inner.headers.clone())
                    .header(CONTENT_TYPE, "application/json")
                    .body(message.to_string())
                    .send()
                    .await
                    .map_err(|e| error_chain(&e))
                    .and_then(|r| match r.status().is_success() {
                        true => Ok(()),
                        false => Err(format!("HTTP {}", r.status())),
                    }),
                None => Err("the server has not sent its endpoint".to_string()),
            };
            if let (Err(reason), Some(id)) = (outcome, id) {
                let server = peer.server().to_string();
                peer.fail(id, RpcError::Unreachable { server, reason });
            }
        });
    }
}

/// Reads the stream to its end; returns why it ended.
async fn read_stream(
    response: reqwest::Response,
    base: &reqwest::Url,
    inner: &Inner,
    peer: &Arc<Peer>,
    ready: oneshot::Sender<()>,
) -> String {
    let mut ready = Some(ready);
    let mut parser = SseParser::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => return format!("its event stream failed: {}", error_chain(&error)),
        };
        let events = match parser.push(&chunk) {
            Ok(events) => events,
            Err(error) => return format!("its event stream is broken: {error}"),
        };
        for event in events {
            match event.event.as_deref() {
                Some("endpoint") => match base.join(event.data.trim()) {
                    // Only the server's own origin: a hostile stream must not redirect the
                    // client's messages (and its headers) elsewhere.
                    Ok(url) if url.origin() == base.origin() => {
                        *inner.endpoint.lock().unwrap_or_else(|p| p.into_inner()) = Some(url);
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(());
                        }
                    }
                    _ => return format!("its endpoint {:?} is not on its own origin", event.data),
                },
                None | Some("message") => match serde_json::from_str::<Value>(&event.data) {
                    Ok(message) => peer.incoming(message),
                    Err(error) => {
                        tracing::debug!(server = peer.server(), %error, "an SSE message that is not JSON")
                    }
                },
                Some(_) => {}
            }
        }
    }
    "its event stream ended".to_string()
}
