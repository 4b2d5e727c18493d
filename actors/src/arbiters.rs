//! A fixed set of arbiters to spread actors over cores.
//!
//! actix runs every actor on the arbiter (one thread with its own event loop) that started it, so
//! a tree started on the main arbiter uses one core however many the machine has. [`Arbiters`]
//! starts `n` more, and hands out one of them by a hash of a key: children placed with
//! [`crate::ChildSpec::on`] on `arbiters.for_key(k)` always land on the same thread for the same
//! key, so whatever belongs to one key (a session and its turns) stays in order on one thread.
//!
//! Each arbiter marks its thread with its number (1..=n), which the registry shows for every
//! actor ([`crate::ActorSnapshot::arbiter`]); 0 is any thread outside the set (the main arbiter).

use std::cell::Cell;
use std::hash::{Hash, Hasher};

use actix::{Arbiter, ArbiterHandle};

thread_local! {
    static ARBITER_NUMBER: Cell<u32> = const { Cell::new(0) };
}

/// The number of the set's arbiter running the calling thread (1..=n), 0 outside the set.
pub fn current_arbiter_number() -> u32 {
    ARBITER_NUMBER.with(Cell::get)
}

/// `n` arbiters, started together and stopped together.
pub struct Arbiters {
    arbiters: Vec<Arbiter>,
    handles: Vec<ArbiterHandle>,
}

impl std::fmt::Debug for Arbiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arbiters")
            .field("threads", &self.handles.len())
            .finish()
    }
}

impl Arbiters {
    /// Starts `threads` arbiters (at least one). Must be called inside a running actix system.
    pub fn start(threads: usize) -> Self {
        let mut arbiters = Vec::with_capacity(threads.max(1));
        let mut handles = Vec::with_capacity(threads.max(1));
        for index in 0..threads.max(1) {
            let arbiter = Arbiter::new();
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            // Queued before anything else the arbiter will run, so every actor placed there
            // already sees its number.
            arbiter.spawn_fn(move || ARBITER_NUMBER.with(|cell| cell.set(number)));
            handles.push(arbiter.handle());
            arbiters.push(arbiter);
        }
        Arbiters { arbiters, handles }
    }

    /// How many arbiters the set has.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Always false: a set has at least one arbiter (for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The arbiter for `key`: the same one for the same key, spread evenly over the set.
    pub fn for_key<K: Hash + ?Sized>(&self, key: &K) -> ArbiterHandle {
        self.handles[self.index_for(key)].clone()
    }

    /// The index (0-based) of [`Arbiters::for_key`]'s arbiter.
    pub fn index_for<K: Hash + ?Sized>(&self, key: &K) -> usize {
        // SipHash with fixed keys: stable for the life of the process (and across runs of one
        // build), and well spread for keys that differ in a few characters.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let slots = u64::try_from(self.handles.len()).unwrap_or(1);
        usize::try_from(hasher.finish() % slots).unwrap_or(0)
    }

    /// Every arbiter's handle, in number order.
    pub fn handles(&self) -> &[ArbiterHandle] {
        &self.handles
    }

    /// Asks every arbiter to stop once the work queued on it is done (idempotent). Call it once
    /// the actors placed on them have stopped; dropping the set does it too.
    pub fn stop(&self) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
    }

    /// [`Arbiters::stop`], then waits for their threads to end.
    pub fn stop_and_join(mut self) {
        self.stop();
        for arbiter in std::mem::take(&mut self.arbiters) {
            if arbiter.join().is_err() {
                tracing::warn!("an arbiter thread panicked while stopping");
            }
        }
    }
}

impl Drop for Arbiters {
    fn drop(&mut self) {
        self.stop();
    }
}
