//! The route table: every HTTP route the gateway serves, and which few need no credential.
//!
//! Authentication is by construction. [`register`] is the only place routes are registered, and
//! it registers them from [`table`]: the public ones at the top level, every other one inside
//! one scope wrapped by [`auth::require`](super::auth::require), so no handler of a protected
//! route runs for a request without a valid credential, whatever its body does. Each handler's
//! `Authorized<op::X>` then checks the operation's scope (the same table the WebSocket methods
//! use). Outside the scope are only:
//!
//! - the probes (`/healthz`, `/health`, `/readyz`, `/ready`), for load balancers and supervisors;
//! - the Control UI's page and assets, which hold no secret (the app signs in over `/ws`);
//! - the WebSocket upgrade `/ws` (also at `/` for a request that asks to upgrade, as OpenClaw's
//!   clients connect to `ws://host:port`), which authenticates in its `connect` frame (counted by the same
//!   lockout), so that a refusal reaches the page as a frame it can show;
//! - the channels' webhooks (declared by each channel plug-in, [`Webhook`]), each authenticated
//!   by its platform's signature or secret header;
//! - `/metrics` when `monitoring.metricsPublic` is set (for a Prometheus without a token).
//!
//! The scope admits exactly the paths of the protected routes (its guard matches them as the
//! router does), so an unknown path still gets the plain 404 without a credential. The order of
//! the walls is unchanged: the application-wide middlewares (request counting, rate limiting,
//! the request timeout, then the origin and host guard) run before routing, the credential check
//! (with its lockout) after it, the scope check last. `tests/integration/gateway/routes.rs` walks
//! the table against the real binary: every route off the public list answers 401 without a
//! credential, and the public list is exactly the one above.

use actix_web::dev::{ResourceDef, Url};
use actix_web::guard::{Guard, GuardContext};
use actix_web::web;

use super::{
    admin, admin_channels, admin_cron, admin_mcp, admin_memory, admin_metrics, admin_ops,
    admin_sessions, admin_skills, auth, control_ui, openai, probes, responses, ws_upgrade,
};
use crate::channels::plugin::Webhook;
use crate::channels::registry;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Inside the authenticated scope: a valid credential first, then the handler's scope.
    Protected,
    /// Outside it; the text says why, or what authenticates it instead.
    Public(&'static str),
    /// `/metrics`: public when `monitoring.metricsPublic` is set, protected otherwise.
    PublicWhenMetricsPublic,
}

/// One row of the route table.
#[derive(Clone, Copy)]
pub struct Route {
    /// The methods its handler answers.
    pub methods: &'static [&'static str],
    /// Its path pattern, as its handler's attribute declares it.
    pub path: &'static str,
    pub access: Access,
    /// Adds its handler to a service config.
    register: fn(&mut web::ServiceConfig),
}

impl Route {
    /// Whether it is served outside the authenticated scope, given `monitoring.metricsPublic`.
    pub fn is_public(&self, metrics_public: bool) -> bool {
        match self.access {
            Access::Protected => false,
            Access::Public(_) => true,
            Access::PublicWhenMetricsPublic => metrics_public,
        }
    }
}

/// A table row for the handler `$service` (an actix-web route attribute's service).
macro_rules! route {
    ([$($method:literal),+] $path:literal, $access:expr, $service:path) => {
        Route {
            methods: &[$($method),+],
            path: $path,
            access: $access,
            register: |config| {
                config.service($service);
            },
        }
    };
}

const PROBE: Access = Access::Public("a probe: liveness and readiness for supervisors");
const UI: Access = Access::Public("the Control UI holds no secret; it signs in over /ws");

/// The gateway's own routes.
const GATEWAY: &[Route] = &[
    route!(["GET"] "/healthz", PROBE, probes::healthz),
    route!(["GET"] "/health", PROBE, probes::health),
    route!(["GET"] "/readyz", PROBE, probes::readyz),
    route!(["GET"] "/ready", PROBE, probes::ready),
    route!(["GET"] "/admin/actors", Access::Protected, admin::list_actors),
    route!(["GET"] "/admin/actors/{id}", Access::Protected, admin::get_actor),
    route!(["POST"] "/admin/actors/{id}/panic", Access::Protected, admin::panic_actor),
    route!(["GET"] "/metrics", Access::PublicWhenMetricsPublic, admin_metrics::prometheus),
    route!(["GET"] "/admin/metrics", Access::Protected, admin_metrics::seed_metrics),
    route!(["GET"] "/admin/health", Access::Protected, admin_ops::health),
    route!(["GET"] "/admin/logs", Access::Protected, admin_ops::logs),
    route!(["GET"] "/admin/config", Access::Protected, admin_ops::config),
    route!(["GET"] "/admin/status", Access::Protected, admin_sessions::status),
    route!(["GET"] "/admin/sessions", Access::Protected, admin_sessions::list),
    route!(["GET"] "/admin/sessions/{key}/history", Access::Protected, admin_sessions::history),
    route!(["GET"] "/admin/sessions/{key}/traces", Access::Protected, admin_sessions::traces),
    route!(["GET"] "/admin/sessions/{key}/children", Access::Protected, admin_sessions::children),
    route!(["GET"] "/admin/subagents", Access::Protected, admin_sessions::subagents),
    route!(["GET"] "/admin/sessions/{key}", Access::Protected, admin_sessions::show),
    route!(["POST"] "/admin/sessions/{key}/reset", Access::Protected, admin_sessions::reset),
    route!(["POST"] "/v1/chat/completions", Access::Protected, openai::chat_completions),
    route!(["GET"] "/v1/models", Access::Protected, openai::models),
    route!(["POST"] "/v1/responses", Access::Protected, responses::responses),
    route!(
        ["GET"] "/ws",
        Access::Public("authenticates in its `connect` frame, counted by the same lockout"),
        ws_upgrade::upgrade
    ),
    route!(["GET"] "/admin/channels", Access::Protected, admin_channels::status),
    route!(["GET"] "/admin/mcp", Access::Protected, admin_mcp::list),
    route!(["GET"] "/admin/mcp/{name}/tools", Access::Protected, admin_mcp::tools),
    route!(["GET"] "/admin/pairing/{channel}", Access::Protected, admin_channels::list_pairing),
    route!(["POST"] "/admin/pairing/{channel}/approve", Access::Protected, admin_channels::approve),
    route!(["POST"] "/admin/pairing/{channel}/revoke", Access::Protected, admin_channels::revoke),
    route!(["POST"] "/admin/channels/{channel}/send", Access::Protected, admin_channels::send),
    route!(["POST"] "/admin/channels/{channel}/send-file", Access::Protected, admin_channels::send_file),
    route!(["GET"] "/admin/skills", Access::Protected, admin_skills::status),
    route!(["GET"] "/admin/cron", Access::Protected, admin_cron::list),
    route!(["GET"] "/admin/cron/status", Access::Protected, admin_cron::status),
    route!(["POST"] "/admin/cron", Access::Protected, admin_cron::add),
    route!(["POST"] "/admin/cron/{id}", Access::Protected, admin_cron::update),
    route!(["POST"] "/admin/cron/{id}/remove", Access::Protected, admin_cron::remove),
    route!(["POST"] "/admin/cron/{id}/run", Access::Protected, admin_cron::run),
    route!(["GET"] "/admin/cron/{id}/runs", Access::Protected, admin_cron::runs),
    route!(["GET"] "/admin/memory", Access::Protected, admin_memory::status),
    route!(["POST"] "/admin/memory/reindex", Access::Protected, admin_memory::reindex),
    route!(["GET"] "/admin/memory/search", Access::Protected, admin_memory::search),
    Route {
        methods: &["GET", "HEAD"],
        path: "/",
        access: Access::Public(
            "the Control UI holds no secret; a WebSocket upgrade here is /ws's, authenticated in its `connect` frame",
        ),
        // The upgrade first: its guard admits only `Upgrade: websocket`; the page takes the rest.
        register: |config| {
            config.service(ws_upgrade::upgrade_at_root);
            config.service(control_ui::index);
        },
    },
    route!(["GET", "HEAD"] "/ui/{name:.+}", UI, control_ui::ui_asset),
];

/// A channel's webhook as a row: public, authenticated by its platform's own check.
fn webhook(hook: &Webhook) -> Route {
    Route {
        methods: hook.methods,
        path: hook.path,
        access: Access::Public(hook.check),
        register: hook.register,
    }
}

/// Every route the gateway serves, in registration order: its own, then each channel's
/// webhooks (declared by the channel plug-ins).
pub fn table() -> Vec<Route> {
    GATEWAY
        .iter()
        .copied()
        .chain(registry::webhooks().map(webhook))
        .collect()
}

/// Registers every route of [`table`]: the public ones here, the others in the authenticated
/// scope.
pub fn register(config: &mut web::ServiceConfig, metrics_public: bool) {
    let (public, protected): (Vec<Route>, Vec<Route>) = table()
        .into_iter()
        .partition(|route| route.is_public(metrics_public));
    for route in public {
        (route.register)(config);
    }
    let paths = ProtectedPaths(protected.iter().map(|r| ResourceDef::new(r.path)).collect());
    let scope = web::scope("")
        .guard(paths)
        .wrap(actix_web::middleware::from_fn(auth::require));
    config.service(
        protected
            .into_iter()
            .fold(scope, |scope, route| scope.configure(route.register)),
    );
}

/// The authenticated scope's guard: the path is one of the protected routes' patterns, matched
/// on the path as the router sees it (percent-decoded like the router does).
struct ProtectedPaths(Vec<ResourceDef>);

impl Guard for ProtectedPaths {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let url = Url::new(ctx.head().uri.clone());
        self.0.iter().any(|pattern| pattern.is_match(url.path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_and_path_is_listed_once_and_every_pattern_parses() {
        let mut seen = std::collections::HashSet::new();
        for route in table() {
            for method in route.methods {
                assert!(
                    seen.insert((*method, route.path)),
                    "{method} {} is listed twice",
                    route.path
                );
            }
            assert!(ResourceDef::new(route.path).is_match(&sample(route.path)));
        }
    }

    #[test]
    fn the_guard_admits_protected_paths_only_also_percent_encoded() {
        let guard = ProtectedPaths(vec![
            ResourceDef::new("/admin/actors"),
            ResourceDef::new("/admin/sessions/{key}/reset"),
        ]);
        let admits = |path: &str| {
            let request = actix_web::test::TestRequest::with_uri(path).to_srv_request();
            guard.check(&request.guard_ctx())
        };
        assert!(admits("/admin/actors"));
        assert!(
            admits("/admin/%61ctors"),
            "decoded as the router decodes it"
        );
        assert!(admits("/admin/sessions/agent%3Amain%3Ax/reset"));
        assert!(!admits("/admin/actors/"));
        assert!(!admits("/nope"));
        assert!(!admits("/healthz"));
    }

    /// A path matching `pattern`, with a sample value for each parameter.
    fn sample(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "x"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}
