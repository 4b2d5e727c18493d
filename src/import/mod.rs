//! `pincer import openclaw [DIR]`: an OpenClaw (formerly Clawdbot, Moltbot) home moved into
//! Pincer: its config, workspace, conversations and approved senders.
//!
//! Two steps, like onboarding: [`prepare`] reads the home (through [`source::Source`], as
//! untrusted input) and builds the whole [`plan::Plan`] in memory, with the config proved the way
//! the gateway will load it; nothing is written. `--dry-run` stops there. [`apply::apply`] then
//! writes it: the workspace files, the transcripts, the approved senders, the secrets file and
//! the config last. A target that exists stops the import before anything is written, unless
//! `--force`, which first copies each replaced file into `<state>/import-backup-<stamp>/`.
//!
//! - [`source`]: finding the home, bounded reads that stay inside it;
//! - [`config_map`], [`config_channels`], [`config_policy`]: `openclaw.json` → `pincer.json5`
//!   plus secrets;
//! - [`workspace`], [`transcripts`], [`pairing`]: the files, sessions and approved senders;
//! - [`plan`]: the plan and report; [`prepare`](mod@prepare): building it; [`apply`]: writing it.

pub(crate) mod apply;
pub(crate) mod config_channels;
pub(crate) mod config_map;
pub(crate) mod config_policy;
pub(crate) mod pairing;
pub(crate) mod plan;
pub(crate) mod prepare;
pub(crate) mod source;
pub(crate) mod transcripts;
pub(crate) mod workspace;

use std::path::PathBuf;

pub(crate) use apply::apply;
pub(crate) use prepare::prepare;

/// What the command was asked.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImportOptions {
    /// The OpenClaw home; default `~/.openclaw` (else `~/.clawdbot`, `~/.moltbot`).
    pub(crate) source: Option<PathBuf>,
    /// Replace what exists (after a backup).
    pub(crate) force: bool,
}

/// Why the import stopped. Nothing was written in any case but [`ImportError::Write`].
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no OpenClaw home found (looked for ~/.openclaw, ~/.clawdbot and ~/.moltbot); pass its folder: pincer import openclaw DIR")]
    NotFound,
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} has no openclaw.json, clawdbot.json or moltbot.json; is it an OpenClaw home?", path.display())]
    NoConfig { path: PathBuf },
    #[error("the imported config would not load, so nothing was written: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{count} of the targets already exist (marked EXISTS above); nothing was written. Pass --force to replace them (each is backed up first)")]
    Exists { count: usize },
    #[error("cannot {action} {}: {source}", path.display())]
    Write {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Store(String),
}

impl ImportError {
    /// The exit code: a config that would not load 78, a missing home 2, the rest 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            ImportError::Config(_) => crate::exit::CONFIG,
            ImportError::NotFound | ImportError::NoConfig { .. } | ImportError::Open { .. } => {
                crate::exit::USAGE
            }
            _ => crate::exit::FAILURE,
        }
    }
}
