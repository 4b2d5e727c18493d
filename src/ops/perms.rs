//! Unix permission bits of Pincer's files: reading them, judging them, and tightening them.
//!
//! The token file and the state directory hold credentials, so both the security audit and the
//! doctor look at their modes; `pincer doctor --fix` tightens them. On platforms without Unix
//! modes every function reports "unknown" (`None`) and nothing is judged.

use std::path::Path;

use super::error::OpsError;

/// The permission bits (`0o777` part) of `path`, following symlinks; `None` when the path does
/// not exist or the platform has no Unix modes.
pub(crate) fn mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|meta| meta.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Group or others have any access at all (the rule for credentials: owner only).
pub(crate) fn shared_with_others(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// Group or others can read.
pub(crate) fn readable_by_others(mode: u32) -> bool {
    mode & 0o044 != 0
}

/// Anyone on the machine can write (and so plant files in a directory).
pub(crate) fn world_writable(mode: u32) -> bool {
    mode & 0o002 != 0
}

/// Sets the permission bits of `path` to `mode`.
pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<(), OpsError> {
    let error = |source| OpsError::Io {
        action: format!("chmod {mode:o}"),
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(error)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        Err(error(std::io::Error::other("no Unix permissions here")))
    }
}

/// Creates `path` and its missing parents; on Unix the directory gets mode 0700 (it may hold
/// credentials or the agent's private files).
pub(crate) fn create_private_dir(path: &Path) -> Result<(), OpsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|source| OpsError::Io {
        action: "create".to_string(),
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn modes_are_read_judged_and_changed() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("f");
        std::fs::write(&file, "x").expect("write");
        set_mode(&file, 0o644).expect("chmod");
        assert_eq!(mode(&file), Some(0o644));
        assert!(readable_by_others(0o644) && shared_with_others(0o644));
        set_mode(&file, 0o600).expect("chmod");
        assert_eq!(mode(&file), Some(0o600));
        assert!(!shared_with_others(0o600) && !readable_by_others(0o600));
        assert!(world_writable(0o777) && !world_writable(0o775));
        assert_eq!(mode(&dir.path().join("missing")), None);
    }

    #[test]
    fn private_dirs_are_created_with_parents() {
        let dir = tempfile::tempdir().expect("dir");
        let nested = dir.path().join("a/b/c");
        create_private_dir(&nested).expect("created");
        assert_eq!(mode(&nested), Some(0o700));
        create_private_dir(&nested).expect("idempotent");
    }
}
