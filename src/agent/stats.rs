//! The engine's own counters: turns answered and failed, their total time, and tokens.
//!
//! One relaxed atomic each, bumped by the runs as a turn ends. The engine owns them and the
//! monitor reads them (its `Metrics` holds the same `Arc`), for `/metrics`, `/admin/metrics`
//! and the seed's `Metrics` figures, so the engine needs nothing of the monitor.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::providers::Usage;

/// The counters.
#[derive(Debug, Default)]
pub struct TurnStats {
    turns: AtomicU64,
    failed: AtomicU64,
    ms_total: AtomicU64,
    tokens_in: AtomicU64,
    tokens_out: AtomicU64,
}

/// The counters as plain numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnCounts {
    /// Turns that ended, answered or not.
    pub turns: u64,
    /// Turns that ended without an answer.
    pub failed: u64,
    /// Sum of the turns' durations, in milliseconds.
    pub ms_total: u64,
    /// Tokens the models read.
    pub tokens_in: u64,
    /// Tokens the models wrote.
    pub tokens_out: u64,
}

impl TurnStats {
    /// A turn that ended (answered or failed) after `duration`.
    pub fn record(&self, duration: Duration, usage: Usage, answered: bool) {
        self.turns.fetch_add(1, Relaxed);
        if !answered {
            self.failed.fetch_add(1, Relaxed);
        }
        self.ms_total.fetch_add(
            u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            Relaxed,
        );
        self.tokens_in.fetch_add(usage.input_tokens, Relaxed);
        self.tokens_out.fetch_add(usage.output_tokens, Relaxed);
    }

    /// The counters now (each read on its own: a turn ending meanwhile may show in some only).
    pub fn counts(&self) -> TurnCounts {
        TurnCounts {
            turns: self.turns.load(Relaxed),
            failed: self.failed.load(Relaxed),
            ms_total: self.ms_total.load(Relaxed),
            tokens_in: self.tokens_in.load(Relaxed),
            tokens_out: self.tokens_out.load(Relaxed),
        }
    }
}
