//! The results of the engine bench: a progress line per run, and the final report as text and
//! (with `--json`) one JSON line per figure (`common::figure`, collected by `scripts/bench`)
//! plus one object with every detail, with each target's verdict.

use serde_json::json;

use crate::common::figure::{count, emit, Target};

use crate::common::procfs::cores;
use crate::cpu::Cpu;
use crate::depth::{self, Depth};
use crate::load::RunResult;
use crate::{
    Options, MEMORY_CONCURRENCY, NOISY_PERCENT, SESSIONS, TARGET_ADDED_P99_MS,
    TARGET_CPU_MS_PER_TURN, TARGET_KB_PER_SESSION, TARGET_TURNS_PER_SEC_C64, WARMUP_CONCURRENCY,
};

pub(crate) struct Memory {
    pub(crate) sessions: usize,
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_after_kib: u64,
    pub(crate) kb_per_session: f64,
    pub(crate) running_before: usize,
    pub(crate) running_after: usize,
    pub(crate) run: RunResult,
}

pub(crate) struct Report {
    pub(crate) warmup: RunResult,
    pub(crate) c1: RunResult,
    pub(crate) direct: RunResult,
    pub(crate) c64: RunResult,
    pub(crate) direct64: RunResult,
    pub(crate) c1_cpu: Cpu,
    pub(crate) c64_cpu: Cpu,
    pub(crate) memory: Memory,
    pub(crate) depth: Depth,
    pub(crate) emulator_max_in_flight: usize,
    pub(crate) gateway_log_levels: [(usize, usize); 2],
    pub(crate) scaling: crate::scaling::Scaling,
}

pub(crate) fn progress(result: &RunResult) {
    let stats = result.stats();
    eprintln!(
        "  {:<10} c={:<3} {:>6} turns in {:>6.2} s  {:>8.0} turns/s  p50 {:.3} ms  p99 {:.3} ms{}",
        result.name,
        result.concurrency,
        result.ok(),
        result.wall.as_secs_f64(),
        result.turns_per_sec(),
        stats.p50,
        stats.p99,
        if result.failures.total > 0 {
            format!("  FAILED {}", result.failures.total)
        } else {
            String::new()
        }
    );
}

pub(crate) fn print(report: &Report, options: &Options) -> bool {
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    let c1 = report.c1.stats();
    let c64 = report.c64.stats();
    let direct = report.direct.stats();
    let added_p50 = c1.p50 - direct.p50;
    let added_p99 = c1.p99 - direct.p99;
    let direct64 = report.direct64.stats();
    let added64_p50 = c64.p50 - direct64.p50;
    let added64_p99 = c64.p99 - direct64.p99;
    let throughput_ok = report.c64.turns_per_sec() >= TARGET_TURNS_PER_SEC_C64;
    let cpu_ok = report.c64_cpu.gateway_ms_per_turn() < TARGET_CPU_MS_PER_TURN;
    let added_ok = added_p99 < TARGET_ADDED_P99_MS;
    let memory_ok = report.memory.kb_per_session < TARGET_KB_PER_SESSION;
    let m = &report.memory;

    println!(
        "pincer engine: POST /v1/chat/completions (non-streaming) -> emulated OpenAI, {SESSIONS} sessions round robin, warm-up {} turns at c={WARMUP_CONCURRENCY}",
        report.warmup.ok()
    );
    for (result, stats, target) in [
        (&report.c1, &c1, String::new()),
        (
            &report.c64,
            &c64,
            format!(
                "   target >= {TARGET_TURNS_PER_SEC_C64} turns/s: {}",
                verdict(throughput_ok)
            ),
        ),
    ] {
        println!(
            "  c={:<3} {:>6} turns {:>7.2} s {:>8.0} turns/s   p50 {:7.3} ms  p90 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms{target}",
            result.concurrency,
            result.ok(),
            result.wall.as_secs_f64(),
            result.turns_per_sec(),
            stats.p50,
            stats.p90,
            stats.p99,
            stats.max
        );
    }
    println!("added latency at c=1 (gateway minus the same request sent straight to the emulator, streamed)");
    println!(
        "  direct {:>6} requests {:>8.0} req/s     p50 {:7.3} ms  p90 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms",
        report.direct.ok(),
        report.direct.turns_per_sec(),
        direct.p50,
        direct.p90,
        direct.p99,
        direct.max
    );
    println!(
        "  added  p50 {added_p50:7.3} ms  p99 {added_p99:7.3} ms   target p99 < {TARGET_ADDED_P99_MS} ms: {}",
        verdict(added_ok)
    );
    println!(
        "  at c=64: direct {:>6} requests {:>8.0} req/s  p50 {:7.3} ms  p99 {:7.3} ms;  added p50 {added64_p50:7.3} ms  p99 {added64_p99:7.3} ms",
        report.direct64.ok(),
        report.direct64.turns_per_sec(),
        direct64.p50,
        direct64.p99,
    );
    println!(
        "cpu time (gateway = utime+stime of its process; bench = this process: clients and emulator; {} cores)",
        cores()
    );
    for (name, cpu) in [("c=1 ", &report.c1_cpu), ("c=64", &report.c64_cpu)] {
        println!(
            "  {name} gateway {:6.2} s ({:3.0}% of a core) = {:.3} ms per turn   bench {:6.2} s ({:3.0}%)   other processes {:6.2} s ({:3.0}%)",
            cpu.gateway_secs,
            cpu.percent(cpu.gateway_secs),
            cpu.gateway_ms_per_turn(),
            cpu.bench_secs,
            cpu.percent(cpu.bench_secs),
            cpu.other_secs,
            cpu.percent(cpu.other_secs),
        );
    }
    let noisy = [&report.c1_cpu, &report.c64_cpu]
        .iter()
        .any(|cpu| cpu.percent(cpu.other_secs) > NOISY_PERCENT);
    if noisy {
        println!(
            "  warning: other processes used more than {NOISY_PERCENT:.0}% of a core during a timed run; the figures are pessimistic"
        );
    }
    println!(
        "  emulator requests in flight at most: {}",
        report.emulator_max_in_flight
    );
    println!(
        "memory per idle session (fresh gateway; {} new sessions, one turn each, c={MEMORY_CONCURRENCY}, {:.0} turns/s)",
        m.sessions,
        m.run.turns_per_sec()
    );
    println!(
        "  VmRSS {:.2} MiB -> {:.2} MiB   {:.2} KB per session   target < {TARGET_KB_PER_SESSION} KB: {}",
        m.rss_before_kib as f64 / 1024.0,
        m.rss_after_kib as f64 / 1024.0,
        m.kb_per_session,
        verdict(memory_ok)
    );
    println!(
        "  running session actors (GET /admin/actors?flat=1): {} before, {} after (+{})",
        m.running_before,
        m.running_after,
        m.running_after.saturating_sub(m.running_before)
    );
    let scaling_json = crate::scaling::print(&report.scaling, options.json);
    println!(
        "  gateway CPU per turn at c=64: {:.3} ms   target < {TARGET_CPU_MS_PER_TURN} ms: {}",
        report.c64_cpu.gateway_ms_per_turn(),
        verdict(cpu_ok)
    );
    let [(w1, e1), (w2, e2)] = report.gateway_log_levels;
    if w1 + e1 + w2 + e2 > 0 {
        println!("  gateway stderr: {} WARN / {} ERROR lines (throughput gateway), {} / {} (memory gateway)", w1, e1, w2, e2);
    }

    if options.json {
        let run_json = |r: &RunResult| {
            json!({
                "concurrency": r.concurrency,
                "turns": r.ok(),
                "wallSecs": round(r.wall.as_secs_f64()),
                "turnsPerSec": round(r.turns_per_sec()),
                "latencyMs": r.stats().json(),
                "connections": r.connects,
            })
        };
        let report_json = json!({
            "quick": options.quick,
            "sessions": SESSIONS,
            "warmupTurns": report.warmup.ok(),
            "c1": run_json(&report.c1),
            "c64": run_json(&report.c64),
            "direct": run_json(&report.direct),
            "direct64": run_json(&report.direct64),
            "addedLatencyMs": {"p50": round(added_p50), "p99": round(added_p99)},
            "addedLatencyC64Ms": {"p50": round(added64_p50), "p99": round(added64_p99)},
            "cpuC1": report.c1_cpu.json(),
            "cpuC64": report.c64_cpu.json(),
            "cores": cores(),
            "emulatorMaxInFlight": report.emulator_max_in_flight,
            "scaling": scaling_json,
            "memory": {
                "sessions": m.sessions,
                "rssBeforeKiB": m.rss_before_kib,
                "rssAfterKiB": m.rss_after_kib,
                "kbPerSession": round(m.kb_per_session),
                "runningSessionsBefore": m.running_before,
                "runningSessionsAfter": m.running_after,
                "turnsPerSec": round(m.run.turns_per_sec()),
            },
            "depth": depth::details(&report.depth),
            "targets": {
                "turnsPerSecC64": TARGET_TURNS_PER_SEC_C64,
                "addedP99Ms": TARGET_ADDED_P99_MS,
                "kbPerSession": TARGET_KB_PER_SESSION,
                "turnsPerSecC64Met": throughput_ok,
                "cpuMsPerTurn": TARGET_CPU_MS_PER_TURN,
                "cpuMsPerTurnMet": cpu_ok,
                "addedP99Met": added_ok,
                "kbPerSessionMet": memory_ok,
            },
        });
        println!("{report_json}");
    }
    let json = options.json;
    emit(
        json,
        "engine.c1.turns_per_sec",
        "turns/s at c=1",
        report.c1.turns_per_sec(),
        "turns/s",
        Target::None,
    );
    emit(
        json,
        "engine.c1.added_p50_ms",
        "added latency p50 at c=1",
        added_p50,
        "ms",
        Target::None,
    );
    emit(
        json,
        "engine.c1.added_p99_ms",
        "added latency p99 at c=1",
        added_p99,
        "ms",
        Target::Below(TARGET_ADDED_P99_MS),
    );
    emit(
        json,
        "engine.c64.turns_per_sec",
        "turns/s at c=64",
        report.c64.turns_per_sec(),
        "turns/s",
        Target::AtLeast(TARGET_TURNS_PER_SEC_C64),
    );
    // At c=64 a turn's latency is mostly queueing (64 requests share 2 cores with the load
    // generator and the emulator), so the gateway's share is shown as the two distributions side
    // by side: a difference of two noisy p99s can even come out negative.
    emit(
        json,
        "engine.c64.added_p50_ms",
        "added latency p50 at c=64 (gateway p50 minus direct p50)",
        added64_p50,
        "ms",
        Target::None,
    );
    emit(
        json,
        "engine.c64.p99_ms",
        "turn latency p99 at c=64 through the gateway",
        c64.p99,
        "ms",
        Target::None,
    );
    emit(
        json,
        "engine.c64.direct_p99_ms",
        "turn latency p99 at c=64 straight to the emulator",
        direct64.p99,
        "ms",
        Target::None,
    );
    emit(
        json,
        "engine.c64.cpu_ms_per_turn",
        "gateway CPU per turn at c=64",
        report.c64_cpu.gateway_ms_per_turn(),
        "ms",
        Target::Below(TARGET_CPU_MS_PER_TURN),
    );
    emit(
        json,
        "engine.session_kb",
        &format!(
            "memory per live idle session ({} sessions)",
            count(m.sessions)
        ),
        m.kb_per_session,
        "KB",
        Target::Below(TARGET_KB_PER_SESSION),
    );
    let depth_ok = depth::print(&report.depth, json);
    throughput_ok && cpu_ok && added_ok && memory_ok && depth_ok
}

pub(crate) fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
