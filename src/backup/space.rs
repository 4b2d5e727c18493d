//! Whether the files of a restore fit on the filesystems they go to, checked before the first
//! one is written, so that an archive (a real one, or one crafted to inflate) cannot fill the
//! disk the gateway's state lives on and leave a half-restored installation behind.
//!
//! Destinations are grouped by filesystem (the device of their nearest existing folder); each
//! group needs the bytes it will hold, less the files it replaces, and at least its largest file
//! (each is written next to the one it replaces before the rename).

#![allow(unsafe_code, reason = "statvfs, for the free space a restore needs")]

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::BackupError;

#[derive(Default)]
struct Need {
    /// One folder on the filesystem, for the message and the free-space query.
    folder: std::path::PathBuf,
    new: u64,
    replaced: u64,
    largest: u64,
}

/// Fails with [`BackupError::NoSpace`] when the files `(destination, size)` do not fit.
pub(super) fn check_space<'a>(
    files: impl Iterator<Item = (&'a Path, u64)>,
) -> Result<(), BackupError> {
    let mut needs: BTreeMap<u64, Need> = BTreeMap::new();
    for (dest, size) in files {
        let folder = existing_ancestor(dest);
        let device = device_of(&folder).map_err(BackupError::io(&folder))?;
        let need = needs.entry(device).or_insert_with(|| Need {
            folder: folder.clone(),
            ..Need::default()
        });
        need.new = need.new.saturating_add(size);
        need.largest = need.largest.max(size);
        if let Ok(meta) = std::fs::symlink_metadata(dest) {
            if meta.is_file() {
                need.replaced = need.replaced.saturating_add(meta.len());
            }
        }
    }
    for need in needs.values() {
        let needed = need.new.saturating_sub(need.replaced).max(need.largest);
        let available = available_bytes(&need.folder).map_err(BackupError::io(&need.folder))?;
        if needed > available {
            return Err(BackupError::NoSpace {
                folder: need.folder.clone(),
                needed,
                available,
            });
        }
    }
    Ok(())
}

/// `path` or its nearest ancestor that exists (`/` at worst).
fn existing_ancestor(path: &Path) -> std::path::PathBuf {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && std::fs::metadata(p).is_ok())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

#[cfg(unix)]
fn device_of(folder: &Path) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(folder)?.dev())
}

#[cfg(unix)]
fn available_bytes(folder: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(folder.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: `path` is a valid NUL-terminated string and `stats` a properly sized out-buffer
    // that statvfs fills completely on success.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stats) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((stats.f_bavail as u64).saturating_mul(stats.f_frsize as u64))
}

#[cfg(not(unix))]
fn device_of(_folder: &Path) -> io::Result<u64> {
    Ok(0)
}

#[cfg(not(unix))]
fn available_bytes(_folder: &Path) -> io::Result<u64> {
    Ok(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_the_free_space_is_refused_before_writing() {
        let dir = tempfile::tempdir().expect("dir");
        let dest = dir.path().join("new/sub/file");
        check_space([(dest.as_path(), 1024)].into_iter()).expect("a small file fits");
        match check_space([(dest.as_path(), u64::MAX / 2)].into_iter()) {
            Err(BackupError::NoSpace { folder, needed, .. }) => {
                assert_eq!(folder, dir.path());
                assert_eq!(needed, u64::MAX / 2);
            }
            other => panic!("expected NoSpace, got {other:?}"),
        }
        assert!(!dir.path().join("new").exists(), "nothing was created");
    }
}
