//! The crash-loop breaker: after three unclean starts within five minutes the gateway starts in
//! safe mode (channels are not started, and `/readyz` and `pincer status` say why) until the
//! operator clears it with `pincer service clear-safe-mode`.
//!
//! Each start is recorded in `state/starts.json` as unclean and marked clean on an orderly
//! shutdown; a start whose record is still unclean at the next start was a crash (or a `kill -9`).
//! Safe mode itself is the file `state/safe-mode`, holding the reason, so that it survives
//! restarts until it is cleared on purpose.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing::{error, warn};

use crate::sessions::entry::now_ms;

/// Unclean starts within [`WINDOW_MS`] that trip the breaker.
const TRIP_AFTER: usize = 3;
const WINDOW_MS: u64 = 5 * 60 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StartRecord {
    at_ms: u64,
    pid: u32,
    clean: bool,
}

/// This process's entry in the start history.
#[derive(Debug)]
pub(crate) struct StartLedger {
    history: PathBuf,
    at_ms: u64,
    /// `Some(reason)` when this start runs in safe mode.
    pub safe_mode: Option<String>,
}

fn read_history(path: &Path) -> Vec<StartRecord> {
    fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_history(path: &Path, history: &[StartRecord]) {
    let temp = path.with_extension("json.tmp");
    let written = serde_json::to_vec(history)
        .map_err(std::io::Error::other)
        .and_then(|body| fs::write(&temp, body))
        .and_then(|()| fs::rename(&temp, path));
    if let Err(error) = written {
        warn!(path = %path.display(), %error, "could not record the start history");
    }
}

impl StartLedger {
    /// Records this start and decides whether it runs in safe mode.
    pub(crate) fn begin(state_dir: &Path) -> StartLedger {
        let history_path = state_dir.join("starts.json");
        let flag = safe_mode_flag(state_dir);
        let now = now_ms();
        let mut history = read_history(&history_path);
        history.retain(|r| now.saturating_sub(r.at_ms) <= WINDOW_MS);
        let unclean = history.iter().filter(|r| !r.clean).count();
        if unclean >= TRIP_AFTER && !flag.exists() {
            let reason = format!(
                "{unclean} unclean starts within {} minutes (crash loop); channels are not started. \
                 Check `pincer logs`, then run `pincer service clear-safe-mode`",
                WINDOW_MS / 60_000
            );
            error!(%reason, "crash-loop breaker tripped: starting in safe mode");
            if let Err(error) = fs::write(&flag, &reason) {
                warn!(%error, "could not record safe mode");
            }
        }
        let safe_mode = fs::read_to_string(&flag).ok().map(|r| r.trim().to_string());
        history.push(StartRecord {
            at_ms: now,
            pid: std::process::id(),
            clean: false,
        });
        write_history(&history_path, &history);
        StartLedger {
            history: history_path,
            at_ms: now,
            safe_mode,
        }
    }

    /// Marks this start as having ended cleanly.
    pub(crate) fn end_cleanly(&self) {
        let mut history = read_history(&self.history);
        for record in history
            .iter_mut()
            .filter(|r| r.at_ms == self.at_ms && r.pid == std::process::id())
        {
            record.clean = true;
        }
        write_history(&self.history, &history);
    }
}

fn safe_mode_flag(state_dir: &Path) -> PathBuf {
    state_dir.join("safe-mode")
}

/// Leaves safe mode: removes the flag and forgets the unclean starts. Returns whether it was on.
pub(crate) fn clear(state_dir: &Path) -> std::io::Result<bool> {
    let flag = safe_mode_flag(state_dir);
    let was_on = flag.exists();
    if was_on {
        fs::remove_file(&flag)?;
    }
    match fs::remove_file(state_dir.join("starts.json")) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(was_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_unclean_starts_trip_the_breaker_until_cleared() {
        let dir = tempfile::tempdir().expect("dir");
        for _ in 0..3 {
            let ledger = StartLedger::begin(dir.path());
            assert!(ledger.safe_mode.is_none());
            // No end_cleanly: a crash.
        }
        let tripped = StartLedger::begin(dir.path());
        assert!(tripped
            .safe_mode
            .as_deref()
            .is_some_and(|r| r.contains("crash loop")));
        tripped.end_cleanly();
        assert!(
            StartLedger::begin(dir.path()).safe_mode.is_some(),
            "safe mode stays until cleared"
        );
        assert!(clear(dir.path()).expect("clear"));
        assert!(StartLedger::begin(dir.path()).safe_mode.is_none());
    }

    #[test]
    fn clean_stops_do_not_count() {
        let dir = tempfile::tempdir().expect("dir");
        for _ in 0..5 {
            let ledger = StartLedger::begin(dir.path());
            assert!(ledger.safe_mode.is_none());
            ledger.end_cleanly();
        }
    }
}
