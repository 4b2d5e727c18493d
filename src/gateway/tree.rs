//! The gateway's supervision tree.
//!
//! ```text
//! /gateway            root, one_for_one, default intensity (3 restarts in 10 s, then exit 1)
//! ├── monitor         supervisor (resource and monitoring actors)
//! ├── sessions        supervisor (one actor per session, added on demand)
//! ├── channels        supervisor (one actor per channel account)
//! └── web             WebServer actor, started last so that it is stopped first
//! ```
//!
//! Children are independent, so one_for_one. The web actor is last: on shutdown it stops accepting
//! and drains before the actors that serve its requests are stopped.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use pincer_actors::{
    ActorRef, ChildSpec, Registry, RootHandle, Strategy, Supervisor, SupervisorSpec,
};

use crate::web::{AppState, ServerSettings, WebServer};

/// Paths that must be running for `/readyz` to answer 200.
pub const REQUIRED: [&str; 4] = [
    "/gateway/monitor",
    "/gateway/sessions",
    "/gateway/channels",
    "/gateway/web",
];

/// The running tree and the addresses later subsystems attach to.
pub struct Tree {
    pub root: RootHandle,
    pub monitor: ActorRef<Supervisor>,
    pub sessions: ActorRef<Supervisor>,
    pub channels: ActorRef<Supervisor>,
    pub web: ActorRef<WebServer>,
}

/// Starts the tree on the current actix arbiter.
pub fn start(
    registry: &Registry,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: web::Data<AppState>,
    settings: ServerSettings,
) -> Tree {
    let (monitor_spec, monitor) = SupervisorSpec::new(Strategy::OneForOne).into_child("monitor");
    let (sessions_spec, sessions) = SupervisorSpec::new(Strategy::OneForOne).into_child("sessions");
    let (channels_spec, channels) = SupervisorSpec::new(Strategy::OneForOne).into_child("channels");
    let listener = Arc::new(listener);
    let (web_spec, web) = ChildSpec::actor("web", "web", move |cx| {
        WebServer::new(
            cx.clone(),
            Arc::clone(&listener),
            tls.clone(),
            state.clone(),
            settings,
        )
    });
    let web_spec = web_spec.shutdown_timeout(settings.graceful_timeout + Duration::from_secs(5));
    let root_spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(monitor_spec)
        .child(sessions_spec)
        .child(channels_spec)
        .child(web_spec);
    let root = RootHandle::start(registry, "gateway", root_spec);
    Tree {
        root,
        monitor,
        sessions,
        channels,
        web,
    }
}
