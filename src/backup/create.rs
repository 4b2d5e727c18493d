//! `pincer backup create`: stream the selected files into `pincer-backup-<UTC stamp>.tar.gz`.
//!
//! Consistency with a running gateway: each file is opened, its length taken from the open
//! handle, and exactly that many bytes archived ([`ExactReader`]). Transcripts are append-only
//! JSONL written with single `write` calls, so the archived prefix ends at a line boundary or, at
//! worst, in a torn last line that the session store skips on load; `sessions.json` and the token
//! are replaced by rename, so the open handle sees one whole version. The archive is written to a
//! hidden temporary file (mode 0600, [`super::partial`]) in the output folder and renamed into place only once it is
//! complete and synced, so a crash or a full disk never leaves a half archive under a real name.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header};

use super::archive_path::MANIFEST;
use super::hashing::ExactReader;
use super::layout::Layout;
use super::manifest::{self, FileRecord, Manifest};
use super::partial::{create_private_dir, Partial};
use super::select::{self, Scope, Source};
use super::BackupError;
use crate::clock;

/// What to back up and where to.
#[derive(Debug, Clone)]
pub(crate) struct CreateOptions {
    /// The folder the archive goes to (created 0700 when missing).
    pub out_dir: PathBuf,
    pub scope: Scope,
}

/// A written archive.
#[derive(Debug)]
pub(crate) struct Created {
    pub path: PathBuf,
    /// Files archived (the manifest not counted).
    pub files: usize,
    /// Their total size before compression.
    pub bytes: u64,
    /// The archive's own size.
    pub archive_bytes: u64,
    /// What the operator should know: skipped links, a missing workspace, a file that shrank.
    pub notes: Vec<String>,
}

/// Writes a backup of `layout` per `options`.
pub(crate) fn create(layout: &Layout, options: &CreateOptions) -> Result<Created, BackupError> {
    create_private_dir(&options.out_dir)?;
    let selection = select::select(
        layout,
        options.scope,
        std::slice::from_ref(&options.out_dir),
    )?;
    if selection.sources.is_empty() {
        let state = if options.scope.only_config {
            String::new()
        } else {
            format!(" and no files in {}", layout.state_dir.display())
        };
        return Err(BackupError::Nothing(format!(
            "no config file at {}{state}",
            layout.config_file.display()
        )));
    }
    let now_ms = clock::now_ms();
    let final_path = free_name(&options.out_dir, &clock::file_stamp(now_ms / 1000));
    let (partial, file) = Partial::next_to(&final_path, "partial")?;
    let temp = partial.path().to_path_buf();
    let mut notes = selection.notes;
    let mut builder =
        tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));
    let mut records = Vec::with_capacity(selection.sources.len());
    for source in &selection.sources {
        records.extend(append_file(&mut builder, source, &mut notes)?);
    }
    let workspace_included = records.iter().any(|r| r.path.starts_with("workspace/"));
    let manifest = Manifest {
        version: manifest::VERSION,
        created_at: clock::rfc3339(now_ms / 1000),
        created_ms: now_ms,
        pincer_version: env!("CARGO_PKG_VERSION").to_string(),
        hostname: manifest::hostname(),
        workspace: workspace_included
            .then(|| layout.workspace.as_ref().map(|w| w.display().to_string()))
            .flatten(),
        files: records,
    };
    let body = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
        path: temp.clone(),
        source: std::io::Error::other(e),
    })?;
    let mut header = file_header(body.len() as u64, 0o600, now_ms / 1000);
    let write_err = BackupError::io(&temp);
    let finished = builder
        .append_data(&mut header, MANIFEST, body.as_slice())
        .and_then(|()| builder.into_inner())
        .and_then(|gz| gz.finish())
        .and_then(|buffered| buffered.into_inner().map_err(|e| e.into_error()))
        .and_then(|mut file| {
            file.flush()?;
            file.sync_all()
        });
    finished.map_err(write_err)?;
    partial.persist(&final_path)?;
    let archive_bytes = fs::metadata(&final_path).map_or(0, |m| m.len());
    Ok(Created {
        archive_bytes,
        path: final_path,
        files: manifest.files.len(),
        bytes: manifest.total_size(),
        notes,
    })
}

/// Archives one file up to the length it has when opened; `None` when it vanished meanwhile.
fn append_file<W: Write>(
    builder: &mut tar::Builder<W>,
    source: &Source,
    notes: &mut Vec<String>,
) -> Result<Option<FileRecord>, BackupError> {
    let mut file = match File::open(&source.file) {
        Ok(file) => file,
        // Renamed away since the walk (a session reset): it is simply not part of this backup.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!(
                "{} vanished during the backup",
                source.file.display()
            ));
            return Ok(None);
        }
        Err(error) => return Err(BackupError::io(&source.file)(error)),
    };
    let meta = file.metadata().map_err(BackupError::io(&source.file))?;
    let len = meta.len();
    let mode = mode_of(&meta);
    let mut header = file_header(len, mode, mtime_of(&meta));
    let mut reader = ExactReader::new(&mut file, len);
    builder
        .append_data(&mut header, &source.archive_path, &mut reader)
        .map_err(BackupError::io(&source.file))?;
    let digested = reader.finish();
    if digested.short {
        notes.push(format!(
            "{} shrank while it was read; its missing tail is archived as zeros",
            source.file.display()
        ));
    }
    Ok(Some(FileRecord {
        path: source.archive_path.clone(),
        size: len,
        sha256: digested.sha256,
        mode,
    }))
}

fn file_header(len: u64, mode: u32, mtime: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Regular);
    header.set_size(len);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header
}

/// `pincer-backup-<stamp>.tar.gz`, or `-2`, `-3`... when a backup was already taken this second.
fn free_name(dir: &Path, stamp: &str) -> PathBuf {
    let mut candidate = dir.join(format!("pincer-backup-{stamp}.tar.gz"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("pincer-backup-{stamp}-{n}.tar.gz"));
        n += 1;
    }
    candidate
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(meta: &fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

fn mtime_of(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}
