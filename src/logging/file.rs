//! The file transport's retention: daily files `pincer.YYYY-MM-DD.log` (UTC) are removed once
//! older than `retention.days`, and the oldest go first while the files together exceed
//! `retention.maxSize`. Today's file is never removed (it is being written).
//!
//! Dates come from the file names, and "now" is a parameter, so retention is testable on a fake
//! clock.

use std::fs;
use std::path::{Path, PathBuf};

/// The file name prefix and suffix (`tracing-appender` puts the date between them).
pub(crate) const PREFIX: &str = "pincer";
pub(crate) const SUFFIX: &str = "log";

/// The day number of a log file, from its name.
fn day_of(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let date = name
        .strip_prefix(&format!("{PREFIX}."))?
        .strip_suffix(&format!(".{SUFFIX}"))?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| crate::clock::days_from_civil(year, i64::from(month), i64::from(day)))
}

/// The log files in `dir`, oldest first.
pub(crate) fn log_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(i64, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter_map(|path| day_of(&path).map(|day| (day, path)))
        .collect();
    files.sort();
    files.into_iter().map(|(_, path)| path).collect()
}

/// Applies the retention rules at `now_unix_secs`; returns the files removed.
pub(crate) fn prune(dir: &Path, days: u32, max_bytes: u64, now_unix_secs: u64) -> Vec<PathBuf> {
    let today = i64::try_from(now_unix_secs / 86_400).unwrap_or(i64::MAX);
    let mut removed = Vec::new();
    let mut kept: Vec<(PathBuf, u64)> = Vec::new();
    for path in log_files(dir) {
        let Some(day) = day_of(&path) else {
            continue;
        };
        let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if day < today && today - day >= i64::from(days) && fs::remove_file(&path).is_ok() {
            removed.push(path);
        } else {
            kept.push((path, size));
        }
    }
    let mut total: u64 = kept.iter().map(|(_, size)| size).sum();
    for (path, size) in &kept {
        if total <= max_bytes {
            break;
        }
        if day_of(path).is_some_and(|day| day >= today) {
            break;
        }
        if fs::remove_file(path).is_ok() {
            total -= size;
            removed.push(path.clone());
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, date: &str, bytes: usize) -> PathBuf {
        let path = dir.join(format!("{PREFIX}.{date}.{SUFFIX}"));
        fs::write(&path, vec![b'x'; bytes]).expect("write");
        path
    }

    /// 2026-11-24 00:00:00 UTC.
    const NOW: u64 = 1_795_478_400;

    #[test]
    fn old_files_go_by_age_then_by_total_size_but_today_stays() {
        let dir = tempfile::tempdir().expect("dir");
        let ancient = write(dir.path(), "2026-11-10", 10);
        let week_old = write(dir.path(), "2026-11-17", 10);
        let older = write(dir.path(), "2026-11-22", 400);
        let yesterday = write(dir.path(), "2026-11-23", 400);
        let today = write(dir.path(), "2026-11-24", 400);
        fs::write(dir.path().join("notes.txt"), "not a log").expect("write");

        let removed = prune(dir.path(), 7, 900, NOW);
        assert_eq!(
            removed,
            vec![ancient, week_old, older.clone()],
            "7 days kept, then the oldest until under 900 bytes"
        );
        assert!(yesterday.exists() && today.exists());
        assert!(
            dir.path().join("notes.txt").exists(),
            "other files are left alone"
        );

        let removed = prune(dir.path(), 7, 10, NOW);
        assert_eq!(removed, vec![yesterday], "today's file is never removed");
        assert!(today.exists() && !older.exists());
    }
}
