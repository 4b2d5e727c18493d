//! The scaling figure: the same c=64 run against a gateway with `engine.threads: 1` and one with
//! `engine.threads: 2`, each fresh and warmed up the same way, reported as turns/s for each and
//! their ratio. On a machine with more cores the ratio is what carries over (the load generator
//! and the emulator share this machine's two cores with the gateway, so the absolute figures do
//! not); a ratio near 1 means the engine threads are not where the time goes.

use serde_json::{json, Value};

use crate::common::figure::{emit, Target};
use crate::common::gateway::Gateway;
use crate::common::procfs::clock_ticks_per_sec;
use crate::common::Result;
use crate::cpu::{Cpu, CpuProbe};
use crate::load::{check_run, run, Plan, RunResult, Target as Load};
use crate::report::{progress, round};
use crate::{spec, SESSIONS, WARMUP_CONCURRENCY, WARMUP_TURNS};

/// One gateway's c=64 run.
pub(crate) struct Side {
    pub(crate) threads: u32,
    pub(crate) run: RunResult,
    pub(crate) cpu: Cpu,
}

/// Both sides.
pub(crate) struct Scaling {
    pub(crate) one: Side,
    pub(crate) two: Side,
}

impl Scaling {
    pub(crate) fn ratio(&self) -> f64 {
        self.two.run.turns_per_sec() / self.one.run.turns_per_sec().max(f64::MIN_POSITIVE)
    }
}

/// Runs `turns` turns at c=64 against a fresh gateway with `engine.threads: threads`.
fn side(provider_base_url: &str, threads: u32, turns: usize) -> Result<Side> {
    let mut gateway = Gateway::start(&spec(provider_base_url, Some(threads)))?;
    let token = gateway.token.clone();
    let target = Load::Gateway {
        addr: gateway.addr,
        token: &token,
    };
    let plan = |name, concurrency, turns| Plan {
        name,
        target,
        concurrency,
        turns,
        sessions: SESSIONS,
        base: 0,
    };
    let warmup = run(&plan("scale-w", WARMUP_CONCURRENCY, WARMUP_TURNS));
    check_run(&warmup, Some(&mut gateway))?;
    let before = CpuProbe::take(gateway.pid())?;
    let result = run(&plan(
        if threads == 1 {
            "threads=1"
        } else {
            "threads=2"
        },
        64,
        turns,
    ));
    let cpu = CpuProbe::take(gateway.pid())?.since(&before, clock_ticks_per_sec() as f64, &result);
    progress(&result);
    check_run(&result, Some(&mut gateway))?;
    gateway.stop()?;
    Ok(Side {
        threads,
        run: result,
        cpu,
    })
}

/// Measures both sides, one after the other.
pub(crate) fn measure(provider_base_url: &str, turns: usize) -> Result<Scaling> {
    Ok(Scaling {
        one: side(provider_base_url, 1, turns)?,
        two: side(provider_base_url, 2, turns)?,
    })
}

/// The text lines and the JSON figures.
pub(crate) fn print(scaling: &Scaling, json: bool) -> Value {
    println!("scaling: the c=64 run on fresh gateways with engine.threads 1 and 2");
    for side in [&scaling.one, &scaling.two] {
        println!(
            "  threads {}  {:>6} turns {:>8.0} turns/s   p99 {:7.3} ms   gateway CPU {:.3} ms per turn ({:.0}% of a core)",
            side.threads,
            side.run.ok(),
            side.run.turns_per_sec(),
            side.run.stats().p99,
            side.cpu.gateway_ms_per_turn(),
            side.cpu.percent(side.cpu.gateway_secs),
        );
    }
    println!("  ratio (2 threads / 1 thread): {:.2}", scaling.ratio());
    for side in [&scaling.one, &scaling.two] {
        emit(
            json,
            &format!("engine.scaling.threads{}.turns_per_sec", side.threads),
            &format!("turns/s at c=64 with engine.threads {}", side.threads),
            side.run.turns_per_sec(),
            "turns/s",
            Target::None,
        );
    }
    emit(
        json,
        "engine.scaling.ratio",
        "scaling: turns/s with engine.threads 2 over 1",
        scaling.ratio(),
        "x",
        Target::None,
    );
    let side_json = |side: &Side| {
        json!({
            "threads": side.threads,
            "turns": side.run.ok(),
            "turnsPerSec": round(side.run.turns_per_sec()),
            "p99Ms": round(side.run.stats().p99),
            "cpu": side.cpu.json(),
        })
    };
    json!({
        "one": side_json(&scaling.one),
        "two": side_json(&scaling.two),
        "ratio": round(scaling.ratio()),
    })
}
