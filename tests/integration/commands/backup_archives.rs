//! Reading and writing backup archives for the backup tests: their entries, well-formed and
//! crafted archives (links, devices, bombs, traversal), file modes and digests.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

/// Archive entries as (path, content), in order.
pub(super) fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let file = fs::File::open(archive).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::new();
    for entry in tar.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("content");
        out.push((path, content));
    }
    out
}

/// Writes `entries` as a .tar.gz, with raw names (no validation: crafted archives need `..`).
pub(super) fn write_archive(path: &Path, entries: &[(String, Vec<u8>)]) {
    let crafted: Vec<Crafted> = entries
        .iter()
        .map(|(name, content)| Crafted::file(name, content, 0o600))
        .collect();
    write_crafted(path, &crafted);
}

/// One entry of a hand-made archive: any type, mode and declared size.
pub(super) struct Crafted {
    pub(super) name: String,
    pub(super) content: Vec<u8>,
    pub(super) mode: u32,
    pub(super) kind: tar::EntryType,
    /// The size the header declares (normally the content's).
    pub(super) declared: u64,
    pub(super) link: Option<String>,
}

impl Crafted {
    pub(super) fn file(name: &str, content: &[u8], mode: u32) -> Crafted {
        Crafted {
            name: name.to_string(),
            content: content.to_vec(),
            mode,
            kind: tar::EntryType::Regular,
            declared: content.len() as u64,
            link: None,
        }
    }

    pub(super) fn special(name: &str, kind: tar::EntryType, link: Option<&str>) -> Crafted {
        Crafted {
            kind,
            link: link.map(str::to_string),
            ..Crafted::file(name, b"", 0o644)
        }
    }
}

pub(super) fn write_crafted(path: &Path, entries: &[Crafted]) {
    let file = fs::File::create(path).expect("create");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let raw = &mut header.as_gnu_mut().expect("gnu header").name;
        raw[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
        header.set_entry_type(entry.kind);
        header.set_size(entry.declared);
        header.set_mode(entry.mode);
        if let Some(link) = &entry.link {
            header.set_link_name(link).expect("link name");
        }
        header.set_cksum();
        builder
            .append(&header, entry.content.as_slice())
            .expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip");
}

/// A well-formed archive of `files` (path, content, mode) with a manifest that verifies.
pub(super) fn write_well_formed(path: &Path, files: &[(&str, &[u8], u32)]) {
    let records: Vec<Value> = files
        .iter()
        .map(|(name, content, mode)| {
            serde_json::json!({
                "path": name, "size": content.len(), "sha256": sha256_hex(content),
                "mode": format!("{mode:04o}")
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "version": 1, "createdAt": "2025-01-01T00:00:00Z", "createdMs": 0,
        "pincerVersion": "0", "hostname": "elsewhere", "files": records
    });
    let mut entries: Vec<Crafted> = files
        .iter()
        .map(|(name, content, mode)| Crafted::file(name, content, *mode))
        .collect();
    entries.push(Crafted::file(
        "manifest.json",
        manifest.to_string().as_bytes(),
        0o600,
    ));
    write_crafted(path, &entries);
}

#[cfg(unix)]
pub(super) fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
