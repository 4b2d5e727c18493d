//! The disk tier of [`super::MultiLevelCache`]: one JSON file per entry, named by the SHA-256 of
//! its key (the seed's `DiskCache`), written atomically (temporary file, then rename).
//!
//! Each file holds the key (checked on read, so a foreign or damaged file is a miss), the time
//! it was stored and its TTL, and the value. Expired files are deleted when read and by
//! [`DiskTier::evict_expired`]; unreadable files are deleted as well.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    key: String,
    stored_ms: u64,
    ttl_ms: u64,
    value: String,
}

/// A value read back from disk, with when it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub value: String,
    pub stored_ms: u64,
}

/// Files under one folder.
#[derive(Debug, Clone)]
pub(crate) struct DiskTier {
    dir: PathBuf,
}

impl DiskTier {
    pub(crate) fn new(dir: PathBuf) -> Self {
        DiskTier { dir }
    }

    #[cfg(test)]
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// `<dir>/<sha256 of key>.json`.
    pub(crate) fn path_of(&self, key: &str) -> PathBuf {
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.json"))
    }

    /// The value stored for `key`, if any and not expired at `now_ms`.
    pub(crate) fn get(&self, key: &str, now_ms: u64) -> Option<Hit> {
        let path = self.path_of(key);
        let text = std::fs::read(&path).ok()?;
        let stored = match serde_json::from_slice::<Stored>(&text) {
            Ok(stored) if stored.key == key => stored,
            _ => {
                let _ = std::fs::remove_file(&path);
                return None;
            }
        };
        if now_ms.saturating_sub(stored.stored_ms) > stored.ttl_ms {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        Some(Hit {
            value: stored.value,
            stored_ms: stored.stored_ms,
        })
    }

    pub(crate) fn set(
        &self,
        key: &str,
        value: &str,
        stored_ms: u64,
        ttl_ms: u64,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path_of(key);
        let stored = Stored {
            key: key.to_string(),
            stored_ms,
            ttl_ms,
            value: value.to_string(),
        };
        let bytes = serde_json::to_vec(&stored).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)
    }

    #[cfg(test)]
    pub(crate) fn delete(&self, key: &str) {
        let _ = std::fs::remove_file(self.path_of(key));
    }

    /// Deletes expired and unreadable entries; returns how many files were removed and how many
    /// remain.
    pub(crate) fn evict_expired(&self, now_ms: u64) -> (usize, usize) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return (0, 0);
        };
        let (mut removed, mut kept) = (0, 0);
        for entry in listing.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let expired = match std::fs::read(&path)
                .ok()
                .and_then(|text| serde_json::from_slice::<Stored>(&text).ok())
            {
                Some(stored) => now_ms.saturating_sub(stored.stored_ms) > stored.ttl_ms,
                None => true,
            };
            if expired && std::fs::remove_file(&path).is_ok() {
                removed += 1;
            } else {
                kept += 1;
            }
        }
        (removed, kept)
    }
}
