//! The Control UI: a small browser app served by the gateway itself at `GET /`, with its assets
//! under `GET /ui/...` (`gateway.controlUi.enabled`, default true; 404 when disabled).
//!
//! The files under `src/web/ui/` are embedded at build time (no CDN, no build step, no external
//! fonts). The pages hold no secret, so they are served without authentication: the app signs in
//! over the WebSocket protocol at `/ws` with the token or password the operator types, and does
//! everything else over that socket. Every answer carries a strict `Content-Security-Policy`
//! (same-origin scripts and styles only, no inline script, WebSocket connections only), an `ETag`
//! and `Cache-Control: no-cache` (revalidated on each load, so a new binary's UI shows at once).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{route, web, HttpRequest, HttpResponse};
use serde_json::json;

use super::AppState;

/// The policy sent with every UI answer.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ws: wss:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    /// The path under `/ui/`.
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// A hash of `body`, computed at compile time.
    etag: u64,
}

/// FNV-1a, evaluated at compile time for the `ETag`s.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("ui/", $name)),
            etag: fnv1a(include_bytes!(concat!("ui/", $name))),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the app.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("js/app.js", JS),
    asset!("js/gateway.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/signin.js", JS),
    asset!("js/chat.js", JS),
    asset!("js/sessions.js", JS),
    asset!("js/subagents.js", JS),
    asset!("js/pairing.js", JS),
    asset!("js/skills.js", JS),
    asset!("js/cron.js", JS),
    asset!("js/actors.js", JS),
    asset!("js/health.js", JS),
    asset!("js/mcp.js", JS),
];

/// Whether `gateway.controlUi.enabled`.
fn enabled(state: &AppState) -> bool {
    state.control_ui
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({
        "ok": false,
        "error": { "code": "NOT_FOUND", "message": "no such endpoint" },
    }))
}

/// The asset's answer: 200 with the body, or 304 when the browser's copy is current.
fn serve(request: &HttpRequest, asset: &Asset) -> HttpResponse {
    let etag = format!("\"{:016x}\"", asset.etag);
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-cache"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

/// `GET /` (and `HEAD`): the app's page.
#[route("/", method = "GET", method = "HEAD")]
pub(crate) async fn index(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match find("index.html").filter(|_| enabled(&state)) {
        Some(asset) => serve(&request, asset),
        None => not_found(),
    }
}

/// `GET /ui/{name}` (and `HEAD`): the app's scripts, styles and icon.
#[route("/ui/{name:.+}", method = "GET", method = "HEAD")]
pub(crate) async fn ui_asset(
    request: HttpRequest,
    name: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    match find(&name).filter(|_| enabled(&state)) {
        Some(asset) => serve(&request, asset),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_with_a_distinct_etag() {
        let mut tags: Vec<u64> = ASSETS.iter().map(|a| a.etag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), ASSETS.len());
        assert!(ASSETS.iter().all(|a| !a.body.is_empty()));
    }

    #[test]
    fn the_page_loads_only_same_origin_modules_and_no_inline_script() {
        let page = std::str::from_utf8(find("index.html").unwrap().body).unwrap();
        for tag in page.split("<script").skip(1) {
            let head = tag.split('>').next().unwrap();
            assert!(
                head.contains("src=\"/ui/"),
                "external or inline script: {tag}"
            );
            let body = tag.split_once('>').unwrap().1;
            assert!(body.starts_with("</script"), "inline script: {tag}");
        }
        assert!(!page.contains("style=\""), "inline style attribute");
        assert!(!page.contains("http://") && !page.contains("https://"));
        // Every module the app imports is served.
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let module = line.rsplit("from './").next().unwrap();
                let module = module.trim_end_matches(['\'', ';']);
                assert!(
                    find(&format!("js/{module}")).is_some(),
                    "{}: {module} is not embedded",
                    asset.name
                );
            }
        }
    }

    #[test]
    fn fnv_is_fnv() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
