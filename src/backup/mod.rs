//! Backups of one Pincer installation: `pincer backup create|verify|restore`.
//!
//! A backup is a gzip-compressed tar archive holding the config file (`config/pincer.json5`), the
//! state directory (`state/...`: transcripts, the session index, the generated token and any other
//! store; see [`select`] for the rule) and the agent workspace (`workspace/...`), followed by a
//! `manifest.json` that records each file's archive path, size, SHA-256 and mode. The manifest is
//! the last entry because the sums are computed while the files stream into the archive: each
//! file is read once, up to the length it had when it was opened, so a backup taken while the
//! gateway appends to a transcript is still self-consistent.
//!
//! How it fits:
//! - [`layout`] says where the installation's files are (config, state, workspace);
//! - [`select`] walks them and decides what goes in; [`archive_path`] is the one rule for which
//!   paths an archive may hold, shared by creation, verification and restore (path traversal);
//! - [`create`], [`verify`], [`restore`] are the three commands' library halves, and
//!   [`retention`] deletes old archives for `--keep-days`; the CLI (`cli::backup`) only prints;
//! - [`config_rewrite`] (on [`json5_spans`]) points a restored config at the restoring
//!   installation's workspace without re-serializing it; `space` checks free space first;
//! - [`manifest`] and [`hashing`] are their small shared pieces; `partial` writes each restored
//!   file whole before it is renamed into place.

pub(crate) mod archive_path;
pub(crate) mod config_rewrite;
pub(crate) mod create;
pub(crate) mod hashing;
pub(crate) mod json5_spans;
pub(crate) mod layout;
pub(crate) mod manifest;
pub(crate) mod restore;
pub(crate) mod retention;
pub(crate) mod select;
pub(crate) mod verify;

mod error;
mod partial;
mod space;

pub(crate) use error::BackupError;

#[cfg(test)]
mod tests;
