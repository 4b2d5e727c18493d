//! `pincer backup verify`: read an archive to its end and check it against its manifest.
//!
//! Every entry must be a regular file at a path [`archive_path::parse`] accepts, listed in the
//! manifest once with the same size and SHA-256; every file the manifest lists must be present.
//! The gzip stream is read through its trailer (CRC and length), so truncation and bit rot are
//! reported as [`BackupError::Corrupt`], and mismatches as [`BackupError::NotIntact`] listing each
//! one. Nothing is written anywhere: restore runs this first.
//!
//! A hostile archive is bounded before it is read: links, devices, FIFOs and sparse entries are
//! refused by type (only regular files), and reading stops at [`Limits`] (entry count, and the
//! total of the sizes the entry headers declare, checked before an entry's data is read), so a
//! small gzip file that inflates to terabytes or a flood of headers cannot keep verify busy.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use super::archive_path::{self, CONFIG, MANIFEST};
use super::hashing::HashingWriter;
use super::manifest::{self, Manifest};
use super::BackupError;

/// A manifest larger than this is not one `pincer backup create` wrote; refuse to buffer it.
const MAX_MANIFEST: u64 = 64 * 1024 * 1024;
/// The config is kept in memory (restore reads its workspace setting) up to this size.
const MAX_CONFIG: u64 = 4 * 1024 * 1024;

/// How much an archive may hold; beyond either, verify stops reading and refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Tar entries, the manifest included.
    pub max_entries: usize,
    /// The sum of the entries' sizes as their headers declare them, in bytes.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// One million files and 64 GiB: far above a personal assistant's installation, far below
    /// what a decompression bomb claims.
    fn default() -> Limits {
        Limits {
            max_entries: 1_000_000,
            max_total_bytes: 64 << 30,
        }
    }
}

/// An intact archive's manifest, and its config file's text when it has one.
#[derive(Debug)]
pub(crate) struct Verified {
    pub manifest: Manifest,
    pub config_text: Option<Vec<u8>>,
}

/// Checks `archive` within the default [`Limits`]; `Ok` only when it is intact.
pub(crate) fn verify(archive: &Path) -> Result<Verified, BackupError> {
    verify_within(archive, &Limits::default())
}

/// Checks `archive`, refusing it once it goes beyond `limits`.
pub(crate) fn verify_within(archive: &Path, limits: &Limits) -> Result<Verified, BackupError> {
    let file = File::open(archive).map_err(BackupError::io(archive))?;
    let corrupt = |source: io::Error| BackupError::Corrupt {
        path: archive.to_path_buf(),
        source,
    };
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest_body: Option<Vec<u8>> = None;
    let mut config_text = None;
    let (mut count, mut declared) = (0usize, 0u64);
    let mut within_limits = true;
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        declared = declared.saturating_add(entry.size());
        if count > limits.max_entries || declared > limits.max_total_bytes {
            problems.push(format!(
                "the archive holds more than {} entries or {} bytes (the limits of a restorable \
                 backup); stopped reading it",
                limits.max_entries, limits.max_total_bytes
            ));
            within_limits = false;
            break;
        }
        let name = match String::from_utf8(entry.path_bytes().into_owned()) {
            Ok(name) => name,
            Err(error) => {
                problems.push(format!(
                    "an entry whose path is not UTF-8: {:?}",
                    String::from_utf8_lossy(error.as_bytes())
                ));
                continue;
            }
        };
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            problems.push(format!(
                "{name:?}: not a regular file ({kind:?}); backups hold only files"
            ));
            continue;
        }
        if name == MANIFEST {
            if manifest_body.is_some() {
                problems.push("two manifest.json entries".into());
                continue;
            }
            let mut body = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST + 1)
                .read_to_end(&mut body)
                .map_err(corrupt)?;
            if body.len() as u64 > MAX_MANIFEST {
                problems.push(format!("manifest.json is larger than {MAX_MANIFEST} bytes"));
                continue;
            }
            manifest_body = Some(body);
            continue;
        }
        if let Err(problem) = archive_path::parse(&name) {
            problems.push(problem);
        }
        let (size, sha256) = if name == CONFIG && entry.size() <= MAX_CONFIG {
            let mut writer = HashingWriter::new(Vec::new());
            io::copy(&mut entry, &mut writer).map_err(corrupt)?;
            let (text, size, sha256) = writer.finish();
            config_text = Some(text);
            (size, sha256)
        } else {
            let mut writer = HashingWriter::new(io::sink());
            io::copy(&mut entry, &mut writer).map_err(corrupt)?;
            let (_, size, sha256) = writer.finish();
            (size, sha256)
        };
        if seen.insert(name.clone(), (size, sha256)).is_some() {
            problems.push(format!("{name}: appears twice in the archive"));
        }
    }
    if !within_limits {
        return Err(BackupError::NotIntact {
            path: archive.to_path_buf(),
            problems,
        });
    }
    // Read through the end-of-archive blocks and the gzip trailer: its CRC and length catch
    // truncation and corruption that the tar layer alone can miss.
    io::copy(&mut tar.into_inner(), &mut io::sink()).map_err(corrupt)?;

    let manifest = match manifest_body.map(|body| serde_json::from_slice::<Manifest>(&body)) {
        Some(Ok(manifest)) => Some(manifest),
        Some(Err(error)) => {
            problems.push(format!("manifest.json does not parse: {error}"));
            None
        }
        None => {
            problems
                .push("no manifest.json: not a pincer backup, or the archive was cut short".into());
            None
        }
    };
    if let Some(manifest) = &manifest {
        compare(manifest, &seen, &mut problems);
    }
    match manifest {
        Some(manifest) if problems.is_empty() => Ok(Verified {
            manifest,
            config_text,
        }),
        _ => Err(BackupError::NotIntact {
            path: archive.to_path_buf(),
            problems,
        }),
    }
}

/// Adds a problem for each difference between the manifest and the entries read.
fn compare(
    manifest: &Manifest,
    seen: &BTreeMap<String, (u64, String)>,
    problems: &mut Vec<String>,
) {
    if manifest.version > manifest::VERSION {
        problems.push(format!(
            "manifest version {} is newer than this pincer understands ({})",
            manifest.version,
            manifest::VERSION
        ));
    }
    let mut listed = BTreeSet::new();
    for record in &manifest.files {
        if !listed.insert(record.path.as_str()) {
            problems.push(format!("{}: listed twice in the manifest", record.path));
            continue;
        }
        match seen.get(&record.path) {
            None => problems.push(format!(
                "{}: listed in the manifest but missing from the archive",
                record.path
            )),
            Some((size, _)) if *size != record.size => problems.push(format!(
                "{}: {size} bytes in the archive, {} in the manifest",
                record.path, record.size
            )),
            Some((_, sha256)) if *sha256 != record.sha256 => problems.push(format!(
                "{}: SHA-256 differs from the manifest (the content changed)",
                record.path
            )),
            Some(_) => {}
        }
    }
    for path in seen.keys() {
        if !listed.contains(path.as_str()) {
            problems.push(format!("{path}: in the archive but not in the manifest"));
        }
    }
}
