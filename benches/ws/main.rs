//! WebSocket control-plane benchmark, against a real `pincer gateway` (release build) whose
//! provider is the OpenAI emulator running in this process.
//!
//! ```text
//! cargo bench --bench ws -- [--quick]
//! ```
//!
//! 1. **Idle connections**: the gateway's `VmRSS` before and after 1,000 clients (`--quick`: 200)
//!    have connected (challenge, `connect`, `hello-ok`) and gone quiet for 2 s: KB per idle
//!    connection (1 KB = 1,000 bytes). Target (issue 5): < 20 KB.
//! 2. **Fan-out**: 100 clients read everything on their own threads; one of them sends
//!    `chat.send` whose answer streams 1,000 deltas (`--quick`: 300), so every client receives
//!    two events per delta (`agent` and `chat`). Reported: events delivered per second over all
//!    clients (first to last event), and event latency from the gateway's `ts` on `agent` events
//!    (milliseconds) to receipt (so ±1 ms). Target: ≥ 200,000 events/s.

#[path = "../../tests/support/emulators/mod.rs"]
mod emulators;

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use emulators::{Emulator, Reply};
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

type Result<T> = std::result::Result<T, String>;

const PINCER_BIN: &str = env!("CARGO_BIN_EXE_pincer");

struct Gateway {
    child: Child,
    addr: SocketAddr,
    token: String,
    _home: tempfile::TempDir,
}

impl Gateway {
    fn start(provider: &str) -> Result<Gateway> {
        let home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = format!(
            "{{ agents: {{ defaults: {{ model: 'openai/m' }} }}, gateway: {{ maxConnections: 5000 }},\n\
               models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider}', apiKey: 'k' }} }} }} }}"
        );
        fs::write(home.path().join("pincer.json5"), config).map_err(|e| e.to_string())?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mut command = Command::new(PINCER_BIN);
        command
            .args(["gateway", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PINCER_") {
                command.env_remove(&name);
            }
        }
        command.env("PINCER_HOME", home.path());
        let child = command.spawn().map_err(|e| e.to_string())?;
        let token_file = home.path().join("state").join("gateway.token");
        let deadline = Instant::now() + Duration::from_secs(15);
        let token = loop {
            if let Ok(token) = fs::read_to_string(&token_file) {
                if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                    break token.trim().to_string();
                }
            }
            if Instant::now() > deadline {
                return Err("the gateway did not start".into());
            }
            thread::sleep(Duration::from_millis(20));
        };
        Ok(Gateway {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            token,
            _home: home,
        })
    }

    fn rss_kib(&self) -> u64 {
        fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
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
    if let Err(error) = run(quick) {
        eprintln!("ws bench failed: {error}");
        std::process::exit(1);
    }
}

fn run(quick: bool) -> Result<()> {
    let provider = Emulator::openai();
    let gateway = Gateway::start(&provider.base_url())?;
    println!("pincer ws bench: {PINCER_BIN}");
    // Warm the allocator and the first code paths.
    drop(connect(gateway.addr, &gateway.token)?);
    thread::sleep(Duration::from_secs(1));

    let idle = if quick { 200 } else { 1000 };
    if std::env::args().any(|a| a == "--upgrade-only") {
        // Diagnosis: connections that only did the HTTP upgrade (no `connect` yet).
        let before = gateway.rss_kib();
        let mut raw = Vec::new();
        for _ in 0..idle {
            let stream = TcpStream::connect(gateway.addr).map_err(|e| e.to_string())?;
            let (socket, _) =
                tungstenite::client::client(format!("ws://{}/ws", gateway.addr), stream)
                    .map_err(|e| e.to_string())?;
            raw.push(socket);
        }
        thread::sleep(Duration::from_secs(2));
        let after = gateway.rss_kib();
        println!(
            "upgrade only: {idle} connections: {:.1} KB per connection",
            (after.saturating_sub(before) as f64 * 1.024) / idle as f64
        );
        drop(raw);
        thread::sleep(Duration::from_secs(16));
    }
    let before = gateway.rss_kib();
    let mut sockets = Vec::with_capacity(idle);
    for _ in 0..idle {
        sockets.push(connect(gateway.addr, &gateway.token)?);
    }
    thread::sleep(Duration::from_secs(2));
    let after = gateway.rss_kib();
    println!(
        "idle: {idle} connections, RSS {} → {} KiB: {:.1} KB per connection",
        before,
        after,
        (after.saturating_sub(before) as f64 * 1.024) / idle as f64
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
        let (events, f, l, lat) = handle.join().map_err(|_| "client thread panicked")??;
        total += events;
        first = first.min(f);
        last = last.max(l);
        latencies.extend(lat);
    }
    latencies.sort_unstable();
    let pick = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let seconds = (last - first) as f64 / 1e6;
    println!(
        "fan-out: {clients} clients × {deltas} deltas: {total} events in {seconds:.3} s = {:.0} events/s\n  event latency (gateway ts → receipt, ms resolution): p50 {} ms, p99 {} ms, max {} ms",
        total as f64 / seconds,
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    Ok(())
}
