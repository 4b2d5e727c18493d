//! OpenClaw's workspace files for Pincer's workspace: the prompt files (AGENTS.md, SOUL.md,
//! USER.md, IDENTITY.md, TOOLS.md, MEMORY.md) and the `memory/` and `skills/` folders, copied
//! file by file under the same bounds as everything else read from the home (names checked,
//! symlinks kept inside, sizes and counts bounded). Anything else in the folder is reported.

use super::plan::Skipped;
use super::source::{Source, SourceError, MAX_WORKSPACE_FILE_BYTES};

/// The files the import copies from the workspace's top level.
pub(crate) const FILES: [&str; 7] = [
    "AGENTS.md",
    "SOUL.md",
    "USER.md",
    "IDENTITY.md",
    "TOOLS.md",
    "MEMORY.md",
    // The heartbeat's checklist (agents.defaults.heartbeat reads it).
    "HEARTBEAT.md",
];

/// The folders it copies whole.
pub(crate) const FOLDERS: [&str; 2] = ["memory", "skills"];

/// At most this many files are copied, and folders this deep.
const MAX_FILES: usize = 5_000;
const MAX_DEPTH: usize = 8;

/// What will be copied: relative paths (`memory/2026-01-02.md`) with their size.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Files {
    pub files: Vec<(String, u64)>,
    pub skipped: Vec<Skipped>,
    pub problems: Vec<Skipped>,
}

/// Lists the workspace files of `source` (a workspace folder).
pub(crate) fn list(source: &Source) -> Files {
    let mut out = Files::default();
    let entries = match source.list("") {
        Ok(entries) => entries,
        Err(error) => {
            out.problems.push(Skipped {
                what: source.dir.display().to_string(),
                reason: error.to_string(),
            });
            return out;
        }
    };
    for entry in entries {
        match entry {
            Ok((name, false)) if FILES.contains(&name.as_str()) => add(source, &name, &mut out),
            Ok((name, true)) if FOLDERS.contains(&name.as_str()) => {
                walk(source, &name, 1, &mut out)
            }
            Ok((name, _)) => out.skipped.push(Skipped {
                what: format!("workspace/{name}"),
                reason: match name.as_str() {
                    "BOOTSTRAP.md" => "OpenClaw's first-run ritual; Pincer has none".into(),
                    _ => "not one of OpenClaw's workspace files".into(),
                },
            }),
            // Hidden entries (.git, .DS_Store) are not workspace files: left without a word.
            Err((name, SourceError::OddName(_))) if name.starts_with('.') => {}
            Err((name, error)) => out.problems.push(Skipped {
                what: format!("{}/{name:?}", source.dir.display()),
                reason: error.to_string(),
            }),
        }
    }
    out
}

fn add(source: &Source, relative: &str, out: &mut Files) {
    if out.files.len() >= MAX_FILES {
        out.problems.push(Skipped {
            what: source.display(relative),
            reason: format!("more than {MAX_FILES} workspace files; the rest are not copied"),
        });
        return;
    }
    // Read once now so that a refused file is reported in the plan, not halfway through.
    match source.read(relative, MAX_WORKSPACE_FILE_BYTES) {
        Ok(bytes) => out.files.push((relative.to_string(), bytes.len() as u64)),
        Err(error) => out.problems.push(Skipped {
            what: source.display(relative),
            reason: error.to_string(),
        }),
    }
}

fn walk(source: &Source, relative: &str, depth: usize, out: &mut Files) {
    if depth > MAX_DEPTH {
        out.problems.push(Skipped {
            what: source.display(relative),
            reason: format!("nested deeper than {MAX_DEPTH} folders; not copied"),
        });
        return;
    }
    let entries = match source.list(relative) {
        Ok(entries) => entries,
        Err(error) => {
            out.problems.push(Skipped {
                what: source.display(relative),
                reason: error.to_string(),
            });
            return;
        }
    };
    for entry in entries {
        match entry {
            Ok((name, true)) => walk(source, &format!("{relative}/{name}"), depth + 1, out),
            Ok((name, false)) => add(source, &format!("{relative}/{name}"), out),
            Err((name, SourceError::OddName(_))) if name.starts_with('.') => {}
            Err((name, error)) => out.problems.push(Skipped {
                what: format!("{}/{name:?}", source.display(relative)),
                reason: error.to_string(),
            }),
        }
    }
}
