//! Micro benchmark of the channel journal (`pincer::channels::journal`): durable accepts per
//! second with 1, 16 and 64 concurrent acceptors, to show that group commit keeps fsync from
//! capping throughput.
//!
//! Run it through `scripts/bench` (every benchmark, several runs, `docs/BENCHMARKS.md`;
//! `scripts/bench --only journal` for this one), or alone with `cargo bench --bench journal`
//! (bench profile = release); arguments after `--`:
//!
//! ```text
//! cargo bench --bench journal -- [--secs S] [--dir DIR] [--json] [--dedup-only]
//! ```
//!
//! Each run opens a fresh journal in a temporary directory (under `--dir`, default the system's
//! temporary directory: the file system matters, fsync on tmpfs is free) and runs that many tasks
//! on one actix runtime thread, each looping for `--secs` (default 2): accept one new text
//! message, wait until it is durable, mark it done. Reported per run: accepts/s, fsyncs/s, mean
//! batch size (appends per fsync), accept latency p50/p99, and the compactions that happened.
//! `--json` adds one JSON line per figure (`common::figure`, what `scripts/bench` collects).
//! No target was set for these figures.
//!
//! Then the dedup set's memory (`--dedup-only` runs just that): how much this process's RSS grew
//! while 200,000 messages were accepted and done (no compaction, a bound above that count), per
//! done key; and the growth over 300,000 messages under the default bound
//! (`channels.dedupeMaxMessages`, 100,000).

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

// Only the figure line of `benches/common/` (no gateway here); not every `Target` is used.
#[allow(dead_code)]
#[path = "common/figure.rs"]
mod figure;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use figure::{emit, Target};
use pincer::channels::journal::{
    Accepted, InboundRecord, Journal, JournalOptions, JournalStats, MessageBody,
};

/// This process's resident memory in bytes (`VmRSS` of `/proc/self/status`).
fn rss_bytes() -> Result<i64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<i64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_string())
}

struct Options {
    secs: f64,
    dir: Option<PathBuf>,
    json: bool,
    dedup_only: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        secs: 2.0,
        dir: None,
        json: false,
        dedup_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--secs" => {
                options.secs = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--secs needs a number")?;
            }
            "--dir" => options.dir = Some(args.next().ok_or("--dir needs a path")?.into()),
            "--json" => options.json = true,
            "--dedup-only" => options.dedup_only = true,
            // `cargo bench` passes `--bench`.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn record(task: usize, n: u64) -> InboundRecord {
    InboundRecord {
        channel: "whatsapp".into(),
        account: "106540352242922".into(),
        platform_id: format!("wamid.HBgLMTU1NTAwMDAwMDAVAgASGBQz{task:04}{n:010}"),
        sender: "15550000000".into(),
        sender_name: Some("Bench Sender".into()),
        chat: "15550000000".into(),
        body: MessageBody::Text("Hello, could you summarise my calendar for tomorrow?".into()),
        received_ms: 1_700_000_000_000 + n,
    }
}

struct RunResult {
    accepts: u64,
    elapsed: Duration,
    stats: JournalStats,
    latencies_us: Vec<u64>,
}

fn run(concurrency: usize, secs: f64, dir: &tempfile::TempDir) -> Result<RunResult, String> {
    let path = dir.path().join(format!("journal-c{concurrency}.bin"));
    let (journal, _) =
        Journal::open(&path, JournalOptions::default()).map_err(|e| e.to_string())?;
    let duration = Duration::from_secs_f64(secs);
    let system = actix_web::rt::System::new();
    let (accepts, elapsed, latencies_us) = system.block_on(async {
        let start = Instant::now();
        let deadline = start + duration;
        let tasks: Vec<_> = (0..concurrency)
            .map(|task| {
                let journal = journal.clone();
                actix_web::rt::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let begun = Instant::now();
                        let out = journal.accept(vec![record(task, n)]).await;
                        latencies.push(begun.elapsed().as_micros() as u64);
                        match out.as_deref() {
                            Ok([Accepted::New(entry)]) => journal.done(entry.id),
                            other => return Err(format!("unexpected outcome {other:?}")),
                        }
                        n += 1;
                    }
                    Ok(latencies)
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in futures_util::future::join_all(tasks).await {
            match task {
                Ok(Ok(latencies)) => all.extend(latencies),
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(format!("task failed: {e}")),
            }
        }
        Ok((all.len() as u64, start.elapsed(), all))
    })?;
    let stats = journal.stats();
    journal.close();
    Ok(RunResult {
        accepts,
        elapsed,
        stats,
        latencies_us,
    })
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\nusage: cargo bench --bench journal -- [--secs S] [--dir DIR] [--json] [--dedup-only]");
            std::process::exit(2);
        }
    };
    let dir = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    };
    let dir = match dir {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("cannot create a temporary directory: {e}");
            std::process::exit(1);
        }
    };
    if !options.dedup_only {
        throughput(&options, &dir);
    }
    if let Err(e) = dedup_memory(&options, &dir) {
        eprintln!("the dedup memory run failed: {e}");
        std::process::exit(1);
    }
}

/// Accepts and marks done `count` new messages, 1,000 per batch; how much the RSS grew, and the
/// journal's stats.
fn fill(
    path: &std::path::Path,
    max_keys: usize,
    count: u64,
) -> Result<(i64, JournalStats, Journal), String> {
    let options = JournalOptions {
        dedup_max_keys: max_keys,
        // A compaction's snapshot is transient but would raise the RSS high-water mark.
        compact_after_bytes: u64::MAX,
        ..JournalOptions::default()
    };
    let system = actix_web::rt::System::new();
    system.block_on(async {
        let (journal, _) = Journal::open(path, options).map_err(|e| e.to_string())?;
        let before = rss_bytes()?;
        for batch in 0..count.div_ceil(1000) {
            let records = (0..1000).map(|n| record(0, batch * 1000 + n)).collect();
            for out in journal.accept(records).await.map_err(|e| e.to_string())? {
                match out {
                    Accepted::New(entry) => journal.done(entry.id),
                    other => return Err(format!("unexpected outcome {other:?}")),
                }
            }
        }
        // The done marks are queued to the writer: let it drain them.
        let _ = journal.accept(vec![record(1, 0)]).await;
        let after = rss_bytes()?;
        let stats = journal.stats();
        Ok((after - before, stats, journal))
    })
}

fn dedup_memory(options: &Options, dir: &tempfile::TempDir) -> Result<(), String> {
    let keys = 200_000;
    // Each journal stays open until the end, so that the next run does not reuse its memory.
    let (bytes, stats, _unbounded) =
        fill(&dir.path().join("dedup-unbounded.bin"), 1_000_000, keys)?;
    let per_key = bytes as f64 / stats.dedup_keys.max(1) as f64;
    println!(
        "dedup set: {} done keys held, RSS +{:.2} MB: {per_key:.1} bytes per done key",
        stats.dedup_keys,
        bytes as f64 / 1e6
    );
    emit(
        options.json,
        "journal.dedup_bytes_per_key",
        "RSS bytes per done dedup key (200,000 held)",
        per_key,
        "B",
        Target::None,
    );
    let (bytes, stats, _bounded) = fill(&dir.path().join("dedup-bounded.bin"), 100_000, 300_000)?;
    println!(
        "dedup set, default bound: 300,000 messages done, {} keys held, RSS +{:.2} MB",
        stats.dedup_keys,
        bytes as f64 / 1e6
    );
    emit(
        options.json,
        "journal.dedup_rss_mb_bounded",
        "RSS growth over 300,000 messages under the default dedup bound",
        bytes as f64 / 1e6,
        "MB",
        Target::None,
    );
    Ok(())
}

fn throughput(options: &Options, dir: &tempfile::TempDir) {
    println!(
        "channel journal: {} s per run, file in {}",
        options.secs,
        dir.path().display()
    );
    println!(
        "{:>11} {:>12} {:>10} {:>11} {:>9} {:>9} {:>11}",
        "concurrency", "accepts/s", "fsyncs/s", "mean batch", "p50 µs", "p99 µs", "compactions"
    );
    for concurrency in [1, 16, 64] {
        let result = match run(concurrency, options.secs, dir) {
            Ok(result) => result,
            Err(e) => {
                eprintln!("run at concurrency {concurrency} failed: {e}");
                std::process::exit(1);
            }
        };
        let secs = result.elapsed.as_secs_f64();
        let fsyncs = result.stats.group_commits;
        let mut latencies = result.latencies_us;
        latencies.sort_unstable();
        println!(
            "{:>11} {:>12.0} {:>10.0} {:>11.1} {:>9} {:>9} {:>11}",
            concurrency,
            result.accepts as f64 / secs,
            fsyncs as f64 / secs,
            result.stats.appended as f64 / fsyncs.max(1) as f64,
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            result.stats.compactions,
        );
        emit(
            options.json,
            &format!("journal.c{concurrency}.accepts_per_sec"),
            &format!("durable journal accepts/s, {concurrency} concurrent"),
            result.accepts as f64 / secs,
            "accepts/s",
            Target::None,
        );
    }
}
