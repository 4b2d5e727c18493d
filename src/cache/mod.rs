//! The seed's `MultiLevelCache`: a bounded memory tier in front of a disk tier, with a TTL.
//!
//! - `get` looks in memory, then on disk; a disk hit is **promoted** into memory. Its age keeps
//!   counting from when it was first stored (the seed restamped promoted items, which could
//!   serve a page well past its TTL).
//! - `set` writes both tiers; the memory tier holds at most `memory_bytes` of values, dropping
//!   the least recently used first (a value larger than the bound lives on disk only).
//! - Expired entries are dropped when met, and [`MultiLevelCache::evict_expired`] sweeps both
//!   tiers; the gateway runs it every minute from a task under `/gateway/tools`
//!   ([`janitor_spec`]), as the seed's `setupCacheEviction` did.
//!
//! Used by `web_fetch` (`<state>/cache/web_fetch`). The clock is injectable for tests.

pub(crate) mod disk;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use pincer_actors::ChildSpec;

use self::disk::DiskTier;

/// Milliseconds since some epoch.
pub(crate) type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

struct Item {
    value: Arc<str>,
    stored_ms: u64,
    used: u64,
}

#[derive(Default)]
struct Memory {
    items: HashMap<String, Item>,
    bytes: usize,
    tick: u64,
}

impl Memory {
    fn remove(&mut self, key: &str) {
        if let Some(item) = self.items.remove(key) {
            self.bytes -= item.value.len();
        }
    }
}

/// Figures for the janitor's status and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheStats {
    pub memory_entries: usize,
    pub memory_bytes: usize,
    pub disk_entries: usize,
}

/// Two tiers and a TTL.
pub(crate) struct MultiLevelCache {
    ttl_ms: u64,
    memory_bound: usize,
    memory: Mutex<Memory>,
    disk: DiskTier,
    clock: Clock,
}

impl MultiLevelCache {
    /// A cache whose disk tier is `dir`, on the wall clock.
    pub(crate) fn new(dir: PathBuf, ttl: Duration, memory_bytes: usize) -> Self {
        Self::with_clock(dir, ttl, memory_bytes, Arc::new(crate::clock::now_ms))
    }

    pub(crate) fn with_clock(
        dir: PathBuf,
        ttl: Duration,
        memory_bytes: usize,
        clock: Clock,
    ) -> Self {
        MultiLevelCache {
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            memory_bound: memory_bytes,
            memory: Mutex::new(Memory::default()),
            disk: DiskTier::new(dir),
            clock,
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn expired(&self, stored_ms: u64, now: u64) -> bool {
        now.saturating_sub(stored_ms) > self.ttl_ms
    }

    /// The value for `key`, from memory or (promoted) from disk. Blocking (disk).
    pub(crate) fn get(&self, key: &str) -> Option<Arc<str>> {
        let now = (self.clock)();
        {
            let mut memory = self.memory();
            memory.tick += 1;
            let tick = memory.tick;
            match memory.items.get_mut(key) {
                Some(item) if !self.expired(item.stored_ms, now) => {
                    item.used = tick;
                    return Some(Arc::clone(&item.value));
                }
                Some(_) => memory.remove(key),
                None => {}
            }
        }
        let hit = self.disk.get(key, now)?;
        let value: Arc<str> = Arc::from(hit.value);
        self.remember(key, Arc::clone(&value), hit.stored_ms);
        Some(value)
    }

    /// Stores `value` in both tiers. Blocking (disk); a disk failure leaves the memory copy.
    pub(crate) fn set(&self, key: &str, value: &str) -> std::io::Result<()> {
        let now = (self.clock)();
        self.remember(key, Arc::from(value), now);
        self.disk.set(key, value, now, self.ttl_ms)
    }

    #[cfg(test)]
    pub(crate) fn delete(&self, key: &str) {
        self.memory().remove(key);
        self.disk.delete(key);
    }

    fn remember(&self, key: &str, value: Arc<str>, stored_ms: u64) {
        let mut memory = self.memory();
        memory.remove(key);
        if value.len() > self.memory_bound {
            return;
        }
        while memory.bytes + value.len() > self.memory_bound {
            let oldest = memory
                .items
                .iter()
                .min_by_key(|(_, item)| item.used)
                .map(|(key, _)| key.clone());
            match oldest {
                Some(oldest) => memory.remove(&oldest),
                None => break,
            }
        }
        memory.tick += 1;
        let used = memory.tick;
        memory.bytes += value.len();
        memory.items.insert(
            key.to_string(),
            Item {
                value,
                stored_ms,
                used,
            },
        );
    }

    /// Drops expired entries from both tiers. Blocking (disk).
    pub(crate) fn evict_expired(&self) -> CacheStats {
        let now = (self.clock)();
        let (entries, bytes) = {
            let mut memory = self.memory();
            let expired: Vec<String> = memory
                .items
                .iter()
                .filter(|(_, item)| self.expired(item.stored_ms, now))
                .map(|(key, _)| key.clone())
                .collect();
            for key in expired {
                memory.remove(&key);
            }
            (memory.items.len(), memory.bytes)
        };
        let (_, disk_entries) = self.disk.evict_expired(now);
        CacheStats {
            memory_entries: entries,
            memory_bytes: bytes,
            disk_entries,
        }
    }

    #[cfg(test)]
    /// Whether `key` is in the memory tier (tests and status).
    pub(crate) fn in_memory(&self, key: &str) -> bool {
        self.memory().items.contains_key(key)
    }
}

/// A permanent task that sweeps `cache` every `every` and publishes the figures as its status.
pub(crate) fn janitor_spec(id: &str, cache: Arc<MultiLevelCache>, every: Duration) -> ChildSpec {
    ChildSpec::task(id.to_string(), "cache", move |cx| {
        let cache = Arc::clone(&cache);
        let cx = cx.clone();
        async move {
            loop {
                tokio::time::sleep(every).await;
                let sweeping = Arc::clone(&cache);
                let stats = tokio::task::spawn_blocking(move || sweeping.evict_expired())
                    .await
                    .map_err(|e| e.to_string())?;
                cx.set_status(format!(
                    "{} in memory ({} KB), {} on disk",
                    stats.memory_entries,
                    stats.memory_bytes / 1024,
                    stats.disk_entries
                ));
            }
        }
        .boxed_local()
    })
    .restart(pincer_actors::RestartType::Permanent)
}

#[cfg(test)]
mod tests;
