//! Channel benchmark: signed WhatsApp Cloud API webhooks → the agent (an OpenAI emulator that
//! answers at once) → replies sent to the Graph API emulator, all on this machine, through a real
//! `pincer gateway` (release build).
//!
//! ```text
//! cargo bench --bench channels -- [--quick] [--no-statuses] [--rate N]
//! ```
//!
//! 1,000 senders are paired (in the allowlist store, as `pincer pairing approve` leaves it). A
//! warm-up sends one message from each. Then, with 64 client threads (64 concurrent senders),
//! each on a keep-alive connection:
//! 1. **closed loop**: every thread posts a message and waits until its reply reaches the Graph
//!    emulator before posting the next (19,200 messages; `--quick`: 3,200). Reported: messages/s
//!    and webhook-to-send latency (p50/p90/p99/max), journal fsyncs per message, gateway CPU per
//!    message.
//! 2. **paced**: the threads post on a fixed schedule totalling `--rate` messages/s (default
//!    800) for 10 s (`--quick`: 3 s) whatever the replies do; latency counts from each message's
//!    scheduled time. This is the p99 at a given load; the closed loop's latency is, by Little's
//!    law, 64 / throughput.
//!
//! By default the Graph emulator also posts a signed `sent` status webhook for every reply, as
//! Meta does, so the gateway handles two webhooks per message (`--no-statuses` turns them off).
//! Sessions use `messages.queue.mode: "followup"`: under load a sender's second message may
//! arrive before the first is answered, and the default `collect` would answer both with one
//! reply, which this benchmark would count as a missing reply.
//! Linux only (`/proc`). Targets (issue 4): ≥ 1,500 messages/s; p99 < 20 ms.

#[path = "../../tests/support/emulators/mod.rs"]
mod emulators;

#[path = "../engine/client.rs"]
#[allow(dead_code)]
mod client;
mod load;
mod setup;

use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use client::Client;
use emulators::graph::GraphApi;
use emulators::Emulator;
use load::Outcome;
use setup::Gateway;

type Result<T> = std::result::Result<T, String>;

const PINCER_BIN: &str = env!("CARGO_BIN_EXE_pincer");
const PNID: &str = "1065403522";
const APP_SECRET: &str = "bench-app-secret";
const WA_TOKEN: &str = "EAAbench";
const THREADS: usize = 64;
const SENDERS: usize = 1000;

struct Options {
    quick: bool,
    statuses: bool,
    rate: u32,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let rate = args
        .iter()
        .position(|a| a == "--rate")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(800);
    Options {
        quick: args.iter().any(|a| a == "--quick"),
        statuses: !args.iter().any(|a| a == "--no-statuses"),
        rate,
    }
}

fn main() {
    if let Err(error) = run(options()) {
        eprintln!("channels bench failed: {error}");
        std::process::exit(1);
    }
}

/// Runs `work` on every thread with its client and reply receiver; gathers the latencies.
fn on_threads(
    gateway: &Gateway,
    receivers: &mut [std::sync::mpsc::Receiver<(String, Instant)>],
    work: impl Fn(usize, &mut Client, &std::sync::mpsc::Receiver<(String, Instant)>) -> Result<Outcome>
        + Sync,
) -> Result<Vec<Duration>> {
    let mut all = Vec::new();
    thread::scope(|scope| {
        let handles: Vec<_> = receivers
            .iter_mut()
            .enumerate()
            .map(|(t, replies)| {
                let work = &work;
                let addr = gateway.addr;
                scope.spawn(move || {
                    let mut client = Client::new(addr);
                    work(t, &mut client, &*replies)
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(Ok(outcome)) => all.extend(outcome.latencies),
                Ok(Err(error)) => return Err(error),
                Err(_) => return Err("a client thread panicked".to_string()),
            }
        }
        Ok(())
    })?;
    Ok(all)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

fn summary(latencies: &mut [Duration]) -> String {
    latencies.sort_unstable();
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(latencies, 0.50),
        percentile(latencies, 0.90),
        percentile(latencies, 0.99),
        percentile(latencies, 1.0)
    )
}

fn run(options: Options) -> Result<()> {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let (senders, mut receivers): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| channel()).unzip();
    let routes = Arc::new(senders);
    let hook_routes = Arc::clone(&routes);
    graph.on_send(Arc::new(move |quoted: Option<&str>, at: Instant| {
        let Some(quoted) = quoted else { return };
        let thread = quoted
            .strip_prefix("wamid.B")
            .and_then(|rest| rest.split('-').next())
            .and_then(|t| t.parse::<usize>().ok());
        if let Some(route) = thread.and_then(|t| hook_routes.get(t)) {
            let _ = route.send((quoted.to_string(), at));
        }
    }));
    let gateway = Gateway::start(&provider.base_url(), &graph.base_url(), SENDERS)?;
    if options.statuses {
        graph.post_sent_status(true);
        graph.set_webhook_target(
            &format!("http://{}/webhooks/whatsapp", gateway.addr),
            APP_SECRET,
            PNID,
        );
    }
    println!(
        "pincer channels bench: {PINCER_BIN}\n  {THREADS} client threads, {SENDERS} paired senders, status webhooks {}",
        if options.statuses { "on" } else { "off" }
    );

    let warm = SENDERS.div_ceil(THREADS);
    on_threads(&gateway, &mut receivers, |t, client, replies| {
        load::closed(client, replies, t, 0, warm, SENDERS, THREADS)
    })
    .map_err(|e| gateway.failure(&e))?;

    let per_thread = if options.quick { 50 } else { 300 };
    let before = gateway.channels()?;
    let ticks = setup::cpu_ticks(gateway.pid());
    let started = Instant::now();
    let mut latencies = on_threads(&gateway, &mut receivers, |t, client, replies| {
        load::closed(client, replies, t, 1_000, per_thread, SENDERS, THREADS)
    })
    .map_err(|e| gateway.failure(&e))?;
    let elapsed = started.elapsed();
    let cpu_ms = (setup::cpu_ticks(gateway.pid()) - ticks) as f64 * 10.0;
    let after = gateway.channels()?;
    let messages = latencies.len();
    let commits = after["journal"]["groupCommits"].as_u64().unwrap_or(0)
        - before["journal"]["groupCommits"].as_u64().unwrap_or(0);
    println!(
        "closed loop: {messages} messages in {:.2} s = {:.0} messages/s\n  webhook→send latency: {}\n  journal fsyncs: {:.2} per message; gateway CPU: {:.3} ms per message",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64(),
        summary(&mut latencies),
        commits as f64 / messages as f64,
        cpu_ms / messages as f64,
    );

    let seconds = if options.quick { 3 } else { 10 };
    let per_thread = (options.rate as usize * seconds).div_ceil(THREADS);
    let interval = Duration::from_secs_f64(THREADS as f64 / f64::from(options.rate.max(1)));
    let start = Instant::now() + Duration::from_millis(200);
    let mut latencies = on_threads(&gateway, &mut receivers, |t, client, replies| {
        // Threads start staggered so that posts spread evenly over each interval.
        let offset = interval.mul_f64(t as f64 / THREADS as f64);
        load::paced(
            client,
            replies,
            t,
            100_000,
            per_thread,
            SENDERS,
            THREADS,
            start + offset,
            interval,
        )
    })
    .map_err(|e| gateway.failure(&e))?;
    println!(
        "paced at {} messages/s for {seconds} s ({} messages): {}",
        options.rate,
        latencies.len(),
        summary(&mut latencies)
    );
    let figures = gateway.channels()?;
    println!(
        "gateway RSS {} MiB; channel figures: {}",
        setup::rss_kib(gateway.pid()) / 1024,
        figures["channels"]["whatsapp"]
    );
    gateway.stop();
    Ok(())
}
