//! Reading and writing transcript files: whole-line appends, the whole file forward, its tail
//! backwards (as many turns as the prompt needs), and every line of one turn.
//!
//! A line that does not parse (a write torn by a crash) is skipped and logged, wherever it is
//! read from. An append to a file whose last line is torn starts on a new line, so that the torn
//! bytes never swallow a good line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use tracing::warn;

use super::view::TurnLog;
use super::StoreError;
use crate::providers::ChatMessage;
use crate::sessions::Entry;

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Appends `bytes` to `path` as one write, or not at all: a write cut short (a full disk) is cut
/// back off the file, so that the next append does not glue a good line onto a torn one. A file
/// left ending in a torn line (a crash mid-write) gets a line break first, for the same reason.
pub(super) fn append_whole(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(io(path))?;
    let before = file.metadata().map_err(io(path))?.len();
    let mut last = [b'\n'];
    if before > 0 {
        file.read_exact_at(&mut last, before - 1)
            .map_err(io(path))?;
    }
    let written = if last[0] == b'\n' {
        file.write_all(bytes)
    } else {
        let mut fixed = Vec::with_capacity(bytes.len() + 1);
        fixed.push(b'\n');
        fixed.extend_from_slice(bytes);
        file.write_all(&fixed)
    };
    if let Err(error) = written {
        if let Err(cut) = file.set_len(before) {
            warn!(path = %path.display(), %cut, "cannot cut a failed append off the transcript");
        }
        return Err(io(path)(error));
    }
    Ok(())
}

pub(super) fn push_line(text: &mut String, entry: &Entry, path: &Path) -> Result<(), StoreError> {
    let line = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push_str(&line);
    text.push('\n');
    Ok(())
}

fn parse(line: &str, path: &Path, number: usize) -> Option<Entry> {
    if line.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<Entry>(line) {
        Ok(entry) => Some(entry),
        Err(error) => {
            warn!(path = %path.display(), line = number, %error, "skipping an unreadable transcript line (torn write?)");
            None
        }
    }
}

fn open(path: &Path) -> Result<Option<File>, StoreError> {
    match File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Every readable entry of the file, in order (none for a missing file).
pub(super) fn read_entries(path: &Path) -> Result<Vec<Entry>, StoreError> {
    let Some(file) = open(path)? else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(path))?;
        entries.extend(parse(&line, path, number + 1));
    }
    Ok(entries)
}

/// Bytes read per step when reading a file backwards.
const CHUNK: u64 = 64 * 1024;

/// The entries of the file's tail, in order, from the question of the `turns`-th completed turn
/// before its end (0: the whole file), and whether that is the whole file. Reads backwards, so
/// a long transcript costs what its tail does.
pub(super) fn read_tail(path: &Path, turns: usize) -> Result<(Vec<Entry>, bool), StoreError> {
    if turns == 0 {
        return Ok((read_entries(path)?, true));
    }
    let Some(mut file) = open(path)? else {
        return Ok((Vec::new(), true));
    };
    let mut end = file.seek(SeekFrom::End(0)).map_err(io(path))?;
    // Lines of the tail, newest first.
    let mut backwards: Vec<Entry> = Vec::new();
    // Bytes of the line that began before the chunk read last.
    let mut carry: Vec<u8> = Vec::new();
    // Per turn seen: (its last message was a final answer, its question was read).
    let mut seen: std::collections::HashMap<String, (bool, bool)> = Default::default();
    let mut complete = 0usize;
    let mut number = 0usize;
    let mut consider = |entry: Entry, backwards: &mut Vec<Entry>| -> bool {
        if let Entry::TurnFailed {
            turn,
            retryable: false,
            ..
        } = &entry
        {
            // Read before its messages: a final failure after them, which keeps it out.
            seen.entry(turn.clone()).or_insert((false, false));
        }
        if let Entry::Message { turn, message, .. } = &entry {
            let state = seen.entry(turn.clone()).or_insert_with(|| {
                let last_is_final = matches!(message, ChatMessage::Assistant { tool_calls, .. } if tool_calls.is_empty());
                (last_is_final, false)
            });
            if matches!(message, ChatMessage::User { .. }) && !state.1 {
                state.1 = true;
                if state.0 {
                    complete += 1;
                }
            }
        }
        backwards.push(entry);
        complete >= turns
    };
    loop {
        let start = end.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start)).map_err(io(path))?;
        file.read_exact(&mut chunk).map_err(io(path))?;
        chunk.extend_from_slice(&carry);
        // Every line after the first newline of the chunk is whole (the first may have begun
        // in the previous chunk, unless this one starts the file).
        let first_break = if start == 0 {
            None
        } else {
            chunk.iter().position(|&b| b == b'\n')
        };
        let whole_from = first_break.map_or(0, |at| at + 1);
        let mut done = false;
        for line in chunk[whole_from..].rsplit(|&b| b == b'\n') {
            number += 1;
            let Some(entry) = std::str::from_utf8(line)
                .ok()
                .and_then(|text| parse(text, path, number))
            else {
                if !line.is_empty() && std::str::from_utf8(line).is_err() {
                    warn!(path = %path.display(), "skipping an unreadable transcript line (not UTF-8)");
                }
                continue;
            };
            if consider(entry, &mut backwards) {
                done = true;
                break;
            }
        }
        carry = chunk[..first_break.unwrap_or(0)].to_vec();
        if done {
            backwards.reverse();
            return Ok((backwards, false));
        }
        if start == 0 {
            backwards.reverse();
            return Ok((backwards, true));
        }
        end = start;
    }
}

/// Every line of turn `id` in the file, read whole (the view lacked its start).
pub(super) fn read_turn(path: &Path, id: &str) -> Result<TurnLog, StoreError> {
    let needle = format!("\"turn\":{}", serde_json::to_string(id).unwrap_or_default());
    let mut log = TurnLog::new(id, false);
    let Some(file) = open(path)? else {
        return Ok(log);
    };
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(path))?;
        if !line.contains(&needle) {
            continue;
        }
        if let Some(entry) = parse(&line, path, number + 1) {
            if entry.turn() == Some(id) {
                log.apply(&entry);
            }
        }
    }
    Ok(log)
}
