//! Running OpenClaw's own `openclaw` CLI against a Pincer gateway: where the install is (the
//! `PINCER_OPENCLAW_BIN` / `PINCER_OPENCLAW_NODE_BIN` that `scripts/ci/openclaw.sh` exports), a
//! fresh `HOME` per test (the CLI keeps its state in `~/.openclaw/`), the three ways a person points
//! it at a gateway ([`Way`]), a time limit on every run, and failure messages that carry the whole
//! command, its exit code, stdout and stderr.

use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{signal, Gateway};

/// How long one ordinary command may take before the test gives up on it (a hang guard, not a
/// timed assertion: the CLI's own RPC timeouts are shorter).
const LIMIT: Duration = Duration::from_secs(90);

/// How the CLI is told which gateway to use and with which token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// `--url ws://… --token …` on the command line.
    Flags,
    /// `OPENCLAW_GATEWAY_URL` and `OPENCLAW_GATEWAY_TOKEN` in the environment.
    Env,
    /// `gateway.mode: "remote"` with `gateway.remote.url` / `.token` in `~/.openclaw/openclaw.json`.
    Config,
}

impl Way {
    /// Every way, for the commands that take all three.
    pub const ALL: [Way; 3] = [Way::Flags, Way::Env, Way::Config];
    /// The ways open to commands without `--url` (`health`, `status`).
    pub const NO_FLAGS: [Way; 2] = [Way::Env, Way::Config];
}

/// The gateway the CLI is pointed at: its WebSocket URL and the token it is given.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub token: String,
}

impl Target {
    /// The gateway's own address and its generated token.
    pub fn of(gateway: &Gateway) -> Target {
        Target {
            url: format!("ws://{}", gateway.addr),
            token: gateway.token(),
        }
    }

    /// The same gateway with another token (the negative tests).
    pub fn with_token(&self, token: &str) -> Target {
        Target {
            url: self.url.clone(),
            token: token.to_string(),
        }
    }
}

/// One installed `openclaw` and a `HOME` of its own.
pub struct OpenClaw {
    bin: PathBuf,
    node_bin: PathBuf,
    home: tempfile::TempDir,
}

impl OpenClaw {
    /// The installed CLI with a fresh `HOME`; `None` (after saying why) when it is not installed,
    /// unless `CI` is set, where a missing install is a failure.
    pub fn find() -> Option<OpenClaw> {
        let bin = std::env::var_os("PINCER_OPENCLAW_BIN").map(PathBuf::from);
        let node_bin = std::env::var_os("PINCER_OPENCLAW_NODE_BIN").map(PathBuf::from);
        let (Some(bin), Some(node_bin)) = (bin, node_bin) else {
            let why = "PINCER_OPENCLAW_BIN / PINCER_OPENCLAW_NODE_BIN are not set: run \
                       `source scripts/ci/openclaw.sh` to install OpenClaw's CLI (as .ci/run does)";
            assert!(std::env::var_os("CI").is_none(), "CI is set but {why}");
            eprintln!("SKIPPED: {why}");
            return None;
        };
        assert!(
            bin.is_file(),
            "PINCER_OPENCLAW_BIN={} is no file",
            bin.display()
        );
        assert!(
            node_bin.join("node").is_file(),
            "PINCER_OPENCLAW_NODE_BIN={} holds no `node`",
            node_bin.display()
        );
        let home = tempfile::tempdir().expect("HOME for openclaw");
        Some(OpenClaw {
            bin,
            node_bin,
            home,
        })
    }

    /// The CLI's `HOME` (its state is under `.openclaw/`).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A command for `args` with `way` applied, in a clean environment (no `OPENCLAW_*` of the
    /// test's own, no colours, Node first on `PATH`).
    pub fn command(&self, target: &Target, way: Way, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.node_bin.display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        let mut command = Command::new(&self.bin);
        command
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home())
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("LANG", "C.UTF-8")
            .current_dir(self.home())
            .args(args)
            .stdin(Stdio::null());
        match way {
            Way::Flags => {
                command.args(["--url", &target.url, "--token", &target.token]);
            }
            Way::Env => {
                // An empty config, not none: `openclaw status` skips the gateway when there is
                // no config file at all (a person who onboarded has one). It also replaces a
                // remote-mode config an earlier run of the test wrote.
                self.write_config(&json!({}));
                command
                    .env("OPENCLAW_GATEWAY_URL", &target.url)
                    .env("OPENCLAW_GATEWAY_TOKEN", &target.token);
            }
            Way::Config => self.write_remote_config(target),
        }
        command
    }

    /// `~/.openclaw/openclaw.json` pointing the CLI at `target` in remote mode.
    pub fn write_remote_config(&self, target: &Target) {
        self.write_config(&json!({
            "gateway": {
                "mode": "remote",
                "remote": { "transport": "direct", "url": target.url, "token": target.token }
            }
        }));
    }

    /// Writes `~/.openclaw/openclaw.json`.
    pub fn write_config(&self, config: &Value) {
        let dir = self.home().join(".openclaw");
        std::fs::create_dir_all(&dir).expect("~/.openclaw");
        std::fs::write(dir.join("openclaw.json"), format!("{config:#}\n")).expect("openclaw.json");
    }

    /// Runs `openclaw <args>` configured `way` and waits for it (at most [`LIMIT`]).
    pub fn run(&self, target: &Target, way: Way, args: &[&str]) -> Run {
        let mut command = self.command(target, way, args);
        let shown = describe(&command, way);
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {shown}: {e}"));
        finish(child, shown, LIMIT)
    }

    /// `openclaw gateway call <method> --params <params> --json`, configured `way`.
    pub fn call(&self, target: &Target, way: Way, method: &str, params: &Value) -> Run {
        self.call_with(target, way, method, params, &[])
    }

    /// [`OpenClaw::call`] with more options (e.g. `--expect-final`).
    pub fn call_with(
        &self,
        target: &Target,
        way: Way,
        method: &str,
        params: &Value,
        more: &[&str],
    ) -> Run {
        let params = params.to_string();
        let mut args = vec!["gateway", "call", method, "--params", &params, "--json"];
        args.extend_from_slice(more);
        self.run(target, way, &args)
    }

    /// Starts `openclaw <args>` in the background (e.g. `logs --follow`); its output is collected
    /// as it comes.
    pub fn spawn(&self, target: &Target, way: Way, args: &[&str]) -> Background {
        let mut command = self.command(target, way, args);
        let shown = describe(&command, way);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {shown}: {e}"));
        let stdout = Collected::start(child.stdout.take());
        let stderr = Collected::start(child.stderr.take());
        Background {
            child,
            shown,
            stdout,
            stderr,
        }
    }

    /// A shell command line running `openclaw <args>` configured `way` in this environment, for
    /// a terminal (tmux): `TERM=xterm-256color` instead of `dumb`.
    pub fn shell_line(&self, target: &Target, way: Way, args: &[&str]) -> String {
        let command = self.command(target, way, args);
        let mut line = String::from("env -i");
        for (key, value) in command.get_envs() {
            let (Some(key), Some(value)) = (key.to_str(), value.and_then(|v| v.to_str())) else {
                continue;
            };
            let value = match key {
                "TERM" => "xterm-256color",
                "NO_COLOR" => continue,
                _ => value,
            };
            line.push_str(&format!(" {key}={}", quote(value)));
        }
        line.push_str(&format!(" {}", quote(&self.bin.to_string_lossy())));
        for arg in command.get_args() {
            line.push_str(&format!(" {}", quote(&arg.to_string_lossy())));
        }
        line
    }
}

/// Single-quotes `text` for `sh`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The command as a person would type it (the way's environment shown first, the token left
/// out).
fn describe(command: &Command, way: Way) -> String {
    let mut shown = String::new();
    if way == Way::Env {
        shown.push_str("OPENCLAW_GATEWAY_URL=… OPENCLAW_GATEWAY_TOKEN=… ");
    }
    if way == Way::Config {
        shown.push_str("(gateway.mode remote in ~/.openclaw/openclaw.json) ");
    }
    shown.push_str("openclaw");
    let mut after_token = false;
    for arg in command.get_args() {
        shown.push(' ');
        // The gateway's token is a throwaway one, but tokens are not printed out of habit.
        shown.push_str(if after_token {
            "…"
        } else {
            arg.to_str().unwrap_or("?")
        });
        after_token = arg == "--token";
    }
    shown
}

/// A pipe read to its end on a thread of its own, into a shared buffer of bytes (decoded when
/// read, so that a character split across two reads stays whole).
struct Collected {
    bytes: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Collected {
    fn start<R: Read + Send + 'static>(pipe: Option<R>) -> Collected {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let reader = pipe.map(|mut pipe| {
            let sink = Arc::clone(&bytes);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            })
        });
        Collected { bytes, reader }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap_or_else(|p| p.into_inner())).to_string()
    }

    /// Waits (up to 5 s: a grandchild may still hold the pipe) for the pipe's end.
    fn drained(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        self.text()
    }
}

/// Waits for `child` (its output read meanwhile), killing its process group past `limit`.
fn finish(mut child: Child, shown: String, limit: Duration) -> Run {
    let mut stdout = Collected::start(child.stdout.take());
    let mut stderr = Collected::start(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            signal_group(child.id(), "KILL");
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        command: shown,
        code: status.and_then(|s| s.code()),
        timed_out: status.is_none(),
        stdout: stdout.drained(),
        stderr: stderr.drained(),
    }
}

fn signal_group(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg("--")
        .arg(format!("-{pid}"))
        .status();
}

/// A finished run of the CLI.
pub struct Run {
    pub command: String,
    /// `None` when it was killed (by a signal or the time limit).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = match (self.code, self.timed_out) {
            (_, true) => format!("killed after {LIMIT:?}"),
            (Some(code), false) => code.to_string(),
            (None, false) => "killed by a signal".to_string(),
        };
        write!(
            f,
            "\n$ {}\nexit code: {code}\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.command,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl Run {
    /// Panics with the whole run unless it exited 0.
    pub fn ok(&self) -> &Run {
        assert_eq!(self.code, Some(0), "the command failed:{self}");
        self
    }

    /// stdout as JSON: the whole of it, or else from its first line that opens an object (the
    /// CLI may print a notice first).
    pub fn json(&self) -> Value {
        if let Ok(value) = serde_json::from_str(self.stdout.trim()) {
            return value;
        }
        let start = self
            .stdout
            .match_indices('{')
            .map(|(at, _)| at)
            .find(|&at| at == 0 || self.stdout[..at].ends_with('\n'));
        start
            .and_then(|at| serde_json::from_str(self.stdout[at..].trim()).ok())
            .unwrap_or_else(|| panic!("stdout is not JSON:{self}"))
    }
}

/// A CLI process running in the background; its process group is stopped when dropped.
pub struct Background {
    child: Child,
    pub shown: String,
    stdout: Collected,
    stderr: Collected,
}

impl Background {
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits until stdout satisfies `done` (panicking with what was printed after `limit`, or if
    /// the process ended first).
    pub fn wait_for(&mut self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let out = self.stdout();
            if done(&out) {
                return out;
            }
            let exited = self.child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "{what}: not seen (process {})\n$ {}\n--- stdout ---\n{out}\n--- stderr ---\n{}",
                match exited {
                    Some(status) => format!("exited with {status}"),
                    None => format!("still running after {limit:?}"),
                },
                self.shown,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        signal_group(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal(self.child.id(), "KILL");
        signal_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}

/// Runs `check` for each of `ways`, all of them even when one fails (each failure's panic
/// message is printed as it happens), then fails naming the ways that failed: the matrix in
/// `docs/openclaw-compat.md` needs every cell, not only the first failing one.
pub fn each_way(ways: &[Way], check: impl Fn(Way)) {
    let failed: Vec<Way> = ways
        .iter()
        .copied()
        .filter(|&way| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(way))).is_err()
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed configured as {failed:?} (of {ways:?})"
    );
}
