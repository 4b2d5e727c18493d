//! Stored responses, for `previous_response_id`: one private file per response in
//! `<state>/responses/<id>.json`, holding the conversation up to and including the answer, so
//! that a chained request continues from it without the client sending it again.
//!
//! Bounded by `gateway.http.endpoints.responses`: at most `maxStored` files (the oldest are
//! removed after each write) and none older than `retentionDays` (removed then too, and never
//! read). A request with `store: false` leaves nothing here.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::config::ResponsesEndpoint;
use crate::fsutil::{create_private_dir, write_private};
use crate::providers::ChatMessage;

/// What a stored response keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stored {
    /// The conversation's system and developer messages (not `instructions`, which, as in
    /// OpenAI's API, a chained request does not inherit).
    pub system: Vec<String>,
    /// Every message, the answer last.
    pub conversation: Vec<ChatMessage>,
}

/// Why a stored response could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("stored responses {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("stored response {path} is unreadable: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The folder of stored responses and its bounds.
#[derive(Debug)]
pub(crate) struct ResponseStore {
    dir: PathBuf,
    max_stored: usize,
    retention: Option<Duration>,
}

/// A response id as the gateway makes them (`resp_` and hex): anything else names no file.
fn valid_id(id: &str) -> bool {
    id.strip_prefix("resp_").is_some_and(|hex| {
        !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

impl ResponseStore {
    /// The store in `<state_dir>/responses` (created on first write).
    pub(crate) fn new(state_dir: &Path, config: &ResponsesEndpoint) -> Self {
        ResponseStore {
            dir: state_dir.join("responses"),
            max_stored: usize::try_from(config.max_stored).unwrap_or(usize::MAX),
            retention: (config.retention_days > 0)
                .then(|| Duration::from_secs(u64::from(config.retention_days) * 86_400)),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn expired(&self, modified: SystemTime) -> bool {
        self.retention.is_some_and(|keep| {
            SystemTime::now()
                .duration_since(modified)
                .is_ok_and(|age| age > keep)
        })
    }

    /// The stored response `id`; `None` when there is none (unknown, expired or pruned).
    pub(crate) fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.path(id);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let modified = match fs::metadata(&path) {
            Ok(meta) => meta.modified().map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if self.expired(modified) {
            return Ok(None);
        }
        let bytes = fs::read(&path).map_err(io)?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StoreError::Corrupt { path, source })
    }

    /// Stores response `id`, then drops what the bounds no longer allow.
    pub(crate) fn save(&self, id: &str, stored: &Stored) -> Result<(), StoreError> {
        if self.max_stored == 0 || !valid_id(id) {
            return Ok(());
        }
        let io = |source| StoreError::Io {
            path: self.dir.clone(),
            source,
        };
        create_private_dir(&self.dir).map_err(io)?;
        let bytes = serde_json::to_vec(stored).map_err(|source| StoreError::Corrupt {
            path: self.path(id),
            source,
        })?;
        write_private(&self.path(id), &bytes).map_err(io)?;
        self.prune();
        Ok(())
    }

    /// Removes expired responses and the oldest beyond `max_stored` (best effort, logged).
    fn prune(&self) {
        let Ok(items) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, PathBuf)> = items
            .filter_map(Result::ok)
            .map(|item| item.path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .filter_map(|path| {
                let modified = fs::metadata(&path).and_then(|m| m.modified()).ok()?;
                Some((modified, path))
            })
            .collect();
        files.sort();
        let surplus = files.len().saturating_sub(self.max_stored);
        for (position, (modified, path)) in files.iter().enumerate() {
            if position < surplus || self.expired(*modified) {
                if let Err(error) = fs::remove_file(path) {
                    warn!(path = %path.display(), %error, "could not remove a stored response");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(text: &str) -> Stored {
        Stored {
            system: Vec::new(),
            conversation: vec![ChatMessage::User {
                content: text.into(),
                images: Vec::new(),
            }],
        }
    }

    #[test]
    fn responses_are_kept_up_to_the_bound_oldest_dropped_first() {
        let dir = tempfile::tempdir().unwrap();
        let config = ResponsesEndpoint {
            enabled: true,
            max_stored: 2,
            // The files' times are set in 1970 below.
            retention_days: 0,
        };
        let store = ResponseStore::new(dir.path(), &config);
        for (n, id) in ["resp_01", "resp_02", "resp_03"].iter().enumerate() {
            store.save(id, &stored(&n.to_string())).unwrap();
            // Distinct modification times, so "oldest" is well defined.
            let file = fs::File::options()
                .append(true)
                .open(store.path(id))
                .unwrap();
            let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + n as u64);
            file.set_modified(when).unwrap();
            drop(file);
            store.prune();
        }
        assert_eq!(
            store.load("resp_01").unwrap(),
            None,
            "the oldest is dropped"
        );
        assert_eq!(store.load("resp_03").unwrap(), Some(stored("2")));
        assert_eq!(store.load("../etc/passwd").unwrap(), None);
        assert_eq!(store.load("resp_zz").unwrap(), None);
    }
}
