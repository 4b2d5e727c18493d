//! `gateway.rateLimiting`: request throttling per client address (the seed's
//! `PerformanceConfig.gateway.rateLimiting`), with `governor`'s keyed GCRA limiter.
//!
//! Probes (`/healthz`, `/readyz`, ...) are never throttled, so that a health checker cannot be
//! locked out by a client's burst. A throttled request gets 429 with `Retry-After`. Idle clients are
//! dropped from the table every few thousand checks, which bounds its memory.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use super::AppState;
use crate::config::RateLimiting;

/// Checks between two prunings of idle clients.
const PRUNE_EVERY: u64 = 4096;

/// The per-address limiter.
pub struct RequestLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RequestLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimiter").finish_non_exhaustive()
    }
}

impl RequestLimiter {
    /// `None` when throttling is off.
    pub fn from_config(config: &RateLimiting) -> Option<Self> {
        if !config.enabled {
            return None;
        }
        let per_minute = NonZeroU32::new(config.requests_per_minute.max(1))?;
        let burst = NonZeroU32::new(config.burst_size.max(1))?;
        Some(RequestLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        })
    }

    /// `Err(wait)` when `client` must wait before its next request.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/health" | "/readyz" | "/ready")
}

/// The middleware (installed with `middleware::from_fn`).
pub(crate) async fn throttle(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let verdict = match request.app_data::<web::Data<AppState>>() {
        Some(state) if !is_probe(request.path()) => match (&state.limiter, request.peer_addr()) {
            (Some(limiter), Some(peer)) => limiter.check(peer.ip()),
            _ => Ok(()),
        },
        _ => Ok(()),
    };
    match verdict {
        Ok(()) => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(wait) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::warn!(peer = ?request.peer_addr(), path = request.path(), "request throttled (gateway.rateLimiting)");
            let response = HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, seconds.max(1).to_string()))
                .json(json!({
                    "ok": false,
                    "error": { "code": "RATE_LIMITED", "message": "too many requests (gateway.rateLimiting); retry later" },
                }));
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn a_burst_passes_then_the_client_waits_and_others_do_not() {
        let limiter = RequestLimiter::from_config(&RateLimiting {
            enabled: true,
            requests_per_minute: 60,
            burst_size: 3,
        })
        .expect("enabled");
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter
            .check(a)
            .expect_err("the fourth request in a burst of 3 waits");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(
            limiter.check(b).is_ok(),
            "another client has its own budget"
        );
        assert!(
            RequestLimiter::from_config(&RateLimiting::default()).is_none(),
            "off by default"
        );
    }
}
