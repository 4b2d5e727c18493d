//! The OpenClaw home being imported, read as untrusted input.
//!
//! [`find_home`] picks the folder (`~/.openclaw`, else the older `~/.clawdbot` and `~/.moltbot`).
//! [`Source`] is the only way the importer reads it: every path is relative to the home, every
//! name is checked ([`check_name`]: no hidden, control or separator characters), a symlink is
//! followed only while it stays inside the home, and every read is bounded, so a hostile or
//! damaged home can make the import skip a file but never read outside it, run out of memory or
//! panic.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One entry of a listed folder: `(name, is_dir)`, or its name and why it is refused.
pub(crate) type Listed = Result<(String, bool), (String, SourceError)>;

/// The home folders OpenClaw has used, newest first (it was Clawdbot, then Moltbot).
pub(crate) const HOME_NAMES: [&str; 3] = [".openclaw", ".clawdbot", ".moltbot"];

/// The config file names, newest first.
pub(crate) const CONFIG_NAMES: [&str; 3] = ["openclaw.json", "clawdbot.json", "moltbot.json"];

/// Largest config or store file read (JSON).
pub(crate) const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// Largest transcript read.
pub(crate) const MAX_TRANSCRIPT_BYTES: u64 = 64 * 1024 * 1024;
/// Largest workspace file copied.
pub(crate) const MAX_WORKSPACE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why one file of the home was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SourceError {
    #[error("not found")]
    Missing,
    #[error("refused: the name {0:?} is not a plain file name")]
    OddName(String),
    #[error("refused: a symlink that leads out of the OpenClaw folder")]
    SymlinkOut,
    #[error("refused: not a regular file")]
    NotAFile,
    #[error("refused: {size} bytes, more than the {limit} this import reads")]
    TooBig { size: u64, limit: u64 },
    #[error("cannot read it: {0}")]
    Io(String),
}

/// The first OpenClaw home under `home` (the user's home directory) that exists.
pub(crate) fn find_home(home: &Path) -> Option<PathBuf> {
    HOME_NAMES
        .iter()
        .map(|name| home.join(name))
        .find(|dir| dir.is_dir())
}

/// Whether `name` is a file or folder name the import accepts: printable, no separators, not
/// hidden, not `.`/`..`, at most 255 bytes.
pub(crate) fn check_name(name: &str) -> Result<(), SourceError> {
    let odd = name.is_empty()
        || name.len() > 255
        || name.starts_with('.')
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '\0'));
    if odd {
        Err(SourceError::OddName(name.to_string()))
    } else {
        Ok(())
    }
}

/// An OpenClaw home, opened for reading.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// As given (for messages).
    pub(crate) dir: PathBuf,
    /// Canonical, for the symlink check.
    root: PathBuf,
}

impl Source {
    /// Opens `dir`, which must be a folder.
    pub(crate) fn open(dir: &Path) -> std::io::Result<Source> {
        let root = fs::canonicalize(dir)?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a folder",
            ));
        }
        Ok(Source {
            dir: dir.to_path_buf(),
            root,
        })
    }

    /// The path of `relative` as the user sees it.
    pub(crate) fn display(&self, relative: &str) -> String {
        self.dir.join(relative).display().to_string()
    }

    /// Resolves `relative` (components separated by `/`) inside the home: names checked,
    /// symlinks allowed only when they stay inside.
    fn resolve(&self, relative: &str) -> Result<PathBuf, SourceError> {
        let mut path = self.root.clone();
        for part in relative.split('/') {
            check_name(part)?;
            path.push(part);
        }
        let meta = fs::symlink_metadata(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::Missing,
            _ => SourceError::Io(e.to_string()),
        })?;
        if meta.file_type().is_symlink() || relative.contains('/') {
            // Any component may be a link: the canonical path must stay inside the root.
            let real = fs::canonicalize(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => SourceError::Missing,
                _ => SourceError::Io(e.to_string()),
            })?;
            if !real.starts_with(&self.root) {
                return Err(SourceError::SymlinkOut);
            }
            return Ok(real);
        }
        Ok(path)
    }

    /// Whether `relative` names a folder inside the home.
    pub(crate) fn is_dir(&self, relative: &str) -> bool {
        self.resolve(relative).is_ok_and(|path| path.is_dir())
    }

    /// Whether `relative` exists (whatever it is, refused or not).
    pub(crate) fn exists(&self, relative: &str) -> bool {
        !matches!(self.resolve(relative), Err(SourceError::Missing))
    }

    /// The contents of the file `relative`, at most `limit` bytes.
    pub(crate) fn read(&self, relative: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let path = self.resolve(relative)?;
        let meta = fs::metadata(&path).map_err(|e| SourceError::Io(e.to_string()))?;
        if !meta.is_file() {
            return Err(SourceError::NotAFile);
        }
        if meta.len() > limit {
            return Err(SourceError::TooBig {
                size: meta.len(),
                limit,
            });
        }
        let file = fs::File::open(&path).map_err(|e| SourceError::Io(e.to_string()))?;
        let mut bytes = Vec::new();
        // The file may grow between the check and the read: never take more than the limit.
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| SourceError::Io(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(SourceError::TooBig {
                size: bytes.len() as u64,
                limit,
            });
        }
        Ok(bytes)
    }

    /// The entries of the folder `relative`, sorted by name: `(name, is_dir)`. Names the import
    /// refuses come back as errors, so the caller can report them.
    pub(crate) fn list(&self, relative: &str) -> Result<Vec<Listed>, SourceError> {
        let path = if relative.is_empty() {
            self.root.clone()
        } else {
            self.resolve(relative)?
        };
        let entries = fs::read_dir(&path).map_err(|e| SourceError::Io(e.to_string()))?;
        let mut out = Vec::new();
        for entry in entries.take(100_000) {
            let entry = entry.map_err(|e| SourceError::Io(e.to_string()))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                let lossy = entry.file_name().to_string_lossy().into_owned();
                out.push(Err((lossy.clone(), SourceError::OddName(lossy))));
                continue;
            };
            if let Err(error) = check_name(&name) {
                out.push(Err((name, error)));
                continue;
            }
            let child = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            match self.resolve(&child) {
                Ok(real) => out.push(Ok((name, real.is_dir()))),
                Err(error) => out.push(Err((name, error))),
            }
        }
        out.sort_by(|a, b| match (a, b) {
            (Ok(a), Ok(b)) => a.0.cmp(&b.0),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(a), Err(b)) => a.0.cmp(&b.0),
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_names_are_refused() {
        for name in ["", ".", "..", ".env", "a/b", "a\\b", "a\nb", "a\u{7}"] {
            assert!(check_name(name).is_err(), "{name:?}");
        }
        for name in [
            "AGENTS.md",
            "2026-01-02.md",
            "whatsapp-default-allowFrom.json",
        ] {
            assert_eq!(check_name(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn reads_are_bounded_and_stay_inside() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "outside").unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("small"), "ok").unwrap();
        std::fs::write(home.path().join("big"), vec![b'x'; 100]).unwrap();
        std::fs::create_dir(home.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), home.path().join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path(), home.path().join("sub").join("dir")).unwrap();
        std::os::unix::fs::symlink(home.path().join("small"), home.path().join("in")).unwrap();
        let source = Source::open(home.path()).unwrap();
        assert_eq!(source.read("small", 10).unwrap(), b"ok");
        assert_eq!(
            source.read("in", 10).unwrap(),
            b"ok",
            "a link inside is fine"
        );
        assert_eq!(source.read("out", 10), Err(SourceError::SymlinkOut));
        assert_eq!(
            source.read("sub/dir/secret", 10),
            Err(SourceError::SymlinkOut)
        );
        assert_eq!(
            source.read("big", 10),
            Err(SourceError::TooBig {
                size: 100,
                limit: 10
            })
        );
        assert_eq!(source.read("none", 10), Err(SourceError::Missing));
        assert_eq!(source.read("sub", 10), Err(SourceError::NotAFile));
        assert!(matches!(
            source.read("../x", 10),
            Err(SourceError::OddName(_))
        ));
        let listed = source.list("").unwrap();
        assert!(listed.contains(&Ok(("small".into(), false))), "{listed:?}");
        assert!(
            listed.contains(&Err(("out".into(), SourceError::SymlinkOut))),
            "{listed:?}"
        );
    }

    #[test]
    fn the_newest_home_wins() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(find_home(home.path()), None);
        std::fs::create_dir(home.path().join(".moltbot")).unwrap();
        assert_eq!(find_home(home.path()), Some(home.path().join(".moltbot")));
        std::fs::create_dir(home.path().join(".openclaw")).unwrap();
        assert_eq!(find_home(home.path()), Some(home.path().join(".openclaw")));
    }
}
