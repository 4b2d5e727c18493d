//! Documents a user sends: saved in the session's workspace (`inbox/<name>`), through the same
//! checked opens as the file tools (a sandboxed session's own folder, never past the walls), so
//! the model can reopen them with `read`; and, for text types (plain text, Markdown, CSV, JSON),
//! their text put into the message, bounded.
//!
//! PDF text is not extracted: the crates that do it (`pdf-extract`, `lopdf`) add a large
//! dependency tree for one format, and the saved file is at the model's hand (`exec pdftotext`
//! where the host has it).

use std::io::Write;
use std::path::Path;

use crate::agent::tools::workspace::{place, place_of, resolve_for, shown};
use crate::agent::tools::ToolContext;

/// Characters of a text document put into the message; the rest is noted as cut.
pub(crate) const MAX_TEXT_CHARS: usize = 100_000;

/// Whether a document of `mime` (or named `file_name`) is text to read into the message.
pub(crate) fn is_text(mime: &str, file_name: &str) -> bool {
    let mime = super::essence(mime);
    if mime.starts_with("text/") || mime == "application/json" || mime == "application/x-ndjson" {
        return true;
    }
    let lower = file_name.to_ascii_lowercase();
    [".txt", ".md", ".markdown", ".csv", ".json", ".log"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The text of a text document, cut at [`MAX_TEXT_CHARS`] with a note; `None` if it is not
/// UTF-8.
pub(crate) fn text_of(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let total = text.chars().count();
    if total <= MAX_TEXT_CHARS {
        return Some(text.to_string());
    }
    let cut: String = text.chars().take(MAX_TEXT_CHARS).collect();
    Some(format!(
        "{cut}\n[... cut: the first {MAX_TEXT_CHARS} of {total} characters are shown]"
    ))
}

/// A file name safe to create: the last component of `name`, with characters other than
/// letters, digits, `.`, `-` and `_` replaced, no leading dot, at most 100 characters; `fallback`
/// when nothing is left.
pub(crate) fn sanitised_name(name: Option<&str>, fallback: &str) -> String {
    let last = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let cleaned: String = cleaned.chars().take(100).collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '_' || c == '.') {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// Saves `bytes` as `inbox/<name>` in the session's workspace; returns the path as the model
/// sees it (relative to the workspace). An existing file of that name is kept and the new one
/// gets a numbered name.
pub(crate) fn save_in_inbox(cx: &ToolContext, name: &str, bytes: &[u8]) -> Result<String, String> {
    let (root, walls) = place_of(cx)?;
    let place = place(&root, &walls);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
        _ => (name.to_string(), String::new()),
    };
    for n in 0..100 {
        let candidate = if n == 0 {
            format!("inbox/{name}")
        } else {
            format!("inbox/{stem}-{n}{ext}")
        };
        let path = resolve_for(cx, &candidate)?;
        if path.exists() {
            if same_content(&path, bytes) {
                return Ok(shown(&root, &path));
            }
            continue;
        }
        let mut file = place.open_write(&path, &candidate)?;
        file.write_all(bytes)
            .map_err(|e| format!("{candidate}: {e}"))?;
        return Ok(shown(&root, &path));
    }
    Err(format!("inbox/{name}: too many files of that name"))
}

fn same_content(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|existing| existing == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_outside_are_made_safe() {
        assert_eq!(sanitised_name(Some("../../etc/passwd"), "doc"), "passwd");
        assert_eq!(sanitised_name(Some("..\\x\\.bashrc"), "doc"), "bashrc");
        assert_eq!(
            sanitised_name(Some("Q3 report (final).pdf"), "doc"),
            "Q3_report__final_.pdf"
        );
        assert_eq!(sanitised_name(Some(".."), "doc.pdf"), "doc.pdf");
        assert_eq!(sanitised_name(None, "doc.bin"), "doc.bin");
        assert_eq!(sanitised_name(Some(&"a".repeat(300)), "d").len(), 100);
    }

    #[test]
    fn text_documents_are_recognised_and_cut() {
        assert!(is_text("text/csv", "x"));
        assert!(is_text("application/octet-stream", "notes.md"));
        assert!(!is_text("application/pdf", "a.pdf"));
        assert_eq!(text_of(b"hello").as_deref(), Some("hello"));
        assert!(text_of(&[0xff, 0xfe]).is_none());
        let long = "é".repeat(MAX_TEXT_CHARS + 5);
        let cut = text_of(long.as_bytes()).unwrap();
        assert!(cut.starts_with(&"é".repeat(MAX_TEXT_CHARS)));
        assert!(cut.ends_with(&format!(
            "the first {MAX_TEXT_CHARS} of {} characters are shown]",
            MAX_TEXT_CHARS + 5
        )));
    }
}
