//! Agent-engine benchmark: chat turns through a real `pincer gateway` against an emulated OpenAI
//! provider (the `pincer-emulators` crate in `tests/emulators/`, running inside this process).
//!
//! Run it through `scripts/bench` (all benchmarks, several runs, `docs/BENCHMARKS.md`;
//! `scripts/bench --only engine` for this one), or alone with `cargo bench --bench engine`
//! (bench profile = release); arguments after `--` reach this program:
//!
//! ```text
//! cargo bench --bench engine -- [--quick] [--json] [--check] [--depth-only] [--history-turns N]
//! ```
//!
//! What it measures (one gateway for 1-4, a fresh one for 5, another for 6):
//!
//! 1. **warm-up**: 1,000 turns at concurrency 64, one to each of the 1,000 sessions
//!    `agent:main:bench:0..999`, so that every session actor exists before timing starts.
//! 2. **throughput and latency at c=1 and c=64**: `POST /v1/chat/completions` with
//!    `x-pincer-session-key: agent:main:bench:<n>` (sessions taken round robin) and a non-streaming
//!    body `{"messages":[{"role":"user","content":"hi <n>"}]}`; 5,000 turns at c=1, 20,000 at
//!    c=64 (`--quick`: a tenth). Every client thread owns one keep-alive TCP connection and speaks
//!    HTTP/1.1 by hand (one write per request, then the response head and exactly Content-Length
//!    bytes, or a chunked body). Each answer is checked: HTTP 200 and `choices[0].message.content`
//!    equal to the emulator's `echo: hi <n>`. Reported: turns/s over the wall time of the run and
//!    p50/p90/p99/max latency (request written → last body byte read). Sessions keep their
//!    history, so by the end of the c=64 run each has had about 26 turns.
//! 3. **added latency**: the same number of c=1 requests of the same shape (plus `model` and
//!    `stream: true`, which the emulator requires) sent straight to the emulator, whose SSE body is
//!    read to its last chunk; gateway p50/p99 minus direct p50/p99 is what the gateway adds. The
//!    same at c=64, with a quarter of the c=64 turns sent straight to the emulator. (The
//!    gateway also sends the session's history and system prompt upstream, so its requests to the
//!    emulator are larger than the direct ones: that cost is counted as added.)
//! 4. **CPU per turn**: the gateway's `utime + stime` from `/proc/<pid>/stat` (ticks of
//!    `getconf CLK_TCK`) before and after the c=1 and c=64 runs, divided by their turns. Shown
//!    beside it: this process's own CPU time (client threads and emulator), and that of every
//!    other process on the machine (busy time from `/proc/stat` minus both), since they all share
//!    the same cores; a warning is printed when other processes took more than 20% of a core.
//! 5. **memory per idle session**: a fresh gateway, warmed with 256 turns over 64 sessions at
//!    c=16, rests 2 s; `VmRSS` is read from `/proc/<pid>/status`; then one turn goes to each of
//!    10,000 new sessions (`--quick`: 2,000) at c=16; after another 2 s `VmRSS` is read again.
//!    Reported: (after − before) / sessions in KB (1 KB = 1,000 bytes), and the session actors
//!    that are `running` in `GET /admin/actors?flat=1` before and after, to show that the
//!    sessions stayed in memory.
//! 6. **CPU per turn against the conversation's length** (`depth`): gateway CPU per turn in
//!    sessions holding 10, 100 and 1,000 earlier turns (`--depth-only`: this row alone).
//!
//! 7. **scaling**: fresh gateways with `engine.threads: 1` and `engine.threads: 2`, each warmed
//!    up like the first, then half the c=64 turns each (`scaling.rs`); reported: turns/s of each
//!    and their ratio.
//!
//! Targets: ≥ 4,000 turns/s at c=64; gateway CPU < 0.20 ms per turn at c=64; p99 added latency
//! < 5 ms at c=1; < 8 KB per live idle session; CPU per turn at 1,000 earlier turns under 1.5×
//! that at 10. `--json` adds one JSON line per figure (`common::figure`, what `scripts/bench`
//! collects) and one object with every detail. `--check` makes the program exit 1 when a target is missed. A run with any failed
//! turn (non-200, wrong answer, I/O error, a 30 s timeout) stops the benchmark with exit 1 and
//! prints the failures counted by kind, a few samples, and the tail of the gateway's stderr; a
//! run is cut short after a timeout or 200 failures.
//!
//! The gateway gets a temporary `PINCER_HOME` holding only `pincer.json5` (model `openai/m` at the
//! emulator, `maxConcurrentRuns: 64`, `sessionCacheSize: 20000`, `session.idleMinutes: 600`), a
//! free port (`common::gateway`), and is stopped with SIGTERM. Linux only (`/proc`).
//!
//! Layout: this file holds the settings, the command line and the sequence of runs; `load` runs
//! the turns and computes latency statistics, `cpu` reads the CPU times around a run, `report`
//! prints the results as text and JSON; the gateway process, the HTTP client and `/proc` are in
//! `benches/common/`, shared with the other benches.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[path = "../common/mod.rs"]
mod common;

mod cpu;
mod depth;
mod load;
mod report;
mod scaling;

use std::time::Duration;

use common::gateway::{Gateway, Spec};
use common::procfs::{clock_ticks_per_sec, rss_kib};
use common::{Result, PINCER_BIN};
use cpu::CpuProbe;
use load::{check_run, run, Plan, Target};
use pincer_emulators::Emulator;
use report::{print, progress, Memory, Report};

const SESSIONS: usize = 1_000;
const WARMUP_TURNS: usize = 1_000;
const WARMUP_CONCURRENCY: usize = 64;
const C1_TURNS: usize = 5_000;
const C64_TURNS: usize = 20_000;
const MEMORY_SESSIONS: usize = 10_000;
const MEMORY_SESSIONS_QUICK: usize = 2_000;
const MEMORY_CONCURRENCY: usize = 16;
/// First session number of the memory phase, far from the throughput sessions.
const MEMORY_SESSION_BASE: usize = 1_000_000;
const MEMORY_WARM_SESSION_BASE: usize = 900_000;
const SETTLE: Duration = Duration::from_secs(2);
/// Other processes using more than this share of a core during a timed run earn a warning.
const NOISY_PERCENT: f64 = 20.0;

const TARGET_TURNS_PER_SEC_C64: f64 = 4_000.0;
const TARGET_CPU_MS_PER_TURN: f64 = 0.20;
const TARGET_ADDED_P99_MS: f64 = 5.0;
const TARGET_KB_PER_SESSION: f64 = 8.0;

struct Options {
    quick: bool,
    json: bool,
    check: bool,
    /// Only the depth row (CPU per turn against the conversation's length).
    depth_only: bool,
    /// `session.historyTurns` for the depth row's gateway (`None`: the default).
    history_turns: Option<u32>,
}

fn usage() -> &'static str {
    "usage: cargo bench --bench engine -- [--quick] [--json] [--check] [--depth-only] [--history-turns N]\n\
     \n  --quick  a tenth of the timed turns, 2,000 sessions for the memory figure\
     \n  --json   also print one JSON line per figure and one object with every detail\
     \n  --check  exit 1 if a target (>= 4,000 turns/s and < 0.20 ms CPU per turn at c=64,\
     \n           p99 added < 5 ms at c=1, < 8 KB per idle session, CPU per turn at 1,000\
     \n           earlier turns < 1.5x at 10) is missed\
     \n  --depth-only  only CPU per turn at 10, 100 and 1,000 earlier turns\
     \n  --history-turns N  session.historyTurns of the depth row's gateway (default: its default)"
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        quick: false,
        json: false,
        check: false,
        depth_only: false,
        history_turns: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--history-turns" => {
                let value = args.next().and_then(|v| v.parse().ok());
                options.history_turns =
                    Some(value.ok_or("--history-turns needs a number of turns")?);
            }
            "--quick" => options.quick = true,
            "--json" => options.json = true,
            "--check" => options.check = true,
            "--depth-only" => options.depth_only = true,
            // `cargo bench` passes `--bench` to every benchmark binary.
            "--bench" => {}
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(options)
}

/// The gateway of this bench: model `openai/m` at the emulator, room for every session, and
/// `engine.threads` when given (else the default, one per core).
pub(crate) fn spec(provider_base_url: &str, threads: Option<u32>) -> Spec<'static> {
    let engine = threads.map_or(String::new(), |n| {
        format!("engine: {{ threads: {n} }},\n  ")
    });
    Spec::new(
        "engine",
        Some(format!(
            "{{\n  agents: {{ defaults: {{ model: 'openai/m' }}, maxConcurrentRuns: 64, sessionCacheSize: 20000 }},\n  \
             session: {{ idleMinutes: 600 }},\n  {engine}\
             models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider_base_url}', apiKey: 'k' }} }} }},\n}}\n"
        )),
    )
}

/// The depth row's gateway: the same, with `session.historyTurns` if given.
fn depth_spec(provider_base_url: &str, history_turns: Option<u32>) -> Spec<'static> {
    let mut spec = spec(provider_base_url, None);
    if let (Some(turns), Some(config)) = (history_turns, spec.config.as_mut()) {
        *config = config.replace(
            "session: { idleMinutes: 600 }",
            &format!("session: {{ idleMinutes: 600, historyTurns: {turns} }}"),
        );
    }
    spec
}

fn bench(options: &Options) -> Result<Report> {
    let divide = if options.quick { 10 } else { 1 };
    let c1_turns = C1_TURNS / divide;
    let c64_turns = C64_TURNS / divide;
    let memory_sessions = if options.quick {
        MEMORY_SESSIONS_QUICK
    } else {
        MEMORY_SESSIONS
    };
    let ticks = clock_ticks_per_sec() as f64;

    let emulator = Emulator::openai();
    eprintln!(
        "pincer engine bench: {PINCER_BIN}\n  emulated OpenAI provider at {}",
        emulator.base_url()
    );
    let mut gateway = Gateway::start(&spec(&emulator.base_url(), None))?;
    eprintln!("  gateway pid {} on {}", gateway.pid(), gateway.addr);
    let token = gateway.token.clone();
    let target = Target::Gateway {
        addr: gateway.addr,
        token: &token,
    };

    let plan = |name, target, concurrency, turns| Plan {
        name,
        target,
        concurrency,
        turns,
        sessions: SESSIONS,
        base: 0,
    };

    let warmup = run(&plan("warm-up", target, WARMUP_CONCURRENCY, WARMUP_TURNS));
    progress(&warmup);
    check_run(&warmup, Some(&mut gateway))?;

    let before = CpuProbe::take(gateway.pid())?;
    let c1 = run(&plan("gateway", target, 1, c1_turns));
    let c1_cpu = CpuProbe::take(gateway.pid())?.since(&before, ticks, &c1);
    progress(&c1);
    check_run(&c1, Some(&mut gateway))?;

    let direct_target = Target::Direct {
        addr: emulator.addr(),
    };
    let direct_warmup = run(&plan("direct-w", direct_target, 1, 200));
    check_run(&direct_warmup, None)?;
    let direct = run(&plan("direct", direct_target, 1, c1_turns));
    progress(&direct);
    check_run(&direct, None)?;

    let direct64_warmup = run(&plan("direct-w", direct_target, 64, 1_000));
    check_run(&direct64_warmup, None)?;
    let direct64 = run(&plan("direct", direct_target, 64, c64_turns / 4));
    progress(&direct64);
    check_run(&direct64, None)?;

    let before = CpuProbe::take(gateway.pid())?;
    let c64 = run(&plan("gateway", target, 64, c64_turns));
    let c64_cpu = CpuProbe::take(gateway.pid())?.since(&before, ticks, &c64);
    progress(&c64);
    check_run(&c64, Some(&mut gateway))?;
    let emulator_max_in_flight = emulator.max_in_flight();
    let first_levels = gateway.stderr_levels();
    gateway.stop()?;

    // Memory per idle session, in a fresh gateway.
    let mut gateway = Gateway::start(&spec(&emulator.base_url(), None))?;
    let token = gateway.token.clone();
    let target = Target::Gateway {
        addr: gateway.addr,
        token: &token,
    };
    let warm = run(&Plan {
        name: "mem-warm",
        target,
        concurrency: MEMORY_CONCURRENCY,
        turns: 256,
        sessions: 64,
        base: MEMORY_WARM_SESSION_BASE,
    });
    check_run(&warm, Some(&mut gateway))?;
    std::thread::sleep(SETTLE);
    let running_before = gateway.running_sessions()?;
    let rss_before_kib = rss_kib(gateway.pid())?;
    let sessions_run = run(&Plan {
        name: "sessions",
        target,
        concurrency: MEMORY_CONCURRENCY,
        turns: memory_sessions,
        sessions: memory_sessions,
        base: MEMORY_SESSION_BASE,
    });
    progress(&sessions_run);
    check_run(&sessions_run, Some(&mut gateway))?;
    std::thread::sleep(SETTLE);
    let rss_after_kib = rss_kib(gateway.pid())?;
    let running_after = gateway.running_sessions()?;
    let second_levels = gateway.stderr_levels();
    gateway.stop()?;

    // The scaling figure: fresh gateways with one and two engine threads.
    let scaling = scaling::measure(&emulator.base_url(), c64_turns / 2)?;
    let depth = depth::bench(
        depth_spec(&emulator.base_url(), options.history_turns),
        options.quick,
    )?;
    let memory = Memory {
        sessions: memory_sessions,
        rss_before_kib,
        rss_after_kib,
        kb_per_session: (rss_after_kib as f64 - rss_before_kib as f64) * 1024.0
            / 1000.0
            / memory_sessions as f64,
        running_before,
        running_after,
        run: sessions_run,
    };

    Ok(Report {
        warmup,
        c1,
        direct,
        c64,
        direct64,
        c1_cpu,
        c64_cpu,
        memory,
        depth,
        emulator_max_in_flight,
        gateway_log_levels: [first_levels, second_levels],
        scaling,
    })
}

fn main() {
    let options = parse_args().unwrap_or_else(|error| {
        eprintln!("engine bench: {error}");
        std::process::exit(2);
    });
    if options.depth_only {
        let emulator = Emulator::openai();
        let met = depth::bench(
            depth_spec(&emulator.base_url(), options.history_turns),
            options.quick,
        )
        .map(|depth| depth::print(&depth, options.json))
        .unwrap_or_else(|error| {
            eprintln!("engine bench failed: {error}");
            std::process::exit(1);
        });
        if options.check && !met {
            eprintln!("engine bench: a target was missed");
            std::process::exit(1);
        }
        return;
    }
    match bench(&options) {
        Ok(report) => {
            let met = print(&report, &options);
            if options.check && !met {
                eprintln!("engine bench: a target was missed");
                std::process::exit(1);
            }
        }
        Err(error) => {
            eprintln!("engine bench failed: {error}");
            std::process::exit(1);
        }
    }
}
