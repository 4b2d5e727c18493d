//! `pincer backup restore`: put an archive's files back into this installation.
//!
//! Order of checks, each before anything is written: no gateway runs for the state directory
//! (its runtime file names a live process: exit 69); the archive verifies ([`verify`], which also
//! refuses absolute and `..` paths); no destination exists unless `--force` (all of them are
//! listed). Then the state directory's `gateway.lock` is held for the duration, so a gateway
//! started meanwhile refuses to run, and each file is written whole ([`super::partial`]), checked
//! again against its manifest sum, given its recorded mode (the token always 0600) and renamed
//! into place.
//!
//! Destinations: `config/pincer.json5` → the config file; `state/...` → the state directory;
//! `workspace/...` → the workspace the archive's own config names (it is the config in effect
//! after the restore), else the one the current config names, else `<state>/workspace-restored`.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::archive_path::{self, Area, MANIFEST};
use super::hashing::HashingWriter;
use super::layout::{workspace_of, Layout};
use super::manifest::FileRecord;
use super::partial::{create_private_dir, Partial};
use super::verify::{verify, Verified};
use super::BackupError;
use crate::gateway::instance::{process_alive, read_runtime};

/// The archive path of the generated token, always restored owner-only.
const TOKEN: &str = "state/gateway.token";

/// A finished restore.
#[derive(Debug)]
pub struct Restored {
    pub files: usize,
    pub bytes: u64,
    /// Files that existed and were replaced (`--force`).
    pub replaced: usize,
    /// Where the workspace files went, when there were any.
    pub workspace: Option<PathBuf>,
}

/// One file to write.
struct Target<'a> {
    dest: PathBuf,
    area: Area,
    record: &'a FileRecord,
}

/// Restores `archive` into `layout`; `force` replaces existing files.
pub fn restore(archive: &Path, layout: &Layout, force: bool) -> Result<Restored, BackupError> {
    refuse_running_gateway(layout)?;
    let verified = verify(archive)?;
    let has_workspace = verified
        .manifest
        .files
        .iter()
        .any(|f| f.path.starts_with("workspace/"));
    let workspace = has_workspace.then(|| workspace_for(&verified, layout));
    let workspace_root = workspace
        .clone()
        .unwrap_or_else(|| layout.fallback_workspace());
    let mut plan = BTreeMap::new();
    for record in &verified.manifest.files {
        let parsed =
            archive_path::parse(&record.path).map_err(|problem| BackupError::NotIntact {
                path: archive.to_path_buf(),
                problems: vec![problem],
            })?;
        let dest = parsed.destination(&layout.config_file, &layout.state_dir, &workspace_root);
        plan.insert(
            record.path.clone(),
            Target {
                dest,
                area: parsed.area,
                record,
            },
        );
    }
    let existing: Vec<PathBuf> = plan
        .values()
        .filter(|t| fs::symlink_metadata(&t.dest).is_ok())
        .map(|t| t.dest.clone())
        .collect();
    if !existing.is_empty() && !force {
        return Err(BackupError::WouldOverwrite { paths: existing });
    }
    create_private_dir(&layout.state_dir)?;
    let _lock = lock_state(layout)?;
    let (files, bytes) = extract(archive, &plan)?;
    Ok(Restored {
        files,
        bytes,
        replaced: existing.len(),
        workspace,
    })
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
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(BackupError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(BackupError::GatewayRunning {
            state_dir: layout.state_dir.clone(),
            details: " (it holds gateway.lock)".into(),
        }),
        Err(fs::TryLockError::Error(source)) => Err(BackupError::Io { path, source }),
    }
}

/// The archive's configured workspace, else the current one, else `<state>/workspace-restored`.
fn workspace_for(verified: &Verified, layout: &Layout) -> PathBuf {
    verified
        .config_text
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| crate::config::load::parse_str(text, &layout.config_file).ok())
        .and_then(|config| workspace_of(&config, &layout.config_file))
        .or_else(|| layout.workspace.clone())
        .unwrap_or_else(|| layout.fallback_workspace())
}

/// Second read of the archive: writes every planned file; returns the count and bytes.
fn extract(
    archive: &Path,
    plan: &BTreeMap<String, Target<'_>>,
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
        let mut entry = entry.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if name == MANIFEST {
            continue;
        }
        let target = plan.get(&name).ok_or_else(|| changed(&name))?;
        write_one(&mut entry, target).map_err(|error| match error {
            WriteError::Io(error) => error,
            WriteError::Mismatch => changed(&name),
        })?;
        files += 1;
        bytes += target.record.size;
    }
    if files != plan.len() {
        return Err(changed("the file count"));
    }
    Ok((files, bytes))
}

enum WriteError {
    Io(BackupError),
    Mismatch,
}

/// Writes one entry next to its destination, checks it, sets its mode and renames it into place.
fn write_one(entry: &mut impl io::Read, target: &Target<'_>) -> Result<(), WriteError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io(BackupError::Io { path, source })
    };
    if let Some(parent) = target.dest.parent() {
        if target.area == Area::State {
            create_private_dir(parent).map_err(WriteError::Io)?;
        } else {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
    }
    let (partial, file) = Partial::next_to(&target.dest, "restoring").map_err(WriteError::Io)?;
    let mut writer = HashingWriter::new(BufWriter::new(file));
    io::copy(entry, &mut writer).map_err(io_err(&target.dest))?;
    let (buffered, size, sha256) = writer.finish();
    if size != target.record.size || sha256 != target.record.sha256 {
        return Err(WriteError::Mismatch);
    }
    let mut file = buffered
        .into_inner()
        .map_err(|e| io_err(partial.path())(e.into_error()))?;
    file.flush().map_err(io_err(partial.path()))?;
    file.sync_all().map_err(io_err(partial.path()))?;
    let mode = if target.record.path == TOKEN {
        0o600
    } else {
        target.record.mode & 0o777
    };
    set_mode(partial.path(), mode).map_err(io_err(partial.path()))?;
    partial.persist(&target.dest).map_err(WriteError::Io)
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
