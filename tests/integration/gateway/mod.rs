//! The gateway process: start-up, authentication (and the walk of every route), the origin and
//! host guard, scopes, TLS, Tailscale, readiness, connection limits, mailbox depths and the
//! Control UI in Chromium.

mod auth;
mod connection_limits;
mod control_ui;
mod control_ui_walls;
mod mailbox_depth;
mod origin;
mod readiness;
mod routes;
mod scopes;
mod start;
mod tailscale;
mod tls;
