//! Opening, creating and deleting files for the file tools, checked on what was really opened.
//!
//! [`super::workspace::resolve_for`] checks a path before any file is touched, but the path can
//! change between that check and the open: a background `exec` command may swap a folder of the
//! workspace for a symlink to the state directory. So every open is checked again, on the open
//! descriptor itself: the kernel's name for it (`/proc/self/fd/N`) must lie inside the caller's
//! workspace and outside the [`Walls`]. Reads open the file (never following a symlink in its
//! last component, never blocking on a FIFO) and then check it. Writes and deletes open the
//! parent folder, check *it*, and then work relative to that descriptor (`openat`/`unlinkat`
//! with `O_NOFOLLOW`), so nothing is created, truncated or removed in a place that was not
//! checked. Only the parent folders a write creates (`create_dir_all`) could, in a lost race,
//! appear empty in a refused place; no file content is ever read, written or removed there.

#![allow(
    unsafe_code,
    reason = "openat/unlinkat relative to an opened folder, so that a symlink swapped in is caught"
)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::walls::Walls;

/// Where a file tool may work: the caller's workspace (canonical) and the walls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    pub root: &'a Path,
    pub walls: &'a Walls,
}

impl Place<'_> {
    /// Opens the existing regular file `path` for reading.
    pub(crate) fn open_read(&self, path: &Path, shown_as: &str) -> Result<File, String> {
        let file = open_at(None, path, libc::O_RDONLY)
            .map_err(|e| format!("{shown_as}: {}", os_message(&e)))?;
        self.check(&file, shown_as)?;
        regular(&file, shown_as)?;
        Ok(file)
    }

    /// Opens `path` for writing, creating it if missing (parent folders too); the content is
    /// only truncated once the open file has been checked.
    pub(crate) fn open_write(&self, path: &Path, shown_as: &str) -> Result<File, String> {
        let (parent, name) = split(path, shown_as)?;
        std::fs::create_dir_all(&parent).map_err(|e| format!("{shown_as}: {e}"))?;
        let folder = self.open_folder(&parent, shown_as)?;
        let file = open_at(
            Some(&folder),
            Path::new(&name),
            libc::O_WRONLY | libc::O_CREAT,
        )
        .map_err(|e| format!("{shown_as}: {}", os_message(&e)))?;
        self.check(&file, shown_as)?;
        regular(&file, shown_as)?;
        file.set_len(0).map_err(|e| format!("{shown_as}: {e}"))?;
        Ok(file)
    }

    /// Deletes the file `path` (never a symlink's target).
    pub(crate) fn remove(&self, path: &Path, shown_as: &str) -> Result<(), String> {
        let (parent, name) = split(path, shown_as)?;
        let folder = self.open_folder(&parent, shown_as)?;
        let name = c_name(Path::new(&name), shown_as)?;
        // SAFETY: a valid descriptor and a NUL-terminated name.
        let done = unsafe { libc::unlinkat(folder.as_raw_fd(), name.as_ptr(), 0) };
        if done != 0 {
            return Err(format!(
                "{shown_as}: {}",
                os_message(&io::Error::last_os_error())
            ));
        }
        Ok(())
    }

    fn open_folder(&self, dir: &Path, shown_as: &str) -> Result<File, String> {
        let folder = open_at(None, dir, libc::O_RDONLY | libc::O_DIRECTORY)
            .map_err(|e| format!("{shown_as}: {}", os_message(&e)))?;
        self.check(&folder, shown_as)?;
        Ok(folder)
    }

    /// Refuses `file` unless the kernel places it inside the workspace and outside the walls.
    fn check(&self, file: &File, shown_as: &str) -> Result<(), String> {
        let Some(real) = opened_path(file) else {
            // No /proc: the path check of `resolve_for` is all there is.
            return Ok(());
        };
        if real.as_os_str().as_bytes().ends_with(b" (deleted)") {
            return Err(format!("{shown_as}: it was deleted while being opened"));
        }
        if !real.starts_with(self.root) {
            return Err(format!(
                "{shown_as}: a symlink leads outside the workspace; refused"
            ));
        }
        if self.walls.guarding(&real, &[self.root]).is_some() {
            return Err(Walls::refusal(shown_as));
        }
        Ok(())
    }
}

/// What the kernel calls the file open as `file`, if `/proc` says.
pub(crate) fn opened_path(file: &File) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

fn regular(file: &File, shown_as: &str) -> Result<(), String> {
    let meta = file.metadata().map_err(|e| format!("{shown_as}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown_as}: not a regular file"));
    }
    Ok(())
}

fn split(path: &Path, shown_as: &str) -> Result<(PathBuf, std::ffi::OsString), String> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_os_string())),
        _ => Err(format!("{shown_as}: not a file path")),
    }
}

fn c_name(path: &Path, shown_as: &str) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{shown_as}: the path contains a NUL byte"))
}

/// `open`/`openat` that never follows a symlink in the last component nor blocks on a FIFO.
fn open_at(dir: Option<&File>, path: &Path, flags: libc::c_int) -> io::Result<File> {
    let name = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))?;
    let flags = flags | libc::O_CLOEXEC | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    let base = dir.map_or(libc::AT_FDCWD, |dir| dir.as_raw_fd());
    // SAFETY: a NUL-terminated path, a valid (or AT_FDCWD) directory descriptor.
    let fd = unsafe { libc::openat(base, name.as_ptr(), flags, 0o644 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let file = File::from(owned);
    // Reads and writes block normally again (O_NONBLOCK was only for the open of a FIFO).
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let current = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
        if current >= 0 {
            libc::fcntl(file.as_raw_fd(), libc::F_SETFL, current & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// An OS error in words, with the symlink case spelled out.
fn os_message(error: &io::Error) -> String {
    if error.raw_os_error() == Some(libc::ELOOP) {
        "the path ends in a symlink that appeared after it was checked; refused".into()
    } else if error.raw_os_error() == Some(libc::EISDIR) {
        "not a regular file".into()
    } else {
        error.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Paths;
    use std::io::{Read, Write};

    struct Fixture {
        _dir: tempfile::TempDir,
        home: PathBuf,
        walls: Walls,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(home.join("state")).unwrap();
        std::fs::write(home.join("state/secrets.env"), "OPENAI_API_KEY=sk-walls\n").unwrap();
        std::fs::create_dir_all(home.join("ws")).unwrap();
        let walls = Walls::around(&Paths {
            config_file: home.join("pincer.json5"),
            state_dir: home.join("state"),
        });
        Fixture {
            _dir: dir,
            home,
            walls,
        }
    }

    #[test]
    fn a_symlink_swapped_in_after_the_check_is_caught_on_the_open_file() {
        let f = fixture();
        let root = f.home.join("ws");
        let place = Place {
            root: &root,
            walls: &f.walls,
        };
        // What `resolve_for` checked was a plain folder; now it is a symlink to the state.
        std::os::unix::fs::symlink(f.home.join("state"), root.join("sub")).unwrap();
        let error = place
            .open_read(&root.join("sub/secrets.env"), "sub/secrets.env")
            .unwrap_err();
        assert!(error.contains("outside the workspace"), "{error}");
        std::fs::create_dir_all(f.home.join("state/agents")).unwrap();
        let error = place
            .open_write(&root.join("sub/agents/new.txt"), "sub/agents/new.txt")
            .unwrap_err();
        assert!(error.contains("outside the workspace"), "{error}");
        assert!(!f.home.join("state/agents/new.txt").exists());
        // A folder that is itself the swapped symlink is not even opened.
        assert!(place
            .open_write(&root.join("sub/new.txt"), "sub/new.txt")
            .is_err());
        assert!(!f.home.join("state/new.txt").exists());
        std::fs::write(f.home.join("state/agents/session.jsonl"), "{}").unwrap();
        let error = place
            .remove(
                &root.join("sub/agents/session.jsonl"),
                "sub/agents/session.jsonl",
            )
            .unwrap_err();
        assert!(error.contains("outside the workspace"), "{error}");
        assert!(f.home.join("state/agents/session.jsonl").exists());
        assert!(place
            .remove(&root.join("sub/secrets.env"), "sub/secrets.env")
            .is_err());
        assert!(f.home.join("state/secrets.env").exists());
        // A final symlink is never followed.
        std::os::unix::fs::symlink(f.home.join("state/secrets.env"), root.join("leaf")).unwrap();
        let error = place.open_read(&root.join("leaf"), "leaf").unwrap_err();
        assert!(error.contains("symlink"), "{error}");
    }

    #[test]
    fn a_workspace_around_the_state_dir_cannot_open_it() {
        let f = fixture();
        let place = Place {
            root: &f.home,
            walls: &f.walls,
        };
        let error = place
            .open_read(&f.home.join("state/secrets.env"), "state/secrets.env")
            .unwrap_err();
        assert!(error.contains("refused"), "{error}");
        let error = place
            .open_write(&f.home.join("state/secrets.env"), "state/secrets.env")
            .unwrap_err();
        assert!(error.contains("refused"), "{error}");
        assert_eq!(
            std::fs::read_to_string(f.home.join("state/secrets.env")).unwrap(),
            "OPENAI_API_KEY=sk-walls\n",
            "not truncated"
        );
    }

    #[test]
    fn ordinary_files_are_read_written_and_removed() {
        let f = fixture();
        let root = f.home.join("ws");
        let place = Place {
            root: &root,
            walls: &f.walls,
        };
        let mut file = place.open_write(&root.join("a/b.txt"), "a/b.txt").unwrap();
        file.write_all(b"hello").unwrap();
        drop(file);
        let mut text = String::new();
        place
            .open_read(&root.join("a/b.txt"), "a/b.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello");
        let mut again = place.open_write(&root.join("a/b.txt"), "a/b.txt").unwrap();
        again.write_all(b"hi").unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a/b.txt")).unwrap(), "hi");
        place.remove(&root.join("a/b.txt"), "a/b.txt").unwrap();
        assert!(!root.join("a/b.txt").exists());
        let fifo = CString::new(root.join("fifo").as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let error = place.open_read(&root.join("fifo"), "fifo").unwrap_err();
        assert!(error.contains("not a regular file"), "{error}");
    }
}
