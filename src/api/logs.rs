//! `logs.tail` (WS, `GET /admin/logs?lines=N&level=L`, `pincer logs`): the last lines of the
//! gateway's log files (JSON lines, one file per day), reading back through older files when the
//! newest has fewer, optionally only those at a level or more severe. [`tail`] is also what
//! `pincer logs` runs on the files when no gateway runs, so both give the same lines.
//!
//! Following (OpenClaw's `logs.tail {cursor, limit, maxBytes}`, as `openclaw logs --follow` polls
//! it): every answer carries `cursor`, the byte offset in the newest file just past its last
//! complete line, and `size`. Asked again with that cursor, the answer holds only the complete
//! lines written since ([`since`]), so a follower never sees a line twice. A cursor past the end
//! of the newest file (a new day's file, or a file cut short) is answered with `reset: true` and
//! the last lines; more than `maxBytes` to catch up on skips ahead to the newest whole lines,
//! with `truncated: true` and `skippedBytes`.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::operator::blocking;
use super::params::number;
use super::{ApiError, Operator};
use crate::logging::file::log_files;

/// `logs.tail {lines?|limit?, level?, cursor?, maxBytes?}`: 100 lines by default (1 to 10,000),
/// every line unless `level`; with `cursor`, only the lines written since.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsTailRequest {
    #[serde(default, deserialize_with = "number")]
    pub lines: Option<usize>,
    /// OpenClaw's name for `lines` (its `openclaw logs --limit`); `lines` wins when both are set.
    #[serde(default, deserialize_with = "number")]
    pub limit: Option<usize>,
    /// `error`, `warn`, `info`, `debug` or `trace`: only lines at this level or more severe (and
    /// only lines that parse as JSON log records).
    #[serde(default)]
    pub level: Option<String>,
    /// The `cursor` of an earlier answer: only the lines written after it.
    #[serde(default, deserialize_with = "number")]
    pub cursor: Option<usize>,
    /// At most this many bytes are read after `cursor` (default 250,000, at most 1,000,000).
    #[serde(default, deserialize_with = "number")]
    pub max_bytes: Option<usize>,
}

/// The last lines, oldest first, as written, and where to go on from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogTail {
    /// The newest log file.
    pub file: String,
    pub lines: Vec<String>,
    /// The byte offset in `file` just past the last complete line read: ask again with it to
    /// get only newer lines.
    pub cursor: u64,
    /// `file`'s size when it was read.
    pub size: u64,
    /// Lines were left out (more than `lines`, or more than `maxBytes` since the cursor).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The cursor was past the end of the newest file (a new file, or one cut short): these are
    /// the last lines instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// Bytes after the cursor skipped to stay within `maxBytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_bytes: Option<u64>,
}

/// Default and largest `maxBytes` (OpenClaw's).
const DEFAULT_MAX_BYTES: u64 = 250_000;
const MAX_BYTES: u64 = 1_000_000;

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
    let truncated = shown.len() > lines;
    shown.drain(..shown.len().saturating_sub(lines));
    let (cursor, size) = complete_end(newest)?;
    Ok(LogTail {
        file: newest.display().to_string(),
        lines: shown,
        cursor,
        size,
        truncated,
        reset: false,
        skipped_bytes: None,
    })
}

/// The newest file's size, and the offset just past its last complete line.
fn complete_end(path: &Path) -> Result<(u64, u64), ApiError> {
    let io = |e: std::io::Error| ApiError::Internal(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    // A line is at most a few KB: the last newline is within the last 64 KB, else none counts.
    let back = size.min(64 * 1024);
    file.seek(SeekFrom::Start(size - back)).map_err(io)?;
    let mut buffer = Vec::with_capacity(back as usize);
    file.take(back).read_to_end(&mut buffer).map_err(io)?;
    let end = match buffer.iter().rposition(|&b| b == b'\n') {
        Some(at) => size - back + at as u64 + 1,
        None if back == size => 0,
        None => size,
    };
    Ok((end, size))
}

/// The complete lines of the newest log file in `dir` written after `cursor`, at most `lines`
/// of them (the newest) and `max_bytes` read, passing `minimum` (file I/O).
pub(crate) fn since(
    dir: &Path,
    cursor: u64,
    lines: usize,
    max_bytes: u64,
    minimum: Option<u8>,
) -> Result<LogTail, ApiError> {
    let files = log_files(dir);
    let Some(newest) = files.last() else {
        return Err(ApiError::NotFound(format!(
            "no log file in {} (logging.transports has no file transport?)",
            dir.display()
        )));
    };
    let io = |e: std::io::Error| ApiError::Internal(format!("{}: {e}", newest.display()));
    let mut file = std::fs::File::open(newest).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if cursor > size {
        let mut last = tail(dir, lines, minimum)?;
        last.reset = true;
        return Ok(last);
    }
    let (start, skipped) = if size - cursor > max_bytes {
        (size - max_bytes, Some(size - max_bytes - cursor))
    } else {
        (cursor, None)
    };
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut bytes = Vec::with_capacity((size - start) as usize);
    file.take(size - start)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    // Only complete lines; after a skip, the first (cut) line is dropped too.
    let end = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    let begin = match skipped {
        Some(_) => bytes[..end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(end, |at| at + 1),
        None => 0,
    };
    let text = String::from_utf8_lossy(&bytes[begin..end]);
    let mut shown: Vec<String> = text
        .lines()
        .filter(|line| passes(line, minimum))
        .map(str::to_string)
        .collect();
    let truncated = skipped.is_some() || shown.len() > lines;
    shown.drain(..shown.len().saturating_sub(lines));
    Ok(LogTail {
        file: newest.display().to_string(),
        lines: shown,
        cursor: start + end as u64,
        size,
        truncated,
        reset: false,
        skipped_bytes: skipped.map(|s| s + begin as u64),
    })
}

impl Operator {
    /// `logs.tail`.
    pub async fn logs_tail(&self, request: LogsTailRequest) -> Result<LogTail, ApiError> {
        let lines = request
            .lines
            .or(request.limit)
            .unwrap_or(100)
            .clamp(1, 10_000);
        let max_bytes = request
            .max_bytes
            .map_or(DEFAULT_MAX_BYTES, |b| b as u64)
            .clamp(1, MAX_BYTES);
        let minimum = match request.level.as_deref() {
            None => None,
            Some(level) => Some(rank(level).ok_or_else(|| {
                ApiError::Invalid(format!(
                    "unknown level {level:?}: use error, warn, info, debug or trace"
                ))
            })?),
        };
        let dir = self.log_dir.clone();
        match request.cursor {
            Some(cursor) => {
                blocking(move || since(&dir, cursor as u64, lines, max_bytes, minimum)).await?
            }
            None => blocking(move || tail(&dir, lines, minimum)).await?,
        }
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

    #[test]
    fn a_follower_gets_each_complete_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pincer.2026-01-02.log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let first = tail(dir.path(), 1, None).unwrap();
        assert_eq!(first.lines, ["two"]);
        assert_eq!((first.cursor, first.size), (8, 8));
        // A line being written (no newline yet) is not taken, and the cursor stays before it.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"three\nfou").unwrap();
        let next = since(dir.path(), first.cursor, 100, 1_000, None).unwrap();
        assert_eq!(next.lines, ["three"]);
        assert_eq!(next.cursor, 14);
        assert!(!next.truncated && !next.reset, "{next:?}");
        std::io::Write::write_all(&mut file, b"r\n").unwrap();
        let last = since(dir.path(), next.cursor, 100, 1_000, None).unwrap();
        assert_eq!(last.lines, ["four"]);
        let none = since(dir.path(), last.cursor, 100, 1_000, None).unwrap();
        assert!(none.lines.is_empty(), "{none:?}");
        assert_eq!(none.cursor, last.cursor);
    }

    #[test]
    fn a_cursor_past_the_end_resets_and_a_long_gap_skips_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pincer.2026-01-02.log");
        std::fs::write(&path, "aaaa\nbbbb\ncccc\n").unwrap();
        let reset = since(dir.path(), 999, 2, 1_000, None).unwrap();
        assert!(reset.reset, "{reset:?}");
        assert_eq!(reset.lines, ["bbbb", "cccc"]);
        assert_eq!(reset.cursor, 15);
        // 12 bytes to read with maxBytes 8: "bb\ncccc\n" is read, the cut "bb" dropped.
        let skipped = since(dir.path(), 3, 100, 8, None).unwrap();
        assert_eq!(skipped.lines, ["cccc"]);
        assert!(skipped.truncated, "{skipped:?}");
        assert_eq!(skipped.skipped_bytes, Some(7));
        assert_eq!(skipped.cursor, 15);
        let limited = since(dir.path(), 0, 1, 1_000, None).unwrap();
        assert_eq!(limited.lines, ["cccc"]);
        assert!(limited.truncated);
    }
}
