//! Transcripts on disk: one append-only JSONL file per session plus an index, `sessions.json`.
//!
//! The JSONL files are the source of truth. Each starts with a `session` header naming its key, so
//! the index is only a cache: it is kept in memory, written atomically (temporary file, fsync,
//! rename) at most once per flush, and rebuilt from the files for any session it lacks when the
//! store opens (after a crash between an append and the next flush). Appends are single `write`
//! calls of whole lines; a line torn by a crash mid-write is detected on load (it does not parse)
//! and skipped with a warning, so one bad line never loses the rest of a conversation.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tracing::warn;

use super::entry::{now_ms, Entry};

/// What the index keeps per session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionMeta {
    pub key: String,
    pub session_id: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub messages: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    sessions: BTreeMap<String, SessionMeta>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("session store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("session store {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `pincer sessions show` reports (the seed's `inspectSession`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub key: String,
    pub exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_ms: Option<u64>,
    pub message_count: u64,
    pub token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SessionMeta>,
}

/// The transcript store of one agent (`<state>/agents/main/sessions`).
#[derive(Debug)]
pub struct SessionStore {
    dir: PathBuf,
    index: Mutex<(IndexFile, bool)>,
    /// Held while the index file is written, so that two flushes never interleave.
    flushing: Mutex<()>,
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
        };
        if rebuilt {
            store.flush()?;
        }
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (IndexFile, bool)> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Appends entries to `key`'s transcript, creating the session (id, header) on first use.
    pub fn append(&self, key: &str, entries: &[Entry]) -> Result<(), StoreError> {
        let (path, fresh) = {
            let mut guard = self.lock();
            match guard.0.sessions.get(key) {
                Some(meta) => (self.file_of(&meta.session_id), None),
                None => {
                    let id = new_session_id();
                    let now = now_ms();
                    let meta = SessionMeta {
                        key: key.to_string(),
                        session_id: id.clone(),
                        created_ms: now,
                        updated_ms: now,
                        messages: 0,
                        input_tokens: 0,
                        output_tokens: 0,
                        model: None,
                    };
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
                if let Entry::Message { usage, model, .. } = entry {
                    meta.messages += 1;
                    if let Some(usage) = usage {
                        meta.input_tokens += usage.input_tokens;
                        meta.output_tokens += usage.output_tokens;
                    }
                    if model.is_some() {
                        meta.model = model.clone();
                    }
                }
            }
        }
        guard.1 = true;
        Ok(())
    }

    /// Every readable entry of `key`'s transcript (empty for an unknown session). A line that does
    /// not parse (a write torn by a crash) is skipped and logged.
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
    /// index. Returns whether it existed.
    pub fn reset(&self, key: &str) -> Result<bool, StoreError> {
        let removed = {
            let mut guard = self.lock();
            let removed = guard.0.sessions.remove(key);
            guard.1 |= removed.is_some();
            removed
        };
        let Some(meta) = removed else {
            return Ok(false);
        };
        let from = self.file_of(&meta.session_id);
        let to = self
            .dir
            .join(format!("{}.jsonl.reset-{}", meta.session_id, now_ms()));
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(StoreError::Io { path: from, source }),
        }
        self.flush()?;
        Ok(true)
    }

    /// The seed's `inspectSession`: existence, size, modification time, counts, metadata.
    pub fn inspect(&self, key: &str) -> Inspection {
        let Some(meta) = self.meta(key) else {
            return Inspection {
                key: key.to_string(),
                exists: false,
                session_id: None,
                size: None,
                last_modified_ms: None,
                message_count: 0,
                token_count: 0,
                metadata: None,
            };
        };
        let file = fs::metadata(self.file_of(&meta.session_id)).ok();
        Inspection {
            key: key.to_string(),
            exists: file.is_some(),
            session_id: Some(meta.session_id.clone()),
            size: file.as_ref().map(|m| m.len()),
            last_modified_ms: file
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            message_count: meta.messages,
            token_count: meta.input_tokens + meta.output_tokens,
            metadata: Some(meta),
        }
    }
}

/// Appends `bytes` to `path` as one write, or not at all: a write cut short (a full disk) is cut
/// back off the file, so that the next append does not glue a good line onto a torn one.
fn append_whole(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    let before = file.metadata().map_err(io(path))?.len();
    if let Err(error) = file.write_all(bytes) {
        if let Err(cut) = file.set_len(before) {
            warn!(path = %path.display(), %cut, "cannot cut a failed append off the transcript");
        }
        return Err(io(path)(error));
    }
    Ok(())
}

fn push_line(text: &mut String, entry: &Entry, path: &Path) -> Result<(), StoreError> {
    let line = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push_str(&line);
    text.push('\n');
    Ok(())
}

fn read_entries(path: &Path) -> Result<Vec<Entry>, StoreError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut entries = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                warn!(path = %path.display(), line = number + 1, %error, "skipping an unreadable transcript line (torn write?)")
            }
        }
    }
    Ok(entries)
}

/// Rebuilds an index entry from a transcript file (header plus counts).
fn rebuild_meta(path: &Path) -> Option<SessionMeta> {
    let entries = read_entries(path).ok()?;
    let (key, id, created_ms) = match entries.first()? {
        Entry::Session {
            key,
            id,
            created_ms,
        } => (key.clone(), id.clone(), *created_ms),
        _ => return None,
    };
    let mut meta = SessionMeta {
        key,
        session_id: id,
        created_ms,
        updated_ms: created_ms,
        messages: 0,
        input_tokens: 0,
        output_tokens: 0,
        model: None,
    };
    for entry in &entries {
        if let Entry::Message {
            ts_ms,
            usage,
            model,
            ..
        } = entry
        {
            meta.messages += 1;
            meta.updated_ms = meta.updated_ms.max(*ts_ms);
            if let Some(usage) = usage {
                meta.input_tokens += usage.input_tokens;
                meta.output_tokens += usage.output_tokens;
            }
            if model.is_some() {
                meta.model = model.clone();
            }
        }
    }
    Some(meta)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::ChatMessage;

    fn user(turn: &str, text: &str) -> Entry {
        Entry::Message {
            ts_ms: now_ms(),
            turn: turn.into(),
            message: ChatMessage::User {
                content: text.into(),
            },
            usage: None,
            model: None,
            members: Vec::new(),
        }
    }

    #[test]
    fn transcripts_survive_reopening_and_a_lost_index_is_rebuilt() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SessionStore::open(dir.path()).expect("open");
        store
            .append("agent:main:main", &[user("t1", "hello")])
            .expect("append");
        store
            .append("agent:main:main", &[user("t2", "again")])
            .expect("append");
        store.flush().expect("flush");
        drop(store);

        let store = SessionStore::open(dir.path()).expect("reopen");
        let entries = store.load("agent:main:main").expect("load");
        assert_eq!(entries.len(), 3, "header + two messages: {entries:?}");
        assert_eq!(store.meta("agent:main:main").map(|m| m.messages), Some(2));

        store
            .append("agent:main:other", &[user("t1", "x")])
            .expect("append");
        drop(store); // crash before the index flush
        let store = SessionStore::open(dir.path()).expect("reopen after crash");
        assert_eq!(
            store.meta("agent:main:other").map(|m| m.messages),
            Some(1),
            "rebuilt from the file"
        );
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SessionStore::open(dir.path()).expect("open");
        store.append("k", &[user("t1", "whole")]).expect("append");
        let id = store.meta("k").expect("meta").session_id;
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(format!("{id}.jsonl")))
            .expect("file");
        file.write_all(br#"{"type":"message","ts_ms":1,"turn":"t2","mess"#)
            .expect("torn write");
        let entries = store.load("k").expect("load");
        assert_eq!(
            entries.len(),
            2,
            "header and the whole line survive: {entries:?}"
        );
    }

    #[test]
    fn reset_archives_the_transcript_and_inspect_reports_it() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SessionStore::open(dir.path()).expect("open");
        store.append("k", &[user("t1", "hi")]).expect("append");
        let before = store.inspect("k");
        assert!(
            before.exists && before.size.unwrap_or(0) > 0 && before.message_count == 1,
            "{before:?}"
        );
        assert!(store.reset("k").expect("reset"));
        assert!(!store.inspect("k").exists);
        assert!(store.load("k").expect("load").is_empty());
        let archived = fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".jsonl.reset-"));
        assert!(archived, "the old transcript is kept");
        assert!(!store.reset("k").expect("second reset"));
    }
}
