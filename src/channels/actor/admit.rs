//! The DM policy of the channel actor: who may reach the agent in direct messages, and the
//! pairing code a stranger gets (once) under `dmPolicy: "pairing"`.

use std::sync::atomic::Ordering::Relaxed;

use tracing::{info, warn};

use super::super::journal::Entry;
use super::super::pairing::{code_message, RequestOutcome};
use super::ChannelActor;
use crate::config::DmPolicy;

/// What the DM policy says of a direct message.
pub(super) enum Admission {
    Agent,
    Reply(String),
    Drop,
}

impl ChannelActor {
    /// The DM policy.
    pub(super) fn admit(&mut self, entry: &Entry) -> Admission {
        let record = &entry.record;
        let stats = &self.parts.stats;
        match self.parts.settings.policy {
            DmPolicy::Disabled => {
                stats.refused.fetch_add(1, Relaxed);
                Admission::Drop
            }
            DmPolicy::Open => Admission::Agent,
            _ if self.allow.contains(&record.sender) => Admission::Agent,
            DmPolicy::Allowlist => {
                stats.refused.fetch_add(1, Relaxed);
                info!(channel = self.channel, sender = %record.sender, "message from a sender not on the allowlist ignored");
                Admission::Drop
            }
            DmPolicy::Pairing => {
                let outcome = self.parts.pairing.request(
                    self.channel,
                    &record.sender,
                    record.sender_name.as_deref(),
                );
                match outcome {
                    Ok(RequestOutcome::Created(request)) => {
                        stats.pairing_codes.fetch_add(1, Relaxed);
                        info!(channel = self.channel, sender = %record.sender, code = %request.code, "pairing requested; approve with `pincer pairing approve`");
                        let labels = self.parts.plugin.labels();
                        Admission::Reply(code_message(
                            labels.platform,
                            labels.sender_id,
                            &request,
                            self.channel,
                        ))
                    }
                    Ok(RequestOutcome::AlreadyPending(_)) => Admission::Drop,
                    Ok(RequestOutcome::Full) => {
                        stats.pairing_ignored.fetch_add(1, Relaxed);
                        info!(channel = self.channel, sender = %record.sender, "pairing request ignored: too many are pending");
                        Admission::Drop
                    }
                    Err(error) => {
                        warn!(channel = self.channel, %error, "pairing store unavailable; message ignored");
                        Admission::Drop
                    }
                }
            }
        }
    }
}
