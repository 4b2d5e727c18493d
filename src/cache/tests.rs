//! The two tiers, TTL expiry, promotion, the memory bound and the sweep, on a fake clock.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use super::*;

fn new_cache(dir: &std::path::Path, memory_bytes: usize) -> (MultiLevelCache, Arc<AtomicU64>) {
    let now = Arc::new(AtomicU64::new(1_000_000));
    let clock = Arc::clone(&now);
    let cache = MultiLevelCache::with_clock(
        dir.join("cache"),
        Duration::from_secs(300),
        memory_bytes,
        Arc::new(move || clock.load(SeqCst)),
    );
    (cache, now)
}

#[test]
fn values_are_served_from_memory_then_disk_and_promoted() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = new_cache(dir.path(), 1024);
    cache.set("https://a.example/", "page A").unwrap();
    assert!(cache.in_memory("https://a.example/"));
    let file = cache.disk.path_of("https://a.example/");
    assert!(file.exists());
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(name.len(), 64 + ".json".len(), "SHA-256 hex names: {name}");

    // A fresh cache on the same folder (a restart) has nothing in memory: the disk answers and
    // the value is promoted.
    let (again, _) = new_cache(dir.path(), 1024);
    assert!(!again.in_memory("https://a.example/"));
    assert_eq!(again.get("https://a.example/").as_deref(), Some("page A"));
    assert!(again.in_memory("https://a.example/"), "promoted");
    assert_eq!(again.get("https://missing.example/"), None);

    again.delete("https://a.example/");
    assert_eq!(again.get("https://a.example/"), None);
    assert!(!file.exists());
}

#[test]
fn entries_expire_after_the_ttl_in_both_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, now) = new_cache(dir.path(), 1024);
    cache.set("k", "v").unwrap();
    now.fetch_add(299_000, SeqCst);
    assert_eq!(cache.get("k").as_deref(), Some("v"));
    now.fetch_add(2_000, SeqCst);
    assert_eq!(cache.get("k"), None, "expired in memory and on disk");
    assert!(
        !cache.disk.path_of("k").exists(),
        "the expired file is deleted"
    );

    // A promoted entry keeps its original age.
    cache.set("p", "v").unwrap();
    let (other, other_now) = new_cache(dir.path(), 1024);
    other_now.store(now.load(SeqCst) + 200_000, SeqCst);
    assert!(other.get("p").is_some());
    other_now.fetch_add(101_000, SeqCst);
    assert_eq!(other.get("p"), None);
}

#[test]
fn the_sweep_evicts_expired_entries_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, now) = new_cache(dir.path(), 1024);
    cache.set("old", "1").unwrap();
    now.fetch_add(200_000, SeqCst);
    cache.set("new", "2").unwrap();
    std::fs::write(cache.disk.dir().join("garbage.json"), "not json").unwrap();
    now.fetch_add(150_000, SeqCst);
    let stats = cache.evict_expired();
    assert_eq!(
        stats,
        CacheStats {
            memory_entries: 1,
            memory_bytes: 1,
            disk_entries: 1
        }
    );
    assert!(!cache.in_memory("old"));
    assert!(!cache.disk.path_of("old").exists());
    assert!(cache.disk.path_of("new").exists());
}

#[test]
fn memory_stays_within_its_bound_dropping_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = new_cache(dir.path(), 10);
    cache.set("a", "aaaa").unwrap();
    cache.set("b", "bbbb").unwrap();
    assert!(cache.get("a").is_some(), "a is now the most recently used");
    cache.set("c", "cccc").unwrap();
    assert!(cache.in_memory("a") && cache.in_memory("c"));
    assert!(!cache.in_memory("b"), "b was least recently used");
    assert_eq!(cache.get("b").as_deref(), Some("bbbb"), "still on disk");
    cache.set("big", "0123456789abc").unwrap();
    assert!(!cache.in_memory("big"), "larger than the bound: disk only");
    assert_eq!(cache.get("big").as_deref(), Some("0123456789abc"));
    assert!(cache.memory().bytes <= 10);
}
