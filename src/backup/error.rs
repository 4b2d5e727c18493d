//! The errors of backup commands, each with the exit code the CLI reports.

use std::path::PathBuf;

use crate::exit;

/// Why a backup could not be created, verified or restored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackupError {
    /// A file operation failed; names the path it was working on.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The gzip or tar stream cannot be read to its end: a truncated download, a damaged disk.
    #[error(
        "{path} is not a readable backup: the gzip/tar data is truncated or corrupt ({source})"
    )]
    Corrupt {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The archive reads, but its files and its manifest disagree.
    #[error("{path} is not intact ({} problem(s)):\n{}", problems.len(), bullet_list(problems))]
    NotIntact {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// There is nothing to put in the archive (`--only-config` without a config file).
    #[error("nothing to back up: {0}")]
    Nothing(String),
    /// Restoring under a live gateway would race with its writes and be overwritten by them.
    #[error(
        "a gateway is running for state directory {state_dir}{details}; stop it before restoring"
    )]
    GatewayRunning { state_dir: PathBuf, details: String },
    /// Restore never replaces files silently.
    #[error(
        "refusing to overwrite {} existing file(s); use --force to replace them:\n{}",
        paths.len(),
        bullet_list(&paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>())
    )]
    WouldOverwrite { paths: Vec<PathBuf> },
    /// An archive entry would land outside this installation's roots, or through a link.
    #[error("refusing to restore {entry} to {dest}: {reason}")]
    Unsafe {
        entry: String,
        dest: PathBuf,
        reason: String,
    },
    /// The archive's config names another workspace and cannot be pointed at this one.
    #[error(
        "cannot make the restored config name the workspace {workspace}: {reason}; nothing was \
         restored (fix the config in the archive, or restore without it)"
    )]
    ConfigWorkspace { workspace: PathBuf, reason: String },
    /// The files would not fit on their filesystem.
    #[error(
        "not enough free space in {folder}: the restore needs {needed} bytes, {available} are \
         available; nothing was restored"
    )]
    NoSpace {
        folder: PathBuf,
        needed: u64,
        available: u64,
    },
    /// The archive's content differs between the verifying read and the restoring read.
    #[error("{path} changed while it was being restored ({entry} differs from its manifest); restore again from a stable copy")]
    Changed { path: PathBuf, entry: String },
}

impl BackupError {
    /// The process exit code: 69 (unavailable) while a gateway runs, 1 for everything else.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            BackupError::GatewayRunning { .. } => exit::UNAVAILABLE,
            _ => exit::FAILURE,
        }
    }

    /// An [`BackupError::Io`] for `path`, for `map_err`.
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
        move |source| BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

fn bullet_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("  - {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}
