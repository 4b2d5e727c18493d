//! Removing downloaded media older than `media.retentionDays` from `<state>/media/`.
//!
//! A permanent task `/gateway/tools/media-retention` sweeps when the gateway starts and then
//! every hour. It lives under `/gateway/tools` beside the web cache's janitor because it is the
//! same kind of work (a bounded folder of files the agent produced) and a failure there must not
//! touch the runs or the channels; a transcript keeps the path of an image it no longer finds,
//! and the model gets the note for an unshown image.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use pincer_actors::{ChildSpec, RestartType};

/// Between sweeps.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Removes the files directly in `dir` last modified more than `days` days before `now`; returns
/// how many were removed. Folders (the markers' `told/`) are left alone.
pub(crate) fn sweep(dir: &Path, days: u32, now: SystemTime) -> usize {
    if days == 0 {
        return 0;
    }
    let Some(cutoff) = now.checked_sub(Duration::from_secs(u64::from(days) * 86_400)) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let old = meta.modified().is_ok_and(|modified| modified < cutoff);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The sweeping task's child spec.
pub(crate) fn retention_spec(dir: PathBuf, days: u32) -> ChildSpec {
    ChildSpec::task("media-retention".to_string(), "media", move |cx| {
        let dir = dir.clone();
        let cx = cx.clone();
        async move {
            let mut total = 0usize;
            loop {
                let sweeping = dir.clone();
                let removed =
                    tokio::task::spawn_blocking(move || sweep(&sweeping, days, SystemTime::now()))
                        .await
                        .map_err(|e| e.to_string())?;
                if removed > 0 {
                    tracing::info!(removed, days, "old media files removed");
                }
                total += removed;
                cx.set_status(format!("keeps {days} days; {total} files removed"));
                tokio::time::sleep(SWEEP_EVERY).await;
            }
        }
        .boxed_local()
    })
    .restart(RestartType::Permanent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_past_the_retention_go_and_the_rest_stay() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("new.jpg"), b"y").unwrap();
        std::fs::create_dir(dir.path().join("told")).unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join("old.jpg"))
            .unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3 * 86_400))
            .unwrap();
        assert_eq!(sweep(dir.path(), 0, SystemTime::now()), 0, "0 keeps all");
        assert_eq!(sweep(dir.path(), 2, SystemTime::now()), 1);
        assert!(!dir.path().join("old.jpg").exists());
        assert!(dir.path().join("new.jpg").exists());
        assert!(dir.path().join("told").is_dir());
    }
}
