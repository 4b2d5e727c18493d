//! The index on disk: `<state>/memory/<workspace id>.idx`, written atomically (0600) after every
//! change, read once when a workspace is first searched.
//!
//! Layout, little-endian: the magic `PINCRMEM`, a format version (u32), the length (u64) of a
//! header encoded by `crate::codec` (model, vector length, the notes with their stamps, hashes
//! and paragraphs, which rows hold a vector), then the vectors as raw `f32`s, one row per
//! paragraph. A file that is cut short, corrupt, of another version or inconsistent is an error
//! the caller answers by rebuilding from the notes: it is a cache of them, never the truth.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::index::{Note, WorkspaceIndex};
use super::vectors::Vectors;

const MAGIC: &[u8; 8] = b"PINCRMEM";
/// Bump when the header's layout changes: older files are rebuilt.
const VERSION: u32 = 1;

/// Why a stored index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read or write the memory index: {0}")]
    Io(#[from] std::io::Error),
    #[error("the memory index is not one (bad magic or cut short)")]
    NotAnIndex,
    #[error("the memory index has format version {0}, this gateway writes {VERSION}")]
    Version(u32),
    #[error("the memory index is corrupt: {0}")]
    Corrupt(String),
}

#[derive(Serialize, Deserialize)]
struct Header {
    model: Option<String>,
    dims: u64,
    indexed_at_ms: u64,
    notes: BTreeMap<String, Note>,
    present: Vec<bool>,
}

/// Writes `index` to `path` atomically.
pub fn save(path: &Path, index: &WorkspaceIndex) -> Result<(), StoreError> {
    let (present, data) = index.vectors.parts();
    let header = Header {
        model: index.model.clone(),
        dims: index.vectors.dims() as u64,
        indexed_at_ms: index.indexed_at_ms,
        notes: index.notes.clone(),
        present: present.to_vec(),
    };
    let header = crate::codec::encode(&header).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut bytes = Vec::with_capacity(20 + header.len() + data.len() * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&header);
    for value in data {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir)?;
    }
    crate::fsutil::write_private(path, &bytes)?;
    Ok(())
}

/// Reads the index at `path`.
pub fn load(path: &Path) -> Result<WorkspaceIndex, StoreError> {
    let bytes = std::fs::read(path)?;
    decode(&bytes)
}

/// The index encoded in `bytes`; never panics.
pub(crate) fn decode(bytes: &[u8]) -> Result<WorkspaceIndex, StoreError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(StoreError::NotAnIndex)?;
    let (version, rest) = take::<4>(rest)?;
    let version = u32::from_le_bytes(version);
    if version != VERSION {
        return Err(StoreError::Version(version));
    }
    let (length, rest) = take::<8>(rest)?;
    let length = usize::try_from(u64::from_le_bytes(length)).map_err(|_| StoreError::NotAnIndex)?;
    if length > rest.len() {
        return Err(StoreError::NotAnIndex);
    }
    let (header, data) = rest.split_at(length);
    let header: Header =
        crate::codec::decode(header).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if !data.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt("the vectors are cut short".into()));
    }
    let data: Vec<f32> = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let dims = usize::try_from(header.dims).map_err(|_| StoreError::Corrupt("dims".into()))?;
    let vectors = Vectors::from_parts(dims, header.present, data)
        .ok_or_else(|| StoreError::Corrupt("vector rows and data disagree".into()))?;
    let rows: usize = header.notes.values().map(|n| n.chunks.len()).sum();
    if vectors.rows() != rows {
        return Err(StoreError::Corrupt(format!(
            "{} vector rows for {rows} paragraphs",
            vectors.rows()
        )));
    }
    Ok(WorkspaceIndex::from_parts(
        header.notes,
        vectors,
        header.model,
        header.indexed_at_ms,
    ))
}

fn take<const N: usize>(bytes: &[u8]) -> Result<([u8; N], &[u8]), StoreError> {
    if bytes.len() < N {
        return Err(StoreError::NotAnIndex);
    }
    let (head, rest) = bytes.split_at(N);
    let mut array = [0u8; N];
    array.copy_from_slice(head);
    Ok((array, rest))
}

#[cfg(test)]
mod tests {
    use super::super::index::Stamp;
    use super::*;

    fn sample() -> WorkspaceIndex {
        let mut index = WorkspaceIndex::default();
        index.put_note(
            "MEMORY.md",
            Stamp {
                len: 3,
                modified_ns: 7,
            },
            "one\n\ntwo\n",
        );
        index.rebuild();
        index.use_model("m");
        index.fill(&[1], &[vec![0.0, 2.0, 0.0]]);
        index
    }

    #[test]
    fn an_index_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory").join("ws.idx");
        let index = sample();
        save(&path, &index).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back.chunks(), index.chunks());
        assert_eq!(back.vectors, index.vectors);
        assert_eq!(back.model.as_deref(), Some("m"));
        assert_eq!(back.notes, index.notes);
    }

    #[test]
    fn corrupt_cut_and_foreign_files_are_errors_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.idx");
        save(&path, &sample()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[8] = 9;
        assert!(matches!(decode(&flipped), Err(StoreError::Version(9))));
        for position in 20..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[position] ^= 0xff;
            let _ = decode(&damaged);
        }
        assert!(matches!(decode(b"garbage!"), Err(StoreError::NotAnIndex)));
    }
}
