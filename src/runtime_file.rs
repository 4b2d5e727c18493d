//! The runtime file, `state/gateway.json`: what a running gateway publishes about itself, and how
//! the commands find it.
//!
//! The gateway writes it once it listens (through its instance guard, which also holds the
//! single-instance lock and removes the file on the way out); CLI commands, `pincer doctor` and
//! `pincer backup restore` read it to find the gateway without being told its port, which
//! matters when it was started with `--port 0`. A crashed gateway leaves the file behind, so a
//! reader checks that its pid is still alive.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What a running gateway publishes about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuntimeInfo {
    pub pid: u32,
    /// Where a local client should connect (loopback even when bound to all interfaces).
    pub url: String,
    /// The address actually bound.
    pub listen: String,
    pub version: String,
    pub started_at_ms: u64,
}

/// Writes the runtime file atomically (a temporary file, synced, then renamed over it).
pub(crate) fn write_runtime(path: &Path, info: &RuntimeInfo) -> std::io::Result<()> {
    let temp = path.with_extension("json.tmp");
    let body = serde_json::to_vec_pretty(info).map_err(std::io::Error::other)?;
    let mut file = File::create(&temp)?;
    file.write_all(&body)?;
    file.sync_all()?;
    fs::rename(&temp, path)
}

/// Reads a runtime file, if present and well-formed.
pub(crate) fn read_runtime(path: &Path) -> Option<RuntimeInfo> {
    let text = fs::read(path).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Whether a process with this pid exists (Linux: `/proc/<pid>`; elsewhere assumed alive).
pub(crate) fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}
