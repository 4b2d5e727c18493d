//! Files that appear whole or not at all: written under a hidden temporary name in the target's
//! folder, synced, then renamed into place; removed if dropped before that.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use super::BackupError;

/// A temporary file on its way to its final name.
#[derive(Debug)]
pub(crate) struct Partial {
    path: PathBuf,
    persisted: bool,
}

impl Partial {
    /// Creates `.<name of final>.<pid>.<tag>` next to `final_path`, mode 0600.
    pub(crate) fn next_to(final_path: &Path, tag: &str) -> Result<(Partial, File), BackupError> {
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = final_path.parent().unwrap_or_else(|| Path::new("."));
        let path = dir.join(format!(".{name}.{}.{tag}", std::process::id()));
        // A leftover of a crashed run with the same pid is ours to replace.
        let _ = fs::remove_file(&path);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(BackupError::io(&path))?;
        Ok((
            Partial {
                path,
                persisted: false,
            },
            file,
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the (already synced) file to `final_path` and syncs the folder.
    pub(crate) fn persist(mut self, final_path: &Path) -> Result<(), BackupError> {
        fs::rename(&self.path, final_path).map_err(BackupError::io(final_path))?;
        self.persisted = true;
        if let Some(dir) = final_path.parent() {
            // Makes the rename durable; failing here loses nothing already written.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates `dir` and missing parents with mode 0700; an existing folder keeps its mode.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), BackupError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(BackupError::io(dir))
}
