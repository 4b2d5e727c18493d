//! What goes into a backup: the walk over the config file, the state directory and the workspace.
//!
//! The state rule: everything under the state directory, except what only makes sense for the
//! process or machine that wrote it, or is derived: the top-level `backups/`, `logs/`, `log/`,
//! `cache/`, `caches/` and `tmp/` folders; the top-level `gateway.json` (runtime file),
//! `gateway.lock`, `starts.json` and `safe-mode` (the crash-loop breaker's history); and anywhere,
//! files named `*.tmp`, `*.lock`, `*.log` or `*.log.<n>` (temporary files of atomic writes, locks,
//! logs and rotated logs). So session transcripts and their index, the token and any store a
//! later feature adds (pairing, allowlists, journals) are included without this module knowing
//! them.
//!
//! Only regular files are archived: symbolic links and special files are skipped and reported
//! (following links could leave the installation or loop), as are names that are not UTF-8. The
//! output folder and, for the workspace, the state directory are never descended into, so an
//! archive never contains itself or the state twice.

use std::fs;
use std::path::{Path, PathBuf};

use super::archive_path::{self, CONFIG};
use super::layout::Layout;
use super::BackupError;

/// Top-level folders of the state directory that are never backed up.
pub(crate) const EXCLUDED_STATE_DIRS: &[&str] =
    &["backups", "logs", "log", "cache", "caches", "tmp"];
/// Top-level files of the state directory that are never backed up.
///
/// `starts.json` and `safe-mode` are the crash-loop breaker's record of this machine's starts
/// (`gateway::safe_mode`): a backup taken while the gateway runs would carry its start as
/// unclean, and a restored installation must not inherit another one's crash history.
pub(crate) const EXCLUDED_STATE_FILES: &[&str] =
    &["gateway.json", "gateway.lock", "starts.json", "safe-mode"];

/// Whether the state file at these path components (below the state directory) stays out.
pub(crate) fn state_file_excluded(components: &[&str]) -> bool {
    let Some((first, rest)) = components.split_first() else {
        return true;
    };
    if !rest.is_empty() && EXCLUDED_STATE_DIRS.contains(first) {
        return true;
    }
    if rest.is_empty() && EXCLUDED_STATE_FILES.contains(first) {
        return true;
    }
    components.last().is_some_and(|name| transient_name(name))
}

/// Temporary files, locks, logs and rotated logs (`x.log.1`, `x.log.2025-01-01`).
fn transient_name(name: &str) -> bool {
    if name.ends_with(".tmp") || name.ends_with(".lock") || name.ends_with(".log") {
        return true;
    }
    name.rsplit_once(".log.").is_some_and(|(_, suffix)| {
        !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    })
}

/// One file to archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    /// Its path in the archive.
    pub archive_path: String,
    /// Its path on disk.
    pub file: PathBuf,
}

/// The files of a backup, and what was left out that the operator should hear about.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub sources: Vec<Source>,
    pub notes: Vec<String>,
}

/// Which parts to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Only the config file (`--only-config`).
    pub only_config: bool,
    /// The workspace too (not `--no-workspace`).
    pub workspace: bool,
}

/// Lists the files of `layout` within `scope`, never entering the folders in `avoid`.
pub(crate) fn select(
    layout: &Layout,
    scope: Scope,
    avoid: &[PathBuf],
) -> Result<Selection, BackupError> {
    let mut selection = Selection::default();
    if layout.config_file.is_file() {
        selection.sources.push(Source {
            archive_path: CONFIG.to_string(),
            file: layout.config_file.clone(),
        });
    }
    if scope.only_config {
        return Ok(selection);
    }
    let mut avoid: Vec<PathBuf> = avoid.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut walk = Walk {
        root: &layout.state_dir,
        prefix: "state",
        state_rule: true,
        avoid: &avoid,
        out: &mut selection,
    };
    walk.dir(Path::new(""))?;
    if !scope.workspace {
        return Ok(selection);
    }
    let Some(workspace) = &layout.workspace else {
        return Ok(selection);
    };
    if !workspace.is_dir() {
        selection.notes.push(format!(
            "workspace {} does not exist; not included",
            workspace.display()
        ));
        return Ok(selection);
    }
    avoid.extend(layout.state_dir.canonicalize().ok());
    let mut walk = Walk {
        root: workspace,
        prefix: "workspace",
        state_rule: false,
        avoid: &avoid,
        out: &mut selection,
    };
    walk.dir(Path::new(""))?;
    Ok(selection)
}

/// A depth-first, name-ordered walk of one root.
struct Walk<'a> {
    root: &'a Path,
    prefix: &'static str,
    state_rule: bool,
    avoid: &'a [PathBuf],
    out: &'a mut Selection,
}

impl Walk<'_> {
    fn dir(&mut self, relative: &Path) -> Result<(), BackupError> {
        let dir = self.root.join(relative);
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            // Gone since its parent was listed (or a root that does not exist): nothing to copy.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(BackupError::Io { path: dir, source }),
        };
        let mut entries = Vec::new();
        for entry in listing {
            entries.push(entry.map_err(BackupError::io(&dir))?);
        }
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            let child = relative.join(entry.file_name());
            let Some(archive_path) = archive_path::join(self.prefix, &child) else {
                self.note("skipped a name that is not UTF-8", &path);
                continue;
            };
            let components: Vec<&str> = archive_path.split('/').skip(1).collect();
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(BackupError::Io { path, source }),
            };
            if kind.is_dir() {
                let top_excluded = self.state_rule
                    && components.len() == 1
                    && EXCLUDED_STATE_DIRS.contains(&components[0]);
                let avoided = path
                    .canonicalize()
                    .is_ok_and(|real| self.avoid.contains(&real));
                if !top_excluded && !avoided {
                    self.dir(&child)?;
                }
            } else if kind.is_file() {
                if self.state_rule && state_file_excluded(&components) {
                    continue;
                }
                self.out.sources.push(Source {
                    archive_path,
                    file: path,
                });
            } else if kind.is_symlink() {
                self.note("skipped a symbolic link", &path);
            } else {
                self.note("skipped a special file", &path);
            }
        }
        Ok(())
    }

    fn note(&mut self, what: &str, path: &Path) {
        self.out.notes.push(format!("{what}: {}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_rule() {
        let excluded = |p: &str| state_file_excluded(&p.split('/').collect::<Vec<_>>());
        for out in [
            "gateway.json",
            "gateway.lock",
            "starts.json",
            "safe-mode",
            "gateway.json.tmp",
            "backups/pincer-backup-1.tar.gz",
            "logs/gateway.log",
            "cache/x",
            "agents/main/sessions/.sessions.json.12.tmp",
            "gateway.log",
            "gateway.log.3",
            "pairing.lock",
        ] {
            assert!(excluded(out), "{out} should be left out");
        }
        for kept in [
            "gateway.token",
            "agents/main/sessions/sessions.json",
            "agents/main/sessions/abc.jsonl",
            "agents/main/sessions/abc.jsonl.reset-123",
            "pairing.json",
            "allowlist/telegram.json",
            "journal.jsonl",
            "agents/gateway.json",
            "catalog.md",
            "changelog.log.md",
        ] {
            assert!(!excluded(kept), "{kept} should be kept");
        }
    }

    #[test]
    fn the_walk_follows_the_rule_and_skips_links() {
        let tmp = tempfile::tempdir().expect("tmp");
        let state = tmp.path().join("state");
        let work = tmp.path().join("work");
        for dir in [
            state.join("agents/main/sessions"),
            state.join("backups"),
            work.join("notes"),
        ] {
            fs::create_dir_all(dir).expect("dirs");
        }
        for (path, text) in [
            (state.join("gateway.token"), "t"),
            (state.join("gateway.json"), "{}"),
            (state.join("gateway.lock"), ""),
            (state.join("agents/main/sessions/a.jsonl"), "{}\n"),
            (state.join("backups/old.tar.gz"), "x"),
            (work.join("notes/todo.md"), "- x"),
            (tmp.path().join("pincer.json5"), "{}"),
        ] {
            fs::write(path, text).expect("write");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", work.join("link")).expect("symlink");
        let layout = Layout {
            config_file: tmp.path().join("pincer.json5"),
            state_dir: state.clone(),
            workspace: Some(work),
        };
        let all = Scope {
            only_config: false,
            workspace: true,
        };
        let selection = select(&layout, all, &[]).expect("select");
        let paths: Vec<&str> = selection
            .sources
            .iter()
            .map(|s| s.archive_path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "config/pincer.json5",
                "state/agents/main/sessions/a.jsonl",
                "state/gateway.token",
                "workspace/notes/todo.md"
            ]
        );
        #[cfg(unix)]
        assert!(
            selection.notes.iter().any(|n| n.contains("symbolic link")),
            "{:?}",
            selection.notes
        );
        let only = Scope {
            only_config: true,
            workspace: true,
        };
        assert_eq!(select(&layout, only, &[]).expect("select").sources.len(), 1);
        let no_workspace = Scope {
            only_config: false,
            workspace: false,
        };
        let selection = select(&layout, no_workspace, &[state.join("agents")]).expect("select");
        assert_eq!(selection.sources.len(), 2, "{:?}", selection.sources);
    }
}
