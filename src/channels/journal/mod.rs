//! The durable inbound journal of the chat channels: no accepted message is lost or answered
//! twice, even under `kill -9`.
//!
//! A channel hands every message it accepted from its platform (a WhatsApp webhook, a Telegram
//! update) to [`Journal::accept`], which returns once the message is fsynced: only then does the
//! webhook answer 200 or the Telegram offset move on, so a crash before that point means the
//! platform delivers again. Platforms redeliver anyway (Meta on a slow 200, Telegram after a
//! restart), so `accept` recognises a (channel, account, platform id) it has seen and answers
//! [`Accepted::Duplicate`]: the key is remembered while the message is pending and for
//! [`JournalOptions::dedup_window`] after it is done (the newest [`JournalOptions::dedup_max_keys`]
//! of them at most, in 8 bytes each: [`dedup`]). When the reply has been handed to the
//! channel, the channel calls [`Journal::done`]. On start, and when a channel actor restarts, it
//! asks [`Journal::pending`] for what was accepted but not answered, and runs it again.
//!
//! Layout: [`record`] holds the record types, [`frame`] the on-disk framing and the scan that
//! survives any file content, [`state`] the in-memory view rebuilt from the file ([`dedup`] its
//! bounded memory of done keys), [`writer`] the
//! thread that owns the file and commits in groups, [`compact`] the rewriting of a grown file.

mod compact;
mod content;
mod dedup;
mod frame;
mod record;
mod state;
mod writer;

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{debug, error, warn};

use crate::clock::now_ms;
use crate::codec::CodecError;

pub use content::{Content, ContentKind, GroupContext, MediaKind, MediaRef};
pub use frame::{scan_bytes, CorruptRegion, ScanSummary};
pub use record::{Entry, InboundRecord, MessageBody};

use record::{DedupKey, JournalRecord};
use state::{Counters, Shared, State};
use writer::Command;

/// Tuning of a [`Journal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    /// How long a done message's platform id is still recognised as a duplicate (default 24 h,
    /// beyond Meta's and Telegram's redelivery horizons).
    pub dedup_window: Duration,
    /// Compaction is considered once the file is larger than this (default 8 MiB); it happens if
    /// at least half of the file is reclaimable.
    pub compact_after_bytes: u64,
    /// The most done keys remembered (default 100,000, about 800 KB): a flood pushes the oldest
    /// out before their window ends, instead of growing memory with the traffic. Pending keys
    /// are always remembered.
    pub dedup_max_keys: usize,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            dedup_window: Duration::from_secs(24 * 60 * 60),
            compact_after_bytes: 8 * 1024 * 1024,
            dedup_max_keys: dedup::DEFAULT_MAX_KEYS,
        }
    }
}

/// The outcome of [`Journal::accept`] for one record, in the order of the records given.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// Durable and pending: run it, then call [`Journal::done`] with its id.
    New(Entry),
    /// Accepted before (pending, or done within the dedup window): acknowledge it to the
    /// platform and do nothing else.
    Duplicate { platform_id: String },
}

/// What [`Journal::open`] found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Valid records read.
    pub records: usize,
    /// Entries accepted but not done: the channels replay them.
    pub pending: usize,
    /// Stretches that held no valid frame and were skipped (each also logged as a warning).
    pub corrupt: Vec<CorruptRegion>,
    /// Where a corrupt tail was copied before it was cut off the file, if there was one.
    pub corrupt_tail_copy: Option<PathBuf>,
}

/// Counters for `/admin/status` and the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Entries accepted and not done.
    pub pending: u64,
    /// Dedup keys held in memory (pending and recently done).
    pub dedup_keys: u64,
    /// Entries appended (durably) since open.
    pub appended: u64,
    /// Records refused as duplicates since open.
    pub duplicates: u64,
    /// Fsyncs since open: with many concurrent acceptors, far fewer than `appended`.
    pub group_commits: u64,
    /// The journal file's current size.
    pub file_bytes: u64,
    /// Bytes of corrupt regions skipped when the file was opened.
    pub corrupt_skipped_bytes: u64,
    pub compactions: u64,
    /// Batches whose write or fsync failed (their acceptors got an error).
    pub write_errors: u64,
}

/// Why the journal could not do what was asked. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("channel journal {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("channel journal {path}: cannot encode a record: {source}")]
    Encode { path: PathBuf, source: CodecError },
    #[error("channel journal {path} is closed")]
    Closed { path: PathBuf },
}

/// A handle on the journal; clones share it. The file is written by one thread of its own
/// (`journal-writer`), stopped by [`Journal::close`] or when the last handle is dropped.
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    /// `None` once closed.
    commands: Mutex<Option<Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.inner.shared.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Journal {
    /// Opens the journal at `path` (creating its parent directories, 0700, and the file, 0600),
    /// replays it into memory and starts the writer thread. Corrupt regions are skipped and
    /// reported, a corrupt tail is cut off (after a copy to `<path>.corrupt-<unix ms>`): only an
    /// unreadable file or directory is an error.
    pub fn open(
        path: &Path,
        options: JournalOptions,
    ) -> Result<(Journal, OpenReport), JournalError> {
        let io_at = |at: &Path| {
            let at = at.to_path_buf();
            move |source| JournalError::Io { path: at, source }
        };
        let dir = parent_dir(path);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_at(&dir))?;
        // A compaction that crashed before its rename.
        let leftover = with_suffix(path, ".compact");
        match fs::remove_file(&leftover) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                warn!(path = %leftover.display(), error = %e, "cannot remove an unfinished compaction of the channel journal");
            }
            _ => {}
        }

        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io_at(path))?;
        file.set_permissions(Permissions::from_mode(0o600))
            .map_err(io_at(path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_at(path))?;

        let scan = frame::scan(&bytes);
        for region in &scan.corrupt {
            warn!(
                path = %path.display(),
                offset = region.offset,
                length = region.length,
                "corrupt region in the channel journal; skipped"
            );
        }
        let mut len = bytes.len() as u64;
        let mut corrupt_tail_copy = None;
        if let Some(start) = scan.corrupt_tail {
            let tail = bytes.get(start as usize..).unwrap_or_default();
            match cut_tail(&mut file, path, start, tail) {
                Ok(copy) => {
                    warn!(path = %path.display(), offset = start, length = tail.len(), copy = %copy.display(), "corrupt tail cut off the channel journal");
                    len = start;
                    corrupt_tail_copy = Some(copy);
                }
                Err(error) => {
                    // Appending after it is still safe: the next open skips it as a region.
                    warn!(path = %path.display(), %error, "cannot cut the corrupt tail off the channel journal; leaving it");
                }
            }
        }
        drop(bytes);
        drop(file);

        let mut state = State::new(&options);
        let records = scan.frames.len();
        for frame in scan.frames {
            state.replay(frame.record, frame.len);
        }
        state.finish_replay();
        let corrupt = scan.corrupt;
        let counters = Counters::default();
        Counters::add(
            &counters.corrupt_skipped_bytes,
            corrupt.iter().map(|r| r.length).sum(),
        );
        Counters::add(&counters.file_bytes, len);
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            options,
            state: Mutex::new(state),
            counters,
            #[cfg(test)]
            fail_writes: std::sync::atomic::AtomicBool::new(false),
        });
        let pending = {
            let mut state = shared.state();
            state.prune(now_ms(), shared.window_ms());
            state.pending.len()
        };

        let file = OpenOptions::new()
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(io_at(path))?;
        // The file's directory entry must survive a crash as well as its content.
        if let Err(error) = sync_dir(path) {
            warn!(dir = %dir.display(), %error, "cannot fsync the channel journal's directory");
        }
        let (commands, receiver) = mpsc::channel();
        let thread =
            writer::spawn(Arc::clone(&shared), file, len, receiver).map_err(io_at(path))?;
        let journal = Journal {
            inner: Arc::new(Handle {
                shared,
                commands: Mutex::new(Some(commands)),
                thread: Mutex::new(Some(thread)),
            }),
        };
        let report = OpenReport {
            records,
            pending,
            corrupt,
            corrupt_tail_copy,
        };
        Ok((journal, report))
    }

    /// Appends the records that are not duplicates and resolves once they are durable (fsynced),
    /// with one outcome per record, in order. Concurrent callers share fsyncs (group commit).
    /// The duplicate check and the claim of the key are atomic, so two concurrent deliveries of
    /// one message cannot both be accepted, and a duplicate within `records` is detected too. If
    /// the write fails, the new records' keys are forgotten (a redelivery can be accepted) and
    /// the error is returned: the channel must not acknowledge the delivery.
    pub async fn accept(&self, records: Vec<InboundRecord>) -> Result<Vec<Accepted>, JournalError> {
        let shared = &self.inner.shared;
        let mut outcomes: Vec<Option<Accepted>> = Vec::with_capacity(records.len());
        let mut fresh: Vec<Entry> = Vec::new();
        {
            let now = now_ms();
            let window_ms = shared.window_ms();
            let mut state = shared.state();
            for record in records {
                let key = DedupKey::of(&record);
                if state.is_duplicate(&key, now, window_ms) {
                    outcomes.push(Some(Accepted::Duplicate {
                        platform_id: record.platform_id,
                    }));
                    continue;
                }
                let id = state.next_id;
                state.next_id += 1;
                state.claim(key, id);
                outcomes.push(None);
                fresh.push(Entry {
                    id,
                    record,
                    sending: false,
                });
            }
        }
        let duplicates = outcomes.len() - fresh.len();
        Counters::add(&shared.counters.duplicates, duplicates as u64);
        if fresh.is_empty() {
            return Ok(outcomes.into_iter().flatten().collect());
        }

        let mut frames = Vec::new();
        let mut entries = Vec::with_capacity(fresh.len());
        let mut failure = None;
        for entry in fresh {
            let mut frame_len = 0;
            if failure.is_none() {
                let record = JournalRecord::Accepted {
                    id: entry.id,
                    record: entry.record.clone(),
                };
                match frame::append_frame(&mut frames, &record) {
                    Ok(len) => frame_len = len,
                    Err(source) => failure = Some(source),
                }
            }
            entries.push((entry, frame_len));
        }
        if let Some(source) = failure {
            self.forget(&entries);
            return Err(JournalError::Encode {
                path: shared.path.clone(),
                source,
            });
        }
        let (reply, answer) = oneshot::channel();
        let sent = match lock(&self.inner.commands).as_ref() {
            Some(commands) => commands
                .send(Command::Append {
                    frames,
                    entries,
                    reply,
                })
                .map_err(|e| e.0),
            None => Err(Command::Append {
                frames,
                entries,
                reply,
            }),
        };
        if let Err(Command::Append { entries, .. }) = sent {
            self.forget(&entries);
            return Err(self.closed());
        }
        let mut durable = answer.await.map_err(|_| self.closed())??.into_iter();
        let mut out = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            match outcome {
                Some(duplicate) => out.push(duplicate),
                None => match durable.next() {
                    Some(entry) => out.push(Accepted::New(entry)),
                    None => {
                        error!(path = %shared.path.display(), "channel journal writer answered with fewer entries than sent");
                        return Err(self.closed());
                    }
                },
            }
        }
        Ok(out)
    }

    /// Marks entry `id` done: its reply was handed to the channel, so it is not replayed again.
    /// Returns at once; the mark is written promptly with a plain `write` (which survives
    /// `kill -9`) and fsynced with the next group or within 200 ms. Unknown or already-done ids
    /// are ignored.
    pub fn done(&self, id: u64) {
        self.queue_done(id, None);
    }

    /// Queues the done mark of `id`; `written` is answered once it is written.
    fn queue_done(&self, id: u64, written: Option<oneshot::Sender<Result<(), JournalError>>>) {
        let shared = &self.inner.shared;
        let at_ms = now_ms();
        if !shared.state().mark_done(id, at_ms) {
            debug!(
                id,
                "channel journal: done for an entry that is not pending; ignored"
            );
            return;
        }
        let mut frame = Vec::new();
        if let Err(error) = frame::append_frame(&mut frame, &JournalRecord::Done { id, at_ms }) {
            error!(path = %shared.path.display(), id, %error, "cannot encode a done mark; the entry will be replayed");
            return;
        }
        let command = match written {
            Some(reply) => Command::Sending { frame, reply },
            None => Command::Done { frame },
        };
        let sent = match lock(&self.inner.commands).as_ref() {
            Some(commands) => commands.send(command).is_ok(),
            None => false,
        };
        if !sent {
            warn!(path = %shared.path.display(), id, "done after the channel journal was closed; the entry will be replayed");
        }
    }

    /// Marks entry `id` done if it is pending and was received at `received_ms` (the pair a reply
    /// tag carries, so that a stale tag from an older journal cannot close a new entry); returns
    /// whether it did, once the mark is written (a plain `write`, which survives `kill -9`, as for
    /// [`Journal::sending`]; no fsync). The status webhook that proves a reply went out is
    /// acknowledged only after that: a crash in between leaves the status unacknowledged, so the
    /// platform sends it again, instead of leaving the entry `sending` with no proof coming.
    pub async fn done_if_received_at(&self, id: u64, received_ms: u64) -> bool {
        let matches = self
            .inner
            .shared
            .state()
            .pending
            .get(&id)
            .is_some_and(|p| p.entry.record.received_ms == received_ms);
        if matches {
            let (reply, written) = oneshot::channel();
            self.queue_done(id, Some(reply));
            match written.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    warn!(id, %error, "the done mark of a confirmed reply was not written; the entry waits for another status")
                }
                // Not pending any more (done meanwhile) or the journal closed.
                Err(_) => {}
            }
        }
        matches
    }

    /// Records that a reply to entry `id` is about to be handed to the platform, and returns once
    /// the mark is written (a plain `write`, which survives `kill -9`; fsynced with the next
    /// group). After a crash the entry comes back with [`Entry::sending`] set, so the channel can
    /// look for proof that the reply went out before sending it again. Unknown or done ids are
    /// ignored.
    pub async fn sending(&self, id: u64) -> Result<(), JournalError> {
        let shared = &self.inner.shared;
        if !shared.state().mark_sending(id) {
            return Ok(());
        }
        let mut frame = Vec::new();
        frame::append_frame(
            &mut frame,
            &JournalRecord::Sending {
                id,
                at_ms: now_ms(),
            },
        )
        .map_err(|source| JournalError::Encode {
            path: shared.path.clone(),
            source,
        })?;
        let (reply, written) = oneshot::channel();
        let sent = match lock(&self.inner.commands).as_ref() {
            Some(commands) => commands.send(Command::Sending { frame, reply }).is_ok(),
            None => false,
        };
        if !sent {
            return Err(self.closed());
        }
        written.await.map_err(|_| self.closed())?
    }

    /// The entries accepted but not done of one channel account, in id order: what to run again
    /// on start or after the channel's actor restarted.
    pub fn pending(&self, channel: &str, account: &str) -> Vec<Entry> {
        self.inner
            .shared
            .state()
            .pending
            .values()
            .filter(|p| p.entry.record.channel == channel && p.entry.record.account == account)
            .map(|p| p.entry.clone())
            .collect()
    }

    /// The journal's counters.
    pub fn stats(&self) -> JournalStats {
        let shared = &self.inner.shared;
        let (pending, dedup_keys) = {
            let state = shared.state();
            (state.pending.len() as u64, state.dedup_keys() as u64)
        };
        let c = &shared.counters;
        JournalStats {
            pending,
            dedup_keys,
            appended: Counters::get(&c.appended),
            duplicates: Counters::get(&c.duplicates),
            group_commits: Counters::get(&c.group_commits),
            file_bytes: Counters::get(&c.file_bytes),
            corrupt_skipped_bytes: Counters::get(&c.corrupt_skipped_bytes),
            compactions: Counters::get(&c.compactions),
            write_errors: Counters::get(&c.write_errors),
        }
    }

    /// Writes and fsyncs what is queued, then stops the writer thread (blocking until it has).
    /// Called on gateway shutdown, and by the drop of the last handle. Later `accept`s fail with
    /// [`JournalError::Closed`]. Idempotent.
    pub fn close(&self) {
        self.inner.close();
    }

    /// The file this journal writes.
    pub fn path(&self) -> &Path {
        &self.inner.shared.path
    }

    fn forget(&self, entries: &[(Entry, u64)]) {
        let mut state = self.inner.shared.state();
        for (entry, _) in entries {
            state.forget(entry);
        }
    }

    fn closed(&self) -> JournalError {
        JournalError::Closed {
            path: self.inner.shared.path.clone(),
        }
    }
}

impl Handle {
    fn close(&self) {
        if let Some(commands) = lock(&self.commands).take() {
            // Fails only if the thread is gone already.
            let _ = commands.send(Command::Close);
        }
        if let Some(thread) = lock(&self.thread).take() {
            if thread.join().is_err() {
                error!(path = %self.shared.path.display(), "the channel journal's writer thread panicked");
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.close();
    }
}

/// Copies the corrupt tail to `<path>.corrupt-<unix ms>` (fsynced), then cuts it off the file.
fn cut_tail(file: &mut File, path: &Path, start: u64, tail: &[u8]) -> io::Result<PathBuf> {
    let copy = with_suffix(path, &format!(".corrupt-{}", now_ms()));
    let mut out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&copy)?;
    out.write_all(tail)?;
    out.sync_all()?;
    file.set_len(start)?;
    file.sync_all()?;
    Ok(copy)
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Fsyncs the directory holding `path`, so that a file created or renamed there survives a crash.
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

#[cfg(test)]
mod bound_tests;
#[cfg(test)]
mod tests;
