//! The gateway under test, for every benchmark: a `pincer gateway` process in its own temporary
//! `PINCER_HOME` (a given `pincer.json5` and any extra state files, such as a pairing
//! allowlist), on a free port of 127.0.0.1, with no inherited `PINCER_*` variable. `start`
//! waits for `/healthz` or `/readyz` and reads the gateway token; `spawn` only starts it (the
//! start-up bench times the wait itself). Every error carries the tail of the gateway's stderr,
//! and a gateway is never left behind (SIGTERM in `stop`, a kill on drop).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::client::{snippet, Client};
use super::{Result, PINCER_BIN};

const READY_TIMEOUT: Duration = Duration::from_secs(15);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What `start` waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `GET /healthz` 200: the HTTP server answers.
    Healthy,
    /// `GET /readyz` 200: channels connected, the tree settled.
    Ready,
}

/// How to set up a gateway.
pub struct Spec<'a> {
    /// Names the temporary home (`pincer-bench-<name>-...`).
    pub name: &'a str,
    /// The `pincer.json5` to write; `None` starts without a config (the defaults).
    pub config: Option<String>,
    /// Further files, relative to the home (`state/credentials/...`).
    pub files: Vec<(PathBuf, String)>,
    pub wait: Wait,
}

impl<'a> Spec<'a> {
    pub fn new(name: &'a str, config: Option<String>) -> Spec<'a> {
        Spec {
            name,
            config,
            files: Vec::new(),
            wait: Wait::Healthy,
        }
    }
}

/// A free TCP port on 127.0.0.1: bind port 0, read it back, release it.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind a probe socket: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// One running `pincer gateway` in its own temporary home.
pub struct Gateway {
    child: Child,
    pub addr: SocketAddr,
    /// The gateway token (empty until `start` has read it).
    pub token: String,
    stderr_path: PathBuf,
    home: tempfile::TempDir,
}

impl Gateway {
    /// Prepares the home and spawns the gateway, without waiting. Returns it with the instant
    /// taken just before the spawn.
    pub fn spawn(spec: &Spec) -> Result<(Gateway, Instant)> {
        let home = tempfile::Builder::new()
            .prefix(&format!("pincer-bench-{}-", spec.name))
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let write = |relative: &Path, contents: &str| -> Result<()> {
            let path = home.path().join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        if let Some(config) = &spec.config {
            write(Path::new("pincer.json5"), config)?;
        }
        for (relative, contents) in &spec.files {
            write(relative, contents)?;
        }
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
        let gateway = Gateway {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            token: String::new(),
            stderr_path,
            home,
        };
        Ok((gateway, start))
    }

    /// Spawns the gateway, waits for `/healthz` or `/readyz` 200 and reads its token.
    pub fn start(spec: &Spec) -> Result<Gateway> {
        let (mut gateway, _) = Gateway::spawn(spec)?;
        let path = match spec.wait {
            Wait::Healthy => "/healthz",
            Wait::Ready => "/readyz",
        };
        gateway.wait_for(path)?;
        gateway.token = gateway.read_token()?;
        Ok(gateway)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The exit status, if the process has exited.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .map_err(|e| format!("cannot check the gateway process: {e}"))
    }

    /// The last `lines` lines of the gateway's stderr.
    pub fn stderr_tail(&self, lines: usize) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if text.trim().is_empty() {
            return "(stderr was empty)".to_string();
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// How many stderr lines mention WARN and ERROR.
    pub fn stderr_levels(&self) -> (usize, usize) {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let warn = text.lines().filter(|l| l.contains("WARN")).count();
        let error = text.lines().filter(|l| l.contains("ERROR")).count();
        (warn, error)
    }

    /// `what`, followed by the tail of the gateway's stderr.
    pub fn failure(&self, what: &str) -> String {
        format!(
            "{what}\n--- gateway stderr (last 40 lines; {}) ---\n{}\n---------------------------",
            self.stderr_path.display(),
            self.stderr_tail(40)
        )
    }

    /// Fails with the stderr tail if the gateway process has exited.
    pub fn ensure_alive(&mut self, during: &str) -> Result<()> {
        match self.exited()? {
            None => Ok(()),
            Some(status) => Err(self.failure(&format!(
                "the gateway (pid {}) exited with {status} during {during}",
                self.pid()
            ))),
        }
    }

    /// Polls `GET <path>` (no auth) until it answers 200.
    pub fn wait_for(&mut self, path: &str) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let last = match Client::new(self.addr).request("GET", path, "", b"") {
                Ok(response) if response.status == 200 => return Ok(()),
                Ok(response) => format!(
                    "{path} answered HTTP {}: {}",
                    response.status,
                    snippet(&response.body)
                ),
                Err(error) => error,
            };
            self.ensure_alive("start-up")?;
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "the gateway (pid {}) did not answer {path} with 200 on {} within {READY_TIMEOUT:?}; last attempt: {last}",
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

    /// An authenticated `GET` of an admin endpoint, parsed as JSON.
    pub fn get_json(&self, path: &str) -> Result<Value> {
        let auth = format!("Authorization: Bearer {}\r\n", self.token);
        let response = Client::new(self.addr).request("GET", path, &auth, b"")?;
        if response.status != 200 {
            return Err(self.failure(&format!(
                "GET {path} answered HTTP {}: {}",
                response.status,
                snippet(&response.body)
            )));
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            format!(
                "GET {path}: the body is not JSON ({e}): {}",
                snippet(&response.body)
            )
        })
    }

    /// Session actors in state `running`, from `GET /admin/actors?flat=1`.
    pub fn running_sessions(&self) -> Result<usize> {
        let body = self.get_json("/admin/actors?flat=1")?;
        let actors = body["actors"]
            .as_array()
            .ok_or_else(|| format!("GET /admin/actors?flat=1: no `actors` array in {body}"))?;
        Ok(actors
            .iter()
            .filter(|a| a["kind"] == "session" && a["state"] == "running")
            .count())
    }

    /// SIGTERM (through the `kill` command), then waits for the exit (a kill after
    /// EXIT_TIMEOUT). Returns the time from SIGTERM to exit; warns (without failing) on a
    /// non-zero exit status or a left-over `state/gateway.json`.
    pub fn stop(mut self) -> Result<Duration> {
        let pid = self.pid().to_string();
        let started = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot run `kill -TERM {pid}`: {e}"))?;
        if !status.success() {
            return Err(self.failure(&format!("`kill -TERM {pid}` failed: {status}")));
        }
        let deadline = started + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.exited()? {
                let elapsed = started.elapsed();
                if !status.success() {
                    eprintln!(
                        "{}",
                        self.failure(&format!(
                            "warning: the gateway exited with {status} after SIGTERM"
                        ))
                    );
                }
                let runtime_file = self.home().join("state").join("gateway.json");
                if runtime_file.exists() {
                    eprintln!(
                        "warning: {} still exists after shutdown",
                        runtime_file.display()
                    );
                }
                return Ok(elapsed);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(self.failure(&format!(
                    "the gateway (pid {pid}) did not exit within {EXIT_TIMEOUT:?} of SIGTERM; killed it"
                )));
            }
            std::thread::sleep(Duration::from_micros(200));
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
