//! Counting HTTP traffic for the metrics: a middleware records each finished request (5xx count as
//! errors), and a per-connection guard stored in the connection's extensions keeps the
//! active-connection gauge exact (it is dropped when the connection closes).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::web::AppState;

/// The middleware (installed with `middleware::from_fn`).
pub async fn count(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = request
        .app_data::<web::Data<AppState>>()
        .map(|state| std::sync::Arc::clone(&state.monitor.metrics));
    let response = next.call(request).await;
    if let Some(metrics) = metrics {
        let error = match &response {
            Ok(response) => response.status().is_server_error(),
            Err(error) => error.as_response_error().status_code().is_server_error(),
        };
        metrics.record_request(error);
    }
    response
}
