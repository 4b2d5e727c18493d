//! `pincer backup restore`: put an archive's files back into this installation.
//!
//! Order of checks, each before anything is written: no gateway runs for the state directory
//! (its runtime file names a live process: exit 69); the archive verifies ([`verify`], which also
//! refuses absolute and `..` paths, links, devices and oversized archives); every destination is
//! inside one of this installation's roots and no folder on the way to it is a symbolic link; no
//! destination exists unless `--force` (all of them are listed); the files fit on their
//! filesystems. Then the state directory's `gateway.lock` is held for the duration, so a gateway
//! started meanwhile refuses to run, and each file is written whole ([`super::partial`]), checked
//! again against its manifest sum, given its mode and renamed into place.
//!
//! Destinations are this installation's roots only, never a path the archive names:
//! `config/pincer.json5` → the config file; `state/...` → the state directory; `workspace/...` →
//! `--workspace DIR`, else the workspace the *current* config names, else the gateway's default
//! (`<state>/agents/main/workspace`). When the archive's config names another workspace (the
//! backed-up installation's), its setting is rewritten to that one ([`super::config_rewrite`])
//! and [`Restored::config_rewrite`] says so.
//!
//! Modes are this installation's, not the archive's: the config file 0600, state files 0600
//! (0700 when owner-executable), every state folder 0700 (the state directory itself included),
//! workspace files the archive's permission bits without group/other write and set-id bits
//! (`& 0755`, owner read-write always), and every folder the restore creates 0700.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::archive_path::{self, Area, MANIFEST};
use super::config_rewrite::{resolved_workspace, set_workspace};
use super::hashing::HashingWriter;
use super::layout::Layout;
use super::manifest::FileRecord;
use super::partial::{create_private_dir, Partial};
use super::space::check_space;
use super::verify::{verify, Verified};
use super::BackupError;
use crate::runtime_file::{process_alive, read_runtime};

/// What the operator chose on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RestoreOptions {
    /// Replace existing files (`--force`).
    pub force: bool,
    /// `--workspace DIR` (absolute): where the workspace files go, and what the restored config
    /// will name.
    pub workspace: Option<PathBuf>,
}

/// A finished restore.
#[derive(Debug)]
pub(crate) struct Restored {
    pub files: usize,
    pub bytes: u64,
    /// Files that existed and were replaced (`--force`).
    pub replaced: usize,
    /// The workspace of the restored installation, when the archive had workspace files or a
    /// config.
    pub workspace: Option<PathBuf>,
    /// The restored config's workspace setting was changed (see [`ConfigRewrite`]).
    pub config_rewrite: Option<ConfigRewrite>,
    /// What the operator should know and do.
    pub notes: Vec<String>,
}

/// The archive's config named another workspace; the restored one names `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigRewrite {
    /// The setting as the archive had it (`None`: it named none, so the default applied).
    pub was: Option<String>,
    pub now: PathBuf,
}

/// Where the restored installation's workspace is, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkspaceSource {
    Flag,
    CurrentConfig,
    Default,
}

/// One file to write.
struct Target<'a> {
    dest: PathBuf,
    /// The installation root it is under (folders below it are created, and checked for links).
    root: PathBuf,
    area: Area,
    record: &'a FileRecord,
    /// The bytes to write instead of the archive's (the rewritten config).
    replacement: Option<Vec<u8>>,
}

/// Restores `archive` into `layout`.
pub(crate) fn restore(
    archive: &Path,
    layout: &Layout,
    options: &RestoreOptions,
) -> Result<Restored, BackupError> {
    refuse_running_gateway(layout)?;
    let verified = verify(archive)?;
    let (workspace, source) = match (&options.workspace, &layout.workspace) {
        (Some(flag), _) => (flag.clone(), WorkspaceSource::Flag),
        (None, Some(current)) => (current.clone(), WorkspaceSource::CurrentConfig),
        (None, None) => (layout.default_workspace(), WorkspaceSource::Default),
    };
    let mut notes = Vec::new();
    let (config, config_rewrite) = restored_config(&verified, layout, &workspace, &mut notes)?;
    let has_workspace_files = verified
        .manifest
        .files
        .iter()
        .any(|f| f.path.starts_with("workspace/"));
    if has_workspace_files && config.is_none() && source == WorkspaceSource::Flag {
        let current = layout
            .workspace
            .clone()
            .unwrap_or(layout.default_workspace());
        if current != workspace {
            notes.push(format!(
                "the archive has no config, and this installation's config does not name {}: \
                 set agent.workspace to it, or the gateway keeps working in {}",
                workspace.display(),
                current.display()
            ));
        }
    }
    let mut plan = plan(archive, &verified, layout, &workspace, config)?;
    let existing: Vec<PathBuf> = plan
        .values()
        .filter(|t| fs::symlink_metadata(&t.dest).is_ok())
        .map(|t| t.dest.clone())
        .collect();
    if !existing.is_empty() && !options.force {
        return Err(BackupError::WouldOverwrite { paths: existing });
    }
    check_space(plan.values().map(|t| (t.dest.as_path(), write_size(t))))?;
    create_private_dir(&layout.state_dir)?;
    set_mode(&layout.state_dir, 0o700).map_err(BackupError::io(&layout.state_dir))?;
    let _lock = lock_state(layout)?;
    let (files, bytes) = extract(archive, &mut plan)?;
    Ok(Restored {
        files,
        bytes,
        replaced: existing.len(),
        workspace: (has_workspace_files || verified.config_text.is_some()).then_some(workspace),
        config_rewrite,
        notes,
    })
}

/// The config to write (rewritten when its workspace is not `workspace`), or `None` when the
/// archive has none.
fn restored_config(
    verified: &Verified,
    layout: &Layout,
    workspace: &Path,
    notes: &mut Vec<String>,
) -> Result<(Option<Vec<u8>>, Option<ConfigRewrite>), BackupError> {
    let has_config = verified
        .manifest
        .files
        .iter()
        .any(|f| f.path == archive_path::CONFIG);
    if !has_config {
        return Ok((None, None));
    }
    let refuse = |reason: String| BackupError::ConfigWorkspace {
        workspace: workspace.to_path_buf(),
        reason,
    };
    let bytes = verified.config_text.clone().ok_or_else(|| {
        refuse("the archive's config is too large to check its workspace setting".into())
    })?;
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return Err(refuse("the archive's config is not UTF-8 text".into()));
    };
    let Ok(value) = json5::from_str::<serde_json::Value>(&text) else {
        notes.push(
            "the archive's config is not valid JSON5; it was restored as it is, and the gateway \
             will refuse it until it is fixed (`pincer config validate`)"
                .into(),
        );
        return Ok((Some(bytes), None));
    };
    let home = directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
    let config_dir = layout.config_file.parent().unwrap_or(Path::new("."));
    let named = resolved_workspace(&value, home.as_deref(), config_dir);
    let effective = named.clone().unwrap_or_else(|| layout.default_workspace());
    if effective == workspace {
        return Ok((Some(bytes), None));
    }
    let rewritten = set_workspace(&text, workspace).map_err(|e| refuse(e.to_string()))?;
    let was = super::config_rewrite::configured_workspace(&value).map(str::to_string);
    Ok((
        Some(rewritten.into_bytes()),
        Some(ConfigRewrite {
            was,
            now: workspace.to_path_buf(),
        }),
    ))
}

/// Every file's destination, each checked to stay inside its root.
fn plan<'a>(
    archive: &Path,
    verified: &'a Verified,
    layout: &Layout,
    workspace: &Path,
    mut config: Option<Vec<u8>>,
) -> Result<BTreeMap<String, Target<'a>>, BackupError> {
    let config_dir = layout
        .config_file
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut plan = BTreeMap::new();
    let mut destinations = BTreeSet::new();
    for record in &verified.manifest.files {
        let parsed =
            archive_path::parse(&record.path).map_err(|problem| BackupError::NotIntact {
                path: archive.to_path_buf(),
                problems: vec![problem],
            })?;
        let dest = parsed.destination(&layout.config_file, &layout.state_dir, workspace);
        let root = match parsed.area {
            Area::Config => config_dir.clone(),
            Area::State => layout.state_dir.clone(),
            Area::Workspace => workspace.to_path_buf(),
        };
        let unsafe_dest = |reason: String| BackupError::Unsafe {
            entry: record.path.clone(),
            dest: dest.clone(),
            reason,
        };
        if parsed.area == Area::Workspace
            && (dest == layout.config_file
                || (dest.starts_with(&layout.state_dir)
                    && !workspace.starts_with(&layout.state_dir)))
        {
            return Err(unsafe_dest(
                "the workspace contains this installation's config or state directory; choose \
                 another folder with --workspace DIR"
                    .into(),
            ));
        }
        if !destinations.insert(dest.clone()) {
            return Err(unsafe_dest(
                "two archive entries would be written to the same file; restore with \
                 --workspace DIR to keep the workspace apart from the state directory"
                    .into(),
            ));
        }
        check_folders(&root, &dest, false).map_err(|e| match e {
            FolderError::Unsafe(reason) => unsafe_dest(reason),
            FolderError::Io(error) => error,
        })?;
        let replacement = (parsed.area == Area::Config)
            .then(|| config.take())
            .flatten();
        plan.insert(
            record.path.clone(),
            Target {
                dest,
                root,
                area: parsed.area,
                record,
                replacement,
            },
        );
    }
    Ok(plan)
}

/// The bytes a target puts on disk.
fn write_size(target: &Target<'_>) -> u64 {
    target
        .replacement
        .as_ref()
        .map_or(target.record.size, |bytes| bytes.len() as u64)
}

enum FolderError {
    Unsafe(String),
    Io(BackupError),
}

/// Walks the folders from `root` down to `dest`'s parent: each must be a real folder, not a
/// symbolic link (a link would carry the write out of the installation). With `create`,
/// missing ones are made 0700 (and, under the state directory, existing ones set to 0700).
fn check_folders(root: &Path, dest: &Path, create: bool) -> Result<(), FolderError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FolderError::Io(BackupError::Io { path, source })
    };
    let Some(parent) = dest.parent() else {
        return Ok(());
    };
    let Ok(below) = parent.strip_prefix(root) else {
        return Err(FolderError::Unsafe(format!(
            "it is not inside {}",
            root.display()
        )));
    };
    if create {
        create_private_dir(root).map_err(FolderError::Io)?;
    }
    let mut folder = root.to_path_buf();
    for component in below.components() {
        folder.push(component);
        match fs::symlink_metadata(&folder) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(FolderError::Unsafe(format!(
                    "{} is a symbolic link; restore does not write through links",
                    folder.display()
                )))
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(FolderError::Unsafe(format!(
                    "{} is not a folder",
                    folder.display()
                )))
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if !create {
                    // Nothing below a missing folder exists: no link to find further down.
                    return Ok(());
                }
                create_private_dir(&folder).map_err(FolderError::Io)?;
            }
            Err(error) => return Err(io_error(&folder)(error)),
        }
    }
    Ok(())
}

/// Exit 69 material: the runtime file names a live gateway.
fn refuse_running_gateway(layout: &Layout) -> Result<(), BackupError> {
    let runtime = layout.paths().runtime_file();
    match read_runtime(&runtime) {
        Some(info) if process_alive(info.pid) => Err(BackupError::GatewayRunning {
            state_dir: layout.state_dir.clone(),
            details: format!(" (pid {}, {})", info.pid, info.url),
        }),
        _ => Ok(()),
    }
}

/// Holds the gateway's instance lock so that no gateway starts while files are being replaced.
fn lock_state(layout: &Layout) -> Result<File, BackupError> {
    let path = layout.paths().lock_file();
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(BackupError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(BackupError::GatewayRunning {
            state_dir: layout.state_dir.clone(),
            details: " (it holds gateway.lock)".into(),
        }),
        Err(fs::TryLockError::Error(source)) => Err(BackupError::Io { path, source }),
    }
}

/// Second read of the archive: writes every planned file; returns the count and bytes.
fn extract(
    archive: &Path,
    plan: &mut BTreeMap<String, Target<'_>>,
) -> Result<(usize, u64), BackupError> {
    let file = File::open(archive).map_err(BackupError::io(archive))?;
    let corrupt = |source: io::Error| BackupError::Corrupt {
        path: archive.to_path_buf(),
        source,
    };
    let changed = |entry: &str| BackupError::Changed {
        path: archive.to_path_buf(),
        entry: entry.to_string(),
    };
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let (mut files, mut bytes) = (0, 0);
    for entry in tar.entries().map_err(corrupt)? {
        let entry = entry.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if name == MANIFEST {
            continue;
        }
        if !entry.header().entry_type().is_file() {
            return Err(changed(&name));
        }
        let target = plan.get_mut(&name).ok_or_else(|| changed(&name))?;
        // Never more than the manifest's size (plus one byte, to see that there is more).
        let mut bounded = entry.take(target.record.size + 1);
        write_one(&mut bounded, target).map_err(|error| match error {
            WriteError::Io(error) => error,
            WriteError::Mismatch => changed(&name),
            WriteError::Unsafe(reason) => BackupError::Unsafe {
                entry: name.clone(),
                dest: target.dest.clone(),
                reason,
            },
        })?;
        files += 1;
        bytes += write_size(target);
    }
    if files != plan.len() {
        return Err(changed("the file count"));
    }
    Ok((files, bytes))
}

enum WriteError {
    Io(BackupError),
    Mismatch,
    Unsafe(String),
}

/// Writes one entry next to its destination, checks it, sets its mode and renames it into place.
fn write_one(entry: &mut impl Read, target: &mut Target<'_>) -> Result<(), WriteError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io(BackupError::Io { path, source })
    };
    check_folders(&target.root, &target.dest, true).map_err(|e| match e {
        FolderError::Unsafe(reason) => WriteError::Unsafe(reason),
        FolderError::Io(error) => WriteError::Io(error),
    })?;
    if target.area == Area::State {
        let mut folder = target.dest.parent();
        while let Some(dir) = folder.filter(|dir| dir.starts_with(&target.root)) {
            set_mode(dir, 0o700).map_err(io_err(dir))?;
            folder = dir.parent();
        }
    }
    let (partial, file) = Partial::next_to(&target.dest, "restoring").map_err(WriteError::Io)?;
    let mut writer = HashingWriter::new(BufWriter::new(file));
    match target.replacement.take() {
        Some(bytes) => {
            // The archive's config is still checked against its manifest before the edited
            // text is written in its place.
            let mut check = HashingWriter::new(io::sink());
            io::copy(entry, &mut check).map_err(io_err(&target.dest))?;
            let (_, size, sha256) = check.finish();
            if size != target.record.size || sha256 != target.record.sha256 {
                return Err(WriteError::Mismatch);
            }
            writer.write_all(&bytes).map_err(io_err(&target.dest))?;
            target.replacement = Some(bytes);
        }
        None => {
            io::copy(entry, &mut writer).map_err(io_err(&target.dest))?;
        }
    }
    let (buffered, size, sha256) = writer.finish();
    if target.replacement.is_none()
        && (size != target.record.size || sha256 != target.record.sha256)
    {
        return Err(WriteError::Mismatch);
    }
    let mut file = buffered
        .into_inner()
        .map_err(|e| io_err(partial.path())(e.into_error()))?;
    file.flush().map_err(io_err(partial.path()))?;
    file.sync_all().map_err(io_err(partial.path()))?;
    set_mode(
        partial.path(),
        restored_mode(target.area, target.record.mode),
    )
    .map_err(io_err(partial.path()))?;
    partial.persist(&target.dest).map_err(WriteError::Io)
}

/// The permission bits a restored file gets (see the module docs): never the archive's group or
/// other write bits, never set-id bits, and owner-only for the config and the state.
pub(crate) fn restored_mode(area: Area, archived: u32) -> u32 {
    match area {
        Area::Config => 0o600,
        Area::State if archived & 0o100 != 0 => 0o700,
        Area::State => 0o600,
        Area::Workspace => (archived & 0o755) | 0o600,
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let mut permissions = fs::metadata(path)?.permissions();
    permissions.set_readonly(mode & 0o200 == 0);
    fs::set_permissions(path, permissions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_this_installations_not_the_archives() {
        assert_eq!(restored_mode(Area::State, 0o666), 0o600);
        assert_eq!(restored_mode(Area::State, 0o4777), 0o700);
        assert_eq!(restored_mode(Area::Config, 0o644), 0o600);
        assert_eq!(restored_mode(Area::Workspace, 0o666), 0o644);
        assert_eq!(restored_mode(Area::Workspace, 0o6777), 0o755);
        assert_eq!(restored_mode(Area::Workspace, 0o444), 0o644);
        assert_eq!(restored_mode(Area::Workspace, 0o700), 0o700);
    }
}
