//! Transcripts: one append-only JSONL file per session plus an index, `sessions.json`, and an
//! in-memory view of each live session, so that a turn reads nothing from disk.
//!
//! The JSONL files are the source of truth. Each starts with a `session` header naming its key, so
//! the index is only a cache: it is kept in memory, written atomically (temporary file, fsync,
//! rename) at most once per flush, and rebuilt from the files for any session it lacks when the
//! store opens (after a crash between an append and the next flush). Appends are single `write`
//! calls of whole lines; a line torn by a crash mid-write is detected on load (it does not parse)
//! and skipped with a warning, so one bad line never loses the rest of a conversation.
//!
//! Live sessions ([`view`]): the first run of a session loads a view of its transcript (the
//! whole file, or with `session.historyTurns` only the tail the prompt needs, read backwards);
//! every append then writes the file first and updates the view second, under that session's
//! lock (one lock per session, held across its file write; the store-wide maps are locked only
//! to find a session). A reader therefore never sees memory ahead of the file, and a crash
//! between the two loses nothing: memory is rebuilt from the file at start-up, when the session
//! actor restarts or is evicted (it releases the view), and when a panic poisoned the session's
//! lock. The session actor's search for a replayed message's turn, rare, still reads the file.
//!
//! Ephemeral sessions ([`crate::sessions::key::ephemeral`], `/v1/chat/completions` without a
//! session key) live in memory only, from `open_ephemeral` to `forget`: no file, no index entry.
//! Retention ([`retention`]) prunes old stored sessions.

mod changes;
mod file;
mod index;
mod inspect;
pub(crate) mod retention;
mod view;

#[cfg(test)]
mod notes_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing::{debug, warn};

use super::entry::{now_ms, Entry};
use super::key::is_ephemeral;
pub(crate) use changes::{ChangeReason, SessionChange};
use file::{append_whole, io, push_line, read_entries, read_tail, read_turn};
pub use index::SessionMeta;
use index::{rebuild_meta, IndexFile};
pub use inspect::Inspection;
pub use retention::{Pruned, Retention};
pub use view::TurnContext;
use view::View;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("session store {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("ephemeral session {0} is over")]
    EphemeralOver(String),
}

/// One live session: its view (loaded on first use) behind the session's own lock.
#[derive(Debug, Default)]
struct Slot {
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    view: Option<View>,
    ephemeral: bool,
    /// The view's estimated size, as counted in the store's total (see `account`).
    bytes: usize,
    /// When the view was last used (the store's tick), for dropping the least recent first.
    used: u64,
}

/// The transcript store of one agent (`<state>/agents/main/sessions`).
#[derive(Debug)]
pub struct SessionStore {
    dir: PathBuf,
    index: Mutex<(IndexFile, bool)>,
    /// Held while the index file is written, so that two flushes never interleave.
    flushing: Mutex<()>,
    /// The sessions in use, by key (see [`Slot`]).
    live: Mutex<HashMap<String, Arc<Slot>>>,
    /// Completed earlier turns a prompt carries (0: all); `session.historyTurns`.
    history_turns: usize,
    retention: Retention,
    /// Estimated bytes of every loaded view, and the most they may take
    /// (`session.historyCacheMb`).
    view_bytes: AtomicUsize,
    view_budget: usize,
    tick: AtomicU64,
    /// Who watches the session list (see [`changes`]).
    changes: changes::Changes,
}

impl SessionStore {
    /// Opens (creating) the directory, loads the index and adds any session whose file it lacks.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let index_path = dir.join("sessions.json");
        let mut index: IndexFile = match fs::read(&index_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                warn!(path = %index_path.display(), %error, "unreadable session index; rebuilding it from the transcripts");
                IndexFile::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => IndexFile::default(),
            Err(source) => return Err(StoreError::Io { path: index_path, source }),
        };
        index.version = 1;
        let known: std::collections::HashSet<String> = index
            .sessions
            .values()
            .map(|m| m.session_id.clone())
            .collect();
        let mut rebuilt = false;
        for item in fs::read_dir(dir).map_err(io(dir))? {
            let path = item.map_err(io(dir))?.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".jsonl"))
            else {
                continue;
            };
            if known.contains(id) {
                continue;
            }
            if let Some(meta) = rebuild_meta(&path) {
                index.sessions.insert(meta.key.clone(), meta);
                rebuilt = true;
            }
        }
        let store = SessionStore {
            dir: dir.to_path_buf(),
            index: Mutex::new((index, rebuilt)),
            flushing: Mutex::new(()),
            live: Mutex::new(HashMap::new()),
            history_turns: 0,
            retention: Retention::default(),
            view_bytes: AtomicUsize::new(0),
            view_budget: DEFAULT_VIEW_BUDGET,
            tick: AtomicU64::new(0),
            changes: changes::Changes::default(),
        };
        if rebuilt {
            store.flush()?;
        }
        Ok(store)
    }

    /// At most `turns` completed earlier turns go into a prompt (0: all of them), and a
    /// session loaded from disk reads only as much of its transcript.
    pub fn with_history_turns(mut self, turns: u32) -> Self {
        self.history_turns = usize::try_from(turns).unwrap_or(usize::MAX);
        self
    }

    /// The most memory the loaded views may take together, in bytes (estimated).
    pub fn with_history_cache(mut self, bytes: u64) -> Self {
        self.view_budget = usize::try_from(bytes).unwrap_or(usize::MAX).max(1);
        self
    }

    /// Brings the store's total up to date with `state`'s view, and marks it used now. Called
    /// with the session's lock held, after any change to its view.
    fn account(&self, state: &mut SlotState) {
        let bytes = match &state.view {
            Some(view) if !state.ephemeral => view.estimate(),
            _ => 0,
        };
        if bytes >= state.bytes {
            self.view_bytes.fetch_add(bytes - state.bytes, Relaxed);
        } else {
            self.view_bytes.fetch_sub(state.bytes - bytes, Relaxed);
        }
        state.bytes = bytes;
        state.used = self.tick.fetch_add(1, Relaxed);
    }

    /// Drops the least recently used views until the total is back under three quarters of the
    /// budget. A view in use (its session's lock held) and an ephemeral session's are spared; a
    /// dropped view is reread from the file's tail when its session is next asked for a turn.
    /// Called with no session's lock held.
    fn enforce_budget(&self) {
        if self.view_bytes.load(Relaxed) <= self.view_budget {
            return;
        }
        let target = self.view_budget / 4 * 3;
        let mut candidates: Vec<(u64, Arc<Slot>)> = self
            .live()
            .values()
            .filter_map(|slot| {
                let state = slot.state.try_lock().ok()?;
                (state.view.is_some() && !state.ephemeral).then(|| (state.used, Arc::clone(slot)))
            })
            .collect();
        candidates.sort_unstable_by_key(|(used, _)| *used);
        let mut dropped = 0usize;
        for (_, slot) in candidates {
            if self.view_bytes.load(Relaxed) <= target {
                break;
            }
            if let Ok(mut state) = slot.state.try_lock() {
                if !state.ephemeral {
                    state.view = None;
                    self.account(&mut state);
                    dropped += 1;
                }
            }
        }
        debug!(
            dropped,
            bytes = self.view_bytes.load(Relaxed),
            "dropped in-memory transcripts over session.historyCacheMb"
        );
    }

    /// Estimated bytes of the loaded views (for tests and the status line).
    pub fn view_bytes(&self) -> usize {
        self.view_bytes.load(Relaxed)
    }

    /// What [`SessionStore::prune`] removes.
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    fn lock(&self) -> MutexGuard<'_, (IndexFile, bool)> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn live(&self) -> MutexGuard<'_, HashMap<String, Arc<Slot>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The slot of `key`, made if needed (never for an ephemeral session: it has one from
    /// `open_ephemeral` to `forget`, or is over).
    fn slot(&self, key: &str) -> Result<Arc<Slot>, StoreError> {
        let mut live = self.live();
        if let Some(slot) = live.get(key) {
            return Ok(Arc::clone(slot));
        }
        if is_ephemeral(key) {
            return Err(StoreError::EphemeralOver(key.to_string()));
        }
        let slot = Arc::new(Slot::default());
        live.insert(key.to_string(), Arc::clone(&slot));
        Ok(slot)
    }

    /// Drops `key`'s slot when nobody uses it and it holds nothing.
    fn tidy(&self, key: &str) {
        let mut live = self.live();
        let idle = live.get(key).is_some_and(|slot| {
            Arc::strong_count(slot) == 1
                && slot
                    .state
                    .try_lock()
                    .is_ok_and(|state| state.view.is_none() && !state.ephemeral)
        });
        if idle {
            live.remove(key);
        }
    }

    fn file_of(&self, session_id: &str) -> PathBuf {
        self.dir.join(format!("{session_id}.jsonl"))
    }

    pub fn meta(&self, key: &str) -> Option<SessionMeta> {
        self.lock().0.sessions.get(key).cloned()
    }

    pub fn list(&self) -> Vec<SessionMeta> {
        self.lock().0.sessions.values().cloned().collect()
    }

    /// Appends entries to `key`'s transcript, creating the session (id, header) on first use,
    /// then to its view if one is loaded. An ephemeral session's go to its view only.
    pub fn append(&self, key: &str, entries: &[Entry]) -> Result<(), StoreError> {
        let slot = self.slot(key)?;
        let mut state = lock_slot(&slot);
        if !state.ephemeral {
            self.append_to_file(key, entries)?;
            self.changes.notify(key, ChangeReason::Updated);
        }
        if let Some(view) = state.view.as_mut() {
            for entry in entries {
                view.apply(entry);
            }
        }
        let loaded = state.view.is_some();
        if loaded {
            self.account(&mut state);
        }
        drop(state);
        drop(slot);
        if loaded {
            self.enforce_budget();
        } else {
            self.tidy(key);
        }
        Ok(())
    }

    /// The file half of `append` (the caller holds the session's lock).
    fn append_to_file(&self, key: &str, entries: &[Entry]) -> Result<(), StoreError> {
        let (path, fresh) = {
            let mut guard = self.lock();
            match guard.0.sessions.get(key) {
                Some(meta) => (self.file_of(&meta.session_id), None),
                None => {
                    let id = new_session_id();
                    let now = now_ms();
                    let meta = SessionMeta::new(key, id.clone(), now);
                    guard.0.sessions.insert(key.to_string(), meta);
                    guard.1 = true;
                    (self.file_of(&id), Some((id, now)))
                }
            }
        };
        let mut text = String::new();
        let started_file = fresh.is_some();
        if let Some((id, created_ms)) = fresh {
            push_line(
                &mut text,
                &Entry::Session {
                    key: key.to_string(),
                    id,
                    created_ms,
                },
                &path,
            )?;
        }
        for entry in entries {
            push_line(&mut text, entry, &path)?;
        }
        let written = append_whole(&path, text.as_bytes());
        if let Err(error) = written {
            if started_file {
                // The next append starts the file again, header first.
                self.lock().0.sessions.remove(key);
            }
            return Err(error);
        }
        let mut guard = self.lock();
        if let Some(meta) = guard.0.sessions.get_mut(key) {
            meta.updated_ms = now_ms();
            for entry in entries {
                meta.count(entry);
            }
        }
        guard.1 = true;
        Ok(())
    }

    /// What a run needs to continue turn `turn_id` of `key`, from the session's view (loaded
    /// from the file on first use). `fresh`: the turn cannot be in the file unless the view has
    /// it (a message just accepted); otherwise a turn the view lacks the start of is read from
    /// the file.
    pub fn turn_context(
        &self,
        key: &str,
        turn_id: &str,
        fresh: bool,
    ) -> Result<TurnContext, StoreError> {
        let slot = self.slot(key)?;
        let mut state = lock_slot(&slot);
        let path = self.meta(key).map(|meta| self.file_of(&meta.session_id));
        let view = match state.view.take() {
            Some(view) => view,
            None => match &path {
                Some(path) => {
                    let (entries, whole) = read_tail(path, self.history_turns)?;
                    View::of(&entries, self.history_turns, whole)
                }
                None => View::new(self.history_turns, true),
            },
        };
        let view = state.view.insert(view);
        if !view.knows(turn_id, fresh) {
            if let Some(path) = &path {
                view.replace(read_turn(path, turn_id)?);
            }
        }
        let context = view.context(turn_id);
        self.account(&mut state);
        drop(state);
        drop(slot);
        self.enforce_budget();
        Ok(context)
    }

    /// Drops `key`'s view (its actor stopped or restarted): the next run reloads it from the
    /// file. An ephemeral session is forgotten instead.
    pub fn release(&self, key: &str) {
        if is_ephemeral(key) {
            self.forget(key);
            return;
        }
        let Some(slot) = self.live().get(key).cloned() else {
            return;
        };
        {
            let mut state = lock_slot(&slot);
            state.view = None;
            self.account(&mut state);
        }
        drop(slot);
        self.tidy(key);
    }

    /// Starts ephemeral session `key`: its turns are kept in memory only, until `forget`.
    pub fn open_ephemeral(&self, key: &str) {
        let mut live = self.live();
        live.entry(key.to_string()).or_insert_with(|| {
            Arc::new(Slot {
                state: Mutex::new(SlotState {
                    view: Some(View::new(self.history_turns, true)),
                    ephemeral: true,
                    bytes: 0,
                    used: 0,
                }),
            })
        });
    }

    /// Forgets ephemeral session `key` and everything it held.
    pub fn forget(&self, key: &str) {
        self.live().remove(key);
    }

    /// How many sessions have a slot (a loaded view, an ephemeral session, or an append in
    /// progress); for tests and the status line.
    pub fn live_count(&self) -> usize {
        self.live().len()
    }

    /// Every readable entry of `key`'s transcript (empty for an unknown or ephemeral session).
    /// A line that does not parse (a write torn by a crash) is skipped and logged.
    pub fn load(&self, key: &str) -> Result<Vec<Entry>, StoreError> {
        let Some(meta) = self.meta(key) else {
            return Ok(Vec::new());
        };
        read_entries(&self.file_of(&meta.session_id))
    }

    /// Writes the index if it changed since the last flush (atomically).
    pub fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let body = {
            let mut guard = self.lock();
            if !guard.1 {
                return Ok(());
            }
            guard.1 = false;
            serde_json::to_vec(&guard.0).map_err(|e| StoreError::Corrupt {
                path: self.dir.clone(),
                message: e.to_string(),
            })?
        };
        let path = self.dir.join("sessions.json");
        let temp = self
            .dir
            .join(format!(".sessions.json.{}.tmp", std::process::id()));
        let result = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(&body)?;
            file.sync_all()?;
            fs::rename(&temp, &path)
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&temp);
            self.lock().1 = true;
            return Err(StoreError::Io { path, source });
        }
        Ok(())
    }

    /// Starts `key` afresh: its transcript is kept as `<id>.jsonl.reset-<ms>` and it leaves the
    /// index (and memory). Returns whether it existed.
    pub fn reset(&self, key: &str) -> Result<bool, StoreError> {
        let slot = self.slot(key)?;
        let mut state = lock_slot(&slot);
        state.view = None;
        self.account(&mut state);
        let removed = {
            let mut guard = self.lock();
            let removed = guard.0.sessions.remove(key);
            guard.1 |= removed.is_some();
            removed
        };
        let renamed = match &removed {
            None => Ok(()),
            Some(meta) => {
                let from = self.file_of(&meta.session_id);
                let to = self
                    .dir
                    .join(format!("{}.jsonl.reset-{}", meta.session_id, now_ms()));
                match fs::rename(&from, &to) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(source) => Err(StoreError::Io { path: from, source }),
                }
            }
        };
        drop(state);
        drop(slot);
        self.tidy(key);
        renamed?;
        if removed.is_none() {
            return Ok(false);
        }
        self.changes.notify(key, ChangeReason::Reset);
        self.flush()?;
        Ok(true)
    }
}

/// Locks a session. A panic while it was held (between a file write and the view's update,
/// say) leaves the view suspect: it is dropped, to be rebuilt from the file.
fn lock_slot(slot: &Slot) -> MutexGuard<'_, SlotState> {
    match slot.state.lock() {
        Ok(state) => state,
        Err(poisoned) => {
            let mut state = poisoned.into_inner();
            slot.state.clear_poison();
            if !state.ephemeral {
                state.view = None;
            }
            state
        }
    }
}

/// `session.historyCacheMb`'s default, in bytes.
const DEFAULT_VIEW_BUDGET: usize = 16 << 20;

/// 128 random bits, hex.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS random source failing is not worth refusing a conversation over: fall back to
        // time and a counter, still unique within this process.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return format!("{:016x}{n:016x}", now_ms());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
