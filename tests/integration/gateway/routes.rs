//! Auth by construction, on the real binary: the gateway registers its routes from one table
//! (`pincer::web::routes::table`), so walking that table walks every route it serves. Each route
//! that is not on the public list below refuses a request without a credential (and one with a
//! wrong credential) with 401, before its handler runs; each one on it answers without one; the
//! table's public routes are exactly that list; and every row is a real route (with the token,
//! its handler answers, not the fallback 404).

use pincer::web::routes::{self, Access, Route};
use serde_json::Value;

use crate::support::{http_request, Gateway, Response};

/// The routes served without a credential: the probes, the Control UI, the WebSocket upgrade
/// (it authenticates in its `connect` frame), the channels' webhooks (each with its platform's
/// own check), and `/metrics` only with `monitoring.metricsPublic`.
fn expected_public(metrics_public: bool) -> Vec<String> {
    let mut public = vec![
        "GET /healthz",
        "GET /health",
        "GET /readyz",
        "GET /ready",
        "GET /",
        "HEAD /",
        "GET /ui/{name:.+}",
        "HEAD /ui/{name:.+}",
        "GET /ws",
        "GET /webhooks/whatsapp",
        "POST /webhooks/whatsapp",
        "POST /webhooks/telegram",
    ];
    if metrics_public {
        public.push("GET /metrics");
    }
    let mut public: Vec<String> = public.into_iter().map(str::to_string).collect();
    public.sort();
    public
}

/// `route.path` with a sample value for each parameter.
fn concrete(route: &Route) -> String {
    route
        .path
        .split('/')
        .map(|segment| match segment {
            "{id}" => "1",
            "{key}" => "agent:main:route-walk",
            "{channel}" => "whatsapp",
            "{name}" => "route-walk",
            "{name:.+}" => "js/app.js",
            other if other.starts_with('{') => {
                panic!("{}: give the parameter {other} a sample here", route.path)
            }
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn send(gateway: &Gateway, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let body = (method == "POST").then(|| "{}".to_string());
    http_request(gateway.addr, method, path, headers, body)
}

/// The fallback's answer to a path no route serves.
fn is_fallback(response: &Response) -> bool {
    response.status == 404 && response.body["error"]["message"] == "no such endpoint"
}

fn walk(metrics_public: bool) {
    let config = format!("{{ monitoring: {{ metricsPublic: {metrics_public} }} }}");
    let gateway = Gateway::start(Some(&config));
    let bearer = format!("Bearer {}", gateway.token());
    let expected = expected_public(metrics_public);
    let mut public = Vec::new();
    let mut protected = 0;
    for route in routes::table() {
        let path = concrete(&route);
        for method in route.methods {
            let name = format!("{method} {}", route.path);
            if route.is_public(metrics_public) {
                if let Access::Public(why) = route.access {
                    assert!(!why.is_empty(), "{name} is public without a reason");
                }
                public.push(name.clone());
            }
            let bare = send(&gateway, method, &path, &[]);
            if expected.contains(&name) {
                assert_ne!(bare.status, 401, "{name} is public: {}", bare.text);
                assert!(!is_fallback(&bare), "{name} ({path}) is not served");
            } else {
                protected += 1;
                assert_eq!(
                    bare.status, 401,
                    "{name} ({path}) without a credential: {}",
                    bare.text
                );
                assert_eq!(bare.body["error"]["code"], "UNAUTHORIZED", "{name}");
                assert_eq!(
                    bare.header("www-authenticate"),
                    Some("Bearer realm=\"pincer\""),
                    "{name}"
                );
                let wrong = send(
                    &gateway,
                    method,
                    &path,
                    &[("Authorization", "Bearer not-the-token")],
                );
                assert_eq!(wrong.status, 401, "{name} with a wrong credential");
            }
            let authed = send(&gateway, method, &path, &[("Authorization", &bearer)]);
            assert_ne!(authed.status, 401, "{name} with the token: {}", authed.text);
            if *method != "HEAD" {
                assert!(
                    !is_fallback(&authed),
                    "{name}: the table's path is not what the handler serves ({path})"
                );
            }
        }
    }
    public.sort();
    assert_eq!(public, expected, "the table's public routes");
    // At least the 16 handlers that take `Authorized<op::X>`, and `/metrics` unless it is public.
    let at_least = if metrics_public { 16 } else { 17 };
    assert!(
        protected >= at_least,
        "only {protected} protected routes walked"
    );
    // Off the table, a path is still the plain 404, with or without a credential.
    for headers in [&[][..], &[("Authorization", bearer.as_str())][..]] {
        let unknown = send(&gateway, "GET", "/admin/nope", headers);
        assert!(is_fallback(&unknown), "{}", unknown.text);
        assert_eq!(unknown.body["error"]["code"], Value::from("NOT_FOUND"));
    }
}

#[test]
fn every_route_off_the_public_list_refuses_a_request_without_a_credential() {
    walk(false);
}

#[test]
fn with_metrics_public_only_metrics_joins_the_public_list() {
    walk(true);
}
