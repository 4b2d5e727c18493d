//! Start-up and idle-footprint benchmark for the `pincer gateway` binary.
//!
//! Run with `cargo bench --bench startup` (bench profile = release), or
//! `scripts/bench-startup.sh`; arguments after `--` reach this program:
//!
//! ```text
//! cargo bench --bench startup -- [--runs N] [--warmup N] [--idle-secs N] [--json] [--check]
//! ```
//!
//! What it measures:
//!
//! - **startup**: wall time from just before `Command::spawn` to the first
//!   `HTTP/1.1 200` from `GET /healthz`, polled with a raw `TcpStream` in a
//!   tight loop (connection refused is retried after a ~50 µs pause). Each run
//!   gets a fresh temporary `PINCER_HOME` and its own free port, and is ended
//!   with SIGTERM (through the `kill` command: no libc here); the time from
//!   SIGTERM to exit is reported too.
//! - **idle footprint**: one gateway, healthy, then left alone for
//!   `--idle-secs` (default 10); `VmRSS`, `VmHWM` and `Threads` are read from
//!   `/proc/<pid>/status`. The binary's size on disk is reported as well.
//!
//! Targets: median exec → /healthz 200 under 20 ms; idle RSS after 10 s under
//! 10 MiB. `--check` makes the program exit 1 when a target is missed.
//!
//! Std-only apart from `tempfile` (dev-dependency) and `serde_json` (a normal
//! dependency of the package) for the `--json` output.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Cargo sets `CARGO_BIN_EXE_<name>` when compiling integration tests *and*
/// benchmarks, and builds the binary (with the bench profile) first.
const PINCER_BIN: &str = env!("CARGO_BIN_EXE_pincer");

/// Give up on a gateway that is not healthy after this long.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Give up on a gateway that has not exited this long after SIGTERM.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between connection attempts while the gateway is not listening yet.
const POLL_PAUSE: Duration = Duration::from_micros(50);

const TARGET_STARTUP_MEDIAN_MS: f64 = 20.0;
const TARGET_IDLE_RSS_MIB: f64 = 10.0;

type Result<T> = std::result::Result<T, String>;

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
     \n  --json         also print the results as one JSON object\
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

/// A free TCP port on 127.0.0.1: bind port 0, read it back, release it.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a probe socket: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    Ok(port)
}

/// One running gateway with its own temporary home.
struct Gateway {
    child: Child,
    addr: SocketAddr,
    home: tempfile::TempDir,
    stderr_path: PathBuf,
}

impl Gateway {
    /// Spawns `pincer gateway --port <free port>` in a fresh `PINCER_HOME`.
    /// Returns the gateway and the instant taken just before the spawn.
    fn spawn() -> Result<(Gateway, Instant)> {
        let home = tempfile::Builder::new()
            .prefix("pincer-bench-")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
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
        // Only our own settings: no inherited PINCER_CONFIG, PINCER_LOG, ...
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PINCER_") {
                command.env_remove(&name);
            }
        }
        command.env("PINCER_HOME", home.path());

        let start = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {PINCER_BIN}: {e}"))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        Ok((
            Gateway {
                child,
                addr,
                home,
                stderr_path,
            },
            start,
        ))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stderr(&self) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if text.trim().is_empty() {
            "(stderr was empty)".to_string()
        } else {
            text
        }
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{what}\n--- gateway stderr ---\n{}\n----------------------",
            self.stderr().trim_end()
        )
    }

    /// Polls `/healthz` until it answers 200; returns when it did.
    fn wait_healthy(&mut self) -> Result<Instant> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let last_error = match healthz(self.addr) {
                Ok(200) => return Ok(Instant::now()),
                Ok(status) => format!("/healthz answered HTTP {status}"),
                Err(error) => error,
            };
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(self.failure(&format!(
                    "gateway (pid {}) exited early with {status} before /healthz answered 200",
                    self.pid()
                )));
            }
            if Instant::now() >= deadline {
                let message = format!(
                    "gateway (pid {}) not healthy on {} after {:?}; last attempt: {last_error}",
                    self.pid(),
                    self.addr,
                    READY_TIMEOUT
                );
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(self.failure(&message));
            }
            std::thread::sleep(POLL_PAUSE);
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the shutdown time.
    /// Warns (without failing) on a non-zero exit or a left-over gateway.json.
    fn stop(mut self) -> Result<Duration> {
        let pid = self.pid().to_string();
        let start = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot run `kill -TERM {pid}`: {e}"))?;
        if !kill.success() {
            return Err(self.failure(&format!("`kill -TERM {pid}` failed: {kill}")));
        }
        let status = self.wait_exit(start + EXIT_TIMEOUT)?;
        let elapsed = start.elapsed();
        if !status.success() {
            eprintln!(
                "{}",
                self.failure(&format!(
                    "warning: gateway exited with {status} after SIGTERM"
                ))
            );
        }
        let runtime_file = self.home.path().join("state").join("gateway.json");
        if runtime_file.exists() {
            eprintln!(
                "warning: {} still exists after shutdown",
                runtime_file.display()
            );
        }
        Ok(elapsed)
    }

    fn wait_exit(&mut self, deadline: Instant) -> Result<ExitStatus> {
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(self.failure(&format!(
                    "gateway (pid {}) did not exit within {EXIT_TIMEOUT:?} of SIGTERM; killed it",
                    self.pid()
                )));
            }
            std::thread::sleep(Duration::from_micros(100));
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

/// One `GET /healthz` over a fresh connection; returns the HTTP status code.
fn healthz(addr: SocketAddr) -> Result<u16> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
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

/// `VmRSS`, `VmHWM` and `Threads` from `/proc/<pid>/status`.
fn proc_status(pid: u32) -> Result<Idle> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let field = |name: &str| -> Result<u64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| format!("no {name} in {path}"))
    };
    Ok(Idle {
        rss_mib: field("VmRSS")? as f64 / 1024.0,
        hwm_mib: field("VmHWM")? as f64 / 1024.0,
        threads: field("Threads")?,
    })
}

fn measure_idle(idle_secs: u64) -> Result<Idle> {
    let (mut gateway, _) = Gateway::spawn()?;
    gateway.wait_healthy()?;
    std::thread::sleep(Duration::from_secs(idle_secs));
    if let Some(status) = gateway.child.try_wait().map_err(|e| e.to_string())? {
        return Err(gateway.failure(&format!("gateway exited with {status} while idle")));
    }
    let idle = proc_status(gateway.pid())?;
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
    let mut shutdown = Vec::with_capacity(options.runs);
    for index in 0..options.warmup + options.runs {
        let (mut gateway, start) = Gateway::spawn()?;
        let ready = gateway.wait_healthy()?;
        let stopped = gateway.stop()?;
        if index >= options.warmup {
            startup.push(ms(ready - start));
            shutdown.push(ms(stopped));
        }
    }
    let up = summarize(&startup);
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
