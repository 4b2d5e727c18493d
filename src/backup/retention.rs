//! `--keep-days N`: delete this tool's old archives from the output folder.
//!
//! Only files named `pincer-backup-*.tar.gz` are candidates (never anything else the operator
//! keeps there), and only once a new backup has been written, so retention never leaves the
//! folder without a backup. Age is the file's modification time.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::BackupError;

/// What pruning did.
#[derive(Debug, Default)]
pub(crate) struct Pruned {
    pub removed: Vec<PathBuf>,
    /// Archives that were due but could not be removed, with the reason.
    pub failed: Vec<(PathBuf, String)>,
}

/// Whether `name` is an archive `pincer backup create` writes.
pub(crate) fn is_backup_name(name: &str) -> bool {
    name.starts_with("pincer-backup-") && name.ends_with(".tar.gz")
}

/// Removes archives in `dir` last modified more than `keep_days` days before `now`, except `keep`.
pub(crate) fn prune(
    dir: &Path,
    keep_days: u64,
    keep: &Path,
    now: SystemTime,
) -> Result<Pruned, BackupError> {
    let horizon = now
        .checked_sub(Duration::from_secs(keep_days.saturating_mul(86_400)))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut pruned = Pruned::default();
    for entry in fs::read_dir(dir).map_err(BackupError::io(dir))? {
        let entry = entry.map_err(BackupError::io(dir))?;
        let path = entry.path();
        let is_candidate = entry.file_name().to_str().is_some_and(is_backup_name)
            && path != keep
            && entry.file_type().is_ok_and(|t| t.is_file());
        if !is_candidate {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < horizon);
        if !old {
            continue;
        }
        match fs::remove_file(&path) {
            Ok(()) => pruned.removed.push(path),
            Err(error) => pruned.failed.push((path, error.to_string())),
        }
    }
    pruned.removed.sort();
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_archives_of_ours_go() {
        let dir = tempfile::tempdir().expect("tmp");
        let new = dir.path().join("pincer-backup-20250102-000000.tar.gz");
        let other = dir.path().join("notes.txt");
        for path in [&new, &other] {
            fs::write(path, b"x").expect("write");
        }
        let later = SystemTime::now() + Duration::from_secs(3 * 86_400);
        let pruned = prune(dir.path(), 2, Path::new("/none"), later).expect("prune");
        assert_eq!(pruned.removed, vec![new.clone()]);
        assert!(other.exists());
        fs::write(&new, b"x").expect("write");
        let pruned = prune(dir.path(), 2, &new, later).expect("prune");
        assert!(pruned.removed.is_empty(), "the new archive is kept");
        let pruned = prune(dir.path(), 5, Path::new("/none"), later).expect("prune");
        assert!(pruned.removed.is_empty(), "younger than 5 days");
    }
}
