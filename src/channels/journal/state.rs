//! The journal's memory: pending entries, the dedup set, the next id, and the counters; shared by
//! the handles ([`super::Journal`]) and the writer thread.
//!
//! The file is the truth and this is derived from it: [`State::replay`] rebuilds it on open,
//! under the same bounds as when it was written. Pending entries keep their record (they may have
//! to be replayed) and their key, exactly; a done entry keeps only 64 bits of its key in
//! [`DoneKeys`], until it leaves the dedup window or the count bound pushes it out.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::dedup::{self, DoneKeys};
use super::record::{DedupKey, Entry, JournalRecord};
use super::JournalOptions;

/// An accepted entry that is not done yet.
#[derive(Debug)]
pub(super) struct Pending {
    pub entry: Entry,
    /// The length of its frame on disk (what compaction would copy).
    pub frame_len: u64,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub next_id: u64,
    /// Pending entries by id (a `BTreeMap`, so that replay comes out in id order).
    pub pending: BTreeMap<u64, Pending>,
    /// The keys of the entries accepted and not done (on their way to disk, or pending), with
    /// their id: always duplicates, and never forgotten for want of room.
    pub accepted: HashMap<DedupKey, u64>,
    /// The keys of done entries, bounded (see [`DoneKeys`]).
    pub done: DoneKeys,
    /// Tombstones read on open and not placed yet: an older compaction wrote them in no
    /// particular order, so they are sorted by time before the next done key is placed.
    replayed_tombstones: Vec<(u64, u64)>,
}

impl State {
    /// An empty state whose dedup set follows `options`.
    pub(super) fn new(options: &JournalOptions) -> Self {
        State {
            next_id: 1,
            done: DoneKeys::new(options.dedup_max_keys, window_ms(options)),
            ..State::default()
        }
    }

    /// Applies one record read from the file, in file order; [`State::finish_replay`] ends it.
    pub(super) fn replay(&mut self, record: JournalRecord, frame_len: u64) {
        match record {
            JournalRecord::Accepted { id, record } => {
                self.next_id = self.next_id.max(id.saturating_add(1));
                self.accepted.insert(DedupKey::of(&record), id);
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

    /// Places what replay left waiting (call once the file is read).
    pub(super) fn finish_replay(&mut self) {
        self.place_tombstones();
    }

    /// A done message's key read from a compaction tombstone. A tombstone never hides a pending
    /// entry of the same key.
    fn tombstone(&mut self, key: DedupKey, at_ms: u64) {
        if !self.accepted.contains_key(&key) {
            self.replayed_tombstones.push((dedup::short(&key), at_ms));
        }
    }

    fn place_tombstones(&mut self) {
        if self.replayed_tombstones.is_empty() {
            return;
        }
        let mut tombstones = std::mem::take(&mut self.replayed_tombstones);
        // Stable: a file compacted by this version is in order already.
        tombstones.sort_by_key(|&(_, at_ms)| at_ms);
        for (key, at_ms) in tombstones {
            self.done.insert(key, at_ms);
        }
    }

    /// Whether `key` is a duplicate at `now_ms`.
    pub(super) fn is_duplicate(&self, key: &DedupKey, now_ms: u64, window_ms: u64) -> bool {
        let short = dedup::short(key);
        self.accepted.contains_key(key)
            || self.done.contains(short, now_ms, window_ms)
            || self
                .replayed_tombstones
                .iter()
                .any(|&(k, at_ms)| k == short && now_ms < at_ms.saturating_add(window_ms))
    }

    /// Claims `key` for the accepted entry `id`.
    pub(super) fn claim(&mut self, key: DedupKey, id: u64) {
        self.accepted.insert(key, id);
    }

    /// Moves a pending entry to done; false if `id` is not pending (unknown, or done already).
    pub(super) fn mark_done(&mut self, id: u64, at_ms: u64) -> bool {
        let Some(done) = self.pending.remove(&id) else {
            return false;
        };
        self.place_tombstones();
        let key = DedupKey::of(&done.entry.record);
        if self.accepted.get(&key) == Some(&id) {
            self.accepted.remove(&key);
        }
        self.done.insert(dedup::short(&key), at_ms);
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
        if self.accepted.get(&key) == Some(&entry.id) {
            self.accepted.remove(&key);
        }
    }

    /// Drops the done keys whose dedup window has passed.
    pub(super) fn prune(&mut self, now_ms: u64, window_ms: u64) {
        self.done.prune(now_ms, window_ms);
    }

    /// How many keys the dedup set holds, pending and done.
    pub(super) fn dedup_keys(&self) -> usize {
        self.accepted.len() + self.done.len()
    }
}

fn window_ms(options: &JournalOptions) -> u64 {
    u64::try_from(options.dedup_window.as_millis()).unwrap_or(u64::MAX)
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
        window_ms(&self.options)
    }
}
