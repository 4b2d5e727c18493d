//! The HTTP middleware that keeps web pages from driving the gateway through the owner's
//! browser, in every auth mode (also `none`):
//!
//! 1. browser requests must pass the [`OriginPolicy`](super::origin::OriginPolicy): a foreign
//!    `Origin` on a state-changing request, or a `Host` that is not one of the gateway's names
//!    (DNS rebinding), is answered 403 `ORIGIN_NOT_ALLOWED` / `HOST_NOT_ALLOWED`;
//! 2. a state-changing request to the JSON API must send `Content-Type: application/json` (or
//!    no body and no type at all): 415 otherwise. A page can send `text/plain`, form and
//!    multipart bodies cross-site without asking; a JSON body needs a CORS preflight, which the
//!    gateway never grants. This stops such "simple requests" also from browsers that send no
//!    `Origin`.
//!
//! The one route that takes a raw body, `POST /admin/channels/{channel}/send-file` (a file's
//! bytes), takes any declared type but the three a page may send without a preflight
//! (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`), so the same holds.
//!
//! The WebSocket upgrade (`/ws`) is left to its handler, which asks the same policy and answers
//! with a close frame the Control UI can show. Webhooks (`/webhooks/...`) keep their platforms'
//! content types; they still get the origin rule (platforms send no `Origin`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde_json::json;
use tracing::warn;

use super::origin::RequestFacts;
use super::AppState;

/// The one media type the JSON API takes.
pub(crate) const JSON: &str = "application/json";

/// Whether a state-changing request to `path` has an acceptable body type: `Ok` or the type
/// it sent (`"none"` for a body without one).
fn body_type(request: &ServiceRequest) -> Result<(), String> {
    if request.path().starts_with("/webhooks/") {
        return Ok(());
    }
    let headers = request.headers();
    if takes_raw_body(request.path()) {
        let text = headers
            .get(header::CONTENT_TYPE)
            .map_or("none", |v| v.to_str().unwrap_or("(not text)"));
        let essence = text
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let simple = [
            "none",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ];
        return if simple.contains(&essence.as_str()) {
            Err(text.chars().take(100).collect())
        } else {
            Ok(())
        };
    }
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => {
            let text = value.to_str().unwrap_or("(not text)");
            let essence = text.split(';').next().unwrap_or("").trim();
            if essence.eq_ignore_ascii_case(JSON) {
                Ok(())
            } else {
                Err(text.chars().take(100).collect())
            }
        }
        None => {
            let empty = headers
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0")
                && !headers.contains_key(header::TRANSFER_ENCODING);
            if empty {
                Ok(())
            } else {
                Err("none".to_string())
            }
        }
    }
}

/// The routes whose body is a file's bytes, not JSON.
fn takes_raw_body(path: &str) -> bool {
    path.strip_prefix("/admin/channels/")
        .and_then(|rest| rest.strip_suffix("/send-file"))
        .is_some_and(|channel| !channel.is_empty() && !channel.contains('/'))
}

fn refuse(
    request: ServiceRequest,
    status: actix_web::http::StatusCode,
    code: &str,
    message: String,
) -> ServiceResponse {
    request.into_response(HttpResponse::build(status).json(json!({
        "ok": false,
        "error": { "code": code, "message": message },
    })))
}

/// The middleware (installed with `middleware::from_fn`).
pub(crate) async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::http::StatusCode;
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if request.path() == "/ws" {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let facts = RequestFacts::of(request.request(), false);
    if let Err(refusal) = state.origins.check(&facts) {
        warn!(
            peer = ?request.peer_addr(),
            method = %request.method(),
            path = request.path(),
            code = refusal.code(),
            "browser request refused: {refusal}"
        );
        let response = refuse(
            request,
            StatusCode::FORBIDDEN,
            refusal.code(),
            refusal.to_string(),
        );
        return Ok(response.map_into_right_body());
    }
    if facts.state_changing {
        if let Err(sent) = body_type(&request) {
            warn!(
                peer = ?request.peer_addr(),
                path = request.path(),
                content_type = %sent,
                "request refused: not a JSON body"
            );
            let message = format!(
                "{} {} takes {}: send Content-Type: {} (got {sent})",
                request.method(),
                request.path(),
                if takes_raw_body(request.path()) {
                    "a file's bytes"
                } else {
                    "a JSON body"
                },
                if takes_raw_body(request.path()) {
                    "the file's type (application/octet-stream, ...)"
                } else {
                    JSON
                },
            );
            let response = refuse(
                request,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                message,
            );
            return Ok(response.map_into_right_body());
        }
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn verdict(request: TestRequest) -> Result<(), String> {
        body_type(&request.to_srv_request())
    }

    #[test]
    fn only_json_or_nothing_is_taken() {
        let post = || TestRequest::post().uri("/admin/sessions/x/reset");
        assert_eq!(
            verdict(post().insert_header((header::CONTENT_TYPE, "application/json"))),
            Ok(())
        );
        assert_eq!(
            verdict(
                post().insert_header((header::CONTENT_TYPE, "Application/JSON; charset=utf-8"))
            ),
            Ok(())
        );
        assert_eq!(verdict(post()), Ok(()), "no body, no type");
        assert_eq!(
            verdict(post().insert_header((header::CONTENT_LENGTH, "0"))),
            Ok(())
        );
        for sent in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            assert_eq!(
                verdict(post().insert_header((header::CONTENT_TYPE, sent))),
                Err(sent.to_string())
            );
        }
        assert_eq!(
            verdict(post().insert_header((header::CONTENT_LENGTH, "12"))),
            Err("none".to_string())
        );
        assert_eq!(
            verdict(
                TestRequest::post()
                    .uri("/webhooks/telegram")
                    .insert_header((header::CONTENT_TYPE, "text/plain"))
            ),
            Ok(()),
            "webhooks keep their platform's type"
        );
    }

    #[test]
    fn a_file_send_takes_a_declared_type_that_needs_a_preflight() {
        let post = || TestRequest::post().uri("/admin/channels/whatsapp/send-file?to=1");
        for sent in ["application/octet-stream", "application/pdf", "image/png"] {
            assert_eq!(
                verdict(post().insert_header((header::CONTENT_TYPE, sent))),
                Ok(())
            );
        }
        for sent in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
        ] {
            assert_eq!(
                verdict(post().insert_header((header::CONTENT_TYPE, sent))),
                Err(sent.to_string())
            );
        }
        assert_eq!(
            verdict(post()),
            Err("none".to_string()),
            "a type is required"
        );
        assert!(!takes_raw_body("/admin/channels/a/b/send-file"));
    }
}
