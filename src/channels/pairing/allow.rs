//! Who may reach the agent on one channel: the config's `allowFrom` merged with the approved
//! senders of the pairing store. The store file is re-read only when its size or modification
//! time changes, so the check costs one `stat` per message while approvals made by the CLI in
//! another process take effect on the next message.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::SystemTime;

use tracing::warn;

use super::approvals::{waited, Approval, Waited};
use super::PairingStore;

/// The merged allowlist of one channel.
#[derive(Debug)]
pub(crate) struct AllowList {
    channel: String,
    store: PairingStore,
    path: PathBuf,
    configured: HashSet<String>,
    anyone: bool,
    approved: HashSet<String>,
    /// When each approved sender was approved, and whether with `--replay`.
    approvals: Vec<Approval>,
    seen: Option<(u64, Option<SystemTime>)>,
}

impl AllowList {
    pub(crate) fn new(channel: &str, configured: &[String], store: PairingStore) -> Self {
        let configured: HashSet<String> = configured
            .iter()
            .map(|id| normalize_id(id))
            .filter(|id| !id.is_empty())
            .collect();
        AllowList {
            channel: channel.to_string(),
            path: store.allow_path(channel),
            anyone: configured.contains("*"),
            configured,
            store,
            approved: HashSet::new(),
            approvals: Vec::new(),
            seen: None,
        }
    }

    /// Whether `sender` is configured or approved.
    pub(crate) fn contains(&mut self, sender: &str) -> bool {
        let sender = normalize_id(sender);
        if self.anyone || self.configured.contains(&sender) {
            return true;
        }
        self.refresh();
        self.approved.contains(&sender)
    }

    /// Whether a message of an allowed `sender` waited for their approval, and what becomes of
    /// it (see [`super::approvals`]); a sender allowed by the config never waited.
    pub(crate) fn waited(&mut self, sender: &str, received_ms: u64) -> Waited {
        let normal = normalize_id(sender);
        if self.anyone || self.configured.contains(&normal) {
            return Waited::No;
        }
        self.refresh();
        waited(&self.approvals, sender, received_ms)
    }

    fn refresh(&mut self) {
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        if stamp == self.seen && self.seen.is_some() {
            return;
        }
        // The approvals are written before the allowlist, so they are current when it changes.
        match (
            self.store.approved(&self.channel),
            self.store.approvals(&self.channel),
        ) {
            (Ok(ids), Ok(approvals)) => {
                self.approved = ids.iter().map(|id| normalize_id(id)).collect();
                self.approvals = approvals;
                self.seen = stamp;
            }
            (Err(error), _) | (_, Err(error)) =>
            // Keep the last good list: a half-edited file must not lock everyone out.
            {
                warn!(channel = %self.channel, %error, "cannot read the approved senders")
            }
        }
    }
}

/// Ids compare without a leading `+` and spaces, so `+1 555 123` in the config matches the
/// `1555123` WhatsApp sends.
pub(crate) fn normalize_id(id: &str) -> String {
    let id = id.trim();
    if id == "*" {
        return id.to_string();
    }
    id.trim_start_matches('+')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}
