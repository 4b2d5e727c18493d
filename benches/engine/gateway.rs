//! The gateway under test: a `pincer gateway` process in a temporary home (start, health,
//! token, `/admin/actors`, stop), and the `/proc` figures the benchmark reads (RSS, CPU ticks of
//! a process and of the whole machine).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{snippet, Client};
use crate::load::RunResult;
use crate::report::round;
use crate::{Result, PINCER_BIN};

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a probe socket: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// One running `pincer gateway` in its own temporary home.
pub(crate) struct Gateway {
    child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) token: String,
    stderr_path: PathBuf,
    home: tempfile::TempDir,
}

impl Gateway {
    /// Writes the config, starts the gateway, waits for `/healthz` 200 and reads its token.
    pub(crate) fn start(provider_base_url: &str) -> Result<Gateway> {
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

    pub(crate) fn pid(&self) -> u32 {
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
    pub(crate) fn stderr_levels(&self) -> (usize, usize) {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let warn = text.lines().filter(|l| l.contains("WARN")).count();
        let error = text.lines().filter(|l| l.contains("ERROR")).count();
        (warn, error)
    }

    pub(crate) fn failure(&self, what: &str) -> String {
        format!(
            "{what}\n--- gateway stderr (last 40 lines; {}) ---\n{}\n---------------------------",
            self.stderr_path.display(),
            self.stderr_tail(40)
        )
    }

    /// Fails with the stderr tail if the gateway process has exited.
    pub(crate) fn ensure_alive(&mut self, during: &str) -> Result<()> {
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
    pub(crate) fn running_sessions(&self) -> Result<usize> {
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
    pub(crate) fn stop(mut self) -> Result<()> {
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
pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
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

pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub(crate) fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// CPU time spent during one run, in seconds.
pub(crate) struct Cpu {
    pub(crate) gateway_secs: f64,
    /// This process: the client threads and the emulator.
    pub(crate) bench_secs: f64,
    /// Everything else on the machine (busy time in `/proc/stat` minus the two above): other
    /// work competing for the cores makes the figures worse.
    pub(crate) other_secs: f64,
    wall_secs: f64,
    turns: usize,
}

impl Cpu {
    pub(crate) fn gateway_ms_per_turn(&self) -> f64 {
        self.gateway_secs * 1000.0 / self.turns.max(1) as f64
    }

    /// Share of one core.
    pub(crate) fn percent(&self, secs: f64) -> f64 {
        100.0 * secs / self.wall_secs
    }

    pub(crate) fn json(&self) -> Value {
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
pub(crate) struct CpuProbe {
    gateway: u64,
    bench: u64,
    busy: u64,
}

impl CpuProbe {
    pub(crate) fn take(gateway_pid: u32) -> Result<CpuProbe> {
        Ok(CpuProbe {
            gateway: cpu_ticks(&gateway_pid.to_string())?,
            bench: cpu_ticks("self")?,
            busy: busy_ticks()?,
        })
    }

    pub(crate) fn since(&self, before: &CpuProbe, ticks_per_sec: f64, run: &RunResult) -> Cpu {
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
