//! Compaction: rewriting the journal with only what still matters, run by the writer thread
//! between batches.
//!
//! The file only grows, while what it must remember is small: the pending entries and, for the
//! dedup window, the keys of done ones. When the file passes `compact_after_bytes` and at least
//! half of it is reclaimable, the writer writes `<path>.compact` (an `IdFloor`, every pending
//! `Accepted` record, a `SeenDigest` tombstone per done key still held, oldest first), fsyncs it, renames it
//! over the journal and fsyncs the directory: a crash at any point leaves either the old file or
//! the new one, both complete (a leftover `.compact` is removed on open). Dedup keys past the
//! window are forgotten from memory at the same time. A failure is logged and the old file kept.
//!
//! Records accepted or done while the snapshot is written are still queued for the writer, so
//! they land in the new file after it; a `Done` whose entry became a tombstone is ignored on replay.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::Ordering;

use tracing::{error, info, warn};

use super::dedup::tombstone_bytes;
use super::frame::{self, HEADER_LEN};
use super::record::JournalRecord;
use super::state::{Counters, State};
use super::writer::Writer;
use super::{sync_dir, with_suffix};
use crate::clock::now_ms;

/// After a declined or failed compaction, the file must grow by this fraction of
/// `compact_after_bytes` before it is considered again (rather than after every batch).
const RECHECK_DIVISOR: u64 = 8;

impl Writer {
    /// Compacts the file if it is past the threshold and at least half of it is reclaimable.
    pub(super) fn maybe_compact(&mut self) {
        let threshold = self.shared.options.compact_after_bytes;
        if self.len <= threshold || self.len < self.next_compaction_check {
            return;
        }
        let now = now_ms();
        let window_ms = self.shared.window_ms();
        let records = {
            let mut state = self.shared.state();
            state.prune(now, window_ms);
            if live_bytes(&state).saturating_mul(2) > self.len {
                drop(state);
                self.next_compaction_check = self.len + recheck_step(threshold);
                return;
            }
            snapshot(&state)
        };
        let path = self.shared.path.clone();
        match write_compacted(&path, &records) {
            Ok((file, len)) => {
                info!(path = %path.display(), before = self.len, after = len, "channel journal compacted");
                self.file = file;
                self.len = len;
                self.next_compaction_check = 0;
                // Everything, carried done marks included, is in the new file and synced.
                self.carry.clear();
                self.sync_deadline = None;
                let counters = &self.shared.counters;
                counters.file_bytes.store(len, Ordering::Relaxed);
                Counters::add(&counters.compactions, 1);
            }
            Err(error) => {
                error!(path = %path.display(), %error, "channel journal compaction failed; keeping the current file");
                self.next_compaction_check = self.len + recheck_step(threshold);
            }
        }
    }
}

fn recheck_step(threshold: u64) -> u64 {
    (threshold / RECHECK_DIVISOR).max(1)
}

/// The size a compacted file would have (tombstones estimated for keys under 251 bytes).
fn live_bytes(state: &State) -> u64 {
    let pending: u64 = state.pending.values().map(|p| p.frame_len).sum();
    pending + state.done.len() as u64 * TOMBSTONE_LEN
}

/// Header, variant, the 16-byte key, a varint timestamp.
const TOMBSTONE_LEN: u64 = (HEADER_LEN + 1 + 16 + 9) as u64;

/// The records of the compacted file, from memory (already pruned).
fn snapshot(state: &State) -> Vec<JournalRecord> {
    let mut records = Vec::with_capacity(1 + state.pending.len() + state.done.len());
    records.push(JournalRecord::IdFloor {
        next_id: state.next_id,
    });
    for pending in state.pending.values() {
        records.push(JournalRecord::Accepted {
            id: pending.entry.id,
            record: pending.entry.record.clone(),
        });
        if pending.entry.sending {
            records.push(JournalRecord::Sending {
                id: pending.entry.id,
                at_ms: 0,
            });
        }
    }
    // Oldest first, so that a replay rebuilds the same order (and the same count eviction).
    for (key, at_ms) in state.done.iter() {
        records.push(JournalRecord::SeenDigest {
            key: tombstone_bytes(key),
            at_ms,
        });
    }
    records
}

/// Writes `records` to `<path>.compact`, fsyncs it and renames it over `path`; returns the new
/// file, open for append, and its length.
fn write_compacted(path: &Path, records: &[JournalRecord]) -> io::Result<(File, u64)> {
    let mut buf = Vec::new();
    for record in records {
        frame::append_frame(&mut buf, record).map_err(io::Error::other)?;
    }
    let temporary = with_suffix(path, ".compact");
    match fs::remove_file(&temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = (|| {
        let mut file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(&buf)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        Ok(file)
    })();
    let file = match written {
        Ok(file) => file,
        Err(e) => {
            let _ = fs::remove_file(&temporary);
            return Err(e);
        }
    };
    // The rename is done: the new file is the journal whatever happens to the directory's fsync.
    if let Err(error) = sync_dir(path) {
        warn!(path = %path.display(), %error, "cannot fsync the channel journal's directory after compaction");
    }
    Ok((file, buf.len() as u64))
}
