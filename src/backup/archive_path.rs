//! The paths an archive may hold, and where each one is restored.
//!
//! One rule for creation, verification and restore, so that an archive `pincer backup create`
//! writes always verifies and a crafted one cannot write outside the installation:
//! `manifest.json`, `config/pincer.json5`, `state/<relative path>` and
//! `workspace/<relative path>`, where a relative path is made of `/`-separated, non-empty
//! components that are neither `.` nor `..` (so no absolute path and no traversal), and a state
//! path is one [`super::select::state_file_excluded`] lets in (never the runtime file, the lock or
//! a backup).

use std::path::{Path, PathBuf};

use super::select::state_file_excluded;

/// The manifest's archive path.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The config file's archive path, whatever the file is called on disk.
pub(crate) const CONFIG: &str = "config/pincer.json5";

/// Which part of the installation an archive path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    /// The config file.
    Config,
    /// Something under the state directory.
    State,
    /// Something under the agent workspace.
    Workspace,
}

/// A checked archive path of a file (never the manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchivePath {
    /// The part of the installation.
    pub area: Area,
    /// The path below the area's root (empty for [`Area::Config`]); only normal components.
    pub relative: PathBuf,
}

impl ArchivePath {
    /// Where this file goes, given the installation's roots.
    pub(crate) fn destination(
        &self,
        config_file: &Path,
        state_dir: &Path,
        workspace: &Path,
    ) -> PathBuf {
        match self.area {
            Area::Config => config_file.to_path_buf(),
            Area::State => state_dir.join(&self.relative),
            Area::Workspace => workspace.join(&self.relative),
        }
    }
}

/// The components of an archive entry's path when it is a safe relative path: `/`-separated,
/// non-empty components that are neither `.` nor `..`, no backslash or NUL (so no absolute path
/// and no traversal). Every untrusted archive Pincer reads (backups, skill installs) goes
/// through it.
pub(crate) fn safe_components(path: &str) -> Result<Vec<&str>, String> {
    let unsafe_path = || {
        format!("unsafe path {path:?} in the archive (absolute, empty, or containing `.`/`..`): refusing it")
    };
    if path.is_empty() || path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(unsafe_path());
    }
    let components: Vec<&str> = path.split('/').collect();
    if components
        .iter()
        .any(|c| c.is_empty() || *c == "." || *c == "..")
    {
        return Err(unsafe_path());
    }
    Ok(components)
}

/// Checks an archive path; the error says what is wrong with it, for a verification report.
pub(crate) fn parse(path: &str) -> Result<ArchivePath, String> {
    let components = safe_components(path)?;
    let unsafe_path = || format!("unsafe path {path:?} in the archive: refusing it");
    let (top, rest) = components.split_first().ok_or_else(unsafe_path)?;
    let relative: PathBuf = rest.iter().collect();
    match *top {
        "config" if path == CONFIG => Ok(ArchivePath {
            area: Area::Config,
            relative: PathBuf::new(),
        }),
        "state" if !rest.is_empty() => {
            if state_file_excluded(rest) {
                return Err(format!(
                    "{path:?} is not restorable state (runtime file, lock, start history, log, cache or backup)"
                ));
            }
            Ok(ArchivePath {
                area: Area::State,
                relative,
            })
        }
        "workspace" if !rest.is_empty() => Ok(ArchivePath {
            area: Area::Workspace,
            relative,
        }),
        _ => Err(format!(
            "unexpected path {path:?} in the archive (not config/, state/ or workspace/)"
        )),
    }
}

/// Joins a root-relative path's components with `/` for the archive, or `None` when a component
/// is not UTF-8 (the manifest is JSON).
pub(crate) fn join(prefix: &str, relative: &Path) -> Option<String> {
    let mut out = prefix.to_string();
    for component in relative.components() {
        out.push('/');
        out.push_str(component.as_os_str().to_str()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_areas_map_to_their_roots() {
        let roots = (
            Path::new("/c/pincer.json5"),
            Path::new("/s"),
            Path::new("/w"),
        );
        let dest = |p: &str| {
            parse(p)
                .map(|a| a.destination(roots.0, roots.1, roots.2))
                .map_err(|e| e.to_string())
        };
        assert_eq!(dest(CONFIG), Ok(PathBuf::from("/c/pincer.json5")));
        assert_eq!(
            dest("state/agents/main/sessions/x.jsonl"),
            Ok(PathBuf::from("/s/agents/main/sessions/x.jsonl"))
        );
        assert_eq!(dest("workspace/a/b.md"), Ok(PathBuf::from("/w/a/b.md")));
    }

    #[test]
    fn traversal_and_absolute_paths_are_refused() {
        for bad in [
            "/etc/passwd",
            "state/../../evil",
            "workspace/../x",
            "state/./x",
            "state//x",
            "",
            "state/a\\..\\b",
            "..",
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains("unsafe path"), "{bad}: {error}");
        }
    }

    #[test]
    fn runtime_files_and_unknown_roots_are_refused() {
        for bad in [
            "state/gateway.json",
            "state/gateway.lock",
            "state/backups/pincer-backup-x.tar.gz",
            "config/other.json5",
            "etc/x",
            "state",
            MANIFEST,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn join_uses_forward_slashes() {
        assert_eq!(
            join("state", Path::new("agents/main/x.jsonl")).as_deref(),
            Some("state/agents/main/x.jsonl")
        );
    }
}
