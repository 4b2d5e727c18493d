//! The DM policy of the channel actor: who may reach the agent in direct messages, and the
//! pairing code a stranger gets (once) under `dmPolicy: "pairing"`.

use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use tracing::{info, warn};

use super::super::chunk;
use super::super::delivery::{send_reply, Reply};
use super::super::journal::Entry;
use super::super::pairing::approvals::Waited;
use super::super::pairing::{code_message, RequestOutcome};
use super::ChannelActor;
use crate::config::DmPolicy;

/// What the DM policy says of a direct message.
pub(super) enum Admission {
    Agent,
    Drop,
    /// A stranger with a pending code: the message waits in the journal for the approval
    /// (answered then only with `--replay`); `code` is the code message to send first, for a
    /// request just created.
    Wait {
        code: Option<String>,
    },
}

/// At most this many messages of one stranger wait for the approval; later ones are dropped.
const MAX_WAITING_PER_SENDER: usize = 20;

impl ChannelActor {
    /// Keeps a stranger's message pending in the journal until their code is approved or
    /// expires, sending `code` first (the reply to a request just made; the message itself stays
    /// unanswered until the approval).
    pub(super) fn wait_for_approval(&mut self, entry: Entry, code: Option<String>) {
        let sender = entry.record.sender.clone();
        let waiting = self
            .parked
            .values()
            .filter(|parked| parked.record.sender == sender)
            .count();
        if waiting >= MAX_WAITING_PER_SENDER {
            info!(channel = self.channel, sender = %sender, entry = entry.id, "too many messages wait for this stranger's approval; dropped");
            return self.finish(entry.id);
        }
        if let Some(code) = code {
            self.send_code(&entry, code);
        }
        self.parked.insert(entry.id, entry);
    }

    /// Sends a stranger their pairing code, without answering (or finishing) their message.
    fn send_code(&mut self, entry: &Entry, code: String) {
        let reply = Reply {
            to: entry.record.chat.clone(),
            chunks: chunk::split(&code, self.parts.settings.chunk_limit),
            quote: Some(entry.record.platform_id.clone()),
            tag: None,
        };
        let sending = send_reply(
            Arc::clone(&self.parts.transport),
            Rc::clone(&self.gate),
            Arc::clone(&self.parts.stats),
            reply,
        );
        let (channel, id) = (self.channel, entry.id);
        self.tasks.spawn_quiet(async move {
            if let Err(failure) = sending.await {
                warn!(
                    channel,
                    entry = id,
                    why = failure.why(),
                    "the pairing code was not delivered"
                );
            }
        });
    }

    /// Looks again at the messages waiting for an approval (each sweep): an approved sender's
    /// are handled as the approval says, an expired or refused request's are dropped.
    pub(super) fn recheck_waiting(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let pending = match self.parts.pairing.list(self.channel) {
            Ok(requests) => requests,
            Err(error) => {
                warn!(channel = self.channel, %error, "cannot read the pairing requests; waiting messages stay");
                return;
            }
        };
        let ids: Vec<u64> = self.parked.keys().copied().collect();
        for id in ids {
            let Some(entry) = self.parked.get(&id) else {
                continue;
            };
            let sender = entry.record.sender.clone();
            if self.allow.contains(&sender) {
                if let Some(entry) = self.parked.remove(&id) {
                    self.in_flight.remove(&id);
                    self.process(entry, true);
                }
            } else if !pending.iter().any(|request| request.id == sender) {
                info!(channel = self.channel, sender = %sender, entry = id, "the pairing code expired unapproved; the waiting message is dropped");
                self.parked.remove(&id);
                self.finish(id);
            }
        }
    }

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
            _ if self.allow.contains(&record.sender) => {
                match self.allow.waited(&record.sender, record.received_ms) {
                    Waited::No | Waited::Replay => Admission::Agent,
                    Waited::Drop => {
                        info!(channel = self.channel, sender = %record.sender, entry = entry.id, "a message sent while waiting for approval is dropped (approved without --replay)");
                        Admission::Drop
                    }
                }
            }
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
                        Admission::Wait {
                            code: Some(code_message(
                                labels.platform,
                                labels.sender_id,
                                &request,
                                self.channel,
                            )),
                        }
                    }
                    Ok(RequestOutcome::AlreadyPending(request)) => {
                        stats.pairing_followups.fetch_add(1, Relaxed);
                        info!(channel = self.channel, sender = %record.sender, code = %request.code, entry = entry.id, "a stranger wrote again before approval; the message waits (`pincer pairing approve --replay` answers it)");
                        Admission::Wait { code: None }
                    }
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
