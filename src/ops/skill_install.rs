//! `pincer skills install PATH|URL.tar.gz`: unpack a skill archive into `<state>/skills/<name>`.
//!
//! The archive is hostile input. It is read with the checks of backup restore: every entry path
//! through [`crate::backup::archive_path::safe_components`] (no absolute path, no `..`, no empty or
//! `.` component, no backslash or NUL), only regular files and folders (symbolic and hard links,
//! devices, FIFOs and sparse entries refuse the whole archive), at most
//! [`MAX_ENTRIES`] entries and [`MAX_TOTAL_BYTES`] declared bytes (the bounds of
//! [`crate::backup::verify::Limits`], smaller), so neither a traversal nor a decompression bomb
//! gets anywhere. Files are unpacked into a fresh private staging folder inside `<state>/skills`
//! (created here, so no link can be in it), each created new, mode `0644` (`0755` when the
//! archive marks it executable); nothing of the archive's owner or set-id bits is kept.
//!
//! Then the skill must be there: a `SKILL.md` at the top, or in the one top-level folder, with
//! front matter that reads (name, description, metadata). Its `name` is the folder it goes to;
//! an existing skill of that name is replaced only with `--force`. The staging folder is renamed
//! into place (one step on the same filesystem) and removed on any failure.
//!
//! A URL is fetched with the project's HTTP client ([`crate::net::http::builder`]) within
//! [`MAX_DOWNLOAD_BYTES`], into the staging area, and installed the same way.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::agent::skills::discover::read_bounded;
use crate::agent::skills::{parse_skill, SKILL_FILE};
use crate::backup::archive_path::safe_components;
use crate::backup::verify::Limits;

/// Entries of a skill archive at most.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// The declared size of a skill archive's entries at most (64 MiB).
pub(crate) const MAX_TOTAL_BYTES: u64 = 64 << 20;
/// A downloaded archive at most (32 MiB).
pub(crate) const MAX_DOWNLOAD_BYTES: u64 = 32 << 20;
/// The largest `SKILL.md` accepted (OpenClaw's `maxSkillFileBytes` default).
const MAX_SKILL_FILE: u64 = 256_000;

/// Why a skill was not installed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing the archive: {0}")]
    Hostile(String),
    #[error("the archive is not a skill: {0}")]
    NotASkill(String),
    #[error("a skill named {name:?} is installed already at {}; use --force to replace it", dest.display())]
    Exists { name: String, dest: PathBuf },
    #[error("cannot download {url}: {reason}")]
    Download { url: String, reason: String },
}

impl InstallError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> InstallError + '_ {
        move |source| InstallError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// An installed skill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Installed {
    pub name: String,
    pub description: String,
    /// Its folder under `<state>/skills`.
    pub dir: PathBuf,
    pub files: usize,
    /// An existing skill of the name was replaced (`--force`).
    pub replaced: bool,
}

/// The limits a skill archive is read within (the backup reader's, scaled down).
fn limits() -> Limits {
    Limits {
        max_entries: MAX_ENTRIES,
        max_total_bytes: MAX_TOTAL_BYTES,
    }
}

/// Installs the archive `archive` (a `.tar.gz` file) into `managed` (`<state>/skills`).
pub(crate) fn install_file(
    archive: &Path,
    managed: &Path,
    force: bool,
) -> Result<Installed, InstallError> {
    create_private(managed)?;
    let staging = Staging::new(managed)?;
    let file = File::open(archive).map_err(InstallError::io(archive))?;
    let files = unpack(BufReader::new(file), &staging.dir, &limits())?;
    finish(&staging, managed, force, files)
}

/// Downloads `url` (within [`MAX_DOWNLOAD_BYTES`]) and installs it like [`install_file`].
pub(crate) async fn install_url(
    url: &str,
    managed: &Path,
    force: bool,
) -> Result<Installed, InstallError> {
    let failed = |reason: String| InstallError::Download {
        url: url.to_string(),
        reason,
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(failed("only http:// and https:// URLs are fetched".into()));
    }
    create_private(managed)?;
    let client = crate::net::http::builder("skills install")
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(crate::net::http::error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(failed(format!("the server answered {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOWNLOAD_BYTES)
    {
        return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| failed(crate::net::http::error_chain(&e)))?
    {
        if body.len() as u64 + chunk.len() as u64 > MAX_DOWNLOAD_BYTES {
            return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let staging = Staging::new(managed)?;
    let files = unpack(io::Cursor::new(body), &staging.dir, &limits())?;
    finish(&staging, managed, force, files)
}

/// A private folder in `<state>/skills` removed when dropped (whatever is left in it).
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn new(managed: &Path) -> Result<Staging, InstallError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = managed.join(format!(".install-{}-{nanos}", std::process::id()));
        fs::create_dir(&dir).map_err(InstallError::io(&dir))?;
        set_mode(&dir, 0o700).map_err(InstallError::io(&dir))?;
        Ok(Staging { dir })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn create_private(dir: &Path) -> Result<(), InstallError> {
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(InstallError::io(dir))?;
        set_mode(dir, 0o700).map_err(InstallError::io(dir))?;
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// Unpacks the gzip'd tar `reader` into the empty folder `into`; returns how many files.
pub(crate) fn unpack(
    reader: impl Read,
    into: &Path,
    limits: &Limits,
) -> Result<usize, InstallError> {
    let corrupt = |e: io::Error| InstallError::Hostile(format!("not a readable .tar.gz: {e}"));
    let mut tar = tar::Archive::new(GzDecoder::new(reader));
    let (mut count, mut declared, mut files) = (0usize, 0u64, 0usize);
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        declared = declared.saturating_add(entry.size());
        if count > limits.max_entries || declared > limits.max_total_bytes {
            return Err(InstallError::Hostile(format!(
                "it holds more than {} entries or {} bytes",
                limits.max_entries, limits.max_total_bytes
            )));
        }
        let raw = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| InstallError::Hostile("an entry path is not UTF-8".into()))?;
        // `tar -C dir .` writes `./x`; the folder `.` itself is nothing to unpack.
        let name = raw.strip_prefix("./").unwrap_or(&raw).trim_end_matches('/');
        if name.is_empty() || name == "." {
            continue;
        }
        let components = safe_components(name).map_err(InstallError::Hostile)?;
        let dest = components
            .iter()
            .fold(into.to_path_buf(), |path, c| path.join(c));
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            fs::create_dir_all(&dest).map_err(InstallError::io(&dest))?;
            continue;
        }
        if !kind.is_file() {
            return Err(InstallError::Hostile(format!(
                "{name:?} is not a regular file or folder ({kind:?}): links, devices and FIFOs are refused"
            )));
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(InstallError::io(parent))?;
        }
        let executable = entry.header().mode().is_ok_and(|mode| mode & 0o100 != 0);
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => {
                    InstallError::Hostile(format!("{name:?} appears twice in the archive"))
                }
                _ => InstallError::Io {
                    path: dest.clone(),
                    source: e,
                },
            })?;
        let size = entry.size();
        let copied = io::copy(&mut (&mut entry).take(size), &mut out).map_err(corrupt)?;
        if copied != size {
            return Err(InstallError::Hostile(format!("{name:?} is cut short")));
        }
        out.flush().map_err(InstallError::io(&dest))?;
        set_mode(&dest, if executable { 0o755 } else { 0o644 }).map_err(InstallError::io(&dest))?;
        files += 1;
    }
    Ok(files)
}

/// Finds the skill in the staging folder, checks it and moves it to `<managed>/<name>`.
fn finish(
    staging: &Staging,
    managed: &Path,
    force: bool,
    files: usize,
) -> Result<Installed, InstallError> {
    let root = skill_root(&staging.dir)?;
    let text =
        read_bounded(&root.join(SKILL_FILE), MAX_SKILL_FILE).map_err(InstallError::NotASkill)?;
    let parsed = parse_skill(&text).map_err(InstallError::NotASkill)?;
    parsed
        .meta
        .as_ref()
        .map_err(|why| InstallError::NotASkill(why.clone()))?;
    let dest = managed.join(&parsed.name);
    let replaced = fs::symlink_metadata(&dest).is_ok();
    if replaced && !force {
        return Err(InstallError::Exists {
            name: parsed.name,
            dest,
        });
    }
    if replaced {
        let meta = fs::symlink_metadata(&dest).map_err(InstallError::io(&dest))?;
        if meta.is_dir() {
            fs::remove_dir_all(&dest).map_err(InstallError::io(&dest))?;
        } else {
            fs::remove_file(&dest).map_err(InstallError::io(&dest))?;
        }
    }
    fs::rename(&root, &dest).map_err(InstallError::io(&dest))?;
    set_mode(&dest, 0o755).map_err(InstallError::io(&dest))?;
    Ok(Installed {
        name: parsed.name,
        description: parsed.description,
        dir: dest,
        files,
        replaced,
    })
}

/// The folder holding `SKILL.md`: the top of the archive, or its one top-level folder.
fn skill_root(staging: &Path) -> Result<PathBuf, InstallError> {
    if staging.join(SKILL_FILE).is_file() {
        return Ok(staging.to_path_buf());
    }
    let entries: Vec<PathBuf> = fs::read_dir(staging)
        .map_err(InstallError::io(staging))?
        .flatten()
        .map(|entry| entry.path())
        .collect();
    match entries.as_slice() {
        [only] if only.is_dir() && only.join(SKILL_FILE).is_file() => Ok(only.clone()),
        _ => Err(InstallError::NotASkill(format!(
            "no {SKILL_FILE} at the top of the archive or in its one top-level folder"
        ))),
    }
}

#[cfg(test)]
#[path = "skill_install_tests.rs"]
mod tests;
