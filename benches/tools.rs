//! Micro benchmark of the tool invocation actor (`pincer::agent::tools::invoke`): the cost of
//! running a no-op tool as its own supervised task (spawn under the tools supervisor, run, result
//! back through the oneshot, exit reported and forgotten).
//!
//! Run it through `scripts/bench` (every benchmark, several runs, `docs/BENCHMARKS.md`;
//! `scripts/bench --only tools` for this one), or alone with `cargo bench --bench tools` (bench
//! profile = release); arguments after `--`:
//!
//! ```text
//! cargo bench --bench tools -- [--calls N] [--concurrency C] [--json]
//! ```
//!
//! Two runs on one actix runtime thread (where the gateway runs its tree): sequential calls,
//! each awaited before the next (latency p50/p99/p99.9 and calls/s), then `C` callers at once
//! (throughput). The targets are at least 50,000 no-op invocations/s (the concurrent run) and a
//! p99 under 100 µs (the sequential run). `--json` adds one JSON line per figure
//! (`common::figure`, what `scripts/bench` collects).

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

// Only the figure line of `benches/common/` (no gateway here); not every `Target` is used.
#[allow(dead_code)]
#[path = "common/figure.rs"]
mod figure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use figure::{emit, Target};
use futures_util::future::{join_all, BoxFuture};
use pincer::agent::tools::invoke::{invoke, supervisor_spec, Invocation};
use pincer::agent::tools::{SessionHandles, Tool, ToolContext};
use pincer::providers::ToolSpec;
use pincer::sessions::SessionStore;
use pincer_actors::{ActorRef, Registry, RootHandle, Supervisor};
use serde_json::{json, Value};

const TARGET_CALLS_PER_SEC: f64 = 50_000.0;
const TARGET_P99_US: f64 = 100.0;

struct NoOp;

impl Tool for NoOp {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "noop".into(),
            description: String::new(),
            parameters: json!({}),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        _arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async { Ok(String::new()) })
    }
}

fn parse_args() -> Result<(usize, usize, bool), String> {
    let (mut calls, mut concurrency, mut json) = (200_000usize, 64usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--calls" => {
                calls = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--calls needs a number")?
            }
            "--concurrency" => {
                concurrency = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--concurrency needs a number")?
            }
            "--json" => json = true,
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((calls.max(1), concurrency.max(1), json))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn one(tools: &ActorRef<Supervisor>, tool: &Arc<dyn Tool>, cx: &Arc<ToolContext>, n: usize) {
    let outcome = invoke(
        tools,
        Invocation {
            id: format!("agent:main:main#t#call_{n}"),
            name: "noop".into(),
            tool: Arc::clone(tool),
            cx: Arc::clone(cx),
            arguments: Value::Null,
            timeout: Duration::from_secs(30),
        },
    )
    .await;
    assert!(!outcome.is_error, "{}", outcome.content);
}

fn main() {
    let (calls, concurrency, json) = match parse_args() {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Arc::new(SessionStore::open(&dir.path().join("sessions")).expect("store"));
    let cx = Arc::new(ToolContext {
        session_key: Arc::from("agent:main:main"),
        is_main: true,
        sandboxed: false,
        workspace: Arc::from(dir.path()),
        // The no-op tool never talks to the router: an address that is never started will do.
        sessions: Arc::new(SessionHandles::new(
            store,
            pincer_actors::Reserved::new(1).actor_ref().clone(),
            |_| false,
        )),
        walls: Arc::new(pincer::agent::tools::walls::Walls::none()),
        origin: None,
        chat: None,
        skills: None,
    });
    let tool: Arc<dyn Tool> = Arc::new(NoOp);
    let system = actix::System::new();
    system.block_on(async move {
        let registry = Registry::default();
        let root = RootHandle::start(&registry, "tools", supervisor_spec(Vec::new()));
        let tools = root.supervisor().clone();
        for n in 0..5_000 {
            one(&tools, &tool, &cx, n).await;
        }

        let mut latencies = Vec::with_capacity(calls);
        let started = Instant::now();
        for n in 0..calls {
            let at = Instant::now();
            one(&tools, &tool, &cx, n).await;
            latencies.push(at.elapsed());
        }
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        let sequential_per_sec = calls as f64 / elapsed.as_secs_f64();
        let p50_us = percentile(&latencies, 0.50).as_secs_f64() * 1e6;
        let p99_us = percentile(&latencies, 0.99).as_secs_f64() * 1e6;
        println!(
            "sequential: {calls} calls in {:.2} s = {:.0} calls/s; latency p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
            elapsed.as_secs_f64(),
            calls as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e6,
            percentile(&latencies, 0.99).as_secs_f64() * 1e6,
            percentile(&latencies, 0.999).as_secs_f64() * 1e6,
            latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
        );

        let started = Instant::now();
        let mut done = 0;
        while done < calls {
            let batch = concurrency.min(calls - done);
            join_all((0..batch).map(|i| one(&tools, &tool, &cx, done + i))).await;
            done += batch;
        }
        let elapsed = started.elapsed();
        let concurrent_per_sec = calls as f64 / elapsed.as_secs_f64();
        println!(
            "concurrent ({concurrency} in flight): {calls} calls in {:.2} s = {concurrent_per_sec:.0} calls/s",
            elapsed.as_secs_f64(),
        );
        emit(json, "tools.sequential.calls_per_sec", "no-op tool calls/s, one at a time", sequential_per_sec, "calls/s", Target::None);
        emit(json, "tools.sequential.p50_us", "tool invocation latency p50", p50_us, "µs", Target::None);
        emit(json, "tools.sequential.p99_us", "tool invocation latency p99", p99_us, "µs", Target::Below(TARGET_P99_US));
        emit(json, "tools.concurrent.calls_per_sec", &format!("no-op tool calls/s, {concurrency} in flight"), concurrent_per_sec, "calls/s", Target::AtLeast(TARGET_CALLS_PER_SEC));
        actix::clock::sleep(Duration::from_millis(50)).await;
        println!(
            "registry entries left: {} (successful invocations are forgotten when done)",
            registry.len()
        );
    });
}
