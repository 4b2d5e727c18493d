//! The pairing store: pending requests and approved senders, per channel, in two small JSON files
//! under `<state>/credentials/` (`<channel>-pairing.json`, `<channel>-allowFrom.json`).
//!
//! The gateway (creating requests as strangers write) and the CLI (`pincer pairing approve`,
//! which works whether the gateway runs or not) both change these files, so every
//! read-modify-write holds an exclusive `flock` on `<channel>.lock`; writes are atomic renames of
//! 0600 files. A file that cannot be parsed is an error naming it, never silently replaced: it
//! may hold the owner's allowlist.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::approvals::{Approval, ApprovalsFile};
use super::{code, PairingError};
use crate::clock::now_ms;
use crate::fsutil::{create_private_dir, write_private};

/// How long a code stays valid.
pub(crate) const CODE_TTL: Duration = Duration::from_secs(60 * 60);

/// At most this many requests wait per channel; further strangers are ignored (and counted), so a
/// spam wave cannot flood the owner or the store.
pub(crate) const MAX_PENDING: usize = 3;

/// A stranger waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairingRequest {
    /// The sender's platform id (WhatsApp number, Telegram user id).
    pub id: String,
    pub code: String,
    pub created_at_ms: u64,
    pub last_seen_at_ms: u64,
    /// The sender's display name, when the platform sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What [`PairingStore::request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A new request: send the code to the sender (once).
    Created(PairingRequest),
    /// The sender already has a live code: send nothing new.
    AlreadyPending(PairingRequest),
    /// [`MAX_PENDING`] requests are waiting: ignore this sender.
    Full,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PendingFile {
    version: u32,
    requests: Vec<PairingRequest>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowFile {
    version: u32,
    allow_from: Vec<String>,
}

/// The store for every channel, rooted at `<state>/credentials`.
#[derive(Debug, Clone)]
pub struct PairingStore {
    dir: PathBuf,
}

impl PairingStore {
    pub fn new(state_dir: &Path) -> Self {
        PairingStore {
            dir: state_dir.join("credentials"),
        }
    }

    /// The approved-senders file of `channel` (the gateway watches it for changes).
    pub fn allow_path(&self, channel: &str) -> PathBuf {
        self.dir.join(format!("{channel}-allowFrom.json"))
    }

    fn approvals_path(&self, channel: &str) -> PathBuf {
        self.dir.join(format!("{channel}-approvals.json"))
    }

    /// The recorded approvals of `channel`, oldest first.
    pub fn approvals(&self, channel: &str) -> Result<Vec<Approval>, PairingError> {
        Ok(read_json::<ApprovalsFile>(&self.approvals_path(channel))?.approvals)
    }

    fn pending_path(&self, channel: &str) -> PathBuf {
        self.dir.join(format!("{channel}-pairing.json"))
    }

    /// Records that `sender` wrote without being allowed, creating a code when there is room.
    pub fn request(
        &self,
        channel: &str,
        sender: &str,
        name: Option<&str>,
    ) -> Result<RequestOutcome, PairingError> {
        self.locked(channel, || {
            let now = now_ms();
            let mut pending = self.read_pending(channel, now)?;
            if let Some(existing) = pending.requests.iter_mut().find(|r| r.id == sender) {
                existing.last_seen_at_ms = now;
                let existing = existing.clone();
                self.write(&self.pending_path(channel), &pending)?;
                return Ok(RequestOutcome::AlreadyPending(existing));
            }
            if pending.requests.len() >= MAX_PENDING {
                return Ok(RequestOutcome::Full);
            }
            let code = loop {
                let code = code::generate().map_err(|e| PairingError::Random(e.to_string()))?;
                if pending.requests.iter().all(|r| r.code != code) {
                    break code;
                }
            };
            let request = PairingRequest {
                id: sender.to_string(),
                code,
                created_at_ms: now,
                last_seen_at_ms: now,
                name: name.map(str::to_string),
            };
            pending.requests.push(request.clone());
            self.write(&self.pending_path(channel), &pending)?;
            Ok(RequestOutcome::Created(request))
        })
    }

    /// Live requests, oldest first.
    pub fn list(&self, channel: &str) -> Result<Vec<PairingRequest>, PairingError> {
        self.locked(channel, || {
            Ok(self.read_pending(channel, now_ms())?.requests)
        })
    }

    /// Approves the request with `typed_code` (case-insensitive): the sender joins the allowlist
    /// and the request is removed. `replay`: the messages they sent while waiting are answered
    /// (see [`super::approvals`]).
    pub fn approve(
        &self,
        channel: &str,
        typed_code: &str,
        replay: bool,
    ) -> Result<PairingRequest, PairingError> {
        let wanted = code::normalize(typed_code);
        self.locked(channel, || {
            let mut pending = self.read_pending(channel, now_ms())?;
            let Some(index) = pending.requests.iter().position(|r| r.code == wanted) else {
                return Err(PairingError::UnknownCode {
                    channel: channel.to_string(),
                    code: wanted.clone(),
                });
            };
            let request = pending.requests.remove(index);
            let mut allow = self.read_allow(channel)?;
            if !allow.allow_from.contains(&request.id) {
                allow.allow_from.push(request.id.clone());
            }
            let mut approvals: ApprovalsFile = read_json(&self.approvals_path(channel))?;
            approvals.record(Approval {
                id: request.id.clone(),
                at_ms: now_ms(),
                replay,
            });
            // The approval record first (it says what becomes of the waiting messages), then
            // the allowlist: a crash between the writes leaves an approved sender whose request
            // expires on its own, never a lost approval.
            self.write(&self.approvals_path(channel), &approvals)?;
            self.write(&self.allow_path(channel), &allow)?;
            self.write(&self.pending_path(channel), &pending)?;
            Ok(request)
        })
    }

    /// Removes `sender` from the approved senders; false when it was not there.
    pub fn revoke(&self, channel: &str, sender: &str) -> Result<bool, PairingError> {
        self.locked(channel, || {
            let mut allow = self.read_allow(channel)?;
            let before = allow.allow_from.len();
            allow.allow_from.retain(|id| id != sender);
            if allow.allow_from.len() == before {
                return Ok(false);
            }
            self.write(&self.allow_path(channel), &allow)?;
            Ok(true)
        })
    }

    /// Adds `senders` to the approved senders (those already there stay once); the ones added.
    /// For `pincer import openclaw`, which carries over another system's approvals.
    pub fn add_approved(
        &self,
        channel: &str,
        senders: &[String],
    ) -> Result<Vec<String>, PairingError> {
        self.locked(channel, || {
            let mut allow = self.read_allow(channel)?;
            let mut added = Vec::new();
            for sender in senders {
                if !allow.allow_from.contains(sender) {
                    allow.allow_from.push(sender.clone());
                    added.push(sender.clone());
                }
            }
            if !added.is_empty() {
                self.write(&self.allow_path(channel), &allow)?;
            }
            Ok(added)
        })
    }

    /// The approved senders (without the config's `allowFrom`).
    pub fn approved(&self, channel: &str) -> Result<Vec<String>, PairingError> {
        Ok(self.read_allow(channel)?.allow_from)
    }

    fn locked<T>(
        &self,
        channel: &str,
        work: impl FnOnce() -> Result<T, PairingError>,
    ) -> Result<T, PairingError> {
        create_private_dir(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let lock_path = self.dir.join(format!("{channel}.lock"));
        let mut options = fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = options
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, e))?;
        lock.lock().map_err(|e| io_error(&lock_path, e))?;
        let result = work();
        let _ = lock.unlock();
        result
    }

    /// The pending file without expired requests.
    fn read_pending(&self, channel: &str, now: u64) -> Result<PendingFile, PairingError> {
        let mut pending: PendingFile = read_json(&self.pending_path(channel))?;
        let ttl = u64::try_from(CODE_TTL.as_millis()).unwrap_or(u64::MAX);
        pending
            .requests
            .retain(|r| now.saturating_sub(r.created_at_ms) < ttl);
        pending.version = 1;
        Ok(pending)
    }

    fn read_allow(&self, channel: &str) -> Result<AllowFile, PairingError> {
        let mut allow: AllowFile = read_json(&self.allow_path(channel))?;
        allow.version = 1;
        Ok(allow)
    }

    fn write<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), PairingError> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| PairingError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        write_private(path, &bytes).map_err(|e| io_error(path, e))
    }
}

/// Reads a store file; a missing file is the empty default.
fn read_json<T: Default + for<'de> Deserialize<'de>>(path: &Path) -> Result<T, PairingError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| PairingError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(io_error(path, e)),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> PairingError {
    PairingError::Io {
        path: path.to_path_buf(),
        source,
    }
}
