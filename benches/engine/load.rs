//! Load runs: turns sent by concurrent client threads to the gateway or straight to the
//! emulator, each answer checked; failures counted by kind; nearest-rank latency percentiles.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::client::{snippet, Client};
use crate::common::gateway::Gateway;
use crate::common::Result;
use crate::report::round;

/// A run is abandoned after this many failed turns (the failures are reported).
const MAX_FAILURES: u64 = 200;

/// Where a run sends its turns.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// `POST /v1/chat/completions` on the gateway, session `agent:main:bench:<n>`.
    Gateway { addr: SocketAddr, token: &'a str },
    /// `POST /v1/chat/completions` on the emulator, `stream: true`.
    Direct { addr: SocketAddr },
}

/// A run: `turns` turns at `concurrency`, turn `i` going to session `base + i % sessions`.
pub(crate) struct Plan<'a> {
    pub(crate) name: &'a str,
    pub(crate) target: Target<'a>,
    pub(crate) concurrency: usize,
    pub(crate) turns: usize,
    pub(crate) sessions: usize,
    pub(crate) base: usize,
}

#[derive(Default)]
pub(crate) struct Failures {
    /// Failed turns by kind (`HTTP 503`, `wrong answer`, `io`, `timeout`).
    counts: BTreeMap<String, u64>,
    samples: Vec<String>,
    pub(crate) total: u64,
}

impl Failures {
    fn add(&mut self, kind: &str, detail: String) {
        *self.counts.entry(kind.to_string()).or_default() += 1;
        self.total += 1;
        if self.samples.len() < 8 {
            self.samples.push(detail);
        }
    }

    fn merge(&mut self, other: Failures) {
        for (kind, count) in other.counts {
            *self.counts.entry(kind).or_default() += count;
        }
        self.total += other.total;
        for sample in other.samples {
            if self.samples.len() < 8 {
                self.samples.push(sample);
            }
        }
    }
}

pub(crate) struct RunResult {
    pub(crate) name: String,
    pub(crate) concurrency: usize,
    planned: usize,
    /// Latencies of the successful turns.
    latencies: Vec<Duration>,
    pub(crate) wall: Duration,
    pub(crate) failures: Failures,
    pub(crate) connects: u64,
    abandoned: bool,
}

impl RunResult {
    pub(crate) fn ok(&self) -> usize {
        self.latencies.len()
    }

    pub(crate) fn turns_per_sec(&self) -> f64 {
        self.ok() as f64 / self.wall.as_secs_f64()
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats::of(&self.latencies)
    }

    fn describe_failures(&self) -> String {
        let counts: Vec<String> = self
            .failures
            .counts
            .iter()
            .map(|(kind, count)| format!("{count} × {kind}"))
            .collect();
        let mut text = format!(
            "run {:?} (c={}): {} of {} turns failed{}: {}",
            self.name,
            self.concurrency,
            self.failures.total,
            self.planned,
            if self.abandoned {
                " (run abandoned)"
            } else {
                ""
            },
            counts.join(", ")
        );
        for sample in &self.failures.samples {
            text.push_str("\n    e.g. ");
            text.push_str(sample);
        }
        text
    }
}

/// Sends one turn and checks the answer; the error is (kind, detail).
fn turn(
    client: &mut Client,
    target: Target,
    session: usize,
    scratch: &mut Vec<u8>,
) -> std::result::Result<(), (String, String)> {
    scratch.clear();
    let (headers, expected) = match target {
        Target::Gateway { token, .. } => {
            let _ = write!(
                scratch,
                r#"{{"messages":[{{"role":"user","content":"hi {session}"}}]}}"#
            );
            (
                format!(
                    "Authorization: Bearer {token}\r\nx-pincer-session-key: agent:main:bench:{session}\r\n"
                ),
                Some(format!("echo: hi {session}")),
            )
        }
        Target::Direct { .. } => {
            let _ = write!(
                scratch,
                r#"{{"model":"m","stream":true,"messages":[{{"role":"user","content":"hi {session}"}}]}}"#
            );
            (String::from("Authorization: Bearer k\r\n"), None)
        }
    };
    let response = client
        .request("POST", "/v1/chat/completions", &headers, scratch)
        .map_err(|why| {
            let kind = if why.starts_with("timeout") {
                "timeout"
            } else {
                "io error"
            };
            (kind.to_string(), format!("session {session}: {why}"))
        })?;
    if response.status != 200 {
        return Err((
            format!("HTTP {}", response.status),
            format!(
                "session {session}: HTTP {}: {}",
                response.status,
                snippet(&response.body)
            ),
        ));
    }
    match expected {
        Some(expected) => {
            let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
                (
                    "body not JSON".to_string(),
                    format!("session {session}: {e}: {}", snippet(&response.body)),
                )
            })?;
            let content = &body["choices"][0]["message"]["content"];
            if content.as_str() != Some(expected.as_str()) {
                return Err((
                    "wrong answer".to_string(),
                    format!(
                        "session {session}: expected content {expected:?}, got {content}: {}",
                        snippet(&response.body)
                    ),
                ));
            }
        }
        None => {
            if !response.body.windows(12).any(|w| w == b"data: [DONE]") {
                return Err((
                    "incomplete stream".to_string(),
                    format!(
                        "session {session}: no `data: [DONE]` in {}",
                        snippet(&response.body)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Runs a plan: each client thread opens its connection, all start together, and each takes the
/// next turn number until the plan is done (or abandoned after a hang or too many failures).
pub(crate) fn run(plan: &Plan) -> RunResult {
    let addr = match plan.target {
        Target::Gateway { addr, .. } | Target::Direct { addr } => addr,
    };
    let next = AtomicUsize::new(0);
    let abandon = AtomicBool::new(false);
    let failed = AtomicUsize::new(0);
    let start = Barrier::new(plan.concurrency + 1);
    let merged: Mutex<(Vec<Duration>, Failures, u64)> =
        Mutex::new((Vec::with_capacity(plan.turns), Failures::default(), 0));
    // The scope joins every client thread before it returns: the wall time runs from the
    // common start to the last turn's end.
    let began = std::thread::scope(|scope| {
        for _ in 0..plan.concurrency {
            scope.spawn(|| {
                let mut client = Client::new(addr);
                let mut latencies = Vec::with_capacity(plan.turns / plan.concurrency + 1);
                let mut failures = Failures::default();
                let mut scratch = Vec::with_capacity(256);
                // Open the connection before the clock starts (errors show up on the first turn).
                let _ = client.connect();
                start.wait();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= plan.turns || abandon.load(Ordering::Relaxed) {
                        break;
                    }
                    let session = plan.base + index % plan.sessions;
                    let began = Instant::now();
                    match turn(&mut client, plan.target, session, &mut scratch) {
                        Ok(()) => latencies.push(began.elapsed()),
                        Err((kind, detail)) => {
                            let hang = kind == "timeout";
                            failures.add(&kind, detail);
                            let total = failed.fetch_add(1, Ordering::Relaxed) as u64 + 1;
                            if hang || total >= MAX_FAILURES {
                                abandon.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                }
                let mut merged = merged.lock().unwrap_or_else(|p| p.into_inner());
                merged.0.extend(latencies);
                merged.1.merge(failures);
                merged.2 += client.connects;
            });
        }
        start.wait();
        Instant::now()
    });
    let wall = began.elapsed();
    let (latencies, failures, connects) = merged.into_inner().unwrap_or_else(|p| p.into_inner());
    RunResult {
        name: plan.name.to_string(),
        concurrency: plan.concurrency,
        planned: plan.turns,
        latencies,
        wall,
        failures,
        connects,
        abandoned: abandon.load(Ordering::Relaxed),
    }
}

pub(crate) struct Stats {
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
}

impl Stats {
    /// Nearest-rank percentiles in milliseconds (zeros for an empty sample).
    fn of(samples: &[Duration]) -> Stats {
        let mut sorted: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let n = sorted.len();
            sorted[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
        };
        Stats {
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: rank(1.0),
        }
    }

    pub(crate) fn json(&self) -> Value {
        json!({"p50": round(self.p50), "p90": round(self.p90), "p99": round(self.p99), "max": round(self.max)})
    }
}

/// Fails if a run had any failed turn, with the details and the gateway's stderr tail.
pub(crate) fn check_run(result: &RunResult, gateway: Option<&mut Gateway>) -> Result<()> {
    if let Some(gateway) = gateway {
        gateway.ensure_alive(&format!("run {:?}", result.name))?;
        if result.failures.total > 0 {
            return Err(gateway.failure(&result.describe_failures()));
        }
    } else if result.failures.total > 0 {
        return Err(result.describe_failures());
    }
    Ok(())
}
