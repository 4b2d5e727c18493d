//! Counters and link state of one channel, shared by its actor, its webhook handlers and the
//! status endpoints (`/readyz`, `/admin/channels`). Counters are relaxed atomics: they are
//! figures for people, not synchronisation.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use serde_json::{json, Value};

/// The figures of one channel.
#[derive(Debug, Default)]
pub struct ChannelStats {
    /// Messages accepted into the journal.
    pub received: AtomicU64,
    /// Redeliveries dropped by the journal's dedup.
    pub duplicates: AtomicU64,
    /// Messages answered (reply handed to the platform).
    pub answered: AtomicU64,
    /// Pairing codes sent to strangers.
    pub pairing_codes: AtomicU64,
    /// Strangers ignored because the pending-request cap was reached.
    pub pairing_ignored: AtomicU64,
    /// Messages not admitted (allowlist, `dmPolicy: disabled`) or not handled (groups).
    pub refused: AtomicU64,
    /// Messages of a type the agent cannot read yet.
    pub unsupported: AtomicU64,
    /// Elements of an inbound batch that could not be read (a WhatsApp message without a sender,
    /// a payload of the wrong shape): skipped, the rest of the batch processed.
    pub malformed: AtomicU64,
    /// Sends retried after a throttle or a platform error.
    pub send_retries: AtomicU64,
    /// Replies given up on (permanent errors, retries exhausted).
    pub send_failures: AtomicU64,
    /// `failed` delivery statuses reported by the platform.
    pub delivery_failures: AtomicU64,
    /// Webhook or update bodies refused (bad signature, malformed).
    pub rejected: AtomicU64,
    /// Turns that failed for a passing reason (every model overloaded or cooling down); their
    /// messages stay in the journal and are asked again later.
    pub turns_deferred: AtomicU64,
    /// Messages now waiting for the models to come back.
    pub waiting_for_model: AtomicU64,
    /// Messages of a kind the gateway does not know (logged, not answered).
    pub unknown_kinds: AtomicU64,
    /// Reactions, edits, deletions and unaddressed group messages recorded without a turn.
    pub recorded: AtomicU64,
    /// Messages from strangers whose pairing code is still waiting for approval.
    pub pairing_followups: AtomicU64,
    /// Platform notices (a number changed, ...), logged.
    pub notices: AtomicU64,
    healthy: AtomicBool,
    link: Mutex<String>,
}

impl ChannelStats {
    pub fn new() -> Self {
        let stats = ChannelStats::default();
        stats.set_link(true, "starting");
        stats
    }

    /// Records the link state (`healthy` false when the platform refuses the credentials or
    /// cannot be polled).
    pub fn set_link(&self, healthy: bool, detail: impl Into<String>) {
        self.healthy.store(healthy, Relaxed);
        *self.link.lock().unwrap_or_else(|p| p.into_inner()) = detail.into();
    }

    pub fn healthy(&self) -> bool {
        self.healthy.load(Relaxed)
    }

    pub fn link(&self) -> String {
        self.link.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Everything, for JSON endpoints.
    pub fn to_json(&self) -> Value {
        let n = |counter: &AtomicU64| counter.load(Relaxed);
        json!({
            "healthy": self.healthy(),
            "link": self.link(),
            "received": n(&self.received),
            "duplicates": n(&self.duplicates),
            "answered": n(&self.answered),
            "pairingCodesSent": n(&self.pairing_codes),
            "pairingIgnored": n(&self.pairing_ignored),
            "refused": n(&self.refused),
            "unsupported": n(&self.unsupported),
            "malformed": n(&self.malformed),
            "sendRetries": n(&self.send_retries),
            "sendFailures": n(&self.send_failures),
            "deliveryFailures": n(&self.delivery_failures),
            "rejected": n(&self.rejected),
            "turnsDeferred": n(&self.turns_deferred),
            "waitingForModel": n(&self.waiting_for_model),
            "unknownKinds": n(&self.unknown_kinds),
            "recorded": n(&self.recorded),
            "pairingFollowups": n(&self.pairing_followups),
            "notices": n(&self.notices),
        })
    }
}
