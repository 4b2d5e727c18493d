//! `read`, `write` and `edit`: files of the caller's workspace, within size limits.
//!
//! Every path goes through [`super::workspace::resolve_for`] (no `..`, no absolute path outside,
//! no symlink out, nothing of Pincer's own state or config), and every file is opened through
//! [`super::guarded::Place`], which checks the opened file again. Only regular files are read or
//! changed (a FIFO would block a thread forever).
//! The work runs in `spawn_blocking`, off the actor system's thread. `edit` replaces one exact
//! occurrence of a text and refuses when it is missing or ambiguous, so the model never changes
//! a place it did not mean.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::args;
use super::guarded::Place;
use super::walls::Walls;
use super::workspace::{place, place_of, resolve_for, shown};
use super::{Tool, ToolContext};
use crate::config::FsTool;
use crate::providers::ToolSpec;

/// Runs `work` on the blocking pool; a panic there is reported as an error.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("the file operation failed: {e}"))?
}

/// The limits of the file tools.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_read: u64,
    pub max_write: u64,
}

impl From<&FsTool> for Limits {
    fn from(config: &FsTool) -> Self {
        Limits {
            max_read: config.max_read_bytes.max(1),
            max_write: config.max_write_bytes.max(1),
        }
    }
}

/// Reads a whole file as text within `max` bytes.
fn read_text(
    place: Place<'_>,
    path: &std::path::Path,
    shown_as: &str,
    max: u64,
) -> Result<String, String> {
    let file = place.open_read(path, shown_as)?;
    let len = file
        .metadata()
        .map_err(|e| format!("{shown_as}: {e}"))?
        .len();
    if len > max {
        return Err(format!(
            "{shown_as} is {len} bytes, over the {max}-byte limit (tools.fs.maxReadBytes)"
        ));
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown_as}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{shown_as} is not UTF-8 text"))
}

fn write_checked(
    place: Place<'_>,
    path: &std::path::Path,
    shown_as: &str,
    text: &str,
    max: u64,
) -> Result<(), String> {
    if text.len() as u64 > max {
        return Err(format!(
            "{shown_as}: {} bytes is over the {max}-byte limit (tools.fs.maxWriteBytes)",
            text.len()
        ));
    }
    let mut file = place.open_write(path, shown_as)?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{shown_as}: {e}"))
}

/// The resolved target of a call: the file, how to show it, and where it may be opened.
struct Target {
    full: PathBuf,
    shown_as: String,
    root: PathBuf,
    walls: Arc<Walls>,
}

impl Target {
    fn place(&self) -> Place<'_> {
        place(&self.root, &self.walls)
    }
}

fn target(cx: &ToolContext, arguments: &Value) -> Result<Target, String> {
    let path = args::string(arguments, "path")?;
    let full = resolve_for(cx, path)?;
    let shown_as = shown(&cx.workspace, &full);
    let (root, walls) = place_of(cx)?;
    Ok(Target {
        full,
        shown_as,
        root,
        walls,
    })
}

/// [`target`] for `read`, which may also open a file of an eligible skill outside the workspace
/// (see [`crate::agent::skills::usage`]); every open is still checked against the walls.
fn read_target(cx: &ToolContext, arguments: &Value) -> Result<Target, String> {
    let refused = match target(cx, arguments) {
        Ok(found) => return Ok(found),
        Err(refused) => refused,
    };
    let path = args::string(arguments, "path")?;
    let Some((full, root)) = cx.skills.as_ref().and_then(|s| s.outside_file(path)) else {
        return Err(refused);
    };
    if cx.walls.guarding(&full, &[&root]).is_some() {
        return Err(Walls::refusal(path));
    }
    Ok(Target {
        shown_as: full.display().to_string(),
        full,
        root,
        walls: Arc::clone(&cx.walls),
    })
}

/// `read`.
pub(crate) struct Read {
    pub limits: Limits,
}

impl Tool for Read {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read".into(),
            description: format!(
                "Read a text file of the workspace. Paths are relative to the workspace. Files over \
                 {} bytes must be read in ranges with offset (first line, from 1) and limit (lines).",
                self.limits.max_read
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "offset": { "type": "integer", "minimum": 1 },
                    "limit": { "type": "integer", "minimum": 1 }
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
        let max = self.limits.max_read;
        let found = read_target(cx, &arguments);
        let skills = cx.skills.clone();
        Box::pin(async move {
            let target = found?;
            let offset = args::opt_u64(&arguments, "offset")?;
            let limit = args::opt_u64(&arguments, "limit")?;
            let read_file = target.full.clone();
            let text = blocking(move || {
                let (place, full, shown_as) = (target.place(), &target.full, &target.shown_as);
                match (offset, limit) {
                    (None, None) => read_text(place, full, shown_as, max),
                    _ => read_lines(
                        place,
                        full,
                        shown_as,
                        offset.unwrap_or(1).max(1),
                        limit,
                        max,
                    ),
                }
            })
            .await?;
            // Reading a skill's SKILL.md is what makes the run use it (its env reaches exec).
            if let Some(skills) = skills {
                let real = read_file.canonicalize().unwrap_or(read_file);
                if let Some(name) = skills.note_read(&real) {
                    tracing::debug!(skill = %name, "the run reads a skill");
                }
            }
            Ok(text)
        })
    }
}

/// Lines `first..first+limit` (1-based), at most `max` bytes of them.
fn read_lines(
    place: Place<'_>,
    path: &std::path::Path,
    shown_as: &str,
    first: u64,
    limit: Option<u64>,
    max: u64,
) -> Result<String, String> {
    let file = place.open_read(path, shown_as)?;
    let mut reader = BufReader::new(file);
    let mut out = String::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut taken = 0u64;
    loop {
        line.clear();
        let read = std::io::Read::take(&mut reader, max + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{shown_as}: {e}"))?;
        if read == 0 {
            break;
        }
        number += 1;
        if number < first {
            continue;
        }
        if limit.is_some_and(|limit| taken >= limit) {
            break;
        }
        let text =
            std::str::from_utf8(&line).map_err(|_| format!("{shown_as} is not UTF-8 text"))?;
        if (out.len() + text.len()) as u64 > max {
            out.push_str(&format!(
                "\n[stopped at line {number}: {max}-byte limit; continue with offset {number}]"
            ));
            return Ok(out);
        }
        out.push_str(text);
        taken += 1;
    }
    if taken == 0 && number < first {
        return Err(format!("{shown_as} has only {number} lines"));
    }
    Ok(out)
}

/// `write`.
pub(crate) struct Write {
    pub limits: Limits,
}

impl Tool for Write {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write".into(),
            description: "Create or overwrite a text file of the workspace (parent folders are \
                          created). Paths are relative to the workspace."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "content": { "type": "string" }
                },
                "required": ["path", "content"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let max = self.limits.max_write;
        let found = target(cx, &arguments);
        Box::pin(async move {
            let target = found?;
            let content = args::string(&arguments, "content")?.to_string();
            blocking(move || {
                let shown_as = &target.shown_as;
                write_checked(target.place(), &target.full, shown_as, &content, max)?;
                Ok(format!("wrote {} bytes to {shown_as}", content.len()))
            })
            .await
        })
    }
}

/// `edit`.
pub(crate) struct Edit {
    pub limits: Limits,
}

impl Tool for Edit {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "edit".into(),
            description: "Replace an exact text in a file of the workspace. old_string must occur \
                          exactly once (include surrounding lines to make it unique); it is \
                          replaced by new_string."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string" },
                    "old_string": { "type": "string" },
                    "new_string": { "type": "string" }
                },
                "required": ["path", "old_string", "new_string"]
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let limits = self.limits;
        let found = target(cx, &arguments);
        Box::pin(async move {
            let target = found?;
            let old = args::string(&arguments, "old_string")?.to_string();
            let new = args::string(&arguments, "new_string")?.to_string();
            blocking(move || {
                let (place, full, shown_as) = (target.place(), &target.full, &target.shown_as);
                let text = read_text(place, full, shown_as, limits.max_write.max(limits.max_read))?;
                let edited =
                    replace_once(&text, &old, &new).map_err(|e| format!("{shown_as}: {e}"))?;
                write_checked(place, full, shown_as, &edited, limits.max_write)?;
                Ok(format!("edited {shown_as}"))
            })
            .await
        })
    }
}

/// `text` with its single occurrence of `old` replaced by `new`.
pub(crate) fn replace_once(text: &str, old: &str, new: &str) -> Result<String, String> {
    if old.is_empty() {
        return Err("old_string is empty".into());
    }
    let mut found = text.match_indices(old);
    let Some((at, _)) = found.next() else {
        return Err("old_string was not found (it must match exactly, whitespace included)".into());
    };
    let more = found.count();
    if more > 0 {
        return Err(format!(
            "old_string occurs {} times; include more surrounding text so it occurs once",
            more + 1
        ));
    }
    let mut edited = String::with_capacity(text.len() + new.len());
    edited.push_str(&text[..at]);
    edited.push_str(new);
    edited.push_str(&text[at + old.len()..]);
    Ok(edited)
}

#[cfg(test)]
mod tests;
