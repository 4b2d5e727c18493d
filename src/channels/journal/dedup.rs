//! The journal's memory of done messages: which (channel, account, platform id) were answered
//! lately, so that a redelivery is recognised. Bounded by time (the dedup window) and by count
//! (`channels.dedupeMaxMessages`), at about 8 bytes a key.
//!
//! A done key is kept as 64 bits of its [`DedupKey`] digest, in chunks by done time: the newest
//! keys go to an open chunk (a hash set); once it holds [`DoneKeys::chunk_keys`] keys or spans
//! a sixty-fourth of the window, it is sealed into a sorted boxed slice (8 bytes a key, searched
//! by bisection). The chunks form a FIFO: the oldest chunk is dropped when its newest key has
//! left the window, or when the set holds more than its bound (so at least the newest
//! `max_keys - chunk_keys` keys are always known, and memory never passes `max_keys` keys). A key
//! may sit in two chunks (done again after it was forgotten); either copy recognises it.
//!
//! A key is forgotten at the earliest a full window after it was done: a chunk's time is its
//! newest key's, so an older key of the same chunk is remembered up to one chunk span longer.
//! At 64 bits, a collision (a new message taken for a duplicate) needs about 2^64 / (keys held)
//! messages: with 100,000 keys held, one in ~3,000 over ten years at 200 messages/s.
//!
//! Pending keys are not here: [`super::state::State`] keeps them exact, by full digest.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::record::DedupKey;

/// The default `channels.dedupeMaxMessages`: a personal assistant sees far fewer messages in a day
/// (the window), and a flood still keeps minutes of redeliveries (500 s at 200 messages/s).
pub(super) const DEFAULT_MAX_KEYS: usize = 100_000;

/// The largest chunk: sealing sorts it, so this bounds that pause (~4k keys, well under 1 ms).
const MAX_CHUNK_KEYS: usize = 4096;
/// The smallest chunk (for tiny bounds).
const MIN_CHUNK_KEYS: usize = 16;
/// A chunk spans at most `window / SPANS_PER_WINDOW`, so that a key outlives its window by
/// at most that much at low traffic.
const SPANS_PER_WINDOW: u64 = 64;

/// 64 bits of a key's digest (already uniform: it is SHA-256).
pub(super) fn short(key: &DedupKey) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&key.0[..8]);
    u64::from_le_bytes(first)
}

/// The 16-byte form a tombstone carries for a short key: its 8 bytes then zeros. Reading it back
/// with [`short`] gives the same key, as it does for tombstones written with the full digest.
pub(super) fn tombstone_bytes(short: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&short.to_le_bytes());
    key
}

/// The keys are uniform already: hashing them again would only cost time.
#[derive(Default)]
pub(super) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type ShortSet = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

/// A sealed chunk: sorted keys and the newest done time among them.
#[derive(Debug)]
struct Chunk {
    keys: Box<[u64]>,
    newest_ms: u64,
}

/// The done keys (see the module header).
#[derive(Debug)]
pub(super) struct DoneKeys {
    sealed: VecDeque<Chunk>,
    sealed_len: usize,
    open: ShortSet,
    open_oldest_ms: u64,
    open_newest_ms: u64,
    max_keys: usize,
    chunk_keys: usize,
    window_ms: u64,
    span_ms: u64,
}

impl Default for DoneKeys {
    fn default() -> Self {
        DoneKeys::new(DEFAULT_MAX_KEYS, 24 * 60 * 60 * 1000)
    }
}

impl DoneKeys {
    /// A set holding at most `max_keys` keys (at least 1), for a window of `window_ms`.
    pub(super) fn new(max_keys: usize, window_ms: u64) -> Self {
        let max_keys = max_keys.max(1);
        DoneKeys {
            sealed: VecDeque::new(),
            sealed_len: 0,
            open: ShortSet::default(),
            open_oldest_ms: 0,
            open_newest_ms: 0,
            max_keys,
            chunk_keys: (max_keys / 16)
                .clamp(MIN_CHUNK_KEYS, MAX_CHUNK_KEYS)
                .min(max_keys),
            window_ms,
            span_ms: (window_ms / SPANS_PER_WINDOW).max(1),
        }
    }

    /// How many keys are held (a key in two chunks counts twice).
    pub(super) fn len(&self) -> usize {
        self.sealed_len + self.open.len()
    }

    /// The most keys a chunk holds (the granularity of the count bound).
    #[cfg(test)]
    fn chunk_keys(&self) -> usize {
        self.chunk_keys
    }

    /// Whether `key` was done less than `window_ms` before `now_ms` (or up to a chunk span more).
    pub(super) fn contains(&self, key: u64, now_ms: u64, window_ms: u64) -> bool {
        let live = |newest_ms: u64| now_ms < newest_ms.saturating_add(window_ms);
        if !self.open.is_empty() && live(self.open_newest_ms) && self.open.contains(&key) {
            return true;
        }
        self.sealed
            .iter()
            .rev()
            .filter(|chunk| live(chunk.newest_ms))
            .any(|chunk| chunk.keys.binary_search(&key).is_ok())
    }

    /// Remembers `key`, done at `at_ms`; drops the oldest chunks past the count bound, and those
    /// that left the window before `at_ms` (so a quiet channel keeps few chunks too).
    pub(super) fn insert(&mut self, key: u64, at_ms: u64) {
        if !self.open.is_empty()
            && (self.open.len() >= self.chunk_keys
                || at_ms.abs_diff(self.open_oldest_ms) >= self.span_ms
                || at_ms.abs_diff(self.open_newest_ms) >= self.span_ms)
        {
            self.seal();
        }
        if self.open.is_empty() {
            self.open_oldest_ms = at_ms;
            self.open_newest_ms = at_ms;
        }
        self.open.insert(key);
        self.open_oldest_ms = self.open_oldest_ms.min(at_ms);
        self.open_newest_ms = self.open_newest_ms.max(at_ms);
        while self.len() > self.max_keys {
            let Some(oldest) = self.sealed.pop_front() else {
                break;
            };
            self.sealed_len -= oldest.keys.len();
        }
        while let Some(oldest) = self.sealed.front() {
            if at_ms < oldest.newest_ms.saturating_add(self.window_ms) {
                break;
            }
            self.sealed_len -= oldest.keys.len();
            self.sealed.pop_front();
        }
    }

    /// Drops the chunks whose newest key left the window; the open chunk too if it did.
    pub(super) fn prune(&mut self, now_ms: u64, window_ms: u64) {
        let expired = |newest_ms: u64| now_ms >= newest_ms.saturating_add(window_ms);
        // Chunks are sealed in done order, so their times rise (up to a clock step back).
        while let Some(oldest) = self.sealed.front() {
            if !expired(oldest.newest_ms) {
                break;
            }
            self.sealed_len -= oldest.keys.len();
            self.sealed.pop_front();
        }
        if !self.open.is_empty() && expired(self.open_newest_ms) {
            self.open = ShortSet::default();
        }
    }

    /// Every key with the time it is remembered from, oldest chunk first (what compaction
    /// writes, so that a replay rebuilds the same order).
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let sealed = self
            .sealed
            .iter()
            .flat_map(|chunk| chunk.keys.iter().map(move |&key| (key, chunk.newest_ms)));
        let newest = self.open_newest_ms;
        sealed.chain(self.open.iter().map(move |&key| (key, newest)))
    }

    /// Bytes held on the heap (an estimate from capacities: 8 bytes a sealed key, a hash
    /// table's slot and control byte per open slot, the chunk list).
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        let sealed: usize = self.sealed.iter().map(|c| c.keys.len() * 8).sum();
        let open = self.open.capacity() * 9;
        sealed + open + self.sealed.capacity() * std::mem::size_of::<Chunk>()
    }

    fn seal(&mut self) {
        // Drained, not taken: the open set keeps its table for the next chunk.
        let mut keys: Vec<u64> = self.open.drain().collect();
        keys.sort_unstable();
        self.sealed_len += keys.len();
        self.sealed.push_back(Chunk {
            keys: keys.into_boxed_slice(),
            newest_ms: self.open_newest_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 64_000;

    #[test]
    fn keys_are_known_within_the_window_and_forgotten_after_it() {
        let mut keys = DoneKeys::new(1_000, WINDOW);
        for k in 0..200u64 {
            keys.insert(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1_000 + k * 10);
        }
        assert_eq!(keys.len(), 200);
        for k in 0..200u64 {
            assert!(keys.contains(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), 5_000, WINDOW));
        }
        assert!(!keys.contains(12_345, 5_000, WINDOW));
        // Every key was done by 3 s: all have left the window by 3 s + window + a span.
        let later = 3_000 + WINDOW + WINDOW / SPANS_PER_WINDOW;
        assert!(!keys.contains(0, later, WINDOW));
        keys.prune(later, WINDOW);
        assert_eq!(keys.len(), 0);
    }

    #[test]
    fn the_count_bound_keeps_the_newest_keys() {
        let max = 1_000;
        let mut keys = DoneKeys::new(max, WINDOW);
        let chunk = keys.chunk_keys();
        for k in 0..10_000u64 {
            keys.insert(k, 1_000);
            assert!(keys.len() <= max, "never more than the bound");
        }
        assert!(keys.len() >= max - chunk);
        for k in (10_000 - (max - chunk) as u64)..10_000 {
            assert!(
                keys.contains(k, 2_000, WINDOW),
                "key {k} is among the newest"
            );
        }
        assert!(!keys.contains(0, 2_000, WINDOW), "the oldest was dropped");
        assert!(keys.heap_bytes() < max * 20, "{} bytes", keys.heap_bytes());
    }

    #[test]
    fn a_quiet_set_drops_chunks_that_left_the_window_as_it_goes() {
        let mut keys = DoneKeys::new(100_000, WINDOW);
        // One key a span: each seals the previous one's chunk.
        let span = WINDOW / SPANS_PER_WINDOW;
        for k in 0..1_000u64 {
            keys.insert(k, k * span);
        }
        assert!(
            keys.len() <= SPANS_PER_WINDOW as usize + 2,
            "{} keys",
            keys.len()
        );
        assert!(keys.contains(999, 999 * span, WINDOW));
        assert!(keys.contains(990, 999 * span, WINDOW));
        assert!(!keys.contains(0, 999 * span, WINDOW));
    }

    #[test]
    fn a_key_done_twice_is_known_while_either_copy_is() {
        let mut keys = DoneKeys::new(64, WINDOW);
        keys.insert(7, 1_000);
        for k in 100..140 {
            keys.insert(k, 1_000);
        }
        keys.insert(7, 1_000);
        for k in 200..230 {
            keys.insert(k, 1_000);
        }
        // The first copy's chunk is gone by count; the second still counts.
        assert!(!keys.contains(100, 2_000, WINDOW));
        assert!(keys.contains(7, 2_000, WINDOW));
    }

    #[test]
    fn a_tombstone_reads_back_as_the_same_short_key() {
        let key = DedupKey::from_parts("whatsapp", "1", "wamid.X");
        let written = tombstone_bytes(short(&key));
        assert_eq!(short(&DedupKey(written)), short(&key));
    }
}
