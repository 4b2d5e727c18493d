//! First run: `pincer onboard`, the wizard that writes a valid, commented config.
//!
//! It asks (or, with `--non-interactive`, takes from flags and the environment) the model
//! provider, model and API key, the gateway's auth and port, the chat channels and who may use
//! them, the workspace and the sandbox; checks every answer; then writes the config, the secrets
//! file and the gateway token without ever leaving a half-written file. The CLI command
//! ([`crate::cli::onboard`]) adds the terminal, the security audit of the result and
//! `--install-daemon`.
//!
//! - [`answers`]: the decisions as data, and [`answers::Presets`] (the flags);
//! - [`prompt`]: one question (default, flag, check, asking again), over a [`prompt::Terminal`];
//!   [`terminal`]: the real one, with echo off for secrets;
//! - [`checks`]: the check of each kind of answer;
//! - [`flow`] (with `flow_provider` and `flow_channels`): the questions in order;
//! - [`keycheck`]: trying the API key with one free request;
//! - [`render`]: the commented JSON5; [`commit`]: proving and writing the files;
//! - [`env_note`]: the note about secrets found in the environment and not stored.

pub(crate) mod answers;
pub(crate) mod checks;
pub(crate) mod commit;
pub(crate) mod env_note;
pub(crate) mod flow;
mod flow_channels;
mod flow_provider;
pub(crate) mod keycheck;
pub(crate) mod prompt;
pub(crate) mod render;
pub(crate) mod terminal;

use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::paths::PathsError;

/// Why onboarding stopped. Nothing is half-written in any case; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    #[error(
        "{} already exists; pass --force to replace it (the old file is kept as a timestamped \
         backup), or edit it and check it with `pincer config validate`",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error("kept the existing config {}; nothing was written", path.display())]
    Declined { path: PathBuf },
    #[error("stopped before the end; nothing was written")]
    Cancelled,
    #[error("the input ended before onboarding finished; nothing was written")]
    Aborted,
    #[error(
        "`pincer onboard` asks its questions on a terminal, and stdin is not one; in scripts and \
         containers run `pincer onboard --non-interactive` with flags (see `pincer onboard --help`)"
    )]
    NotATerminal,
    #[error("{what} is needed: {how} (nothing was written)")]
    Missing { what: String, how: String },
    #[error("{origin}: {message} (nothing was written)")]
    Invalid { origin: String, message: String },
    #[error(
        "the provider rejected the API key ({0}); check the key, or pass --skip-key-check to \
         write the config anyway (nothing was written)"
    )]
    KeyRejected(String),
    #[error(
        "cannot {action} {}: {source}; make sure you can write there, or choose another place \
         with PINCER_HOME or --config",
        path.display()
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}; set PINCER_HOME (or PINCER_STATE_DIR) to a folder you can write to")]
    State(PathsError),
    #[error("cannot create the gateway token: {0}")]
    Token(String),
    #[error("cannot read from the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("the generated config does not load: {0}")]
    Config(#[from] ConfigError),
}

impl OnboardError {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        OnboardError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The process exit code: usage errors 2, a config that does not load 78, the rest 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            OnboardError::NotATerminal
            | OnboardError::Missing { .. }
            | OnboardError::Invalid { .. } => crate::exit::USAGE,
            OnboardError::Config(_) => crate::exit::CONFIG,
            _ => crate::exit::FAILURE,
        }
    }
}
