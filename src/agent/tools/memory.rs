//! `memory_search` and `memory_get`: the agent's notes, `MEMORY.md` and `memory/*.md` in its
//! workspace, as OpenClaw keeps them.
//!
//! Search splits every note into paragraphs (with their line numbers) and ranks them by BM25
//! over lower-cased words: enough for a personal memory of a few hundred notes, no index to
//! keep up to date. `memory_get` reads lines of one note; it only opens memory files.

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::fs::blocking;
use super::guarded::Place;
use super::workspace::{place, place_of, resolve_for, shown};
use super::{args, Tool, ToolContext};
use crate::providers::ToolSpec;

/// Notes larger than this are skipped (they are not notes).
const MAX_NOTE_BYTES: u64 = 1 << 20;
/// Characters of a paragraph shown in a search result.
const SNIPPET_CHARS: usize = 700;

/// A paragraph of a note.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chunk {
    pub path: String,
    pub first_line: usize,
    pub last_line: usize,
    pub text: String,
}

/// Whether `relative` (a workspace path) is a memory file.
fn is_memory_file(relative: &str) -> bool {
    let relative = relative.trim_start_matches("./");
    relative.eq_ignore_ascii_case("MEMORY.md")
        || (relative.starts_with("memory/") && relative.to_ascii_lowercase().ends_with(".md"))
}

/// Every memory file of `root`: `MEMORY.md` and `memory/**/*.md` (two levels deep).
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

/// The paragraphs of `text` (separated by blank lines or headings).
pub(crate) fn chunks(path: &str, text: &str) -> Vec<Chunk> {
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

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect()
}

/// `chunks` ranked by BM25 against `query`, best first, without the ones matching nothing.
pub(crate) fn rank(chunks: &[Chunk], query: &str, limit: usize) -> Vec<(f64, Chunk)> {
    let terms: Vec<String> = {
        let mut terms = words(query);
        terms.sort();
        terms.dedup();
        terms
    };
    let docs: Vec<Vec<String>> = chunks.iter().map(|c| words(&c.text)).collect();
    let count = docs.len().max(1) as f64;
    let average = docs.iter().map(Vec::len).sum::<usize>() as f64 / count;
    let (k1, b) = (1.2, 0.75);
    let mut scored: Vec<(f64, Chunk)> = docs
        .iter()
        .zip(chunks)
        .filter_map(|(doc, chunk)| {
            let score: f64 = terms
                .iter()
                .map(|term| {
                    let tf = doc.iter().filter(|w| *w == term).count() as f64;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    let df = docs.iter().filter(|d| d.contains(term)).count() as f64;
                    let idf = ((count - df + 0.5) / (df + 0.5) + 1.0).ln();
                    let length = doc.len() as f64 / average.max(1.0);
                    idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * length))
                })
                .sum();
            (score > 0.0).then(|| (score, chunk.clone()))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(limit);
    scored
}

/// `memory_search`.
pub(crate) struct MemorySearch;

impl Tool for MemorySearch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "memory_search".into(),
            description: "Search your notes (MEMORY.md and memory/*.md in the workspace) by \
                          keywords; returns the best matching paragraphs with file and lines."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "query": { "type": "string" },
                    "maxResults": { "type": "integer", "minimum": 1, "maximum": 20 }
                },
                "required": ["query"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let root = cx.workspace.to_path_buf();
        let opened = place_of(cx);
        Box::pin(async move {
            let (real_root, walls) = opened?;
            let query = args::string(&arguments, "query")?.to_string();
            let limit = args::opt_u64(&arguments, "maxResults")?
                .unwrap_or(5)
                .clamp(1, 20);
            blocking(move || {
                let mut all = Vec::new();
                let place = place(&real_root, &walls);
                for file in memory_files(&root) {
                    let shown_as = shown(&root, &file);
                    if let Ok(text) = read_note(place, &file, &shown_as) {
                        all.extend(chunks(&shown_as, &text));
                    }
                }
                let ranked = rank(&all, &query, usize::try_from(limit).unwrap_or(5));
                let results: Vec<Value> = ranked
                    .into_iter()
                    .map(|(score, chunk)| {
                        json!({
                            "path": chunk.path, "lines": format!("{}-{}", chunk.first_line, chunk.last_line),
                            "score": (score * 100.0).round() / 100.0,
                            "text": chunk.text.chars().take(SNIPPET_CHARS).collect::<String>(),
                        })
                    })
                    .collect();
                Ok(json!({ "query": query, "results": results }).to_string())
            })
            .await
        })
    }
}

/// A note's text, opened checked ([`Place`]), at most [`MAX_NOTE_BYTES`].
fn read_note(place: Place<'_>, file: &Path, shown_as: &str) -> Result<String, String> {
    use std::io::Read;
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

/// `memory_get`.
pub(crate) struct MemoryGet;

impl Tool for MemoryGet {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "memory_get".into(),
            description: "Read lines of a memory file (MEMORY.md or memory/*.md), e.g. around a \
                          memory_search result."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "from": { "type": "integer", "minimum": 1 },
                    "lines": { "type": "integer", "minimum": 1 }
                },
                "required": ["path"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let root = cx.workspace.to_path_buf();
        let checked = args::string(&arguments, "path").and_then(|path| resolve_for(cx, path));
        let opened = place_of(cx);
        Box::pin(async move {
            let full = checked?;
            let (real_root, walls) = opened?;
            let path = args::string(&arguments, "path")?.to_string();
            let from = args::opt_u64(&arguments, "from")?.unwrap_or(1).max(1);
            let count = args::opt_u64(&arguments, "lines")?
                .unwrap_or(200)
                .clamp(1, 2000);
            blocking(move || {
                let relative = shown(&root, &full);
                if !is_memory_file(&relative) {
                    return Err(format!(
                        "{path} is not a memory file (MEMORY.md or memory/*.md)"
                    ));
                }
                let text = read_note(place(&real_root, &walls), &full, &relative)?;
                let skip = usize::try_from(from - 1).unwrap_or(usize::MAX);
                let take = usize::try_from(count).unwrap_or(200);
                let lines: Vec<&str> = text.lines().skip(skip).take(take).collect();
                Ok(lines.join("\n"))
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_rank_by_keywords() {
        let note = "# Family\nAnna's birthday is on 3 May.\nShe likes tulips.\n\n# Work\nThe \
                    quarterly report is due in May.\n\nBuy coffee beans.\n";
        let all = chunks("MEMORY.md", note);
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(
            (all[0].first_line, all[0].last_line),
            (1, 3),
            "headings open a paragraph"
        );
        let ranked = rank(&all, "Anna birthday", 5);
        assert_eq!(ranked.len(), 1);
        assert!(ranked[0].1.text.contains("tulips"));
        let may = rank(&all, "may report", 5);
        assert_eq!(may.len(), 2);
        assert!(may[0].1.text.contains("quarterly"), "two terms beat one");
        assert!(rank(&all, "nothing matches", 5).is_empty());
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
            .map(|p| shown(dir.path(), p))
            .collect();
        assert_eq!(found, ["MEMORY.md", "memory/a.md", "memory/old/b.md"]);
    }
}
