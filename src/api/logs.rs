//! `logs.tail` (WS, `GET /admin/logs?lines=N&level=L`, `pincer logs`): the last lines of the
//! gateway's log files (JSON lines, one file per day), reading back through older files when the
//! newest has fewer, optionally only those at a level or more severe. [`tail`] is also what
//! `pincer logs` runs on the files when no gateway runs, so both give the same lines.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::operator::blocking;
use super::params::number;
use super::{ApiError, Operator};
use crate::logging::file::log_files;

/// `logs.tail {lines?, level?}`: 100 lines by default (1 to 10,000), every line unless `level`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogsTailRequest {
    #[serde(default, deserialize_with = "number")]
    pub lines: Option<usize>,
    /// `error`, `warn`, `info`, `debug` or `trace`: only lines at this level or more severe (and
    /// only lines that parse as JSON log records).
    #[serde(default)]
    pub level: Option<String>,
}

/// The last lines, oldest first, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogTail {
    /// The newest log file.
    pub file: String,
    pub lines: Vec<String>,
}

/// The severity rank of a level name (1 = error ... 5 = trace).
pub(crate) fn rank(level: &str) -> Option<u8> {
    match level.to_ascii_lowercase().as_str() {
        "error" => Some(1),
        "warn" | "warning" => Some(2),
        "info" => Some(3),
        "debug" => Some(4),
        "trace" => Some(5),
        _ => None,
    }
}

/// Whether a file line passes `minimum` (a JSON record at that rank or more severe; a record
/// without a known level counts as info).
fn passes(line: &str, minimum: Option<u8>) -> bool {
    let Some(minimum) = minimum else {
        return true;
    };
    let Ok(record) = serde_json::from_str::<Value>(line) else {
        return false;
    };
    record["level"].as_str().and_then(rank).unwrap_or(3) <= minimum
}

/// The last `lines` lines of the log files in `dir` passing `minimum` (file I/O).
pub(crate) fn tail(dir: &Path, lines: usize, minimum: Option<u8>) -> Result<LogTail, ApiError> {
    let files = log_files(dir);
    let Some(newest) = files.last() else {
        return Err(ApiError::NotFound(format!(
            "no log file in {} (logging.transports has no file transport?)",
            dir.display()
        )));
    };
    let mut shown: Vec<String> = Vec::new();
    for path in files.iter().rev() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))?;
        let mut older: Vec<String> = text
            .lines()
            .filter(|line| passes(line, minimum))
            .map(str::to_string)
            .collect();
        older.append(&mut shown);
        shown = older;
        if shown.len() >= lines {
            break;
        }
    }
    shown.drain(..shown.len().saturating_sub(lines));
    Ok(LogTail {
        file: newest.display().to_string(),
        lines: shown,
    })
}

impl Operator {
    /// `logs.tail`.
    pub async fn logs_tail(&self, request: LogsTailRequest) -> Result<LogTail, ApiError> {
        let lines = request.lines.unwrap_or(100).clamp(1, 10_000);
        let minimum = match request.level.as_deref() {
            None => None,
            Some(level) => Some(rank(level).ok_or_else(|| {
                ApiError::Invalid(format!(
                    "unknown level {level:?}: use error, warn, info, debug or trace"
                ))
            })?),
        };
        let dir = self.log_dir.clone();
        blocking(move || tail(&dir, lines, minimum)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(level: &str, message: &str) -> String {
        format!(r#"{{"level":"{level}","fields":{{"message":"{message}"}}}}"#)
    }

    #[test]
    fn the_tail_reads_back_through_older_files_and_filters_by_level() {
        let dir = tempfile::tempdir().unwrap();
        let old = [record("INFO", "a"), record("DEBUG", "b")].join("\n");
        let new = [
            record("WARN", "c"),
            "not json".to_string(),
            record("ERROR", "d"),
        ]
        .join("\n");
        std::fs::write(dir.path().join("pincer.2026-01-01.log"), old).unwrap();
        std::fs::write(dir.path().join("pincer.2026-01-02.log"), new).unwrap();
        let all = tail(dir.path(), 10, None).unwrap();
        assert_eq!(all.lines.len(), 5, "{all:?}");
        assert!(all.file.ends_with("pincer.2026-01-02.log"), "{}", all.file);
        let info = tail(dir.path(), 10, rank("info")).unwrap();
        let messages: Vec<&str> = info
            .lines
            .iter()
            .map(|l| {
                if l.contains("\"a\"") {
                    "a"
                } else if l.contains("\"c\"") {
                    "c"
                } else {
                    "d"
                }
            })
            .collect();
        assert_eq!(messages, ["a", "c", "d"]);
        let last = tail(dir.path(), 2, None).unwrap();
        assert_eq!(last.lines, ["not json".to_string(), record("ERROR", "d")]);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(tail(empty.path(), 5, None).unwrap_err().code(), "NOT_FOUND");
    }
}
