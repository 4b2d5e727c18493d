//! The writer thread: the only owner of the journal file, and where group commit happens.
//!
//! Handles send it [`Command`]s over a std channel. Each turn of its loop takes everything queued,
//! writes it with one `write_all`, and fsyncs (`sync_data`) once if the batch holds an append, so
//! that concurrent acceptors share one fsync: the more of them wait, the larger the batch. Done
//! marks alone are written at once (a plain `write` survives `kill -9` through the page cache) and
//! fsynced at most [`LAZY_SYNC`] later, or with the next append. Then the waiting acceptors are
//! answered: their entries become pending, or, if the write failed, their dedup keys are forgotten
//! (so a redelivery is accepted) and the bytes of the failed batch are cut off the file again.
//! Between batches the thread may compact the file ([`super::compact`]).

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tracing::{error, warn};

use super::record::Entry;
use super::state::{Counters, Pending, Shared};
use super::JournalError;

/// How long a done mark may stay written but not fsynced.
pub(super) const LAZY_SYNC: Duration = Duration::from_millis(200);
/// How long to wait before retrying done marks whose write failed.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// What the handles ask of the writer thread.
pub(super) enum Command {
    /// Append these frames (the entries' `Accepted` records) and answer once they are durable.
    Append {
        frames: Vec<u8>,
        /// Each entry with the length of its frame.
        entries: Vec<(Entry, u64)>,
        reply: oneshot::Sender<Result<Vec<Entry>, JournalError>>,
    },
    /// Append a `Done` frame; fsync lazily.
    Done { frame: Vec<u8> },
    /// Append a mark that the caller waits for (`Sending`, or the `Done` of a reply a status
    /// confirmed); answer once it is written (before any fsync).
    Sending {
        frame: Vec<u8>,
        reply: oneshot::Sender<Result<(), JournalError>>,
    },
    /// Write and fsync what is left, then stop.
    Close,
}

/// Starts the thread `journal-writer` owning `file` (opened for append, `len` bytes long).
pub(super) fn spawn(
    shared: Arc<Shared>,
    file: File,
    len: u64,
    commands: Receiver<Command>,
) -> io::Result<JoinHandle<()>> {
    let writer = Writer {
        shared,
        file,
        len,
        sync_deadline: None,
        carry: Vec::new(),
        next_compaction_check: 0,
    };
    std::thread::Builder::new()
        .name("journal-writer".into())
        .spawn(move || writer.run(commands))
}

pub(super) struct Writer {
    pub shared: Arc<Shared>,
    pub file: File,
    /// The file's length: where the next batch starts.
    pub len: u64,
    /// When written-but-unsynced bytes (or carried done marks) must be fsynced at the latest.
    pub sync_deadline: Option<Instant>,
    /// Done frames whose write failed, retried with the next batch.
    pub carry: Vec<u8>,
    /// Compaction is not reconsidered before the file has grown to this length.
    pub next_compaction_check: u64,
}

impl Writer {
    fn run(mut self, commands: Receiver<Command>) {
        loop {
            let first = match self.sync_deadline {
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match commands.recv_timeout(wait) {
                        Ok(command) => Some(command),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => {
                            self.process(Vec::new(), true);
                            return;
                        }
                    }
                }
                None => match commands.recv() {
                    Ok(command) => Some(command),
                    // Every handle is gone without `close` (cannot happen: `Drop` closes).
                    Err(_) => return,
                },
            };
            let mut batch: Vec<Command> = first.into_iter().collect();
            let lazy_sync_due = batch.is_empty();
            batch.extend(commands.try_iter());
            let closing = self.process(batch, lazy_sync_due);
            self.maybe_compact();
            if closing {
                return;
            }
        }
    }

    /// Writes one batch; returns whether it held `Close`. `force_sync`: fsync whatever is
    /// unsynced even without an append.
    fn process(&mut self, batch: Vec<Command>, force_sync: bool) -> bool {
        let mut buf = std::mem::take(&mut self.carry);
        let mut append_frames = Vec::new();
        let mut waiting = Vec::new();
        let mut marks = Vec::new();
        let mut closing = false;
        for command in batch {
            match command {
                Command::Done { frame } => buf.extend_from_slice(&frame),
                Command::Sending { frame, reply } => {
                    buf.extend_from_slice(&frame);
                    marks.push(reply);
                }
                Command::Append {
                    frames,
                    entries,
                    reply,
                } => {
                    append_frames.push(frames);
                    waiting.push((entries, reply));
                }
                Command::Close => closing = true,
            }
        }
        // Done marks first: on failure they are kept (`carry`) and the appends refused.
        let done_len = buf.len();
        for frames in &append_frames {
            buf.extend_from_slice(frames);
        }
        let force_sync = force_sync || closing;
        let sync = !waiting.is_empty()
            || (force_sync && (self.sync_deadline.is_some() || !buf.is_empty()));
        if buf.is_empty() && !sync {
            return closing;
        }
        let start = self.len;
        match self.write(&buf, sync, marks) {
            Ok(()) => {
                self.len += buf.len() as u64;
                let counters = &self.shared.counters;
                counters.file_bytes.store(self.len, Ordering::Relaxed);
                if sync {
                    Counters::add(&counters.group_commits, 1);
                    self.sync_deadline = None;
                } else {
                    self.sync_deadline
                        .get_or_insert_with(|| Instant::now() + LAZY_SYNC);
                }
                self.complete(waiting);
            }
            Err(source) => {
                Counters::add(&self.shared.counters.write_errors, 1);
                error!(
                    path = %self.shared.path.display(),
                    error = %source,
                    bytes = buf.len(),
                    "channel journal write failed; the batch's messages are refused"
                );
                self.cut_back(start);
                buf.truncate(done_len);
                if !buf.is_empty() {
                    if closing {
                        error!(path = %self.shared.path.display(), "channel journal closing with done marks that could not be written; their messages will be replayed");
                    }
                    self.carry = buf;
                }
                // Retry what is unwritten or unsynced later, not in a busy loop.
                if !self.carry.is_empty() || self.sync_deadline.is_some() {
                    self.sync_deadline = Some(Instant::now() + RETRY_AFTER_FAILURE);
                }
                self.fail(waiting, &source);
            }
        }
        closing
    }

    /// Writes `buf`, answers the `Sending` marks once it is written, then fsyncs if `sync`.
    fn write(
        &mut self,
        buf: &[u8],
        sync: bool,
        marks: Vec<oneshot::Sender<Result<(), JournalError>>>,
    ) -> io::Result<()> {
        let written = self.write_bytes(buf);
        for mark in marks {
            let _ = mark.send(match &written {
                Ok(()) => Ok(()),
                Err(source) => Err(JournalError::Io {
                    path: self.shared.path.clone(),
                    source: io::Error::new(source.kind(), source.to_string()),
                }),
            });
        }
        written?;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn write_bytes(&mut self, buf: &[u8]) -> io::Result<()> {
        #[cfg(test)]
        if self.shared.fail_writes.load(Ordering::Relaxed) {
            return Err(io::Error::other("injected write failure"));
        }
        if !buf.is_empty() {
            self.file.write_all(buf)?;
        }
        Ok(())
    }

    /// After a failed batch, cuts the file back to `start`, so that no part of a refused message
    /// is replayed later.
    fn cut_back(&mut self, start: u64) {
        let result = self
            .file
            .set_len(start)
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => self.len = start,
            Err(error) => {
                warn!(path = %self.shared.path.display(), %error, "cannot cut a failed batch off the channel journal");
                if let Ok(meta) = self.file.metadata() {
                    self.len = meta.len();
                }
            }
        }
        self.shared
            .counters
            .file_bytes
            .store(self.len, Ordering::Relaxed);
    }

    /// The batch is durable: its entries become pending and their acceptors are answered.
    fn complete(&self, waiting: Vec<Waiting>) {
        let mut answers = Vec::with_capacity(waiting.len());
        let mut appended = 0u64;
        {
            let mut state = self.shared.state();
            for (entries, reply) in waiting {
                let mut out = Vec::with_capacity(entries.len());
                for (entry, frame_len) in entries {
                    out.push(entry.clone());
                    state.pending.insert(entry.id, Pending { entry, frame_len });
                }
                appended += out.len() as u64;
                answers.push((reply, out));
            }
        }
        Counters::add(&self.shared.counters.appended, appended);
        for (reply, entries) in answers {
            // The acceptor may have given up waiting: its entries are pending all the same.
            let _ = reply.send(Ok(entries));
        }
    }

    /// The batch failed: forget its dedup keys and tell the acceptors.
    fn fail(&self, waiting: Vec<Waiting>, source: &io::Error) {
        {
            let mut state = self.shared.state();
            for (entries, _) in &waiting {
                for (entry, _) in entries {
                    state.forget(entry);
                }
            }
        }
        for (_, reply) in waiting {
            let _ = reply.send(Err(JournalError::Io {
                path: self.shared.path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            }));
        }
    }
}

type Waiting = (
    Vec<(Entry, u64)>,
    oneshot::Sender<Result<Vec<Entry>, JournalError>>,
);
