//! Where tools may touch files: the workspace, and a folder of its own per sandboxed session.
//!
//! The main workspace is `agent.workspace` (else `agents.defaults.workspace`, else
//! `<state>/agents/main/workspace`), created when the gateway starts. A sandboxed session other
//! than the main one works in `<state>/sandboxes/<slug of its key>`, created at its first tool
//! call (a session that only talks leaves no folder; empty ones are removed at start), so a
//! group chat can never read or change the owner's files.
//!
//! [`resolve`] confines a path the model gave: relative paths are taken from the root, `..` is
//! refused outright, an absolute path must lie inside the root, and the deepest existing part of
//! the path is canonicalised (following symlinks) and must still lie inside the root, so a
//! symlink pointing out of the workspace is refused too. [`resolve_for`] adds the
//! [`Walls`]: a path inside Pincer's state directory or config is refused even when the workspace
//! contains it. A symlink swapped in after these checks (by a background `exec` command) is
//! caught when the file is opened ([`super::guarded`]).

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::guarded::Place;
use super::walls::Walls;
use super::ToolContext;
use crate::sessions::key::MAIN;

/// The main workspace, the root of the per-session sandboxes, and the walls around Pincer's
/// own files.
#[derive(Debug, Clone)]
pub struct Workspaces {
    pub main: PathBuf,
    pub sandboxes: PathBuf,
    pub walls: Arc<Walls>,
}

impl Workspaces {
    pub fn new(main: PathBuf, state_dir: &Path, walls: Walls) -> Self {
        Workspaces {
            main,
            sandboxes: state_dir.join("sandboxes"),
            walls: Arc::new(walls),
        }
    }

    /// Removes the sandbox folders left empty (by sessions that ran a tool but kept no file, or
    /// by versions that made one per session); returns how many. Called at start, before any
    /// tool runs: `remove_dir` only ever removes an empty folder, so no file can be lost.
    pub fn remove_empty_sandboxes(&self) -> usize {
        let Ok(listing) = std::fs::read_dir(&self.sandboxes) else {
            return 0;
        };
        listing
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|entry| std::fs::remove_dir(entry.path()).is_ok())
            .count()
    }

    /// The folder a session's tools work in (not created).
    pub fn for_session(&self, key: &str, sandboxed: bool) -> PathBuf {
        if sandboxed && key != MAIN {
            self.sandboxes.join(slug(key))
        } else {
            self.main.clone()
        }
    }
}

/// Creates `dir` (and its parents) if missing, private to the user when created here.
pub(crate) fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A file-name-safe, collision-free folder name for a session key: its readable characters, then
/// 8 hex digits of its SHA-256 (two keys differing only in replaced characters stay apart).
pub(crate) fn slug(key: &str) -> String {
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let digest = Sha256::digest(key.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", readable.trim_start_matches('.'))
}

/// The absolute path `path` names inside `root`, or why it is refused. `root` must exist.
pub(crate) fn resolve(root: &Path, path: &str) -> Result<PathBuf, String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.contains('\0') {
        return Err("the path contains a NUL byte".into());
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("the workspace {} is not usable: {e}", root.display()))?;
    let given = Path::new(path);
    let relative = if given.is_absolute() {
        given
            .strip_prefix(&root)
            .map_err(|_| {
                format!("{path}: absolute paths outside the workspace are refused; use a path relative to the workspace")
            })?
            .to_path_buf()
    } else {
        given.to_path_buf()
    };
    let mut clean = PathBuf::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "{path}: `..` is not allowed; paths stay inside the workspace"
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("{path}: not a path inside the workspace"))
            }
        }
    }
    // The deepest part that exists, canonicalised, must still be inside the root.
    let mut existing = root.join(&clean);
    let mut rest = Vec::new();
    loop {
        if existing.symlink_metadata().is_ok() {
            break;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return Err(format!("{path}: not a path inside the workspace")),
        }
    }
    let real = existing
        .canonicalize()
        .map_err(|e| format!("{path}: {e} (a dangling symlink?)"))?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{path}: a symlink leads outside the workspace; refused"
        ));
    }
    Ok(rest
        .into_iter()
        .rev()
        .fold(real, |acc, part| acc.join(part)))
}

/// [`resolve`] in the caller's workspace, refusing what the walls protect.
pub(crate) fn resolve_for(cx: &ToolContext, path: &str) -> Result<PathBuf, String> {
    let full = resolve(&cx.workspace, path)?;
    let root = canonical_root(&cx.workspace)?;
    if cx.walls.guarding(&full, &[&root]).is_some() {
        return Err(Walls::refusal(path));
    }
    Ok(full)
}

/// The caller's workspace (canonical) and walls, to open files checked ([`Place`]).
pub(crate) fn place_of(cx: &ToolContext) -> Result<(PathBuf, Arc<Walls>), String> {
    Ok((canonical_root(&cx.workspace)?, Arc::clone(&cx.walls)))
}

/// A [`Place`] borrowing `root` and `walls`.
pub(crate) fn place<'a>(root: &'a Path, walls: &'a Walls) -> Place<'a> {
    Place { root, walls }
}

fn canonical_root(root: &Path) -> Result<PathBuf, String> {
    root.canonicalize()
        .map_err(|e| format!("the workspace {} is not usable: {e}", root.display()))
}

/// `path` relative to `root` for messages (the model never needs the absolute location).
pub(crate) fn shown(root: &Path, path: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "x").unwrap();
        let real = root.canonicalize().unwrap();

        assert_eq!(resolve(&root, "sub/a.txt").unwrap(), real.join("sub/a.txt"));
        assert_eq!(
            resolve(&root, "./new/b.txt").unwrap(),
            real.join("new/b.txt")
        );
        let inside = real.join("sub/a.txt");
        assert_eq!(resolve(&root, inside.to_str().unwrap()).unwrap(), inside);

        assert!(resolve(&root, "../escape.txt")
            .unwrap_err()
            .contains("`..`"));
        assert!(resolve(&root, "sub/../../x").unwrap_err().contains("`..`"));
        assert!(resolve(&root, "/etc/passwd")
            .unwrap_err()
            .contains("absolute"));
        assert!(resolve(&root, "").is_err());
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("file-link")).unwrap();
        std::os::unix::fs::symlink(root.join("inner.txt"), root.join("inner-link")).unwrap();
        std::fs::write(root.join("inner.txt"), "i").unwrap();

        assert!(resolve(&root, "link/secret")
            .unwrap_err()
            .contains("symlink"));
        assert!(resolve(&root, "link/new-file")
            .unwrap_err()
            .contains("symlink"));
        assert!(resolve(&root, "file-link").unwrap_err().contains("symlink"));
        assert!(
            resolve(&root, "inner-link").is_ok(),
            "links inside are fine"
        );
    }

    #[test]
    fn sandboxed_sessions_get_their_own_folder() {
        let spaces = Workspaces::new(PathBuf::from("/w"), Path::new("/s"), Walls::none());
        assert_eq!(spaces.for_session(MAIN, true), PathBuf::from("/w"));
        assert_eq!(
            spaces.for_session("agent:main:x", false),
            PathBuf::from("/w")
        );
        let group = spaces.for_session("agent:main:telegram:group:-100", true);
        assert!(group.starts_with("/s/sandboxes"), "{group:?}");
        let name = group.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("agent_main_telegram_group_-100-"),
            "{name}"
        );
        assert_ne!(slug("a:b"), slug("a_b"));
        assert!(!slug("../x").contains('/'));
    }

    #[test]
    fn only_empty_sandbox_folders_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let workspaces = Workspaces::new(dir.path().join("ws"), dir.path(), Walls::none());
        assert_eq!(
            workspaces.remove_empty_sandboxes(),
            0,
            "no sandboxes folder yet"
        );
        let empty = workspaces.for_session("agent:main:a", true);
        let kept = workspaces.for_session("agent:main:b", true);
        ensure_dir(&empty).unwrap();
        ensure_dir(&kept).unwrap();
        std::fs::write(kept.join("notes.txt"), "mine").unwrap();
        assert_eq!(workspaces.remove_empty_sandboxes(), 1);
        assert!(!empty.exists());
        assert_eq!(
            std::fs::read_to_string(kept.join("notes.txt")).unwrap(),
            "mine"
        );
    }
}
