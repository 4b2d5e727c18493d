//! Cron benchmark: 1,000 jobs firing within one minute, through a real `pincer gateway` whose
//! turns are answered by the OpenAI emulator (in this process), and how late each firing was.
//!
//! Run it through `scripts/bench` (`scripts/bench --only cron`), or alone with
//! `cargo bench --bench cron` (bench profile = release); arguments after `--`:
//!
//! ```text
//! cargo bench --bench cron -- [--jobs N] [--window-secs S] [--json]
//! ```
//!
//! The config declares `N` one-shot jobs (`schedule: {kind: "at"}`, default 1,000), each an
//! isolated session of its own, due at evenly spaced times over `S` seconds (default 60, the
//! issue's minute; `--quick` in `scripts/bench` compresses it to 10 s, 100 firings a second)
//! starting 5 s after the gateway is spawned. When the window has passed and every job has
//! recorded its firing, the runs logs (`<state>/cron/runs/<id>.jsonl`) are read: a firing's
//! drift is the time of its `fired` record minus its scheduled time (`runAtMs`), which is what
//! the scheduler controls (the turn that follows waits for a run permit like any other).
//! Reported: max and p99 drift (target: under 1 s), firings recorded (target: all of them) and
//! turns answered by the end (context).

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::figure::{count, emit, Target};
use common::gateway::{Gateway, Spec};
use common::Result;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const LEAD: Duration = Duration::from_secs(5);

struct Options {
    jobs: usize,
    window: Duration,
    json: bool,
}

fn options() -> Result<Options> {
    let mut options = Options {
        jobs: 1000,
        window: Duration::from_secs(60),
        json: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--jobs" => options.jobs = number(args.next())?,
            "--window-secs" => options.window = Duration::from_secs(number(args.next())? as u64),
            "--json" => options.json = true,
            "--bench" => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn number(text: Option<String>) -> Result<usize> {
    text.and_then(|t| t.parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a positive number".to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The config: the echo model and `jobs` one-shots spread over the window.
fn config(provider: &Emulator, options: &Options, first_ms: u64) -> String {
    let step = options.window.as_millis() as u64 / options.jobs as u64;
    let jobs: Vec<Value> = (0..options.jobs)
        .map(|n| {
            json!({
                "id": format!("bench-{n}"),
                "schedule": { "kind": "at", "at": first_ms + n as u64 * step },
                "message": format!("tick {n}"),
            })
        })
        .collect();
    json!({
        "agent": { "model": "local/echo" },
        "models": { "providers": { "local": {
            "api": "openai-completions", "baseUrl": provider.base_url(), "apiKey": "k" } } },
        "logging": { "level": "warn" },
        "cron": { "jobs": jobs, "maxConcurrentRuns": 4 },
    })
    .to_string()
}

/// Per job, the drift of its `fired` record and whether its turn was answered.
fn read_runs(gateway: &Gateway, jobs: usize) -> (Vec<i64>, usize) {
    let runs = gateway.home().join("state").join("cron").join("runs");
    let mut drifts = Vec::new();
    let mut answered = 0;
    for n in 0..jobs {
        let text =
            std::fs::read_to_string(runs.join(format!("bench-{n}.jsonl"))).unwrap_or_default();
        for record in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            match record["status"].as_str() {
                Some("fired") => {
                    let ts = record["ts"].as_i64().unwrap_or(0);
                    let at = record["runAtMs"].as_i64().unwrap_or(0);
                    drifts.push(ts - at);
                }
                Some("ok") => answered += 1,
                _ => {}
            }
        }
    }
    (drifts, answered)
}

fn run(options: &Options) -> Result<()> {
    let provider = Emulator::openai();
    let first_ms = now_ms() + LEAD.as_millis() as u64;
    let spec = Spec::new("cron", Some(config(&provider, options, first_ms)));
    let mut gateway = Gateway::start(&spec)?;
    let end = Instant::now() + LEAD + options.window;
    let deadline = end + Duration::from_secs(30);
    let (drifts, answered) = loop {
        std::thread::sleep(Duration::from_millis(500));
        gateway.ensure_alive("the firings")?;
        let (drifts, answered) = read_runs(&gateway, options.jobs);
        if Instant::now() >= end && drifts.len() >= options.jobs || Instant::now() >= deadline {
            break (drifts, answered);
        }
    };
    gateway.stop()?;
    let mut sorted = drifts.clone();
    sorted.sort_unstable();
    let max = sorted.last().copied().unwrap_or(0) as f64;
    let p99 = sorted
        .get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0) as f64;
    let label = format!(
        "{} jobs in {} s",
        count(options.jobs),
        options.window.as_secs()
    );
    println!(
        "cron: {label}: {} fired, {} answered; drift max {max} ms, p99 {p99} ms",
        drifts.len(),
        answered
    );
    let json = options.json;
    emit(
        json,
        "cron.fire_1000.max_drift_ms",
        &format!("max firing drift, {label}"),
        max,
        "ms",
        Target::Below(1000.0),
    );
    emit(
        json,
        "cron.fire_1000.p99_drift_ms",
        &format!("p99 firing drift, {label}"),
        p99,
        "ms",
        Target::Below(1000.0),
    );
    emit(
        json,
        "cron.fire_1000.fired",
        &format!("firings recorded, {label}"),
        drifts.len() as f64,
        "firings",
        Target::Exactly(options.jobs as f64),
    );
    emit(
        json,
        "cron.fire_1000.answered",
        &format!("turns answered by the end, {label}"),
        answered as f64,
        "turns",
        Target::None,
    );
    Ok(())
}

fn main() {
    let outcome = options().and_then(|options| run(&options));
    if let Err(error) = outcome {
        eprintln!("cron bench: {error}");
        std::process::exit(1);
    }
}
