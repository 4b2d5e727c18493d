//! The cron store on disk: the jobs added at run time in `<state>/cron/jobs.json` (OpenClaw's
//! `{version, jobs}`, written atomically with mode 0600), and each job's firings in
//! `<state>/cron/runs/<jobId>.jsonl`, one JSON record per step of a firing, appended as the step
//! happens. A firing is named by its scheduled time (`runAtMs`); its latest record says how far
//! it got, which is what makes a firing resumable after a crash and never repeated.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::cron::CronJob;

/// A runs file longer than this is cut to its last [`KEEP_LINES`] lines when the scheduler
/// starts (OpenClaw keeps 2000 lines).
pub(crate) const MAX_LINES: usize = 2000;
const KEEP_LINES: usize = 1000;

/// What went wrong with the store, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CronStoreError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a cron job store ({source}); fix or move it away, the gateway does not overwrite it")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// How far a firing got.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum RunStatus {
    /// Recorded before the message was submitted.
    Fired,
    /// The session answered (the answer is in `summary`).
    Answered,
    /// The answer is being sent to the job's target.
    Delivering,
    /// Sent to the target.
    Delivered,
    /// Answered, nothing to send (no target).
    Ok,
    /// A heartbeat answered `HEARTBEAT_OK`: not sent.
    Suppressed,
    /// Not run (a heartbeat outside its active hours or without a HEARTBEAT.md).
    Skipped,
    /// The turn or the send failed (see `error`).
    Failed,
}

impl RunStatus {
    /// The name as stored and served (`fired`, `delivered`, ...), for the CLI's text output.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Fired => "fired",
            RunStatus::Answered => "answered",
            RunStatus::Delivering => "delivering",
            RunStatus::Delivered => "delivered",
            RunStatus::Ok => "ok",
            RunStatus::Suppressed => "suppressed",
            RunStatus::Skipped => "skipped",
            RunStatus::Failed => "failed",
        }
    }

    /// Whether the firing is over (nothing left to resume).
    pub(crate) fn is_final(self) -> bool {
        !matches!(
            self,
            RunStatus::Fired | RunStatus::Answered | RunStatus::Delivering
        )
    }
}

/// One line of a runs file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub job_id: String,
    /// The firing's scheduled time: its name.
    pub run_at_ms: u64,
    /// When this record was written.
    pub ts: u64,
    pub status: RunStatus,
    /// The session's answer (from `answered` on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct JobsFile {
    version: u32,
    jobs: Vec<CronJob>,
}

/// The files of `<state>/cron`.
#[derive(Debug, Clone)]
pub struct CronStore {
    dir: PathBuf,
}

impl CronStore {
    /// The store in `state_dir/cron` (created on first write).
    pub fn new(state_dir: &Path) -> Self {
        CronStore {
            dir: state_dir.join("cron"),
        }
    }

    fn jobs_path(&self) -> PathBuf {
        self.dir.join("jobs.json")
    }

    fn runs_path(&self, job_id: &str) -> PathBuf {
        self.dir.join("runs").join(format!("{job_id}.jsonl"))
    }

    /// The jobs added at run time; none when the file does not exist yet.
    pub fn load_jobs(&self) -> Result<Vec<CronJob>, CronStoreError> {
        let path = self.jobs_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(CronStoreError::Read { path, source }),
        };
        let file: JobsFile = serde_json::from_str(&text)
            .map_err(|source| CronStoreError::Corrupt { path, source })?;
        Ok(file.jobs)
    }

    /// Replaces the stored jobs (atomically, 0600).
    pub fn save_jobs(&self, jobs: &[CronJob]) -> Result<(), CronStoreError> {
        let path = self.jobs_path();
        let write = |source| CronStoreError::Write {
            path: path.clone(),
            source,
        };
        crate::fsutil::create_private_dir(&self.dir).map_err(write)?;
        let file = JobsFile {
            version: 1,
            jobs: jobs.to_vec(),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| write(std::io::Error::other(e)))?;
        crate::fsutil::write_private(&path, &text).map_err(write)
    }

    /// Appends `record` to its job's runs file. One `write` of a whole line to a file opened
    /// for appending: a process killed after it returns has the line on disk (in the page
    /// cache, which outlives the process); no fsync, which would cost a disk flush per step.
    pub fn append(&self, record: &RunRecord) -> Result<(), CronStoreError> {
        let path = self.runs_path(&record.job_id);
        let write = |source| CronStoreError::Write {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            crate::fsutil::create_private_dir(dir).map_err(write)?;
        }
        let mut line = serde_json::to_vec(record).map_err(|e| write(std::io::Error::other(e)))?;
        line.push(b'\n');
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(write)?;
        file.write_all(&line).map_err(write)
    }

    /// A job's records, oldest first; a line that does not parse (a torn last line) is skipped.
    pub fn runs(&self, job_id: &str) -> Result<Vec<RunRecord>, CronStoreError> {
        let path = self.runs_path(job_id);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(CronStoreError::Read { path, source }),
        }
    }

    /// Cuts a runs file past [`MAX_LINES`] to its last lines, keeping every record of the
    /// firings that are not over (atomic rewrite).
    pub fn prune(&self, job_id: &str, records: &[RunRecord]) -> Result<(), CronStoreError> {
        if records.len() <= MAX_LINES {
            return Ok(());
        }
        let open: Vec<u64> = fold(records)
            .into_iter()
            .filter(|(_, last)| !last.status.is_final())
            .map(|(run_at, _)| run_at)
            .collect();
        let cut = records.len() - KEEP_LINES;
        let mut text = Vec::new();
        for (index, record) in records.iter().enumerate() {
            if index >= cut || open.contains(&record.run_at_ms) {
                if let Ok(line) = serde_json::to_vec(record) {
                    text.extend_from_slice(&line);
                    text.push(b'\n');
                }
            }
        }
        let path = self.runs_path(job_id);
        crate::fsutil::write_private(&path, &text)
            .map_err(|source| CronStoreError::Write { path, source })
    }

    /// Removes a job's runs file (the job was removed).
    pub fn forget(&self, job_id: &str) {
        let _ = fs::remove_file(self.runs_path(job_id));
    }
}

/// The latest record of each firing, by scheduled time.
pub(crate) fn fold(records: &[RunRecord]) -> BTreeMap<u64, RunRecord> {
    let mut firings = BTreeMap::new();
    for record in records {
        let summary = firings
            .get(&record.run_at_ms)
            .and_then(|earlier: &RunRecord| earlier.summary.clone());
        let mut latest = record.clone();
        if latest.summary.is_none() {
            latest.summary = summary;
        }
        firings.insert(record.run_at_ms, latest);
    }
    firings
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
