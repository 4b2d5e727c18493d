//! Which paths an `exec` command's Landlock ruleset grants, so that everything stays readable
//! except Pincer's own state and config.
//!
//! Landlock only allows (a rule on a folder covers everything beneath it), so "all but the
//! state directory" is spelled out: walking from `/` down to each protected path, every sibling
//! met on the way is granted whole, while the folders on the way themselves are not (a grant on
//! one would cover the protected path too). The caller's open roots (its workspace, the exec
//! temp folder) are granted even inside a protected folder, and their siblings there are not.
//! A protected path inside an open root (a workspace around the state directory) is walked
//! around the same way.
//!
//! What follows from granting by inode: a file or folder created later directly inside one of
//! the walked folders (e.g. in `$HOME` when the state lives in `~/.local/state/pincer`) is not
//! covered until the next command; symlinks met on the walk are never granted (access through
//! one is decided by its target's place).

use std::path::{Path, PathBuf};

/// How much a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// Read files and execute them.
    Read,
    /// Everything the ruleset handles (the workspace and temp folder of a confined command).
    Full,
}

/// One path to grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub path: PathBuf,
    pub access: Access,
}

/// The grants that leave every path of `protected` (canonical) out, with `open` (canonical
/// roots and their access) in.
pub(crate) fn plan(protected: &[PathBuf], open: &[(PathBuf, Access)]) -> Vec<Grant> {
    let mut out = Vec::new();
    let walk = Walk { protected, open };
    walk.visit(Path::new("/"), false, Access::Read, &mut out);
    out
}

struct Walk<'a> {
    protected: &'a [PathBuf],
    open: &'a [(PathBuf, Access)],
}

impl Walk<'_> {
    fn visit(&self, path: &Path, hidden: bool, inherited: Access, out: &mut Vec<Grant>) {
        let opened = self.open.iter().find(|(root, _)| root == path);
        let access = opened.map_or(inherited, |(_, access)| (*access).max(inherited));
        let hidden = match opened {
            Some(_) => false,
            None => hidden || self.protected.iter().any(|p| p == path),
        };
        let protected_below = self.protected.iter().any(|p| is_below(p, path));
        let open_below: Vec<&(PathBuf, Access)> = self
            .open
            .iter()
            .filter(|(root, _)| is_below(root, path))
            .collect();
        if !hidden && !protected_below {
            out.push(Grant {
                path: path.to_path_buf(),
                access,
            });
            // Deeper open roots that allow more (nothing protected is below them here).
            out.extend(
                open_below
                    .iter()
                    .filter(|(_, more)| *more > access)
                    .map(|(root, more)| Grant {
                        path: root.clone(),
                        access: *more,
                    }),
            );
            return;
        }
        if hidden {
            // Only the way to the open roots inside; nothing else of this folder.
            let mut next: Vec<PathBuf> = open_below
                .iter()
                .filter_map(|(root, _)| child_toward(path, root))
                .collect();
            next.sort();
            next.dedup();
            for child in next {
                self.visit(&child, true, access, out);
            }
            return;
        }
        let Ok(listing) = std::fs::read_dir(path) else {
            return;
        };
        for entry in listing.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_symlink()) {
                continue;
            }
            self.visit(&entry.path(), false, access, out);
        }
    }
}

/// Whether `path` lies strictly below `dir`.
fn is_below(path: &Path, dir: &Path) -> bool {
    path != dir && path.starts_with(dir)
}

/// The child of `dir` on the way to `target` (which lies below `dir`).
fn child_toward(dir: &Path, target: &Path) -> Option<PathBuf> {
    let rest = target.strip_prefix(dir).ok()?;
    let first = rest.components().next()?;
    Some(dir.join(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        for folder in [
            "project/src",
            "state/agents/main/workspace/sub",
            "state/agents/main/sessions",
            "state/tmp/exec",
            "config",
        ] {
            std::fs::create_dir_all(home.join(folder)).unwrap();
        }
        for file in [
            "state/secrets.env",
            "config/pincer.json5",
            "config/theme.css",
            "notes.txt",
        ] {
            std::fs::write(home.join(file), "x").unwrap();
        }
        std::os::unix::fs::symlink(home.join("state"), home.join("state-link")).unwrap();
        (dir, home)
    }

    fn granted<'a>(grants: &'a [Grant], path: &Path) -> Option<&'a Grant> {
        grants.iter().find(|g| path.starts_with(&g.path))
    }

    #[test]
    fn everything_but_the_protected_paths_is_granted() {
        let (_dir, home) = tree();
        let workspace = home.join("state/agents/main/workspace");
        let protected = [home.join("state"), home.join("config/pincer.json5")];
        let open = [
            (workspace.clone(), Access::Full),
            (home.join("state/tmp/exec"), Access::Full),
        ];
        let grants = plan(&protected, &open);

        for hidden in [
            "state/secrets.env",
            "state/agents/main/sessions",
            "config/pincer.json5",
            "state",
        ] {
            assert!(
                granted(&grants, &home.join(hidden)).is_none(),
                "{hidden} must stay ungranted: {grants:?}"
            );
        }
        for path in ["project/src", "notes.txt", "config/theme.css"] {
            assert_eq!(
                granted(&grants, &home.join(path)).map(|g| g.access),
                Some(Access::Read),
                "{path}"
            );
        }
        assert_eq!(
            granted(&grants, &workspace.join("sub")).map(|g| g.access),
            Some(Access::Full)
        );
        assert!(granted(&grants, Path::new("/usr/bin")).is_some());
        assert!(
            !grants.iter().any(|g| g.path == home.join("state-link")),
            "symlinks are never granted"
        );
        for grant in &grants {
            for secret in &protected {
                assert!(
                    !secret.starts_with(&grant.path),
                    "{} covers {}",
                    grant.path.display(),
                    secret.display()
                );
            }
        }
    }

    #[test]
    fn a_workspace_around_the_state_dir_is_walked_around_it() {
        let (_dir, home) = tree();
        let protected = [home.join("state"), home.join("config/pincer.json5")];
        let grants = plan(&protected, &[(home.clone(), Access::Full)]);
        assert_eq!(
            granted(&grants, &home.join("project/src")).map(|g| g.access),
            Some(Access::Full)
        );
        assert!(granted(&grants, &home.join("state/secrets.env")).is_none());
        assert!(granted(&grants, &home.join("config/pincer.json5")).is_none());
        assert!(granted(&grants, &home.join("config/theme.css")).is_some());
        assert!(!grants.iter().any(|g| g.path == home));
    }
}
