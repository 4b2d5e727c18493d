//! Reading a note for the index: opened checked against the workspace and Pincer's own files
//! (`tools::guarded::Place`, as every file tool opens), at most [`MAX_NOTE_BYTES`]. A note is
//! model-written, so it is treated as untrusted text: never followed outside the workspace,
//! never larger than a note.

use std::io::Read;
use std::path::Path;

use crate::agent::tools::guarded::Place;

/// Notes larger than this are skipped (they are not notes).
pub(crate) const MAX_NOTE_BYTES: u64 = 1 << 20;

/// A note's text.
pub(crate) fn read_note(place: Place<'_>, file: &Path, shown_as: &str) -> Result<String, String> {
    let opened = place
        .open_read(file, shown_as)
        .map_err(|_| format!("{shown_as}: not a readable note"))?;
    let len = opened
        .metadata()
        .map_err(|e| format!("{shown_as}: {e}"))?
        .len();
    if len > MAX_NOTE_BYTES {
        return Err(format!("{shown_as}: not a readable note"));
    }
    let mut text = String::new();
    opened
        .take(MAX_NOTE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("{shown_as}: {e}"))?;
    Ok(text)
}
