//! `manifest.json`: what a backup claims to contain, checked by `pincer backup verify`.
//!
//! Modes are written as octal strings (`"0600"`) so that a person reading the manifest sees what
//! `ls -l` would show.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The manifest format this build writes and understands.
pub(crate) const VERSION: u32 = 1;

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    /// [`VERSION`] when written; a newer one is refused rather than misread.
    pub version: u32,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub created_ms: u64,
    pub pincer_version: String,
    pub hostname: String,
    /// The workspace folder the `workspace/` files came from, for the operator's information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Every archived file except the manifest itself, in archive order.
    pub files: Vec<FileRecord>,
}

/// One archived file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileRecord {
    /// Its path in the archive (`config/...`, `state/...`, `workspace/...`).
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of its content.
    pub sha256: String,
    /// Permission bits, restored as they were.
    #[serde(serialize_with = "octal_out", deserialize_with = "octal_in")]
    pub mode: u32,
}

impl Manifest {
    /// The total size of the files.
    pub(crate) fn total_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

fn octal_out<S: Serializer>(mode: &u32, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{mode:04o}"))
}

fn octal_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let text = String::deserialize(deserializer)?;
    u32::from_str_radix(&text, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
        .ok_or_else(|| serde::de::Error::custom(format!("invalid mode {text:?}")))
}

/// The machine's name for the manifest (`unknown` when the system does not say).
pub(crate) fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_as_octal_text() {
        let record = FileRecord {
            path: "state/gateway.token".into(),
            size: 64,
            sha256: "00".into(),
            mode: 0o600,
        };
        let json = serde_json::to_string(&record).expect("json");
        assert!(json.contains("\"mode\":\"0600\""), "{json}");
        let back: FileRecord = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, record);
        let bad = json.replace("0600", "0999");
        assert!(serde_json::from_str::<FileRecord>(&bad).is_err());
    }
}
