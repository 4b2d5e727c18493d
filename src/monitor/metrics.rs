//! The seed's `Metrics` figures: counters bumped on the hot paths (one relaxed atomic each), and
//! the rates derived from them once per sample interval.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::agent::stats::TurnStats;
use crate::providers::Usage;

/// Counters and derived rates.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    http_requests: AtomicU64,
    http_errors: AtomicU64,
    active_connections: AtomicI64,
    /// The engine's turn counters (it bumps them; they are read here).
    pub turns: Arc<TurnStats>,
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
            turns: Arc::default(),
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
        self.turns.record(duration, usage, answered);
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
        let turn_counts = self.turns.counts();
        let turns = turn_counts.turns;
        Counters {
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            http_requests: self.http_requests.load(Relaxed),
            http_errors: self.http_errors.load(Relaxed),
            active_connections: self.active_connections.load(Relaxed),
            requests_per_second: rates.requests_per_second,
            error_rate: rates.error_rate,
            turns,
            turns_failed: turn_counts.failed,
            average_response_seconds: if turns == 0 {
                0.0
            } else {
                turn_counts.ms_total as f64 / turns as f64 / 1000.0
            },
            tokens_in: turn_counts.tokens_in,
            tokens_out: turn_counts.tokens_out,
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
