//! Agent-engine benchmark: chat turns through a real `pincer gateway` against an emulated OpenAI
//! provider (`tests/support/emulators.rs`, running inside this process).
//!
//! Run with `cargo bench --bench engine` (bench profile = release), or `scripts/bench-engine.sh`;
//! arguments after `--` reach this program:
//!
//! ```text
//! cargo bench --bench engine -- [--quick] [--json] [--check]
//! ```
//!
//! What it measures (one gateway for 1-4, a fresh one for 5):
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
//!    read to its last chunk; gateway p50/p99 minus direct p50/p99 is what the gateway adds. (The
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
//!
//! Targets: ≥ 2,000 turns/s at c=64; p99 added latency < 5 ms at c=1; < 8 KB per live idle
//! session. `--check` makes the program exit 1 when a target is missed. A run with any failed
//! turn (non-200, wrong answer, I/O error, a 30 s timeout) stops the benchmark with exit 1 and
//! prints the failures counted by kind, a few samples, and the tail of the gateway's stderr; a
//! run is cut short after a timeout or 200 failures.
//!
//! The gateway gets a temporary `PINCER_HOME` holding only `pincer.json5` (model `openai/m` at the
//! emulator, `maxConcurrentRuns: 64`, `sessionCacheSize: 20000`, `session.idleMinutes: 600`), a
//! free port, and is stopped with SIGTERM through the `kill` command. Linux only (`/proc`).
//! Std-only apart from `tempfile` (dev-dependency) and `serde_json`.

#[path = "../tests/support/emulators.rs"]
mod emulators;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use emulators::Emulator;

/// Cargo builds the binary (bench profile) before the benchmark and names it here.
const PINCER_BIN: &str = env!("CARGO_BIN_EXE_pincer");

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// A response slower than this counts as a hang: the run is abandoned.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// A run is abandoned after this many failed turns (the failures are reported).
const MAX_FAILURES: u64 = 200;

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

const TARGET_TURNS_PER_SEC_C64: f64 = 2_000.0;
const TARGET_ADDED_P99_MS: f64 = 5.0;
const TARGET_KB_PER_SESSION: f64 = 8.0;

type Result<T> = std::result::Result<T, String>;

struct Options {
    quick: bool,
    json: bool,
    check: bool,
}

fn usage() -> &'static str {
    "usage: cargo bench --bench engine -- [--quick] [--json] [--check]\n\
     \n  --quick  a tenth of the timed turns, 2,000 sessions for the memory figure\
     \n  --json   also print the results as one JSON object\
     \n  --check  exit 1 if a target (>= 2,000 turns/s at c=64, p99 added < 5 ms at c=1,\
     \n           < 8 KB per idle session) is missed"
}

fn parse_args() -> Result<Options> {
    let mut options = Options {
        quick: false,
        json: false,
        check: false,
    };
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => options.quick = true,
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

// ---------------------------------------------------------------------------------------------
// The gateway process
// ---------------------------------------------------------------------------------------------

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a probe socket: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// One running `pincer gateway` in its own temporary home.
struct Gateway {
    child: Child,
    addr: SocketAddr,
    token: String,
    stderr_path: PathBuf,
    home: tempfile::TempDir,
}

impl Gateway {
    /// Writes the config, starts the gateway, waits for `/healthz` 200 and reads its token.
    fn start(provider_base_url: &str) -> Result<Gateway> {
        let home = tempfile::Builder::new()
            .prefix("pincer-bench-engine-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let config = format!(
            "{{\n  agents: {{ defaults: {{ model: 'openai/m' }}, maxConcurrentRuns: 64, sessionCacheSize: 20000 }},\n  \
             session: {{ idleMinutes: 600 }},\n  \
             models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider_base_url}', apiKey: 'k' }} }} }},\n}}\n"
        );
        let config_path = home.path().join("pincer.json5");
        fs::write(&config_path, config)
            .map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;
        let port = free_port()?;
        let stderr_path = home.path().join("gateway.stderr");
        let stderr = fs::File::create(&stderr_path)
            .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;

        let mut command = Command::new(PINCER_BIN);
        command
            .args(["gateway", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PINCER_") {
                command.env_remove(&name);
            }
        }
        command.env("PINCER_HOME", home.path());
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {PINCER_BIN}: {e}"))?;
        let mut gateway = Gateway {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            token: String::new(),
            stderr_path,
            home,
        };
        gateway.wait_healthy()?;
        gateway.token = gateway.read_token()?;
        Ok(gateway)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn home(&self) -> &std::path::Path {
        self.home.path()
    }

    /// The last `lines` lines of the gateway's stderr.
    fn stderr_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if text.trim().is_empty() {
            return "(stderr was empty)".to_string();
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// How many stderr lines mention WARN and ERROR.
    fn stderr_levels(&self) -> (usize, usize) {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let warn = text.lines().filter(|l| l.contains("WARN")).count();
        let error = text.lines().filter(|l| l.contains("ERROR")).count();
        (warn, error)
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{what}\n--- gateway stderr (last 40 lines; {}) ---\n{}\n---------------------------",
            self.stderr_path.display(),
            self.stderr_tail(40)
        )
    }

    /// Fails with the stderr tail if the gateway process has exited.
    fn ensure_alive(&mut self, during: &str) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self.failure(&format!(
                "the gateway (pid {}) exited with {status} during {during}",
                self.pid()
            ))),
            Err(e) => Err(format!("cannot check the gateway process: {e}")),
        }
    }

    fn wait_healthy(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let last = match Client::new(self.addr).request("GET", "/healthz", "", b"") {
                Ok(response) if response.status == 200 => return Ok(()),
                Ok(response) => format!("/healthz answered HTTP {}", response.status),
                Err(error) => error,
            };
            self.ensure_alive("start-up")?;
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "the gateway (pid {}) was not healthy on {} after {READY_TIMEOUT:?}; last attempt: {last}",
                    self.pid(),
                    self.addr
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn read_token(&self) -> Result<String> {
        let path = self.home().join("state").join("gateway.token");
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match fs::read_to_string(&path) {
                Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_string()),
                result if Instant::now() >= deadline => {
                    let why = match result {
                        Ok(_) => "it is empty".to_string(),
                        Err(e) => e.to_string(),
                    };
                    return Err(self.failure(&format!(
                        "cannot read the gateway token {}: {why}",
                        path.display()
                    )));
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    /// Session actors in state `running`, from `GET /admin/actors?flat=1`.
    fn running_sessions(&self) -> Result<usize> {
        let auth = format!("Authorization: Bearer {}\r\n", self.token);
        let response = Client::new(self.addr).request("GET", "/admin/actors?flat=1", &auth, b"")?;
        if response.status != 200 {
            return Err(self.failure(&format!(
                "GET /admin/actors?flat=1 answered HTTP {}: {}",
                response.status,
                snippet(&response.body)
            )));
        }
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            format!(
                "GET /admin/actors?flat=1: the body is not JSON ({e}): {}",
                snippet(&response.body)
            )
        })?;
        let actors = body["actors"].as_array().ok_or_else(|| {
            format!(
                "GET /admin/actors?flat=1: no `actors` array in {}",
                snippet(&response.body)
            )
        })?;
        Ok(actors
            .iter()
            .filter(|a| a["kind"] == "session" && a["state"] == "running")
            .count())
    }

    /// SIGTERM, then wait for the exit (a kill after EXIT_TIMEOUT).
    fn stop(mut self) -> Result<()> {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot run `kill -TERM {pid}`: {e}"))?;
        if !status.success() {
            return Err(self.failure(&format!("`kill -TERM {pid}` failed: {status}")));
        }
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                if !status.success() {
                    eprintln!(
                        "{}",
                        self.failure(&format!(
                            "warning: the gateway exited with {status} after SIGTERM"
                        ))
                    );
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(self.failure(&format!(
                    "the gateway (pid {pid}) did not exit within {EXIT_TIMEOUT:?} of SIGTERM; killed it"
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Gateway {
    /// Never leave a gateway behind, whatever went wrong.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------------------------

/// `VmRSS` of a process in KiB.
fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no VmRSS in {path}"))
}

/// `utime + stime` of a process (`"self"` for this one), in clock ticks.
fn cpu_ticks(pid: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces: the first
    // one is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("unexpected {path}: {text:?}"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |index: usize| -> Result<u64> {
        fields
            .get(index)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("unexpected {path}: {text:?}"))
    };
    Ok(field(11)? + field(12)?)
}

/// Busy time of the whole machine (all CPUs, from the first line of `/proc/stat`), in clock
/// ticks: everything but idle and iowait.
fn busy_ticks() -> Result<u64> {
    let text =
        fs::read_to_string("/proc/stat").map_err(|e| format!("cannot read /proc/stat: {e}"))?;
    let line = text
        .lines()
        .next()
        .filter(|line| line.starts_with("cpu "))
        .ok_or_else(|| "unexpected /proc/stat".to_string())?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Ok(total - idle)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client
// ---------------------------------------------------------------------------------------------

struct Response {
    status: u16,
    body: Vec<u8>,
}

/// One keep-alive connection, opened on first use and again after the server closes it.
struct Client {
    addr: SocketAddr,
    connection: Option<BufReader<TcpStream>>,
    /// Requests answered on the current connection.
    reused: u64,
    connects: u64,
    request: Vec<u8>,
    line: String,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            connection: None,
            reused: 0,
            connects: 0,
            request: Vec::with_capacity(512),
            line: String::with_capacity(128),
        }
    }

    fn connect(&mut self) -> Result<()> {
        if self.connection.is_none() {
            let stream = TcpStream::connect(self.addr)
                .map_err(|e| format!("connect to {}: {e}", self.addr))?;
            let _ = stream.set_nodelay(true);
            stream
                .set_read_timeout(Some(RESPONSE_TIMEOUT))
                .map_err(|e| e.to_string())?;
            self.connection = Some(BufReader::with_capacity(16 * 1024, stream));
            self.reused = 0;
            self.connects += 1;
        }
        Ok(())
    }

    /// Sends one request (`headers`: complete `Name: value\r\n` lines) and reads the whole
    /// response. A kept-alive connection that turns out to be closed is reopened once.
    fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> Result<Response> {
        self.request.clear();
        let _ = write!(
            self.request,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}",
            self.addr
        );
        if method != "GET" || !body.is_empty() {
            let _ = write!(
                self.request,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        self.request.extend_from_slice(b"\r\n");
        self.request.extend_from_slice(body);
        for attempt in 0..2 {
            self.connect()?;
            match self.exchange() {
                Ok(response) => return Ok(response),
                Err(Exchange::Stale) if attempt == 0 => self.connection = None,
                Err(Exchange::Stale) => {
                    self.connection = None;
                    return Err("the connection closed before a response (twice)".into());
                }
                Err(Exchange::Failed(why)) => {
                    self.connection = None;
                    return Err(why);
                }
            }
        }
        unreachable!("the loop returns")
    }

    fn exchange(&mut self) -> std::result::Result<Response, Exchange> {
        let reused = self.reused > 0;
        let connection = self.connection.as_mut().expect("connected");
        let line = &mut self.line;
        let io = |what: &str, e: std::io::Error| -> Exchange {
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                Exchange::Failed(format!(
                    "timeout: no complete response within {RESPONSE_TIMEOUT:?} ({what})"
                ))
            } else {
                Exchange::Failed(format!("{what}: {e}"))
            }
        };
        if let Err(e) = connection.get_mut().write_all(&self.request) {
            return Err(if reused {
                Exchange::Stale
            } else {
                io("send", e)
            });
        }
        line.clear();
        match connection.read_line(line) {
            Ok(0) if reused => return Err(Exchange::Stale),
            Ok(0) => {
                return Err(Exchange::Failed(
                    "connection closed before a response".into(),
                ))
            }
            Err(e) if reused && e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Err(Exchange::Stale)
            }
            Err(e) => return Err(io("read status line", e)),
            Ok(_) => {}
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| Exchange::Failed(format!("not an HTTP status line: {line:?}")))?;
        let mut content_length: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            match connection.read_line(line) {
                Ok(0) => {
                    return Err(Exchange::Failed(
                        "connection closed in the response head".into(),
                    ))
                }
                Err(e) => return Err(io("read response head", e)),
                Ok(_) => {}
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return Err(Exchange::Failed(format!("bad header line {header:?}")));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| Exchange::Failed(format!("bad content-length {value:?}")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                match connection.read_line(line) {
                    Ok(0) => {
                        return Err(Exchange::Failed(
                            "connection closed in a chunked body".into(),
                        ))
                    }
                    Err(e) => return Err(io("read chunk size", e)),
                    Ok(_) => {}
                }
                let size = line.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size, 16)
                    .map_err(|_| Exchange::Failed(format!("bad chunk size line {line:?}")))?;
                if size == 0 {
                    // Trailers, then the empty line.
                    loop {
                        line.clear();
                        match connection.read_line(line) {
                            Ok(0) => break,
                            Err(e) => return Err(io("read chunked trailer", e)),
                            Ok(_) if line.trim_end().is_empty() => break,
                            Ok(_) => {}
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size + 2, 0);
                connection
                    .read_exact(&mut body[start..])
                    .map_err(|e| io("read chunk", e))?;
                body.truncate(start + size); // drop the chunk's CRLF
            }
        } else if let Some(length) = content_length {
            body.resize(length, 0);
            connection
                .read_exact(&mut body)
                .map_err(|e| io("read body", e))?;
        } else if status != 204 && status != 304 {
            connection
                .read_to_end(&mut body)
                .map_err(|e| io("read body to close", e))?;
            close = true;
        }
        self.reused += 1;
        if close {
            self.connection = None;
        }
        Ok(Response { status, body })
    }
}

enum Exchange {
    /// A reused connection the server had already closed: reconnect and resend.
    Stale,
    Failed(String),
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Load runs
// ---------------------------------------------------------------------------------------------

/// Where a run sends its turns.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// `POST /v1/chat/completions` on the gateway, session `agent:main:bench:<n>`.
    Gateway { addr: SocketAddr, token: &'a str },
    /// `POST /v1/chat/completions` on the emulator, `stream: true`.
    Direct { addr: SocketAddr },
}

/// A run: `turns` turns at `concurrency`, turn `i` going to session `base + i % sessions`.
struct Plan<'a> {
    name: &'a str,
    target: Target<'a>,
    concurrency: usize,
    turns: usize,
    sessions: usize,
    base: usize,
}

#[derive(Default)]
struct Failures {
    /// Failed turns by kind (`HTTP 503`, `wrong answer`, `io`, `timeout`).
    counts: BTreeMap<String, u64>,
    samples: Vec<String>,
    total: u64,
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

struct RunResult {
    name: String,
    concurrency: usize,
    planned: usize,
    /// Latencies of the successful turns.
    latencies: Vec<Duration>,
    wall: Duration,
    failures: Failures,
    connects: u64,
    abandoned: bool,
}

impl RunResult {
    fn ok(&self) -> usize {
        self.latencies.len()
    }

    fn turns_per_sec(&self) -> f64 {
        self.ok() as f64 / self.wall.as_secs_f64()
    }

    fn stats(&self) -> Stats {
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
fn run(plan: &Plan) -> RunResult {
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

struct Stats {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
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

    fn json(&self) -> Value {
        json!({"p50": round(self.p50), "p90": round(self.p90), "p99": round(self.p99), "max": round(self.max)})
    }
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

/// CPU time spent during one run, in seconds.
struct Cpu {
    gateway_secs: f64,
    /// This process: the client threads and the emulator.
    bench_secs: f64,
    /// Everything else on the machine (busy time in `/proc/stat` minus the two above): other
    /// work competing for the cores makes the figures worse.
    other_secs: f64,
    wall_secs: f64,
    turns: usize,
}

impl Cpu {
    fn gateway_ms_per_turn(&self) -> f64 {
        self.gateway_secs * 1000.0 / self.turns.max(1) as f64
    }

    /// Share of one core.
    fn percent(&self, secs: f64) -> f64 {
        100.0 * secs / self.wall_secs
    }

    fn json(&self) -> Value {
        json!({
            "gatewayMsPerTurn": round(self.gateway_ms_per_turn()),
            "gatewaySecs": round(self.gateway_secs),
            "benchProcessSecs": round(self.bench_secs),
            "otherProcessesSecs": round(self.other_secs),
            "wallSecs": round(self.wall_secs),
        })
    }
}

/// CPU counters (clock ticks) at one instant.
struct CpuProbe {
    gateway: u64,
    bench: u64,
    busy: u64,
}

impl CpuProbe {
    fn take(gateway_pid: u32) -> Result<CpuProbe> {
        Ok(CpuProbe {
            gateway: cpu_ticks(&gateway_pid.to_string())?,
            bench: cpu_ticks("self")?,
            busy: busy_ticks()?,
        })
    }

    fn since(&self, before: &CpuProbe, ticks_per_sec: f64, run: &RunResult) -> Cpu {
        let secs = |after: u64, before: u64| after.saturating_sub(before) as f64 / ticks_per_sec;
        let gateway_secs = secs(self.gateway, before.gateway);
        let bench_secs = secs(self.bench, before.bench);
        let busy_secs = secs(self.busy, before.busy);
        Cpu {
            gateway_secs,
            bench_secs,
            other_secs: (busy_secs - gateway_secs - bench_secs).max(0.0),
            wall_secs: run.wall.as_secs_f64(),
            turns: run.ok(),
        }
    }
}

struct Memory {
    sessions: usize,
    rss_before_kib: u64,
    rss_after_kib: u64,
    kb_per_session: f64,
    running_before: usize,
    running_after: usize,
    run: RunResult,
}

struct Report {
    warmup: RunResult,
    c1: RunResult,
    direct: RunResult,
    c64: RunResult,
    c1_cpu: Cpu,
    c64_cpu: Cpu,
    memory: Memory,
    emulator_max_in_flight: usize,
    gateway_log_levels: [(usize, usize); 2],
}

/// Fails if a run had any failed turn, with the details and the gateway's stderr tail.
fn check_run(result: &RunResult, gateway: Option<&mut Gateway>) -> Result<()> {
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

fn progress(result: &RunResult) {
    let stats = result.stats();
    eprintln!(
        "  {:<10} c={:<3} {:>6} turns in {:>6.2} s  {:>8.0} turns/s  p50 {:.3} ms  p99 {:.3} ms{}",
        result.name,
        result.concurrency,
        result.ok(),
        result.wall.as_secs_f64(),
        result.turns_per_sec(),
        stats.p50,
        stats.p99,
        if result.failures.total > 0 {
            format!("  FAILED {}", result.failures.total)
        } else {
            String::new()
        }
    );
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
    let mut gateway = Gateway::start(&emulator.base_url())?;
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

    let before = CpuProbe::take(gateway.pid())?;
    let c64 = run(&plan("gateway", target, 64, c64_turns));
    let c64_cpu = CpuProbe::take(gateway.pid())?.since(&before, ticks, &c64);
    progress(&c64);
    check_run(&c64, Some(&mut gateway))?;
    let emulator_max_in_flight = emulator.max_in_flight();
    let first_levels = gateway.stderr_levels();
    gateway.stop()?;

    // Memory per idle session, in a fresh gateway.
    let mut gateway = Gateway::start(&emulator.base_url())?;
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
        c1_cpu,
        c64_cpu,
        memory,
        emulator_max_in_flight,
        gateway_log_levels: [first_levels, second_levels],
    })
}

fn print(report: &Report, options: &Options) -> bool {
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    let c1 = report.c1.stats();
    let c64 = report.c64.stats();
    let direct = report.direct.stats();
    let added_p50 = c1.p50 - direct.p50;
    let added_p99 = c1.p99 - direct.p99;
    let throughput_ok = report.c64.turns_per_sec() >= TARGET_TURNS_PER_SEC_C64;
    let added_ok = added_p99 < TARGET_ADDED_P99_MS;
    let memory_ok = report.memory.kb_per_session < TARGET_KB_PER_SESSION;
    let m = &report.memory;

    println!(
        "pincer engine: POST /v1/chat/completions (non-streaming) -> emulated OpenAI, {SESSIONS} sessions round robin, warm-up {} turns at c={WARMUP_CONCURRENCY}",
        report.warmup.ok()
    );
    for (result, stats, target) in [
        (&report.c1, &c1, String::new()),
        (
            &report.c64,
            &c64,
            format!(
                "   target >= {TARGET_TURNS_PER_SEC_C64} turns/s: {}",
                verdict(throughput_ok)
            ),
        ),
    ] {
        println!(
            "  c={:<3} {:>6} turns {:>7.2} s {:>8.0} turns/s   p50 {:7.3} ms  p90 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms{target}",
            result.concurrency,
            result.ok(),
            result.wall.as_secs_f64(),
            result.turns_per_sec(),
            stats.p50,
            stats.p90,
            stats.p99,
            stats.max
        );
    }
    println!("added latency at c=1 (gateway minus the same request sent straight to the emulator, streamed)");
    println!(
        "  direct {:>6} requests {:>8.0} req/s     p50 {:7.3} ms  p90 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms",
        report.direct.ok(),
        report.direct.turns_per_sec(),
        direct.p50,
        direct.p90,
        direct.p99,
        direct.max
    );
    println!(
        "  added  p50 {added_p50:7.3} ms  p99 {added_p99:7.3} ms   target p99 < {TARGET_ADDED_P99_MS} ms: {}",
        verdict(added_ok)
    );
    println!(
        "cpu time (gateway = utime+stime of its process; bench = this process: clients and emulator; {} cores)",
        cores()
    );
    for (name, cpu) in [("c=1 ", &report.c1_cpu), ("c=64", &report.c64_cpu)] {
        println!(
            "  {name} gateway {:6.2} s ({:3.0}% of a core) = {:.3} ms per turn   bench {:6.2} s ({:3.0}%)   other processes {:6.2} s ({:3.0}%)",
            cpu.gateway_secs,
            cpu.percent(cpu.gateway_secs),
            cpu.gateway_ms_per_turn(),
            cpu.bench_secs,
            cpu.percent(cpu.bench_secs),
            cpu.other_secs,
            cpu.percent(cpu.other_secs),
        );
    }
    let noisy = [&report.c1_cpu, &report.c64_cpu]
        .iter()
        .any(|cpu| cpu.percent(cpu.other_secs) > NOISY_PERCENT);
    if noisy {
        println!(
            "  warning: other processes used more than {NOISY_PERCENT:.0}% of a core during a timed run; the figures are pessimistic"
        );
    }
    println!(
        "  emulator requests in flight at most: {}",
        report.emulator_max_in_flight
    );
    println!(
        "memory per idle session (fresh gateway; {} new sessions, one turn each, c={MEMORY_CONCURRENCY}, {:.0} turns/s)",
        m.sessions,
        m.run.turns_per_sec()
    );
    println!(
        "  VmRSS {:.2} MiB -> {:.2} MiB   {:.2} KB per session   target < {TARGET_KB_PER_SESSION} KB: {}",
        m.rss_before_kib as f64 / 1024.0,
        m.rss_after_kib as f64 / 1024.0,
        m.kb_per_session,
        verdict(memory_ok)
    );
    println!(
        "  running session actors (GET /admin/actors?flat=1): {} before, {} after (+{})",
        m.running_before,
        m.running_after,
        m.running_after.saturating_sub(m.running_before)
    );
    let [(w1, e1), (w2, e2)] = report.gateway_log_levels;
    if w1 + e1 + w2 + e2 > 0 {
        println!("  gateway stderr: {} WARN / {} ERROR lines (throughput gateway), {} / {} (memory gateway)", w1, e1, w2, e2);
    }

    if options.json {
        let run_json = |r: &RunResult| {
            json!({
                "concurrency": r.concurrency,
                "turns": r.ok(),
                "wallSecs": round(r.wall.as_secs_f64()),
                "turnsPerSec": round(r.turns_per_sec()),
                "latencyMs": r.stats().json(),
                "connections": r.connects,
            })
        };
        let report_json = json!({
            "quick": options.quick,
            "sessions": SESSIONS,
            "warmupTurns": report.warmup.ok(),
            "c1": run_json(&report.c1),
            "c64": run_json(&report.c64),
            "direct": run_json(&report.direct),
            "addedLatencyMs": {"p50": round(added_p50), "p99": round(added_p99)},
            "cpuC1": report.c1_cpu.json(),
            "cpuC64": report.c64_cpu.json(),
            "cores": cores(),
            "emulatorMaxInFlight": report.emulator_max_in_flight,
            "memory": {
                "sessions": m.sessions,
                "rssBeforeKiB": m.rss_before_kib,
                "rssAfterKiB": m.rss_after_kib,
                "kbPerSession": round(m.kb_per_session),
                "runningSessionsBefore": m.running_before,
                "runningSessionsAfter": m.running_after,
                "turnsPerSec": round(m.run.turns_per_sec()),
            },
            "targets": {
                "turnsPerSecC64": TARGET_TURNS_PER_SEC_C64,
                "addedP99Ms": TARGET_ADDED_P99_MS,
                "kbPerSession": TARGET_KB_PER_SESSION,
                "turnsPerSecC64Met": throughput_ok,
                "addedP99Met": added_ok,
                "kbPerSessionMet": memory_ok,
            },
        });
        println!("{report_json}");
    }
    throughput_ok && added_ok && memory_ok
}

fn main() {
    let options = parse_args().unwrap_or_else(|error| {
        eprintln!("engine bench: {error}");
        std::process::exit(2);
    });
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
