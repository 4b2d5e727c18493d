//! Counting HTTP traffic for the metrics: a middleware records each finished request (5xx count as
//! errors), and a per-connection guard stored in the connection's extensions keeps the
//! active-connection gauge exact (it is dropped when the connection closes).
//!
//! The middleware is given the [`Metrics`] it counts into when the web layer installs it
//! (`middleware::from_fn(move |request, next| count(Arc::clone(&metrics), request, next))`), so
//! it needs nothing of the web layer's state.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::metrics::Metrics;

/// The middleware: runs the request, then records it in `metrics`.
pub(crate) async fn count(
    metrics: Arc<Metrics>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let response = next.call(request).await;
    let error = match &response {
        Ok(response) => response.status().is_server_error(),
        Err(error) => error.as_response_error().status_code().is_server_error(),
    };
    metrics.record_request(error);
    response
}
