//! The machine-readable result of a benchmark: with `--json`, every bench prints one JSON
//! object per figure on its own stdout line, e.g.
//!
//! ```text
//! {"figure":"engine.c64.turns_per_sec","label":"turns/s at c=64","value":2412.5,"unit":"turns/s","target":{"op":">=","value":2000.0}}
//! ```
//!
//! `scripts/bench` keeps the lines that start with `{"figure":` from each run, and
//! `benches/report/` takes the median, min and max of every figure over the runs and judges
//! the median against the target the bench gave (targets live with the bench that measures
//! them). Figures without a target are context (CPU per turn, shutdown time, ...).

use serde_json::{json, Value};

/// What a figure should be; the report says "met" or "missed" for the median.
#[derive(Clone, Copy)]
pub enum Target {
    /// No target: shown for context.
    None,
    /// `value >= bound`.
    AtLeast(f64),
    /// `value < bound`.
    Below(f64),
    /// `value == bound` (counts, such as lost messages).
    Exactly(f64),
}

/// The JSON line of one figure.
pub fn line(id: &str, label: &str, value: f64, unit: &str, target: Target) -> Value {
    let target = match target {
        Target::None => Value::Null,
        Target::AtLeast(bound) => json!({ "op": ">=", "value": bound }),
        Target::Below(bound) => json!({ "op": "<", "value": bound }),
        Target::Exactly(bound) => json!({ "op": "==", "value": bound }),
    };
    // Three decimals are plenty for every unit used (ms, µs, MiB, KB, per second).
    let value = (value * 1000.0).round() / 1000.0;
    json!({ "figure": id, "label": label, "value": value, "unit": unit, "target": target })
}

/// Prints the figure's line on stdout when `enabled` (the bench's `--json`).
pub fn emit(enabled: bool, id: &str, label: &str, value: f64, unit: &str, target: Target) {
    if enabled {
        println!("{}", line(id, label, value, unit, target));
    }
}

/// A count with grouped thousands, for labels ("10,000 sessions").
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
