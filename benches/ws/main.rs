//! WebSocket control-plane benchmark, against a real `pincer gateway` (release build) whose
//! provider is the OpenAI emulator running in this process.
//!
//! Run it through `scripts/bench` (every benchmark, several runs, `docs/BENCHMARKS.md`;
//! `scripts/bench --only ws` for this one), or alone:
//!
//! ```text
//! cargo bench --bench ws -- [--quick] [--json]
//! ```
//!
//! 1. **Idle connections**: the gateway's `VmRSS` before and after 1,000 clients (`--quick`: 200)
//!    have connected (challenge, `connect`, `hello-ok`) and gone quiet for 2 s: KB per idle
//!    connection (1 KB = 1,000 bytes). Target (issue 16): < 16 KB.
//! 2. **Fan-out**: 100 clients read everything on their own threads; one of them sends
//!    `chat.send` whose answer streams 1,000 deltas (`--quick`: 300), so every client receives
//!    two events per delta (`agent` and `chat`). Reported: events delivered per second over all
//!    clients (first to last event), and event latency from the gateway's `ts` on `agent` events
//!    (milliseconds) to receipt (so ±1 ms). Target: ≥ 200,000 events/s.
//!
//! The gateway is started by `common::gateway`; `--json` adds one JSON line per figure
//! (`common::figure`, what `scripts/bench` collects).

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[path = "../common/mod.rs"]
mod common;

use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::figure::{count, emit, Target};
use common::gateway::{Gateway, Spec};
use common::procfs::rss_kib;
use common::{Result, PINCER_BIN};
use pincer_emulators::{Emulator, Reply};
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

const TARGET_KB_PER_CONNECTION: f64 = 16.0;
const TARGET_EVENTS_PER_SEC: f64 = 200_000.0;

/// The gateway of this bench: model `openai/m` at the emulator, room for the idle clients.
fn spec(provider: &str) -> Spec<'static> {
    Spec::new(
        "ws",
        Some(format!(
            "{{ agents: {{ defaults: {{ model: 'openai/m' }} }}, gateway: {{ maxConnections: 5000 }},\n\
               models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider}', apiKey: 'k' }} }} }} }}"
        )),
    )
}

fn connect(addr: SocketAddr, token: &str) -> Result<WebSocket<TcpStream>> {
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (mut socket, _) = tungstenite::client::client(format!("ws://{addr}/ws"), stream)
        .map_err(|e| e.to_string())?;
    let _challenge = socket.read().map_err(|e| e.to_string())?;
    let connect = json!({ "type": "req", "id": "c", "method": "connect", "params": {
        "minProtocol": 3, "maxProtocol": 3, "role": "operator",
        "client": { "id": "bench", "version": "1", "platform": "linux", "mode": "bench" },
        "auth": { "token": token } } });
    socket
        .send(Message::text(connect.to_string()))
        .map_err(|e| e.to_string())?;
    loop {
        if let Message::Text(text) = socket.read().map_err(|e| e.to_string())? {
            let frame: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            if frame["id"] == "c" {
                return if frame["ok"] == true {
                    Ok(socket)
                } else {
                    Err(format!("connect refused: {frame}"))
                };
            }
        }
    }
}

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let json = std::env::args().any(|a| a == "--json");
    if let Some(other) = std::env::args().skip(1).find(|a| {
        !matches!(
            a.as_str(),
            "--quick" | "--json" | "--upgrade-only" | "--bench"
        )
    }) {
        eprintln!("ws bench: unknown argument {other:?}\nusage: cargo bench --bench ws -- [--quick] [--json] [--upgrade-only]");
        std::process::exit(2);
    }
    if let Err(error) = run(quick, json) {
        eprintln!("ws bench failed: {error}");
        std::process::exit(1);
    }
}

fn run(quick: bool, json: bool) -> Result<()> {
    let provider = Emulator::openai();
    let mut gateway = Gateway::start(&spec(&provider.base_url()))?;
    let pid = gateway.pid();
    println!("pincer ws bench: {PINCER_BIN}");
    // Warm the allocator and the first code paths.
    drop(connect(gateway.addr, &gateway.token)?);
    thread::sleep(Duration::from_secs(1));

    let idle = if quick { 200 } else { 1000 };
    if std::env::args().any(|a| a == "--upgrade-only") {
        // Diagnosis: connections that only did the HTTP upgrade (no `connect` yet).
        let before = rss_kib(pid)?;
        let mut raw = Vec::new();
        for _ in 0..idle {
            let stream = TcpStream::connect(gateway.addr).map_err(|e| e.to_string())?;
            let (socket, _) =
                tungstenite::client::client(format!("ws://{}/ws", gateway.addr), stream)
                    .map_err(|e| e.to_string())?;
            raw.push(socket);
        }
        thread::sleep(Duration::from_secs(2));
        let after = rss_kib(pid)?;
        println!(
            "upgrade only: {idle} connections: {:.1} KB per connection",
            (after.saturating_sub(before) as f64 * 1.024) / idle as f64
        );
        drop(raw);
        thread::sleep(Duration::from_secs(16));
    }
    let before = rss_kib(pid)?;
    let mut sockets = Vec::with_capacity(idle);
    for _ in 0..idle {
        sockets.push(connect(gateway.addr, &gateway.token)?);
    }
    thread::sleep(Duration::from_secs(2));
    let after = rss_kib(pid)?;
    let kb_per_connection = (after.saturating_sub(before) as f64 * 1.024) / idle as f64;
    println!(
        "idle: {idle} connections, RSS {before} → {after} KiB: {kb_per_connection:.1} KB per connection"
    );
    drop(sockets);
    thread::sleep(Duration::from_secs(1));

    let clients = 100;
    let deltas = if quick { 300 } else { 1000 };
    let pieces: Vec<String> = (0..deltas).map(|i| format!("p{i} ")).collect();
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    provider.push(Reply::text(&refs));
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for c in 0..clients {
        let mut socket = connect(gateway.addr, &gateway.token)?;
        let barrier = Arc::clone(&barrier);
        handles.push(thread::spawn(
            move || -> Result<(u64, u128, u128, Vec<u64>)> {
                barrier.wait();
                if c == 0 {
                    let send = json!({ "type": "req", "id": "s", "method": "chat.send",
                    "params": { "sessionKey": "agent:main:bench", "message": "go" } });
                    socket
                        .send(Message::text(send.to_string()))
                        .map_err(|e| e.to_string())?;
                }
                let (mut events, mut first) = (0u64, 0u128);
                let mut latencies = Vec::new();
                loop {
                    let Message::Text(text) = socket.read().map_err(|e| e.to_string())? else {
                        continue;
                    };
                    let received = now_us();
                    // Only what the figures need, without a full JSON parse (the clients share
                    // the machine with the gateway).
                    let text = text.as_str();
                    let is_chat = text.starts_with("{\"type\":\"event\",\"event\":\"chat\"");
                    let is_agent = text.starts_with("{\"type\":\"event\",\"event\":\"agent\"");
                    if !is_chat && !is_agent {
                        continue;
                    }
                    events += 1;
                    if first == 0 {
                        first = received;
                    }
                    if let Some(ts) = text
                        .find("\"ts\":")
                        .and_then(|i| text[i + 5..].split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|digits| digits.parse::<u128>().ok())
                    {
                        latencies.push((received / 1000).saturating_sub(ts) as u64);
                    }
                    if is_chat && text.contains("\"state\":\"final\"") {
                        return Ok((events, first, received, latencies));
                    }
                }
            },
        ));
    }
    barrier.wait();
    let (mut total, mut first, mut last) = (0u64, u128::MAX, 0u128);
    let mut latencies = Vec::new();
    for handle in handles {
        let joined = handle
            .join()
            .unwrap_or_else(|_| Err("a client thread panicked".to_string()));
        let (events, f, l, lat) = joined.map_err(|e| gateway.failure(&e))?;
        total += events;
        first = first.min(f);
        last = last.max(l);
        latencies.extend(lat);
    }
    latencies.sort_unstable();
    if latencies.is_empty() || last <= first {
        return Err(gateway.failure("fan-out: no events were received"));
    }
    let pick = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let seconds = (last - first) as f64 / 1e6;
    let events_per_sec = total as f64 / seconds;
    println!(
        "fan-out: {clients} clients × {deltas} deltas: {total} events in {seconds:.3} s = {events_per_sec:.0} events/s\n  event latency (gateway ts → receipt, ms resolution): p50 {} ms, p99 {} ms, max {} ms",
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    gateway.ensure_alive("the fan-out")?;
    emit(
        json,
        "ws.idle_kb",
        &format!("memory per idle WS client ({} clients)", count(idle)),
        kb_per_connection,
        "KB",
        Target::Below(TARGET_KB_PER_CONNECTION),
    );
    emit(
        json,
        "ws.fanout_events_per_sec",
        &format!("WS event fan-out ({clients} clients)"),
        events_per_sec,
        "events/s",
        Target::AtLeast(TARGET_EVENTS_PER_SEC),
    );
    emit(
        json,
        "ws.event_p99_ms",
        "WS event latency p99 (ms resolution)",
        pick(0.99) as f64,
        "ms",
        Target::None,
    );
    gateway.stop()?;
    Ok(())
}
