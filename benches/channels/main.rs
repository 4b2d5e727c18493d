//! Channel benchmark: signed WhatsApp Cloud API webhooks → the agent (an OpenAI emulator that
//! answers at once) → replies sent to the Graph API emulator, all on this machine, through a real
//! `pincer gateway` (release build).
//!
//! Run it through `scripts/bench` (every benchmark, several runs, `docs/BENCHMARKS.md`; `--only
//! channels` or `--only soak` for these), or alone:
//!
//! ```text
//! cargo bench --bench channels -- [--quick] [--no-statuses] [--rate N] [--json]
//! cargo bench --bench channels -- --soak SECS [--rate N] [--sample-secs S] [--skip-secs S] [--json]
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
//!    law, 64 / throughput. A message without a reply fails the run.
//! 3. **acknowledgement** (`ack.rs`): one thread posts text and image webhooks alternately
//!    (1,000 of each; `--quick`: 200) and times each POST's round trip: an image's download is
//!    the run's, so its webhook must be acknowledged as fast as a text one.
//!
//! With `--soak SECS` it runs only a soak instead (`soak.rs`): a paced run at `--rate` (default
//! 200) messages/s for SECS seconds, the gateway's RSS sampled every `--sample-secs` (default
//! 10), reporting the final and peak RSS, the RSS slope after `--skip-secs` (default 60), and
//! messages sent, answered and lost.
//!
//! By default the Graph emulator also posts a signed `sent` status webhook for every reply, as
//! Meta does, so the gateway handles two webhooks per message (`--no-statuses` turns them off).
//! Sessions use `messages.queue.mode: "followup"`: under load a sender's second message may
//! arrive before the first is answered, and the default `collect` would answer both with one
//! reply, which this benchmark would count as a missing reply. `--json` adds one JSON line per
//! figure (`common::figure`). Linux only (`/proc`). Targets (issue 16): ≥ 2,500 messages/s; gateway CPU < 0.30 ms per message;
//! p99 < 20 ms at 800 messages/s; the soak must lose no message.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[path = "../common/mod.rs"]
mod common;

mod ack;
mod load;
mod setup;
mod soak;

use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::client::Client;
use common::figure::{emit, Target};
use common::gateway::Gateway;
use common::procfs::{clock_ticks_per_sec, cpu_ticks, rss_kib};
use common::{Result, PINCER_BIN};
use load::Outcome;
use pincer_emulators::graph::GraphApi;
use pincer_emulators::Emulator;

const PNID: &str = "1065403522";
const APP_SECRET: &str = "bench-app-secret";
const WA_TOKEN: &str = "EAAbench";
const THREADS: usize = 64;
const SENDERS: usize = 1000;

const TARGET_MESSAGES_PER_SEC: f64 = 2_500.0;
const TARGET_CPU_MS_PER_MESSAGE: f64 = 0.30;
const TARGET_PACED_P99_MS: f64 = 20.0;

struct Options {
    quick: bool,
    statuses: bool,
    rate: Option<u32>,
    json: bool,
    soak: Option<soak::Settings>,
}

fn usage() -> &'static str {
    "usage: cargo bench --bench channels -- [--quick] [--no-statuses] [--rate N] [--json]\n\
     \x20      cargo bench --bench channels -- --soak SECS [--rate N] [--sample-secs S] [--skip-secs S] [--json]"
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        quick: false,
        statuses: true,
        rate: None,
        json: false,
        soak: None,
    };
    let (mut soak_secs, mut sample_secs, mut skip_secs) = (None, 10, 60);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64> {
            let value = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            value
                .parse()
                .map_err(|_| format!("{name}: not a number: {value:?}"))
        };
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--no-statuses" => options.statuses = false,
            "--json" => options.json = true,
            "--rate" => options.rate = Some(number("--rate")?.clamp(1, 100_000) as u32),
            "--soak" => soak_secs = Some(number("--soak")?.max(1)),
            "--sample-secs" => sample_secs = number("--sample-secs")?.max(1),
            "--skip-secs" => skip_secs = number("--skip-secs")?,
            // `cargo bench` passes `--bench` to every benchmark binary.
            "--bench" => {}
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    options.soak = soak_secs.map(|secs| soak::Settings {
        secs,
        rate: options.rate.unwrap_or(200),
        sample_secs,
        skip_secs,
    });
    Ok(options)
}

fn main() {
    let options = parse_args().unwrap_or_else(|error| {
        eprintln!("channels bench: {error}");
        std::process::exit(2);
    });
    let result = match &options.soak {
        Some(settings) => soak::run(settings, options.json),
        None => run(&options),
    };
    if let Err(error) = result {
        eprintln!("channels bench failed: {error}");
        std::process::exit(1);
    }
}

/// The emulators, the gateway between them, and one reply receiver per client thread (the
/// Graph emulator's send hook routes each reply to the thread whose message it quotes).
pub(crate) struct Rig {
    pub(crate) provider: Emulator,
    pub(crate) graph: GraphApi,
    pub(crate) gateway: Gateway,
    pub(crate) receivers: Vec<Receiver<(String, Instant)>>,
}

impl Rig {
    pub(crate) fn start(statuses: bool) -> Result<Rig> {
        let provider = Emulator::openai();
        let graph = GraphApi::start(WA_TOKEN);
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| channel()).unzip();
        let routes = Arc::new(senders);
        graph.on_send(Arc::new(move |quoted: Option<&str>, at: Instant| {
            let Some(quoted) = quoted else { return };
            let thread = quoted
                .strip_prefix("wamid.B")
                .and_then(|rest| rest.split('-').next())
                .and_then(|t| t.parse::<usize>().ok());
            if let Some(route) = thread.and_then(|t| routes.get(t)) {
                let _ = route.send((quoted.to_string(), at));
            }
        }));
        let gateway = Gateway::start(&setup::spec(
            &provider.base_url(),
            &graph.base_url(),
            SENDERS,
        ))?;
        if statuses {
            graph.post_sent_status(true);
            graph.set_webhook_target(
                &format!("http://{}/webhooks/whatsapp", gateway.addr),
                APP_SECRET,
                PNID,
            );
        }
        Ok(Rig {
            provider,
            graph,
            gateway,
            receivers,
        })
    }

    /// Runs `work` on every thread with its client and reply receiver; gathers the outcomes.
    /// An error carries the gateway's stderr tail.
    /// `per_thread` messages from each client thread, one every `interval` from `start`; the
    /// threads are staggered so that posts spread evenly over each interval.
    pub(crate) fn paced(
        &mut self,
        per_thread: usize,
        start: Instant,
        interval: Duration,
    ) -> Result<Outcome> {
        self.on_threads(|t, client, replies| {
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
    }

    pub(crate) fn on_threads(
        &mut self,
        work: impl Fn(usize, &mut Client, &Receiver<(String, Instant)>) -> Result<Outcome> + Sync,
    ) -> Result<Outcome> {
        let mut all = Outcome::default();
        let addr = self.gateway.addr;
        let joined = thread::scope(|scope| {
            let handles: Vec<_> = self
                .receivers
                .iter_mut()
                .enumerate()
                .map(|(t, replies)| {
                    let work = &work;
                    scope.spawn(move || {
                        let mut client = Client::new(addr);
                        work(t, &mut client, &*replies)
                    })
                })
                .collect();
            for handle in handles {
                match handle.join() {
                    Ok(Ok(outcome)) => {
                        all.latencies.extend(outcome.latencies);
                        all.sent += outcome.sent;
                        all.lost += outcome.lost;
                    }
                    Ok(Err(error)) => return Err(error),
                    Err(_) => return Err("a client thread panicked".to_string()),
                }
            }
            Ok(())
        });
        joined.map_err(|e| self.gateway.failure(&e))?;
        Ok(all)
    }

    /// One message from each paired sender, each waiting for its reply.
    pub(crate) fn warm_up(&mut self) -> Result<()> {
        let warm = SENDERS.div_ceil(THREADS);
        self.on_threads(|t, client, replies| {
            load::closed(client, replies, t, 0, warm, SENDERS, THREADS)
        })?;
        Ok(())
    }
}

/// Nearest-rank percentile in milliseconds of sorted latencies (0 for none).
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

pub(crate) fn summary(latencies: &mut [Duration]) -> String {
    latencies.sort_unstable();
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(latencies, 0.50),
        percentile(latencies, 0.90),
        percentile(latencies, 0.99),
        percentile(latencies, 1.0)
    )
}

fn run(options: &Options) -> Result<()> {
    let mut rig = Rig::start(options.statuses)?;
    println!(
        "pincer channels bench: {PINCER_BIN}\n  {THREADS} client threads, {SENDERS} paired senders, status webhooks {}",
        if options.statuses { "on" } else { "off" }
    );
    rig.warm_up()?;

    let per_thread = if options.quick { 50 } else { 300 };
    let before = rig.gateway.get_json("/admin/channels")?;
    let pid = rig.gateway.pid().to_string();
    let ticks = cpu_ticks(&pid)?;
    let started = Instant::now();
    let mut closed = rig.on_threads(|t, client, replies| {
        load::closed(client, replies, t, 1_000, per_thread, SENDERS, THREADS)
    })?;
    let elapsed = started.elapsed();
    let cpu_ms =
        cpu_ticks(&pid)?.saturating_sub(ticks) as f64 * 1000.0 / clock_ticks_per_sec() as f64;
    let after = rig.gateway.get_json("/admin/channels")?;
    let messages = closed.latencies.len();
    let commits = after["journal"]["groupCommits"]
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(before["journal"]["groupCommits"].as_u64().unwrap_or(0));
    let throughput = messages as f64 / elapsed.as_secs_f64();
    println!(
        "closed loop: {messages} messages in {:.2} s = {throughput:.0} messages/s\n  webhook→send latency: {}\n  journal fsyncs: {:.2} per message; gateway CPU: {:.3} ms per message",
        elapsed.as_secs_f64(),
        summary(&mut closed.latencies),
        commits as f64 / messages as f64,
        cpu_ms / messages as f64,
    );

    let rate = options.rate.unwrap_or(800);
    let seconds = if options.quick { 3 } else { 10 };
    let per_thread = (rate as usize * seconds).div_ceil(THREADS);
    let interval = Duration::from_secs_f64(THREADS as f64 / f64::from(rate));
    let start = Instant::now() + Duration::from_millis(200);
    let mut paced = rig.paced(per_thread, start, interval)?;
    if paced.lost > 0 {
        return Err(rig.gateway.failure(&format!(
            "paced run: {} of {} messages had no reply 30 s after the last post",
            paced.lost, paced.sent
        )));
    }
    println!(
        "paced at {rate} messages/s for {seconds} s ({} messages): {}",
        paced.latencies.len(),
        summary(&mut paced.latencies)
    );
    // Acknowledgement of a webhook: a text message against an image one (whose download is the
    // run's, not the webhook's).
    let pairs = if options.quick { 200 } else { 1_000 };
    let mut acks = {
        let mut client = Client::new(rig.gateway.addr);
        ack::measure(&mut client, pairs, SENDERS).map_err(|e| rig.gateway.failure(&e))?
    };
    acks.text.sort_unstable();
    acks.image.sort_unstable();
    println!(
        "webhook acknowledged ({pairs} of each, alternately): text {}; image {}",
        summary(&mut acks.text),
        summary(&mut acks.image)
    );
    let figures = rig.gateway.get_json("/admin/channels")?;
    println!(
        "gateway RSS {} MiB; channel figures: {}",
        rss_kib(rig.gateway.pid())? / 1024,
        figures["channels"]["whatsapp"]
    );
    let json = options.json;
    emit(
        json,
        "channels.closed.messages_per_sec",
        "WhatsApp webhook → reply, messages/s (closed loop, 64 senders)",
        throughput,
        "msg/s",
        Target::AtLeast(TARGET_MESSAGES_PER_SEC),
    );
    emit(
        json,
        "channels.closed.p99_ms",
        "webhook → reply p99, closed loop",
        percentile(&closed.latencies, 0.99),
        "ms",
        Target::None,
    );
    emit(
        json,
        "channels.paced.p50_ms",
        &format!("webhook → reply p50 at {rate} msg/s"),
        percentile(&paced.latencies, 0.50),
        "ms",
        Target::None,
    );
    emit(
        json,
        "channels.paced.p99_ms",
        &format!("webhook → reply p99 at {rate} msg/s"),
        percentile(&paced.latencies, 0.99),
        "ms",
        Target::Below(TARGET_PACED_P99_MS),
    );
    emit(
        json,
        "channels.fsyncs_per_message",
        "journal fsyncs per message",
        commits as f64 / messages as f64,
        "",
        Target::None,
    );
    emit(
        json,
        "channels.cpu_ms_per_message",
        "gateway CPU per message",
        cpu_ms / messages as f64,
        "ms",
        Target::Below(TARGET_CPU_MS_PER_MESSAGE),
    );
    let text_p50 = percentile(&acks.text, 0.50);
    emit(
        json,
        "channels.ack.text_p50_ms",
        "webhook acknowledged, text message, p50",
        text_p50,
        "ms",
        Target::None,
    );
    // The target: an image's webhook is acknowledged as fast as a text one (within 10 %, or
    // 0.1 ms, whichever is larger: both are sub-millisecond round trips on loopback).
    emit(
        json,
        "channels.ack.image_p50_ms",
        "webhook acknowledged, image message, p50",
        percentile(&acks.image, 0.50),
        "ms",
        Target::Below((text_p50 * 1.10).max(text_p50 + 0.1)),
    );
    emit(
        json,
        "channels.ack.image_p99_ms",
        "webhook acknowledged, image message, p99",
        percentile(&acks.image, 0.99),
        "ms",
        Target::None,
    );
    rig.gateway.stop()?;
    Ok(())
}
