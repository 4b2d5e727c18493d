//! The web actor: the supervised owner of the actix-web server.
//!
//! The listening socket is bound once by the gateway and handed to this actor, which builds an
//! actix-web `HttpServer` on a clone of it in `started`. If the actor fails and is restarted, the new
//! incarnation serves the same socket: the port never changes and no connection attempt is refused
//! while it restarts (they wait in the kernel's backlog). On shutdown it stops accepting, lets
//! in-flight requests finish, then stops.
//!
//! HTTP handlers run on actix-web's worker threads and read shared state ([`AppState`]) directly;
//! they reach actors through `ActorRef`s, never by blocking. The operator routes (`admin*.rs`)
//! are thin adapters over the operator API ([`crate::api::Operator`], through [`operator`]).

pub(crate) mod admin;
pub(crate) mod admin_channels;
pub(crate) mod admin_cron;
pub(crate) mod admin_mcp;
pub(crate) mod admin_memory;
pub(crate) mod admin_metrics;
pub(crate) mod admin_ops;
pub(crate) mod admin_sessions;
pub(crate) mod admin_skills;
pub(crate) mod auth;
pub(crate) mod connections;
pub(crate) mod control_ui;
pub(crate) mod listen;
pub(crate) mod lockout;
pub(crate) mod openai;
pub(crate) mod operator;
pub(crate) mod origin;
pub(crate) mod probes;
pub(crate) mod rate_limit;
pub(crate) mod request_guard;
pub(crate) mod responses;
pub mod routes;
pub(crate) mod timeout;
pub(crate) mod ws_upgrade;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorContext, ActorFutureExt, AsyncContext, Context, WrapFuture};
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse};
use pincer_actors::{ActorRef, ChildContext, Managed, Registry};
use serde_json::json;
use tracing::{info, warn};

use self::auth::AuthGate;
use crate::agent::Engine;
use crate::api::{Operator, Readiness};
use crate::monitor::Monitor;
use crate::sessions::router::SessionRouter;

/// What every HTTP handler can read.
pub struct AppState {
    pub registry: Registry,
    pub auth: AuthGate,
    /// Shared with the operator; the web actor starts draining it at shutdown.
    pub readiness: Arc<Readiness>,
    /// Finds (or starts) session actors.
    pub router: ActorRef<SessionRouter>,
    /// Run settings, provider cooldowns and the transcript store, for status endpoints.
    pub engine: Arc<Engine>,
    /// `gateway.rateLimiting`, when enabled.
    pub limiter: Option<rate_limit::RequestLimiter>,
    /// System figures, metrics, alerts, the memory guard.
    pub monitor: Arc<Monitor>,
    /// `monitoring.metricsPublic`: `/metrics` without authentication.
    pub metrics_public: bool,
    /// `gateway.controlUi.enabled`: `/` and `/ui/...` serve the Control UI.
    pub control_ui: bool,
    /// The inbound journal, the pairing store and the channel actors.
    pub channels: Arc<crate::channels::hub::Channels>,
    /// The WebSocket control plane (event bus, idempotency keys, `/gateway/clients`).
    pub control: Arc<crate::control::ControlPlane>,
    /// Which browser pages may use the gateway (`Origin`/`Host`; HTTP and the WebSocket upgrade).
    pub origins: origin::OriginPolicy,
    /// The operator API every `/admin` route (and every WebSocket method) calls.
    pub operator: Arc<Operator>,
    /// `gateway.http.endpoints.chatCompletions.enabled`: `POST /v1/chat/completions` answers.
    pub chat_completions: bool,
    /// The stored responses of `POST /v1/responses`; `None` while
    /// `gateway.http.endpoints.responses.enabled` is off (the route answers 404).
    pub(crate) responses: Option<Arc<responses::store::ResponseStore>>,
}

/// Server tuning taken from the config.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    pub workers: usize,
    /// `gateway.maxConnections` and `maxConnectionsPerClient`, over all workers.
    pub connections: connections::ConnectionLimits,
    /// `gateway.connectionTimeout`: to finish the request head (and the TLS handshake).
    pub client_request_timeout: Duration,
    /// How long in-flight requests get to finish on shutdown.
    pub graceful_timeout: Duration,
    /// `gateway.requestTimeout` (zero: no limit).
    pub request_timeout: Duration,
}

/// The actor owning the HTTP server.
pub struct WebServer {
    cx: ChildContext,
    listener: Arc<TcpListener>,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: web::Data<AppState>,
    settings: ServerSettings,
    /// Who holds which connections; kept across restarts of this actor, like the socket.
    connections: Arc<connections::ConnectionTracker>,
    handle: Option<ServerHandle>,
    stopping: bool,
}

impl WebServer {
    pub fn new(
        cx: ChildContext,
        listener: Arc<TcpListener>,
        tls: Option<Arc<rustls::ServerConfig>>,
        state: web::Data<AppState>,
        settings: ServerSettings,
    ) -> Self {
        WebServer {
            cx,
            listener,
            tls,
            state,
            settings,
            connections: connections::ConnectionTracker::new(settings.connections),
            handle: None,
            stopping: false,
        }
    }

    fn build(&self) -> std::io::Result<actix_web::dev::Server> {
        let state = self.state.clone();
        let request_timeout =
            web::Data::new(timeout::RequestTimeout(self.settings.request_timeout));
        let metrics = Arc::clone(&self.state.monitor.metrics);
        let metrics_public = self.state.metrics_public;
        let app = move || {
            let metrics = Arc::clone(&metrics);
            App::new()
                .app_data(state.clone())
                .app_data(web::Data::from(Arc::clone(&state.channels)))
                .app_data(request_timeout.clone())
                .wrap(actix_web::middleware::from_fn(request_guard::guard))
                .wrap(actix_web::middleware::from_fn(timeout::limit))
                .wrap(actix_web::middleware::from_fn(rate_limit::throttle))
                .wrap(actix_web::middleware::from_fn(move |request, next| {
                    crate::monitor::http::count(Arc::clone(&metrics), request, next)
                }))
                .configure(|config| all_routes(config, metrics_public))
        };
        listen::server(
            listen::Listen {
                listener: self.listener.try_clone()?,
                tls: self.tls.clone(),
                settings: self.settings,
                tracker: Arc::clone(&self.connections),
                metrics: Arc::clone(&self.state.monitor.metrics),
            },
            app,
        )
    }
}

/// Every route the gateway serves (from [`routes::table`]: protected ones in the authenticated
/// scope), the query-string error shape, and the JSON 404 for everything else.
pub fn all_routes(config: &mut web::ServiceConfig, metrics_public: bool) {
    routes::register(config, metrics_public);
    config
        .app_data(
            web::QueryConfig::default().error_handler(|error, _request| {
                let message = error.to_string();
                actix_web::error::InternalError::from_response(
                    error,
                    HttpResponse::BadRequest().json(json!({
                        "ok": false,
                        "error": { "code": "INVALID_REQUEST", "message": message },
                    })),
                )
                .into()
            }),
        )
        .default_service(web::to(|| async {
            HttpResponse::NotFound().json(json!({
                "ok": false,
                "error": { "code": "NOT_FOUND", "message": "no such endpoint" },
            }))
        }));
}

impl Actor for WebServer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let server = match self.build() {
            Ok(server) => server,
            Err(error) => {
                let cx = self.cx.clone();
                cx.fail(ctx, format!("cannot start the HTTP server: {error}"));
                return;
            }
        };
        self.handle = Some(server.handle());
        info!(workers = self.settings.workers, "HTTP server started");
        ctx.spawn(server.into_actor(self).map(|result, web, ctx| {
            if web.stopping {
                return;
            }
            let why = match result {
                Ok(()) => "the HTTP server stopped unexpectedly".to_string(),
                Err(error) => format!("the HTTP server failed: {error}"),
            };
            let cx = web.cx.clone();
            cx.fail(ctx, why);
        }));
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        // Reached without a graceful stop only after a failure: make sure the old server is gone
        // before a restart builds a new one on the same socket.
        if let Some(handle) = self.handle.take() {
            warn!("stopping the HTTP server without draining");
            actix::spawn(async move { handle.stop(false).await });
        }
    }
}

impl Managed for WebServer {
    fn shutdown(&mut self, ctx: &mut Context<Self>) {
        self.stopping = true;
        self.state.readiness.start_draining();
        let Some(handle) = self.handle.take() else {
            ctx.stop();
            return;
        };
        info!("HTTP server: no longer accepting, draining in-flight requests");
        // `spawn`, not `wait`: the server future spawned in `started` must keep being polled to
        // carry out the stop.
        ctx.spawn(
            async move { handle.stop(true).await }
                .into_actor(self)
                .map(|(), _web, ctx| ctx.stop()),
        );
    }
}

pincer_actors::mailbox!(WebServer:);
