//! The seed's `Metrics` figures: counters bumped on the hot paths (one relaxed atomic each), and
//! the rates derived from them once per sample interval.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::providers::Usage;

/// Counters and derived rates.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    http_requests: AtomicU64,
    http_errors: AtomicU64,
    active_connections: AtomicI64,
    turns: AtomicU64,
    turns_failed: AtomicU64,
    turn_ms_total: AtomicU64,
    tokens_in: AtomicU64,
    tokens_out: AtomicU64,
    rates: Mutex<Rates>,
}

#[derive(Debug, Clone, Copy)]
struct Rates {
    at: Instant,
    requests: u64,
    errors: u64,
    requests_per_second: f64,
    error_rate: f64,
}

impl Default for Metrics {
    fn default() -> Self {
        let now = Instant::now();
        Metrics {
            started: now,
            http_requests: AtomicU64::new(0),
            http_errors: AtomicU64::new(0),
            active_connections: AtomicI64::new(0),
            turns: AtomicU64::new(0),
            turns_failed: AtomicU64::new(0),
            turn_ms_total: AtomicU64::new(0),
            tokens_in: AtomicU64::new(0),
            tokens_out: AtomicU64::new(0),
            rates: Mutex::new(Rates {
                at: now,
                requests: 0,
                errors: 0,
                requests_per_second: 0.0,
                error_rate: 0.0,
            }),
        }
    }
}

/// The counters as plain numbers, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub uptime_seconds: f64,
    pub http_requests: u64,
    pub http_errors: u64,
    pub active_connections: i64,
    pub requests_per_second: f64,
    pub error_rate: f64,
    pub turns: u64,
    pub turns_failed: u64,
    pub average_response_seconds: f64,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

impl Metrics {
    /// A finished HTTP request; `error` for 5xx answers.
    pub fn record_request(&self, error: bool) {
        self.http_requests.fetch_add(1, Relaxed);
        if error {
            self.http_errors.fetch_add(1, Relaxed);
        }
    }

    /// A connection opened; the returned guard closes it when dropped.
    pub fn connection_opened(self: &std::sync::Arc<Self>) -> ConnectionGuard {
        self.active_connections.fetch_add(1, Relaxed);
        ConnectionGuard(std::sync::Arc::clone(self))
    }

    /// A turn that ended (answered or failed) after `duration`.
    pub fn record_turn(&self, duration: Duration, usage: Usage, answered: bool) {
        self.turns.fetch_add(1, Relaxed);
        if !answered {
            self.turns_failed.fetch_add(1, Relaxed);
        }
        self.turn_ms_total.fetch_add(
            u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            Relaxed,
        );
        self.tokens_in.fetch_add(usage.input_tokens, Relaxed);
        self.tokens_out.fetch_add(usage.output_tokens, Relaxed);
    }

    /// Recomputes requests/s and the error rate over the time since the last call.
    pub fn update_rates(&self) {
        let mut rates = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let requests = self.http_requests.load(Relaxed);
        let errors = self.http_errors.load(Relaxed);
        let seconds = now.duration_since(rates.at).as_secs_f64();
        if seconds < 0.05 {
            return;
        }
        let new_requests = requests.saturating_sub(rates.requests);
        let new_errors = errors.saturating_sub(rates.errors);
        *rates = Rates {
            at: now,
            requests,
            errors,
            requests_per_second: new_requests as f64 / seconds,
            error_rate: if new_requests == 0 {
                0.0
            } else {
                new_errors as f64 / new_requests as f64
            },
        };
    }

    pub fn counters(&self) -> Counters {
        let rates = *self.rates.lock().unwrap_or_else(|p| p.into_inner());
        let turns = self.turns.load(Relaxed);
        Counters {
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            http_requests: self.http_requests.load(Relaxed),
            http_errors: self.http_errors.load(Relaxed),
            active_connections: self.active_connections.load(Relaxed),
            requests_per_second: rates.requests_per_second,
            error_rate: rates.error_rate,
            turns,
            turns_failed: self.turns_failed.load(Relaxed),
            average_response_seconds: if turns == 0 {
                0.0
            } else {
                self.turn_ms_total.load(Relaxed) as f64 / turns as f64 / 1000.0
            },
            tokens_in: self.tokens_in.load(Relaxed),
            tokens_out: self.tokens_out.load(Relaxed),
        }
    }
}

/// Decrements the active-connection gauge when the connection's extensions are dropped.
pub struct ConnectionGuard(std::sync::Arc<Metrics>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.active_connections.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn rates_and_averages_follow_the_counters() {
        let metrics = Arc::new(Metrics::default());
        std::thread::sleep(Duration::from_millis(60));
        for i in 0..10 {
            metrics.record_request(i < 2);
        }
        metrics.update_rates();
        let counters = metrics.counters();
        assert_eq!((counters.http_requests, counters.http_errors), (10, 2));
        assert!((counters.error_rate - 0.2).abs() < 1e-9);
        assert!(counters.requests_per_second > 0.0);

        metrics.record_turn(
            Duration::from_millis(300),
            Usage {
                input_tokens: 5,
                output_tokens: 7,
            },
            true,
        );
        metrics.record_turn(Duration::from_millis(100), Usage::default(), false);
        let counters = metrics.counters();
        assert_eq!(
            (
                counters.turns,
                counters.turns_failed,
                counters.tokens_in,
                counters.tokens_out
            ),
            (2, 1, 5, 7)
        );
        assert!((counters.average_response_seconds - 0.2).abs() < 1e-9);

        let guard = metrics.connection_opened();
        assert_eq!(metrics.counters().active_connections, 1);
        drop(guard);
        assert_eq!(metrics.counters().active_connections, 0);
    }
}
