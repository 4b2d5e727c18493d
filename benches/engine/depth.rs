//! CPU per turn against the conversation's length: the gateway's CPU time per turn in sessions
//! that already hold 10, 100 and 1,000 earlier turns.
//!
//! The histories are written straight into the gateway's transcript folder before it starts, in
//! the shape turns leave there (the `session` header, then per turn the user message, the
//! assistant answer with its usage and model, and the run's trace), so the store indexes them at
//! start-up; writing them is quicker than driving 12,000 turns per depth through the gateway, and
//! reads the same. Per depth `d`, `PREBUILT_TURNS / d` sessions share the timed turns, so each
//! grows by at most a tenth of `d` while it is measured. Then, per depth: one untimed turn to each
//! session (its actor starts and loads what it needs), and the timed run of `TIMED_TURNS` turns at
//! c=`CONCURRENCY`, sessions round robin, the gateway's `utime + stime` read from `/proc` around
//! it (see `cpu`). The prompt itself grows with the history (every completed turn is sent
//! upstream), so some growth is the model call's; the target is that the 1,000-turn figure stays
//! within 1.5× of the 10-turn one.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::common::figure::{emit, Target as FigureTarget};
use crate::common::gateway::{Gateway, Spec};
use crate::common::procfs::clock_ticks_per_sec;
use crate::common::Result;
use crate::cpu::{Cpu, CpuProbe};
use crate::load::{check_run, run, Plan, RunResult, Target};
use crate::report::{progress, round};

/// The conversation lengths measured.
pub(crate) const DEPTHS: [usize; 3] = [10, 100, 1_000];
/// Earlier turns written per depth, spread over `PREBUILT_TURNS / depth` sessions.
const PREBUILT_TURNS: usize = 12_000;
const TIMED_TURNS: usize = 1_200;
const TIMED_TURNS_QUICK: usize = 300;
const CONCURRENCY: usize = 4;
/// The 1,000-turn figure over the 10-turn one.
pub(crate) const TARGET_RATIO: f64 = 1.5;

/// The figures of one depth.
pub(crate) struct Row {
    pub(crate) depth: usize,
    pub(crate) sessions: usize,
    pub(crate) run: RunResult,
    pub(crate) cpu: Cpu,
}

/// Every depth, in `DEPTHS` order.
pub(crate) struct Depth {
    pub(crate) rows: Vec<Row>,
}

impl Depth {
    /// CPU per turn at the deepest history over that at the shallowest.
    pub(crate) fn ratio(&self) -> f64 {
        match (self.rows.first(), self.rows.last()) {
            (Some(low), Some(high)) => {
                high.cpu.gateway_ms_per_turn() / low.cpu.gateway_ms_per_turn().max(1e-9)
            }
            _ => 0.0,
        }
    }
}

/// The first session number of a depth (its sessions are `base..base + sessions`).
fn base_of(depth: usize) -> usize {
    depth * 1_000_000
}

/// A transcript of `depth` completed turns for session `agent:main:bench:<number>`, in the
/// shape the gateway writes.
fn transcript(number: usize, depth: usize) -> String {
    let key = format!("agent:main:bench:{number}");
    let mut text = String::with_capacity(depth * 420);
    let header = json!({ "type": "session", "key": key, "id": session_id(number), "created_ms": 1_700_000_000_000u64 });
    let _ = writeln!(text, "{header}");
    for turn in 0..depth {
        let id = format!("t1700000000{turn:03}-{turn}");
        let ts = 1_700_000_000_000u64 + turn as u64;
        let question = json!({ "type": "message", "ts_ms": ts, "turn": id, "message": { "role": "user", "content": format!("hi {number}") } });
        let answer = json!({
            "type": "message", "ts_ms": ts, "turn": id,
            "message": { "role": "assistant", "text": format!("echo: hi {number}") },
            "usage": { "input_tokens": 12 + 8 * turn, "output_tokens": 4 }, "model": "openai/m",
        });
        let trace = json!({
            "type": "trace", "ts_ms": ts, "turn": id, "run": format!("{key}#{id}"),
            "trace": { "steps": [{ "kind": "model", "model": "openai/m", "durationMs": 0, "firstTokenMs": 0,
                "inputTokens": 12 + 8 * turn, "outputTokens": 4, "toolCalls": 0 }],
                "inputTokens": 12 + 8 * turn, "outputTokens": 4 },
        });
        let _ = writeln!(text, "{question}\n{answer}\n{trace}");
    }
    text
}

/// A 32-hex-digit session id, unique per session number.
fn session_id(number: usize) -> String {
    format!("{:016x}{:016x}", 0xbe9c_u64, number as u64)
}

/// Runs the depth rows in one gateway whose home holds every prebuilt transcript.
pub(crate) fn bench(spec: Spec<'_>, quick: bool) -> Result<Depth> {
    let timed = if quick {
        TIMED_TURNS_QUICK
    } else {
        TIMED_TURNS
    };
    let mut spec = spec;
    for depth in DEPTHS {
        for number in base_of(depth)..base_of(depth) + PREBUILT_TURNS / depth {
            spec.files.push((
                PathBuf::from(format!(
                    "state/agents/main/sessions/{}.jsonl",
                    session_id(number)
                )),
                transcript(number, depth),
            ));
        }
    }
    let mut gateway = Gateway::start(&spec)?;
    eprintln!(
        "  depth gateway pid {} on {} ({} prebuilt turns per depth)",
        gateway.pid(),
        gateway.addr,
        PREBUILT_TURNS
    );
    let token = gateway.token.clone();
    let target = Target::Gateway {
        addr: gateway.addr,
        token: &token,
    };
    let ticks = clock_ticks_per_sec() as f64;
    let mut rows = Vec::new();
    for depth in DEPTHS {
        let sessions = PREBUILT_TURNS / depth;
        let plan = |name, turns| Plan {
            name,
            target,
            concurrency: CONCURRENCY,
            turns,
            sessions,
            base: base_of(depth),
        };
        let warm = run(&plan("depth-warm", sessions));
        check_run(&warm, Some(&mut gateway))?;
        let before = CpuProbe::take(gateway.pid())?;
        let timed_run = run(&plan("depth", timed));
        let cpu = CpuProbe::take(gateway.pid())?.since(&before, ticks, &timed_run);
        progress(&timed_run);
        check_run(&timed_run, Some(&mut gateway))?;
        eprintln!(
            "  depth {depth:>5}: {sessions} sessions, {:.3} ms gateway CPU per turn",
            cpu.gateway_ms_per_turn()
        );
        rows.push(Row {
            depth,
            sessions,
            run: timed_run,
            cpu,
        });
    }
    gateway.stop()?;
    Ok(Depth { rows })
}

/// Prints the rows and their figures (one JSON line each with `json`); returns whether the
/// ratio target is met.
pub(crate) fn print(depth: &Depth, json: bool) -> bool {
    let ratio = depth.ratio();
    let met = ratio < TARGET_RATIO;
    println!(
        "cpu per turn against the conversation's length ({} prebuilt turns per depth, c={CONCURRENCY}, one more turn per session untimed first)",
        PREBUILT_TURNS
    );
    for row in &depth.rows {
        println!(
            "  {:>5} earlier turns  {:>5} sessions  {:>5} turns {:>8.0} turns/s   gateway {:.3} ms per turn",
            row.depth,
            row.sessions,
            row.run.ok(),
            row.run.turns_per_sec(),
            row.cpu.gateway_ms_per_turn()
        );
    }
    println!(
        "  {} turns over {} turns: {ratio:.2}x   target < {TARGET_RATIO}x: {}",
        DEPTHS[DEPTHS.len() - 1],
        DEPTHS[0],
        if met { "ok" } else { "MISSED" }
    );
    for row in &depth.rows {
        emit(
            json,
            &format!("engine.depth{}.cpu_ms_per_turn", row.depth),
            &format!("gateway CPU per turn at {} earlier turns", row.depth),
            row.cpu.gateway_ms_per_turn(),
            "ms",
            FigureTarget::None,
        );
    }
    emit(
        json,
        "engine.depth.cpu_ratio",
        &format!(
            "CPU per turn at {} earlier turns over at {}",
            DEPTHS[DEPTHS.len() - 1],
            DEPTHS[0]
        ),
        ratio,
        "x",
        FigureTarget::Below(TARGET_RATIO),
    );
    met
}

/// The rows as one JSON value, for the detailed report object.
pub(crate) fn details(depth: &Depth) -> Value {
    let rows: Vec<Value> = depth
        .rows
        .iter()
        .map(|row| {
            json!({
                "earlierTurns": row.depth,
                "sessions": row.sessions,
                "turns": row.run.ok(),
                "turnsPerSec": round(row.run.turns_per_sec()),
                "cpu": row.cpu.json(),
            })
        })
        .collect();
    json!({ "rows": rows, "ratio": round(depth.ratio()), "targetRatio": TARGET_RATIO })
}
