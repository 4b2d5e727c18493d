//! The accept path of the HTTP server: what actix-web's `HttpServer` does, plus a say in which
//! connections get in.
//!
//! `HttpServer` cannot refuse or close a connection from the outside, so the gateway builds the
//! same stack itself: an `actix_server` server on the gateway's listening socket whose service,
//! per accepted TCP stream, first asks the [`ConnectionTracker`] (caps per client address and in
//! total, replacing the oldest connection that has not sent a request head yet; see
//! [`super::connections`]), then hands the stream to `actix_http`'s `HttpService` (over rustls
//! when TLS is on) running the actix-web `App`. Every request marks its connection as proven,
//! except a WebSocket upgrade, whose socket does so once the client has authenticated.
//! A refused plain-HTTP connection gets a one-line 503 before it is closed; a refused TLS one is
//! just closed. The request-head timeout (`gateway.connectionTimeout`) also bounds the TLS
//! handshake.

#![allow(
    unsafe_code,
    reason = "one non-blocking send(2) of a refusal on a socket about to be closed"
)]

use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpMessage, HttpService, Request, TlsAcceptorConfig};
use actix_server::{Server, ServerBuilder};
use actix_service::{
    apply_fn_factory, boxed, map_config, IntoServiceFactory, Service, ServiceFactory,
    ServiceFactoryExt,
};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::rt::net::TcpStream;
use actix_web::App;
use futures_util::future::{select, Either};
use serde_json::json;
use tracing::debug;

use super::connections::{ConnectionTracker, PendingProof, Refusal};
use super::ServerSettings;
use crate::monitor::metrics::Metrics;

/// After answering, how long a connection may take to close before it is dropped.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long an idle keep-alive connection stays open.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// What the server is built from, besides the app.
pub(crate) struct Listen {
    pub listener: TcpListener,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub settings: ServerSettings,
    pub tracker: Arc<ConnectionTracker>,
    pub metrics: Arc<Metrics>,
}

/// Builds (without starting) the HTTP server running `app` on `listen.listener`.
pub(crate) fn server<F, T, B>(listen: Listen, app: F) -> io::Result<Server>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let Listen {
        listener,
        tls,
        settings,
        tracker,
        metrics,
    } = listen;
    let addr = listener.local_addr()?;
    let secure = tls.is_some();
    // Each incarnation of the web actor serves the same socket through a clone of it.
    let builder = ServerBuilder::default()
        .workers(settings.workers)
        // The tracker decides who gets in; the workers must keep accepting so that a refusal
        // (or the replacement of a stale connection) happens at once, not after the backlog.
        .max_concurrent_connections(settings.connections.max_total.saturating_mul(2).max(64))
        .shutdown_timeout(settings.graceful_timeout.as_secs().max(1))
        .disable_signals();
    let draining = builder.graceful_shutdown_signal();
    let factory = move || {
        let proving = Arc::clone(&tracker);
        let app = app.clone();
        let make_app = move || {
            let proving = Arc::clone(&proving);
            let app = apply_fn_factory(
                app().into_factory().map_err(|error| error.error_response()),
                move |request: Request, app: &_| {
                    if let Some(peer) = request.peer_addr() {
                        if request.upgrade() {
                            // Proven by the WebSocket handshake, not by the upgrade request.
                            let proof = PendingProof::new(Arc::clone(&proving), peer);
                            request.extensions_mut().insert(proof);
                        } else {
                            proving.proven(peer);
                        }
                    }
                    Service::call(app, request)
                },
            );
            map_config(app, move |()| {
                AppConfig::__priv_test_new(secure, addr.to_string(), addr)
            })
        };
        // The same HTTP settings over either transport (the stream type differs).
        macro_rules! http {
            () => {{
                let draining = draining.clone();
                HttpService::build()
                    .graceful_shutdown_signal(move || {
                        let draining = draining.clone();
                        async move { draining.notified().await }
                    })
                    .keep_alive(KEEP_ALIVE)
                    .client_request_timeout(settings.client_request_timeout)
                    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                    .local_addr(addr)
                    .finish(make_app())
            }};
        }
        let (tracker, metrics) = (Arc::clone(&tracker), Arc::clone(&metrics));
        match &tls {
            Some(tls) => {
                let handshake =
                    TlsAcceptorConfig::default().handshake_timeout(settings.client_request_timeout);
                boxed::factory(admitting(
                    http!().rustls_0_23_with_config((**tls).clone(), handshake),
                    tracker,
                    metrics,
                    false,
                ))
            }
            None => boxed::factory(admitting(http!().tcp(), tracker, metrics, true)),
        }
    };
    Ok(builder.listen("pincer-http", listener, factory)?.run())
}

/// Wraps a per-stream service so that each accepted stream is admitted (or refused) first and
/// closed when a newcomer takes its place.
fn admitting<SF>(
    inner: SF,
    tracker: Arc<ConnectionTracker>,
    metrics: Arc<Metrics>,
    plain: bool,
) -> impl ServiceFactory<TcpStream, Config = (), Response = (), Error = (), InitError = ()>
where
    SF: ServiceFactory<TcpStream, Config = (), Response = (), InitError = ()>,
    SF::Service: 'static,
    SF::Error: std::fmt::Debug + 'static,
{
    let admitted = apply_fn_factory(inner, move |stream: TcpStream, service: &SF::Service| {
        let admission = stream
            .peer_addr()
            .map_err(|e| e.to_string())
            .and_then(|peer| tracker.admit(peer).map_err(|r| refuse(&stream, r, plain)));
        let connection = admission.map(|ticket| (ticket, service.call(stream)));
        let metrics = Arc::clone(&metrics);
        async move {
            let (mut ticket, serving) = match connection {
                Ok(connection) => connection,
                Err(why) => {
                    debug!(%why, "connection not admitted");
                    return Ok(());
                }
            };
            let _open = metrics.connection_opened();
            let served = match select(Box::pin(serving), &mut ticket.evicted).await {
                Either::Left((served, _)) => served,
                // A newcomer took its place: dropping the connection's future closes its socket.
                Either::Right((Ok(()), _)) => Ok(()),
                Either::Right((Err(_), serving)) => serving.await,
            };
            if let Err(error) = served {
                debug!(?error, "connection ended with an error");
            }
            Ok::<(), SF::Error>(())
        }
    });
    admitted.map_err(|_| ())
}

/// Tells a refused plain-HTTP client why (best effort, never waiting); the reason, for the log.
fn refuse(stream: &TcpStream, refusal: Refusal, plain: bool) -> String {
    let why = refusal.to_string();
    if plain {
        let body = json!({ "ok": false,
            "error": { "code": "TOO_MANY_CONNECTIONS", "message": why } })
        .to_string();
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        // A fresh socket's send buffer is empty: one non-blocking send either takes the whole
        // answer or the client is gone. (tokio's `try_write` would refuse until the reactor has
        // seen the socket writable.)
        let fd = std::os::fd::AsRawFd::as_raw_fd(stream);
        // SAFETY: `fd` belongs to `stream`, borrowed for the duration of the call; `answer`
        // outlives it.
        let _ = unsafe {
            libc::send(
                fd,
                answer.as_ptr().cast(),
                answer.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
    }
    why
}
