//! The journal's memory: pending entries, the dedup set, the next id, and the counters; shared by
//! the handles ([`super::Journal`]) and the writer thread.
//!
//! The file is the truth and this is derived from it: [`State::replay`] rebuilds it on open.
//! Pending entries keep their record (they may have to be replayed); a done entry keeps only its
//! dedup key and the time it was done, until it leaves the dedup window.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::record::{DedupKey, Entry, JournalRecord};
use super::JournalOptions;

/// An accepted entry that is not done yet.
#[derive(Debug)]
pub(super) struct Pending {
    pub entry: Entry,
    /// The length of its frame on disk (what compaction would copy).
    pub frame_len: u64,
}

/// What the dedup set knows of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// Accepted as entry `id`: on its way to disk, or pending. Always a duplicate.
    Accepted(u64),
    /// Done at `at_ms`: a duplicate until the dedup window has passed.
    Done { at_ms: u64 },
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub next_id: u64,
    /// Pending entries by id (a `BTreeMap`, so that replay comes out in id order).
    pub pending: BTreeMap<u64, Pending>,
    pub keys: HashMap<DedupKey, Seen>,
}

impl State {
    /// Applies one record read from the file, in file order.
    pub(super) fn replay(&mut self, record: JournalRecord, frame_len: u64) {
        match record {
            JournalRecord::Accepted { id, record } => {
                self.next_id = self.next_id.max(id.saturating_add(1));
                self.keys.insert(DedupKey::of(&record), Seen::Accepted(id));
                self.pending.insert(
                    id,
                    Pending {
                        entry: Entry {
                            id,
                            record,
                            sending: false,
                        },
                        frame_len,
                    },
                );
            }
            JournalRecord::Done { id, at_ms } => {
                self.next_id = self.next_id.max(id.saturating_add(1));
                self.mark_done(id, at_ms);
            }
            JournalRecord::Seen {
                channel,
                account,
                platform_id,
                at_ms,
            } => {
                let key = DedupKey::from_parts(&channel, &account, &platform_id);
                self.tombstone(key, at_ms);
            }
            JournalRecord::SeenDigest { key, at_ms } => self.tombstone(DedupKey(key), at_ms),
            JournalRecord::IdFloor { next_id } => self.next_id = self.next_id.max(next_id),
            JournalRecord::Sending { id, .. } => {
                self.mark_sending(id);
            }
        }
    }

    /// A done message's key read from a compaction tombstone. A tombstone never hides a pending
    /// entry of the same key.
    fn tombstone(&mut self, key: DedupKey, at_ms: u64) {
        if !matches!(self.keys.get(&key), Some(Seen::Accepted(_))) {
            self.keys.insert(key, Seen::Done { at_ms });
        }
    }

    /// Whether `key` is a duplicate at `now_ms`.
    pub(super) fn is_duplicate(&self, key: &DedupKey, now_ms: u64, window_ms: u64) -> bool {
        match self.keys.get(key) {
            Some(Seen::Accepted(_)) => true,
            Some(Seen::Done { at_ms }) => now_ms < at_ms.saturating_add(window_ms),
            None => false,
        }
    }

    /// Moves a pending entry to done; false if `id` is not pending (unknown, or done already).
    pub(super) fn mark_done(&mut self, id: u64, at_ms: u64) -> bool {
        let Some(done) = self.pending.remove(&id) else {
            return false;
        };
        let key = DedupKey::of(&done.entry.record);
        self.keys.insert(key, Seen::Done { at_ms });
        true
    }

    /// Flags a pending entry as possibly answered; false if `id` is not pending.
    pub(super) fn mark_sending(&mut self, id: u64) -> bool {
        match self.pending.get_mut(&id) {
            Some(pending) => {
                pending.entry.sending = true;
                true
            }
            None => false,
        }
    }

    /// Forgets the accepted-but-not-written entry `id` (its write failed), so that a redelivery is
    /// accepted again.
    pub(super) fn forget(&mut self, entry: &Entry) {
        let key = DedupKey::of(&entry.record);
        if self.keys.get(&key) == Some(&Seen::Accepted(entry.id)) {
            self.keys.remove(&key);
        }
    }

    /// Drops the done keys whose dedup window has passed.
    pub(super) fn prune(&mut self, now_ms: u64, window_ms: u64) {
        self.keys.retain(|_, seen| match seen {
            Seen::Accepted(_) => true,
            Seen::Done { at_ms } => now_ms < at_ms.saturating_add(window_ms),
        });
    }
}

/// The monotonic counters behind [`super::JournalStats`].
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub appended: AtomicU64,
    pub duplicates: AtomicU64,
    pub group_commits: AtomicU64,
    pub file_bytes: AtomicU64,
    pub corrupt_skipped_bytes: AtomicU64,
    pub compactions: AtomicU64,
    pub write_errors: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What the handles and the writer thread share.
#[derive(Debug)]
pub(super) struct Shared {
    pub path: PathBuf,
    pub options: JournalOptions,
    pub state: Mutex<State>,
    pub counters: Counters,
    /// Test hook: the writer fails its writes while this is set.
    #[cfg(test)]
    pub fail_writes: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The dedup window in milliseconds.
    pub(super) fn window_ms(&self) -> u64 {
        u64::try_from(self.options.dedup_window.as_millis()).unwrap_or(u64::MAX)
    }
}
