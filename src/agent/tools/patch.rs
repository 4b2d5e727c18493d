//! `apply_patch`: a unified diff applied to files of the workspace, all or nothing.
//!
//! The diff is the usual `--- a/path` / `+++ b/path` / `@@ -l,s +l,s @@` text (`git diff`
//! output works; `/dev/null` creates or deletes a file). Hunk line counts are not trusted
//! (models often get them wrong): a hunk ends at the next `@@`, the next file header or the end.
//! Each hunk's old lines must be found exactly, at the stated line or the nearest place around
//! it. Every file is checked before any is written, so a patch that fails leaves nothing
//! half-applied.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::fs::{blocking, Limits};
use super::guarded::Place;
use super::walls::Walls;
use super::workspace::{resolve, shown};
use super::{args, Tool, ToolContext};
use crate::providers::ToolSpec;

/// The changes to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePatch {
    /// `None` when the file is created (`--- /dev/null`).
    pub old_path: Option<String>,
    /// `None` when the file is deleted (`+++ /dev/null`).
    pub new_path: Option<String>,
    pub hunks: Vec<Hunk>,
}

/// One `@@` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Hunk {
    /// The old line number from the header (1-based; 0 for an empty file).
    pub old_start: usize,
    /// `(kind, text)` with kind `' '`, `'-'` or `'+'`.
    pub lines: Vec<(char, String)>,
    /// A `\ No newline at end of file` marker followed the new side's last line.
    pub new_lacks_newline: bool,
}

/// Parses a unified diff.
pub(crate) fn parse(patch: &str) -> Result<Vec<FilePatch>, String> {
    let lines: Vec<&str> = patch.lines().collect();
    let mut files: Vec<FilePatch> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        if let (Some(old), Some(new)) = (
            line.strip_prefix("--- "),
            lines.get(index + 1).and_then(|l| l.strip_prefix("+++ ")),
        ) {
            files.push(FilePatch {
                old_path: side(old),
                new_path: side(new),
                hunks: Vec::new(),
            });
            index += 2;
            continue;
        }
        if let Some(header) = line.strip_prefix("@@") {
            let file = files
                .last_mut()
                .ok_or("a hunk (@@) comes before any `--- a/file` / `+++ b/file` header")?;
            let mut hunk = Hunk {
                old_start: old_start(header).ok_or_else(|| format!("bad hunk header {line:?}"))?,
                ..Hunk::default()
            };
            index += 1;
            while index < lines.len() && !ends_hunk(&lines, index) {
                let body = lines[index];
                match body.chars().next() {
                    Some(kind @ (' ' | '-' | '+')) => {
                        hunk.lines.push((kind, body[1..].to_string()));
                    }
                    None => hunk.lines.push((' ', String::new())),
                    Some('\\') => {
                        if matches!(hunk.lines.last(), Some((' ' | '+', _))) {
                            hunk.new_lacks_newline = true;
                        }
                    }
                    Some(_) => return Err(format!("unexpected line in a hunk: {body:?}")),
                }
                index += 1;
            }
            file.hunks.push(hunk);
            continue;
        }
        // `diff --git`, `index ...`, mode lines and commentary between files are skipped.
        index += 1;
    }
    if files.is_empty() {
        return Err("no `--- a/file` / `+++ b/file` header found: expected a unified diff".into());
    }
    Ok(files)
}

fn ends_hunk(lines: &[&str], index: usize) -> bool {
    let line = lines[index];
    line.starts_with("@@")
        || line.starts_with("diff --git ")
        || (line.starts_with("--- ")
            && lines
                .get(index + 1)
                .is_some_and(|next| next.starts_with("+++ ")))
}

/// The path of a `---`/`+++` line: `a/` or `b/` stripped, a tab-separated timestamp dropped,
/// `/dev/null` as `None`.
fn side(text: &str) -> Option<String> {
    let path = text.split('\t').next().unwrap_or(text).trim();
    if path == "/dev/null" {
        return None;
    }
    let path = path
        .strip_prefix("a/")
        .or_else(|| path.strip_prefix("b/"))
        .unwrap_or(path);
    Some(path.to_string())
}

/// `-l,s +l,s @@` → `l`.
fn old_start(header: &str) -> Option<usize> {
    let old = header.trim_start().strip_prefix('-')?;
    let digits: String = old.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The file's text after `hunks`; `old` is `None` for a new file.
pub(crate) fn apply(old: Option<&str>, hunks: &[Hunk]) -> Result<String, String> {
    let text = old.unwrap_or("");
    let had_newline = old.is_none_or(|t| t.is_empty() || t.ends_with('\n'));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut shift: isize = 0;
    let mut lacks_newline = !had_newline;
    for (number, hunk) in hunks.iter().enumerate() {
        let before: Vec<&str> = hunk
            .lines
            .iter()
            .filter(|(kind, _)| *kind != '+')
            .map(|(_, text)| text.as_str())
            .collect();
        let after: Vec<String> = hunk
            .lines
            .iter()
            .filter(|(kind, _)| *kind != '-')
            .map(|(_, text)| text.clone())
            .collect();
        let expected = (hunk.old_start.saturating_sub(1) as isize + shift).max(0) as usize;
        let at = find(&lines, &before, expected).ok_or_else(|| {
            format!(
                "hunk {} (@@ -{}) does not apply: its old lines were not found",
                number + 1,
                hunk.old_start
            )
        })?;
        let end = at + before.len();
        let reaches_end = end == lines.len();
        lines.splice(at..end, after.iter().cloned());
        shift += after.len() as isize - before.len() as isize;
        if reaches_end {
            lacks_newline = hunk.new_lacks_newline;
        }
    }
    let mut out = lines.join("\n");
    if !lines.is_empty() && !lacks_newline {
        out.push('\n');
    }
    Ok(out)
}

/// Where `needle` occurs in `lines`, trying `expected` first and then ever farther around it.
fn find(lines: &[String], needle: &[&str], expected: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(expected.min(lines.len()));
    }
    let fits = |at: usize| {
        at + needle.len() <= lines.len()
            && lines[at..at + needle.len()]
                .iter()
                .zip(needle)
                .all(|(line, want)| line == want)
    };
    let last = lines.len().checked_sub(needle.len())?;
    let expected = expected.min(last);
    (0..=last.max(expected)).find_map(|distance| {
        let below = expected.checked_sub(distance).filter(|at| fits(*at));
        below.or_else(|| Some(expected + distance).filter(|at| *at <= last && fits(*at)))
    })
}

/// `apply_patch`.
pub(crate) struct ApplyPatch {
    pub limits: Limits,
}

impl Tool for ApplyPatch {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "apply_patch".into(),
            description: "Apply a unified diff (as `git diff` prints it) to files of the \
                          workspace. Use `--- /dev/null` to create and `+++ /dev/null` to delete a \
                          file. Either every file changes or none does."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": { "patch": { "type": "string" } },
                "required": ["patch"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let limits = self.limits;
        let root = cx.workspace.to_path_buf();
        let walls = std::sync::Arc::clone(&cx.walls);
        Box::pin(async move {
            let patch = args::string(&arguments, "patch")?.to_string();
            blocking(move || apply_to_workspace(&root, &walls, &patch, limits)).await
        })
    }
}

enum Change {
    Write(PathBuf, String),
    Delete(PathBuf),
}

fn apply_to_workspace(
    root: &Path,
    walls: &Walls,
    patch: &str,
    limits: Limits,
) -> Result<String, String> {
    let files = parse(patch)?;
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("the workspace {} is not usable: {e}", root.display()))?;
    let place = Place {
        root: &real_root,
        walls,
    };
    let mut changes = Vec::new();
    let mut summary = Vec::new();
    for file in &files {
        let Some(name) = file.new_path.as_ref().or(file.old_path.as_ref()) else {
            return Err("a file section names /dev/null on both sides".into());
        };
        let path = resolve(root, name)?;
        if walls.guarding(&path, &[&real_root]).is_some() {
            return Err(Walls::refusal(name));
        }
        let shown_as = shown(root, &path);
        let old = match &file.old_path {
            None if path.exists() => {
                return Err(format!("{shown_as} already exists; the patch creates it"))
            }
            None => None,
            Some(_) => Some(read_old(place, &path, &shown_as, limits)?),
        };
        if file.new_path.is_none() {
            changes.push(Change::Delete(path));
            summary.push(format!("deleted {shown_as}"));
            continue;
        }
        let text = apply(old.as_deref(), &file.hunks).map_err(|e| format!("{shown_as}: {e}"))?;
        if text.len() as u64 > limits.max_write {
            return Err(format!(
                "{shown_as} would be {} bytes, over the {}-byte limit (tools.fs.maxWriteBytes)",
                text.len(),
                limits.max_write
            ));
        }
        summary.push(format!(
            "{} {shown_as}",
            if old.is_some() { "patched" } else { "created" }
        ));
        changes.push(Change::Write(path, text));
    }
    for change in changes {
        match change {
            Change::Write(path, text) => {
                let shown_as = shown(root, &path);
                place
                    .open_write(&path, &shown_as)?
                    .write_all(text.as_bytes())
                    .map_err(|e| format!("{shown_as}: {e}"))?;
            }
            Change::Delete(path) => place.remove(&path, &shown(root, &path))?,
        }
    }
    Ok(summary.join("\n"))
}

/// The current text of a file the patch changes, opened checked, within the size limits.
fn read_old(
    place: Place<'_>,
    path: &Path,
    shown_as: &str,
    limits: Limits,
) -> Result<String, String> {
    let max = limits.max_write.max(limits.max_read);
    let file = place.open_read(path, shown_as)?;
    let len = file
        .metadata()
        .map_err(|e| format!("{shown_as}: {e}"))?
        .len();
    if len > max {
        return Err(format!(
            "{shown_as}: not a regular file within the size limits"
        ));
    }
    let mut text = String::new();
    file.take(max)
        .read_to_string(&mut text)
        .map_err(|e| format!("{shown_as}: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests;
