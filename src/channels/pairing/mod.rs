//! DM pairing: how a stranger becomes an approved sender.
//!
//! Under `dmPolicy: "pairing"` a message from a sender who is neither in the config's
//! `allowFrom` nor approved does not reach the agent. The sender gets, once, a code
//! ([`code`]) and the command the owner must run; `pincer pairing approve <channel> <CODE>` moves
//! them to the approved senders ([`store`]). The gateway reads approvals through [`AllowList`],
//! which notices changes to the store made by another process (the CLI). A stranger's messages
//! wait in the journal while their code is pending, and are answered after the approval only
//! with `--replay` ([`approvals`]).

pub(crate) mod allow;
pub(crate) mod approvals;
pub(crate) mod code;
pub(crate) mod store;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub(crate) use allow::AllowList;
pub(crate) use store::{PairingRequest, PairingStore, RequestOutcome};

/// Why a pairing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a valid pairing file ({message}); fix or remove it", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("no pending {channel} pairing request has the code {code} (codes expire after an hour; `pincer pairing list {channel}` shows the live ones)")]
    UnknownCode { channel: String, code: String },
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

/// The message a stranger gets with their code.
pub(crate) fn code_message(
    channel_label: &str,
    id_label: &str,
    request: &PairingRequest,
    channel: &str,
) -> String {
    format!(
        "Hi! This assistant only answers people its owner has approved.\n\n\
         Your {channel_label} {id_label}: {}\n\
         Pairing code: {}\n\n\
         If you know the owner, send them the code. They approve you with:\n\
         pincer pairing approve {channel} {}",
        request.id, request.code, request.code
    )
}

/// The message an approved sender gets with `--notify`.
pub(crate) const APPROVED_MESSAGE: &str =
    "You have been approved: your messages now reach the assistant. Say hello!";
