//! `gateway.requestTimeout` (the seed's `PerformanceConfig.gateway.requestTimeout`): a request
//! whose response has not started within the limit gets 504 and its handler is dropped.
//!
//! Agent turns (`/v1/chat/completions`, `/v1/responses`) are exempt: their limit is
//! `agents.defaults.timeoutSeconds`, enforced by the run itself.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The limit, as app data (zero: no limit).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeout(pub Duration);

/// The middleware (installed with `middleware::from_fn`).
pub(crate) async fn limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<RequestTimeout>>()
        .map(|limit| limit.0)
        .filter(|limit| !limit.is_zero())
        .filter(|_| !matches!(request.path(), "/v1/chat/completions" | "/v1/responses"));
    let Some(limit) = limit else {
        return next.call(request).await;
    };
    // The request cannot be kept aside (a cloned request breaks routing), so the timeout is an
    // error, which actix-web turns into the response below.
    let path = request.path().to_string();
    match tokio::time::timeout(limit, next.call(request)).await {
        Ok(response) => response,
        Err(_elapsed) => {
            tracing::warn!(%path, limit_ms = limit.as_millis() as u64, "request timed out (gateway.requestTimeout)");
            Err(TimedOut(limit).into())
        }
    }
}

/// A request that hit `gateway.requestTimeout`.
#[derive(Debug)]
struct TimedOut(Duration);

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no answer within {} ms (gateway.requestTimeout)",
            self.0.as_millis()
        )
    }
}

impl actix_web::ResponseError for TimedOut {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::GATEWAY_TIMEOUT
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::GatewayTimeout().json(json!({
            "ok": false,
            "error": { "code": "TIMEOUT", "message": self.to_string() },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test, App};

    #[actix_web::test]
    async fn a_slow_handler_gets_504_and_a_fast_one_its_answer() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(RequestTimeout(Duration::from_millis(50))))
                .wrap(actix_web::middleware::from_fn(limit))
                .route(
                    "/slow",
                    web::get().to(|| async {
                        actix_web::rt::time::sleep(Duration::from_secs(5)).await;
                        HttpResponse::Ok().finish()
                    }),
                )
                .route(
                    "/fast",
                    web::get().to(|| async { HttpResponse::Ok().body("done") }),
                ),
        )
        .await;
        let Err(slow) =
            test::try_call_service(&app, test::TestRequest::get().uri("/slow").to_request()).await
        else {
            panic!("the slow request must time out");
        };
        // The server turns this error into its response: 504 with a JSON body.
        assert_eq!(slow.as_response_error().status_code(), 504);
        assert!(
            slow.to_string().contains("gateway.requestTimeout"),
            "{slow}"
        );
        let fast =
            test::call_service(&app, test::TestRequest::get().uri("/fast").to_request()).await;
        assert_eq!(fast.status(), 200);
    }
}
