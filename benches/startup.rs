//! Start-up and idle-footprint benchmark for the `pincer gateway` binary.
//!
//! Run it through `scripts/bench` (every benchmark, several runs, `docs/BENCHMARKS.md`;
//! `scripts/bench --only startup` for this one), or alone with `cargo bench --bench startup`
//! (bench profile = release); arguments after `--` reach this program:
//!
//! ```text
//! cargo bench --bench startup -- [--runs N] [--warmup N] [--idle-secs N] [--json] [--check]
//! ```
//!
//! What it measures:
//!
//! - **startup**: wall time from just before `Command::spawn` to the first
//!   `HTTP/1.1 200` from `GET /healthz`, polled with a raw `TcpStream` in a
//!   tight loop (connection refused is retried after a ~50 µs pause), then on to
//!   the first 200 from `GET /readyz`. Each run gets a fresh temporary
//!   `PINCER_HOME` and its own free port (`common::gateway`), and is ended with
//!   SIGTERM; the time from SIGTERM to exit is reported too.
//! - **idle footprint**: one gateway, healthy, then left alone for
//!   `--idle-secs` (default 10); `VmRSS`, `VmHWM` and `Threads` are read from
//!   `/proc/<pid>/status`. The binary's size on disk is reported as well.
//!
//! Targets: median exec → /healthz 200 under 20 ms; idle RSS after 10 s under
//! 10 MiB. `--check` makes the program exit 1 when a target is missed. `--json`
//! adds one JSON line per figure (`common::figure`, what `scripts/bench`
//! collects) and one object with every detail.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[path = "common/mod.rs"]
mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::figure::{emit, Target};
use common::gateway::{Gateway, Spec};
use common::procfs::status_field;
use common::{Result, PINCER_BIN};

/// Give up on a gateway that is not healthy (or ready) after this long.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause between connection attempts while the gateway is not listening yet.
const POLL_PAUSE: Duration = Duration::from_micros(50);

const TARGET_STARTUP_MEDIAN_MS: f64 = 20.0;
const TARGET_IDLE_RSS_MIB: f64 = 10.0;

struct Options {
    runs: usize,
    warmup: usize,
    idle_secs: u64,
    json: bool,
    check: bool,
}

fn usage() -> &'static str {
    "usage: cargo bench --bench startup -- [--runs N] [--warmup N] [--idle-secs N] [--json] [--check]\n\
     \n  --runs N       timed start-ups (default 20)\
     \n  --warmup N     untimed start-ups first, to warm the page cache (default 1)\
     \n  --idle-secs N  how long the idle gateway sits before RSS is read (default 10)\
     \n  --json         also print one JSON line per figure and one object with every detail\
     \n  --check        exit 1 if a target (median < 20 ms, idle RSS < 10 MiB) is missed"
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        runs: 20,
        warmup: 1,
        idle_secs: 10,
        json: false,
        check: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: not a number: {value:?}"))
        };
        match arg.as_str() {
            "--runs" => options.runs = number("--runs")?.max(1) as usize,
            "--warmup" => options.warmup = number("--warmup")? as usize,
            "--idle-secs" => options.idle_secs = number("--idle-secs")?,
            "--json" => options.json = true,
            "--check" => options.check = true,
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

/// Spawns a gateway with no config in a fresh home; returns it and the instant of the spawn.
fn spawn() -> Result<(Gateway, Instant)> {
    Gateway::spawn(&Spec::new("startup", None))
}

/// Polls `path` with raw connections until it answers 200; returns the instant it did.
fn wait_for(gateway: &mut Gateway, path: &str) -> Result<Instant> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let last_error = match get_status(gateway.addr, path) {
            Ok(200) => return Ok(Instant::now()),
            Ok(status) => format!("{path} answered HTTP {status}"),
            Err(error) => error,
        };
        gateway.ensure_alive(&format!("start-up, before {path} answered 200"))?;
        if Instant::now() >= deadline {
            return Err(gateway.failure(&format!(
                "gateway (pid {}) did not answer {path} with 200 on {} within {READY_TIMEOUT:?}; last attempt: {last_error}",
                gateway.pid(),
                gateway.addr
            )));
        }
        std::thread::sleep(POLL_PAUSE);
    }
}

/// One `GET <path>` over a fresh connection; returns the HTTP status code.
fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .map_err(|e| format!("send: {e}"))?;
    // Read only until the status line is complete: that is the answer.
    let mut response = Vec::with_capacity(256);
    let mut buffer = [0u8; 256];
    while !response.windows(2).any(|w| w == b"\r\n") {
        let read = stream
            .read(&mut buffer)
            .map_err(|e| format!("receive: {e}"))?;
        if read == 0 {
            return Err(format!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&response)
            ));
        }
        response.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&response);
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {:?}", line.lines().next()))?;
    Ok(status)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

struct Summary {
    min: f64,
    median: f64,
    p90: f64,
    max: f64,
}

/// Min / median / p90 (nearest rank) / max of a non-empty sample.
fn summarize(samples: &[f64]) -> Summary {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    let p90 = sorted[((0.9 * n as f64).ceil() as usize).clamp(1, n) - 1];
    Summary {
        min: sorted[0],
        median,
        p90,
        max: sorted[n - 1],
    }
}

struct Idle {
    rss_mib: f64,
    hwm_mib: f64,
    threads: u64,
}

fn measure_idle(idle_secs: u64) -> Result<Idle> {
    let (mut gateway, _) = spawn()?;
    wait_for(&mut gateway, "/readyz")?;
    std::thread::sleep(Duration::from_secs(idle_secs));
    gateway.ensure_alive("the idle period")?;
    let idle = Idle {
        rss_mib: status_field(gateway.pid(), "VmRSS")? as f64 / 1024.0,
        hwm_mib: status_field(gateway.pid(), "VmHWM")? as f64 / 1024.0,
        threads: status_field(gateway.pid(), "Threads")?,
    };
    gateway.stop()?;
    Ok(idle)
}

fn run(options: &Options) -> Result<bool> {
    let binary = Path::new(PINCER_BIN);
    let binary_mib = fs::metadata(binary)
        .map_err(|e| format!("cannot stat {}: {e}", binary.display()))?
        .len() as f64
        / (1024.0 * 1024.0);
    eprintln!(
        "pincer startup bench: {} (warm-up {}, runs {}, idle {} s)",
        binary.display(),
        options.warmup,
        options.runs,
        options.idle_secs
    );

    let mut startup = Vec::with_capacity(options.runs);
    let mut ready = Vec::with_capacity(options.runs);
    let mut shutdown = Vec::with_capacity(options.runs);
    for index in 0..options.warmup + options.runs {
        let (mut gateway, start) = spawn()?;
        let healthy_at = wait_for(&mut gateway, "/healthz")?;
        let ready_at = wait_for(&mut gateway, "/readyz")?;
        let stopped = gateway.stop()?;
        if index >= options.warmup {
            startup.push(ms(healthy_at - start));
            ready.push(ms(ready_at - start));
            shutdown.push(ms(stopped));
        }
    }
    let up = summarize(&startup);
    let readiness = summarize(&ready);
    let down = summarize(&shutdown);
    let idle = measure_idle(options.idle_secs)?;

    let startup_ok = up.median < TARGET_STARTUP_MEDIAN_MS;
    let rss_ok = idle.rss_mib < TARGET_IDLE_RSS_MIB;
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };

    println!(
        "pincer gateway startup ({} runs, exec -> GET /healthz 200)",
        options.runs
    );
    println!(
        "  startup   min {:7.2} ms  median {:7.2} ms  p90 {:7.2} ms  max {:7.2} ms   target median < {TARGET_STARTUP_MEDIAN_MS} ms: {}",
        up.min, up.median, up.p90, up.max, verdict(startup_ok)
    );
    println!(
        "  readyz    min {:7.2} ms  median {:7.2} ms  p90 {:7.2} ms  max {:7.2} ms   (exec -> GET /readyz 200)",
        readiness.min, readiness.median, readiness.p90, readiness.max
    );
    println!(
        "  shutdown  min {:7.2} ms  median {:7.2} ms  p90 {:7.2} ms  max {:7.2} ms   (SIGTERM -> exit)",
        down.min, down.median, down.p90, down.max
    );
    println!("idle footprint after {} s", options.idle_secs);
    println!(
        "  VmRSS {:.2} MiB   VmHWM {:.2} MiB   threads {}   target RSS < {TARGET_IDLE_RSS_MIB} MiB: {}",
        idle.rss_mib, idle.hwm_mib, idle.threads, verdict(rss_ok)
    );
    println!("binary  {:.2} MiB  {}", binary_mib, binary.display());

    if options.json {
        let round = |value: f64| (value * 1000.0).round() / 1000.0;
        let stats = |s: &Summary| {
            serde_json::json!({
                "min": round(s.min), "median": round(s.median), "p90": round(s.p90), "max": round(s.max)
            })
        };
        let report = serde_json::json!({
            "runs": options.runs,
            "startupMs": stats(&up),
            "startupSamplesMs": startup.iter().map(|&v| round(v)).collect::<Vec<_>>(),
            "readyzMs": stats(&readiness),
            "shutdownMs": stats(&down),
            "idleSecs": options.idle_secs,
            "idleRssMiB": round(idle.rss_mib),
            "idleHwmMiB": round(idle.hwm_mib),
            "idleThreads": idle.threads,
            "binaryMiB": round(binary_mib),
            "binary": PINCER_BIN,
            "targets": {
                "startupMedianMs": TARGET_STARTUP_MEDIAN_MS,
                "idleRssMiB": TARGET_IDLE_RSS_MIB,
                "startupMet": startup_ok,
                "idleRssMet": rss_ok,
            },
        });
        println!("{report}");
    }
    let json = options.json;
    let runs = options.runs;
    emit(
        json,
        "startup.healthz_ms",
        &format!("cold start → /healthz 200 (median of {runs} starts)"),
        up.median,
        "ms",
        Target::Below(TARGET_STARTUP_MEDIAN_MS),
    );
    emit(
        json,
        "startup.readyz_ms",
        &format!("cold start → /readyz 200 (median of {runs} starts)"),
        readiness.median,
        "ms",
        Target::None,
    );
    emit(
        json,
        "startup.shutdown_ms",
        "SIGTERM → exit",
        down.median,
        "ms",
        Target::None,
    );
    emit(
        json,
        "startup.idle_rss_mib",
        &format!("idle RSS after {} s", options.idle_secs),
        idle.rss_mib,
        "MiB",
        Target::Below(TARGET_IDLE_RSS_MIB),
    );
    emit(
        json,
        "startup.idle_threads",
        "idle threads",
        idle.threads as f64,
        "",
        Target::None,
    );
    emit(
        json,
        "startup.binary_mib",
        "binary size",
        binary_mib,
        "MiB",
        Target::None,
    );
    Ok(startup_ok && rss_ok)
}

fn main() {
    let options = parse_args().unwrap_or_else(|error| {
        eprintln!("startup bench: {error}");
        std::process::exit(2);
    });
    match run(&options) {
        Ok(met) => {
            if options.check && !met {
                eprintln!("startup bench: a target was missed");
                std::process::exit(1);
            }
        }
        Err(error) => {
            eprintln!("startup bench failed: {error}");
            std::process::exit(1);
        }
    }
}
