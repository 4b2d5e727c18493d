//! The notes and their paragraphs: which files are memory (`MEMORY.md`, `memory/**/*.md`, two
//! levels deep), how a note is cut into paragraphs (blank lines and headings end one), each with
//! its file and line range, and the content hash that decides whether a paragraph must be
//! embedded again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A SHA-256 of some text: a note's whole content or one paragraph's.
pub type ContentHash = [u8; 32];

/// The hash of `text`.
pub fn content_hash(text: &str) -> ContentHash {
    Sha256::digest(text.as_bytes()).into()
}

/// A paragraph of a note.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Chunk {
    /// The note's path relative to the workspace (`memory/2025-01-02.md`).
    pub path: String,
    /// First and last line, counted from 1.
    pub first_line: usize,
    pub last_line: usize,
    pub text: String,
}

/// Whether `relative` (a workspace path) is a memory file.
pub(crate) fn is_memory_file(relative: &str) -> bool {
    let relative = relative.trim_start_matches("./");
    relative.eq_ignore_ascii_case("MEMORY.md")
        || (relative.starts_with("memory/") && relative.to_ascii_lowercase().ends_with(".md"))
}

/// Every memory file of `root`: `MEMORY.md` and `memory/**/*.md` (two levels deep), sorted.
pub(crate) fn memory_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let main = root.join("MEMORY.md");
    if main.is_file() {
        files.push(main);
    }
    let mut dirs = vec![(root.join("memory"), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && depth < 1 {
                dirs.push((path, depth + 1));
            } else if kind.is_file()
                && path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("md"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The paragraphs of `text` (separated by blank lines or headings), for the note `path`.
pub fn chunks(path: &str, text: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut current: Option<Chunk> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let heading = line.starts_with('#');
        if line.trim().is_empty() || heading {
            out.extend(current.take());
        }
        if line.trim().is_empty() {
            continue;
        }
        let chunk = current.get_or_insert_with(|| Chunk {
            path: path.to_string(),
            first_line: number,
            last_line: number,
            text: String::new(),
        });
        if !chunk.text.is_empty() {
            chunk.text.push('\n');
        }
        chunk.text.push_str(line);
        chunk.last_line = number;
    }
    out.extend(current);
    out
}

/// The lower-cased words of `text` of two characters or more: what BM25 counts.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_end_at_blank_lines_and_headings() {
        let note = "# Family\nAnna's birthday is on 3 May.\nShe likes tulips.\n\n# Work\nThe \
                    quarterly report is due in May.\n\nBuy coffee beans.\n";
        let all = chunks("MEMORY.md", note);
        let ranges: Vec<(usize, usize)> = all.iter().map(|c| (c.first_line, c.last_line)).collect();
        assert_eq!(ranges, [(1, 3), (5, 6), (8, 8)], "{all:?}");
        assert_eq!(all[2].text, "Buy coffee beans.");
        assert_eq!(content_hash("a"), content_hash("a"));
        assert_ne!(content_hash("a"), content_hash("b"));
    }

    #[test]
    fn memory_files_are_found_and_others_refused() {
        assert!(is_memory_file("MEMORY.md"));
        assert!(is_memory_file("memory/2025-01-02.md"));
        assert!(!is_memory_file("notes.md"));
        assert!(!is_memory_file("memory/secret.txt"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("memory/old")).unwrap();
        std::fs::write(dir.path().join("MEMORY.md"), "m").unwrap();
        std::fs::write(dir.path().join("memory/a.md"), "a").unwrap();
        std::fs::write(dir.path().join("memory/old/b.md"), "b").unwrap();
        std::fs::write(dir.path().join("memory/c.txt"), "c").unwrap();
        let found: Vec<String> = memory_files(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["MEMORY.md", "memory/a.md", "memory/old/b.md"]);
    }
}
