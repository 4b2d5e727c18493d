//! Retention of stored sessions: `session.retentionDays` and `session.maxStored`.
//!
//! A pass (the router runs one a second after start and then every `PRUNE_PERIOD`) removes the
//! transcript and the index entry of every stored session not updated for `retentionDays`
//! days, then, while more than `maxStored` remain, of the least recently updated ones; the
//! archives `reset` leaves behind (`<id>.jsonl.reset-<ms>`) go after `retentionDays` too. A
//! session that is live (its actor exists, or the store holds it) is never pruned. Each
//! removal holds the session's lock, so an append racing with it either lands before (and is
//! removed with the file) or starts a fresh session after.

use std::collections::HashSet;
use std::fs;
use std::time::Duration;

use tracing::{info, warn};

use super::{lock_slot, SessionStore, StoreError};

/// How often the router prunes.
pub(crate) const PRUNE_PERIOD: Duration = Duration::from_secs(600);

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// What a prune removes; zeros keep everything (the defaults).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Sessions not updated for this many days go (0: kept forever).
    pub days: u32,
    /// At most this many stored sessions are kept, the most recently updated (0: no cap).
    pub max_stored: u32,
}

/// One pruned session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub key: String,
    pub session_id: String,
    pub updated_ms: u64,
    /// `"retentionDays"` or `"maxStored"`.
    pub why: &'static str,
}

impl SessionStore {
    /// Prunes by the store's [`Retention`] at time `now_ms`, sparing the sessions in `live`
    /// (and any the store holds in memory); logs and returns what went.
    pub fn prune(&self, live: &HashSet<String>, now_ms: u64) -> Result<Vec<Pruned>, StoreError> {
        let Retention { days, max_stored } = self.retention;
        if days == 0 && max_stored == 0 {
            return Ok(Vec::new());
        }
        let cutoff = (days > 0).then(|| now_ms.saturating_sub(u64::from(days) * DAY_MS));
        let held: HashSet<String> = self.live().keys().cloned().collect();
        let mut candidates: Vec<_> = self
            .list()
            .into_iter()
            .filter(|meta| !live.contains(&meta.key) && !held.contains(&meta.key))
            .collect();
        candidates.sort_by_key(|meta| meta.updated_ms);
        let stored = self.lock().0.sessions.len();
        let mut victims = Vec::new();
        let mut remaining = stored;
        for meta in candidates {
            let why = if cutoff.is_some_and(|cutoff| meta.updated_ms < cutoff) {
                "retentionDays"
            } else if max_stored > 0 && remaining > max_stored as usize {
                "maxStored"
            } else {
                continue;
            };
            remaining -= 1;
            victims.push((meta, why));
        }
        let mut pruned = Vec::new();
        for (meta, why) in victims {
            if self.remove_stored(&meta.key, &meta.session_id)? {
                info!(session = %meta.key, id = %meta.session_id, updated_ms = meta.updated_ms, why, "pruned a stored session");
                pruned.push(Pruned {
                    key: meta.key,
                    session_id: meta.session_id,
                    updated_ms: meta.updated_ms,
                    why,
                });
            }
        }
        if let Some(cutoff) = cutoff {
            self.prune_archives(cutoff);
        }
        if !pruned.is_empty() {
            info!(
                count = pruned.len(),
                left = stored - pruned.len(),
                "pruned stored sessions (session.retentionDays, session.maxStored)"
            );
            self.flush()?;
        }
        Ok(pruned)
    }

    /// Removes session `key` if it is still the stored session `id`; false if it changed.
    fn remove_stored(&self, key: &str, id: &str) -> Result<bool, StoreError> {
        let slot = self.slot(key)?;
        let state = lock_slot(&slot);
        let removed = {
            let mut guard = self.lock();
            let same = guard
                .0
                .sessions
                .get(key)
                .is_some_and(|meta| meta.session_id == id);
            if same && state.view.is_none() {
                guard.0.sessions.remove(key);
                guard.1 = true;
            }
            same && state.view.is_none()
        };
        let result = if removed {
            let path = self.file_of(id);
            match fs::remove_file(&path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
                Err(source) => Err(StoreError::Io { path, source }),
            }
        } else {
            Ok(false)
        };
        drop(state);
        drop(slot);
        self.tidy(key);
        result
    }

    /// Deletes reset archives older than `cutoff` (by the time in their name).
    fn prune_archives(&self, cutoff: u64) {
        let Ok(items) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in items.flatten() {
            let name = item.file_name();
            let Some(at) = name
                .to_str()
                .and_then(|n| n.rsplit_once(".jsonl.reset-"))
                .and_then(|(_, ms)| ms.parse::<u64>().ok())
            else {
                continue;
            };
            if at < cutoff {
                match fs::remove_file(item.path()) {
                    Ok(()) => info!(file = %item.path().display(), "pruned a reset transcript"),
                    Err(error) => {
                        warn!(file = %item.path().display(), %error, "cannot prune a reset transcript")
                    }
                }
            }
        }
    }
}
