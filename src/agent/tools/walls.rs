//! What no tool may read: Pincer's own state directory, its config file and the credential files,
//! wherever the workspace lies.
//!
//! The gateway builds one [`Walls`] at start-up from its [`crate::paths::Paths`] and hands it to
//! every tool call (in the [`super::ToolContext`]). Two walls use it:
//! - the file tools (which run inside the gateway) ask [`Walls::guarding`] about every path
//!   they resolved, and check the file they actually opened again ([`super::guarded`]);
//! - `exec` turns it into a Landlock ruleset that does not grant reading them
//!   ([`super::exec::grants`]).
//!
//! A path is refused when the deepest of the protected roots and the caller's open roots (its
//! workspace, the exec temp folder) that contains it is a protected one. So the default
//! workspace, which lives *inside* the state directory (`<state>/agents/main/workspace`), stays
//! usable while the rest of the state directory is refused; and a workspace that contains the
//! state directory (`agent.workspace: "~"`) still cannot reach into it. The credential files
//! (`secrets.env`, `gateway.token`), the config file and the TLS private key
//! (`gateway.ssl.keyPath`) are protected on their own as well, so they stay refused even when
//! the workspace *is* the state directory or contains them.

use std::path::{Component, Path, PathBuf};

use crate::paths::Paths;

/// The protected roots, canonical (symlinks resolved) so that any way of naming them matches.
#[derive(Debug, Clone, Default)]
pub struct Walls {
    /// Folders: refused unless an open root at least as deep contains the path.
    dirs: Vec<PathBuf>,
    /// Files: always refused.
    files: Vec<PathBuf>,
}

impl Walls {
    /// No walls (unit tests of tools that do not care).
    pub fn none() -> Walls {
        Walls::default()
    }

    /// The walls of the installation at `paths`: its state directory, secrets and token files,
    /// and its config file (protected even before it exists).
    pub fn around(paths: &Paths) -> Walls {
        Walls::of(&paths.state_dir, Some(&paths.config_file))
    }

    /// The walls of a state directory and (when known) a config file.
    pub fn of(state_dir: &Path, config_file: Option<&Path>) -> Walls {
        let paths = Paths {
            state_dir: state_dir.to_path_buf(),
            config_file: config_file.map_or_else(PathBuf::new, Path::to_path_buf),
        };
        let all = |list: &[PathBuf]| -> Vec<PathBuf> {
            let mut out: Vec<PathBuf> = list.iter().filter_map(|p| canonical(p)).collect();
            out.sort();
            out.dedup();
            out
        };
        Walls {
            dirs: all(std::slice::from_ref(&paths.state_dir)),
            files: all(&[
                paths.secrets_file(),
                paths.token_file(),
                paths.config_file.clone(),
            ]),
        }
    }

    /// These walls and the file `path` too (e.g. the TLS private key, `gateway.ssl.keyPath`;
    /// a relative path is taken from the current folder, as the gateway reads it).
    pub fn and_file(mut self, path: &Path) -> Walls {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(real) = canonical(&absolute) {
            if !self.files.contains(&real) {
                self.files.push(real);
            }
        }
        self
    }

    /// Every protected root (canonical): folders, then files.
    pub fn protected(&self) -> impl Iterator<Item = &Path> {
        self.dirs.iter().chain(&self.files).map(PathBuf::as_path)
    }

    /// The protected root that refuses `path` (canonical), unless one of `open` (canonical
    /// roots the caller may use, e.g. its workspace) is at least as deep and contains it. The
    /// protected files are refused whatever contains them.
    pub fn guarding(&self, path: &Path, open: &[&Path]) -> Option<&Path> {
        if let Some(file) = self.files.iter().find(|file| path.starts_with(file)) {
            return Some(file);
        }
        let wall = self
            .dirs
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| depth(root))?;
        let opened = open
            .iter()
            .filter(|root| path.starts_with(root))
            .map(|root| depth(root))
            .max();
        match opened {
            Some(open_depth) if open_depth >= depth(wall) => None,
            _ => Some(wall),
        }
    }

    /// The message for a refused path.
    pub fn refusal(shown_as: &str) -> String {
        format!(
            "{shown_as}: refused: it is inside Pincer's own state directory or config (which hold \
             its credentials); the tools cannot read or change it"
        )
    }
}

/// The number of components of `path`.
fn depth(path: &Path) -> usize {
    path.components().count()
}

/// `path` with every symlink of its existing part resolved and `.`/`..` removed; the missing
/// tail is appended as written. `None` for a relative path or one with an unusable name.
pub fn canonical(path: &Path) -> Option<PathBuf> {
    enum Part {
        Name(std::ffi::OsString),
        Up,
    }
    if !path.is_absolute() {
        return None;
    }
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(mut out) = existing.canonicalize() {
            for part in rest.iter().rev() {
                match part {
                    Part::Name(name) => out.push(name),
                    Part::Up => {
                        out.pop();
                    }
                }
            }
            return Some(out);
        }
        let part = match existing.components().next_back()? {
            Component::Normal(name) => Part::Name(name.to_os_string()),
            Component::ParentDir => Part::Up,
            Component::CurDir => Part::Name(".".into()),
            Component::RootDir | Component::Prefix(_) => return None,
        };
        rest.push(part);
        existing.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(home: &Path) -> Paths {
        Paths {
            config_file: home.join("pincer.json5"),
            state_dir: home.join("state"),
        }
    }

    #[test]
    fn the_state_dir_is_refused_but_a_workspace_inside_it_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        let ws = home.join("state/agents/main/workspace");
        std::fs::create_dir_all(&ws).unwrap();
        let walls = Walls::around(&paths(&home));

        assert_eq!(
            walls.guarding(&home.join("state/secrets.env"), &[&ws]),
            Some(home.join("state/secrets.env").as_path())
        );
        assert_eq!(
            walls.guarding(&home.join("state/agents/main/sessions/x.jsonl"), &[&ws]),
            Some(home.join("state").as_path())
        );
        assert_eq!(walls.guarding(&ws.join("notes.txt"), &[&ws]), None);
        assert_eq!(walls.guarding(&home.join("other.txt"), &[&ws]), None);
        // The config file, even before it exists.
        assert!(walls.guarding(&home.join("pincer.json5"), &[&ws]).is_some());
    }

    #[test]
    fn a_workspace_around_the_state_dir_cannot_reach_into_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(home.join("state")).unwrap();
        let walls = Walls::around(&paths(&home));
        for inside in ["state/gateway.token", "state/sessions/a", "pincer.json5"] {
            assert!(
                walls.guarding(&home.join(inside), &[&home]).is_some(),
                "{inside}"
            );
        }
        assert_eq!(walls.guarding(&home.join("project/a.rs"), &[&home]), None);
        let key = home.join("project/tls/key.pem");
        let walls = walls.and_file(&key);
        assert!(walls.guarding(&key, &[&home]).is_some());
        assert!(walls.protected().any(|p| p == key));
    }

    #[test]
    fn a_workspace_that_is_the_state_dir_still_hides_the_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        let state = home.join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("secrets.env"), "K=v\n").unwrap();
        let walls = Walls::around(&paths(&home));
        assert!(walls
            .guarding(&state.join("secrets.env"), &[&state])
            .is_some());
        assert!(walls
            .guarding(&state.join("gateway.token"), &[&state])
            .is_some());
        assert_eq!(walls.guarding(&state.join("notes.md"), &[&state]), None);
    }

    #[test]
    fn symlinked_names_of_the_state_dir_match() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("state")).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let walls = Walls::around(&paths(&link));
        let target = real.canonicalize().unwrap().join("state/secrets.env");
        assert!(walls.guarding(&target, &[]).is_some());
        assert_eq!(
            canonical(&link.join("state/missing/../x")),
            Some(real.canonicalize().unwrap().join("state/x"))
        );
        assert_eq!(canonical(Path::new("relative")), None);
    }
}
