//! The stdio transport: an MCP server Pincer starts, spoken to in newline-delimited JSON over
//! its stdin and stdout.
//!
//! The command runs in the leader of its own process group with the gateway's environment minus
//! its secrets (the rules of `exec`, [`crate::agent::tools::exec::env`]) plus the server's
//! configured `env`. Three threads per server: a writer draining a channel of lines into stdin,
//! a reader parsing stdout lines into [`Peer::incoming`] (and, at end of file, reaping the
//! process and closing the peer with how it ended), and a stderr reader keeping the last lines
//! for the operator (`last error`). Dropping the [`StdioProcess`] kills the whole group, so a
//! stopped or restarted actor leaves nothing behind.

#![allow(
    unsafe_code,
    reason = "killpg of the server's process group when its actor stops"
)]

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::rpc::{Event, Link, Peer};
use crate::agent::tools::exec::env::scrub;
use crate::config::McpServerConfig;

/// The longest line (one JSON-RPC message) read from a server: a bigger one ends the connection
/// rather than growing the gateway's memory without bound.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Lines of stderr kept for the operator.
const STDERR_LINES: usize = 5;

/// A running server process; dropping it kills its process group.
#[derive(Debug)]
pub(crate) struct StdioProcess {
    pgid: i32,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Set once the leader is reaped: its pid (the group's id) may then be reused by another
    /// process, which must not be signalled.
    reaped: Arc<AtomicBool>,
}

impl StdioProcess {
    /// The last lines the server wrote to stderr, joined.
    pub(crate) fn stderr_tail(&self) -> String {
        let lines = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

impl Drop for StdioProcess {
    fn drop(&mut self) {
        if !self.reaped.load(Ordering::SeqCst) {
            kill_group(self.pgid);
        }
    }
}

fn kill_group(pgid: i32) {
    if pgid > 0 {
        // SAFETY: a plain signal to the process group this module created.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Starts server `name` as configured; `secret_env` are the variable names the config says hold
/// secrets (scrubbed besides exec's patterns).
pub(crate) fn start(
    name: &str,
    config: &McpServerConfig,
    secret_env: &[String],
    events: mpsc::UnboundedSender<Event>,
) -> Result<(Arc<Peer>, StdioProcess), String> {
    let program = config.command.as_deref().unwrap_or_default();
    let mut command = Command::new(program);
    command
        .args(&config.args)
        .env_clear()
        .envs(scrub(std::env::vars_os(), secret_env))
        .envs(
            config
                .env
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v.expose()))),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = &config.cwd {
        command.current_dir(cwd);
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {program:?}: {e}"))?;
    let pgid = i32::try_from(child.id()).map_err(|_| "bad pid".to_string())?;
    let process = StdioProcess {
        pgid,
        stderr: Arc::new(Mutex::new(VecDeque::new())),
        reaped: Arc::new(AtomicBool::new(false)),
    };
    let reaped = Arc::clone(&process.reaped);
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("the server's pipes are missing".to_string());
    };
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let peer = Peer::new(name, Link::Stdio(lines_tx), events);
    spawn_thread("mcp-stdin", move || {
        while let Ok(line) = lines_rx.recv() {
            if stdin.write_all(&line).and_then(|()| stdin.flush()).is_err() {
                break;
            }
        }
    })?;
    let kept = Arc::clone(&process.stderr);
    spawn_thread("mcp-stderr", move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() == STDERR_LINES {
                kept.pop_front();
            }
            kept.push_back(line.chars().take(500).collect());
        }
    })?;
    let reading = Arc::clone(&peer);
    spawn_thread("mcp-stdout", move || {
        let reason = read_messages(stdout, &reading);
        // The server is gone or broken: make sure nothing of it is left, then say how it ended.
        kill_group(pgid);
        let status = match child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => format!("cannot be waited for: {error}"),
        };
        reaped.store(true, Ordering::SeqCst);
        reading.close(&format!("{reason}; the process {status}"));
    })?;
    Ok((peer, process))
}

/// Reads stdout until it ends; returns why it stopped.
fn read_messages(stdout: impl Read, peer: &Arc<Peer>) -> String {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX) + 1;
        match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Ok(0) => return "its stdout closed".to_string(),
            Ok(_) if line.len() > MAX_LINE_BYTES => {
                return format!("it sent a message larger than {MAX_LINE_BYTES} bytes");
            }
            Ok(_) => match serde_json::from_slice(&line) {
                Ok(message) => peer.incoming(message),
                Err(_) if line.iter().all(u8::is_ascii_whitespace) => {}
                Err(error) => {
                    tracing::debug!(server = peer.server(), %error, "an MCP line that is not JSON");
                }
            },
            Err(error) => return format!("reading its stdout failed: {error}"),
        }
    }
}

fn spawn_thread(name: &str, work: impl FnOnce() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(work)
        .map(|_| ())
        .map_err(|e| format!("cannot start a thread: {e}"))
}
