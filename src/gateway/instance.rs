//! One gateway per state directory.
//!
//! The gateway holds an exclusive lock on `gateway.lock` for its whole life (the OS releases it if
//! the process dies, so a crash never leaves a stale lock), and publishes `gateway.json` with its pid
//! and URL ([`crate::runtime_file`], which the commands read) until it stops.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::runtime_file::{read_runtime, write_runtime, RuntimeInfo};

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("another gateway is already running with state directory {state_dir}{details}")]
    AlreadyRunning { state_dir: PathBuf, details: String },
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The held lock and the published runtime file; dropping it removes the file and releases the lock.
#[derive(Debug)]
pub(crate) struct InstanceGuard {
    _lock: File,
    runtime_file: PathBuf,
}

impl InstanceGuard {
    /// Takes the lock or explains who holds it.
    pub(crate) fn acquire(
        lock_path: &Path,
        runtime_file: &Path,
        state_dir: &Path,
    ) -> Result<Self, InstanceError> {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)
            .map_err(|source| InstanceError::Io {
                path: lock_path.to_path_buf(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => Ok(InstanceGuard {
                _lock: lock,
                runtime_file: runtime_file.to_path_buf(),
            }),
            Err(std::fs::TryLockError::WouldBlock) => {
                let details = read_runtime(runtime_file)
                    .map(|info| format!(" (pid {}, {})", info.pid, info.url))
                    .unwrap_or_default();
                Err(InstanceError::AlreadyRunning {
                    state_dir: state_dir.to_path_buf(),
                    details,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => Err(InstanceError::Io {
                path: lock_path.to_path_buf(),
                source,
            }),
        }
    }

    /// Writes the runtime file atomically.
    pub(crate) fn publish(&self, info: &RuntimeInfo) -> Result<(), InstanceError> {
        write_runtime(&self.runtime_file, info).map_err(|source| InstanceError::Io {
            path: self.runtime_file.clone(),
            source,
        })
    }
}

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.runtime_file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_and_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lock = dir.path().join("gateway.lock");
        let runtime = dir.path().join("gateway.json");
        let first = InstanceGuard::acquire(&lock, &runtime, dir.path()).expect("first instance");
        let info = RuntimeInfo {
            pid: 42,
            url: "http://127.0.0.1:1".into(),
            listen: "127.0.0.1:1".into(),
            version: "0".into(),
            started_at_ms: 0,
        };
        first.publish(&info).expect("published");
        assert_eq!(read_runtime(&runtime), Some(info));
        let second =
            InstanceGuard::acquire(&lock, &runtime, dir.path()).expect_err("must be refused");
        assert!(second.to_string().contains("pid 42"), "{second}");
        drop(first);
        assert!(
            !runtime.exists(),
            "the runtime file goes away with the gateway"
        );
        InstanceGuard::acquire(&lock, &runtime, dir.path()).expect("lock released on drop");
    }
}
