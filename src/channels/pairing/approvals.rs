//! When each sender was approved, and whether the messages they sent while waiting should be
//! answered (`pincer pairing approve --replay`): `<state>/credentials/<channel>-approvals.json`,
//! written with the approval under the same lock.
//!
//! A stranger's messages wait in the journal while their code is pending (see the channel
//! actor's parking). Once the sender is approved, a waiting message, one received before the
//! approval, is answered only if the approval said so; otherwise it is dropped, as it always was.
//! The rule reads only this file and the message's receive time, so it gives the same answer in
//! every incarnation of the actor and after a restart.

use serde::{Deserialize, Serialize};

/// Approvals remembered per channel (the newest); older ones are forgotten, which only means
/// their senders' old waiting messages (long expired) are dropped.
const KEPT: usize = 200;

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub id: String,
    pub at_ms: u64,
    /// Answer the messages that waited.
    #[serde(default)]
    pub replay: bool,
}

/// The file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ApprovalsFile {
    pub(super) version: u32,
    pub(super) approvals: Vec<Approval>,
}

impl ApprovalsFile {
    /// Records an approval of `id` (replacing an earlier one of the same sender).
    pub(super) fn record(&mut self, approval: Approval) {
        self.version = 1;
        self.approvals.retain(|a| a.id != approval.id);
        self.approvals.push(approval);
        if self.approvals.len() > KEPT {
            let excess = self.approvals.len() - KEPT;
            self.approvals.drain(..excess);
        }
    }
}

/// What becomes of a message from `sender`, received at `received_ms`, now that they are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    /// It came after the approval (or the sender was allowed some other way): a normal message.
    No,
    /// It waited for the approval, which asked for it to be answered.
    Replay,
    /// It waited, and the approval did not ask for it: dropped.
    Drop,
}

/// The rule above.
pub(crate) fn waited(approvals: &[Approval], sender: &str, received_ms: u64) -> Waited {
    match approvals.iter().rev().find(|a| a.id == sender) {
        Some(approval) if received_ms < approval.at_ms && approval.replay => Waited::Replay,
        Some(approval) if received_ms < approval.at_ms => Waited::Drop,
        _ => Waited::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_that_waited_is_answered_only_with_replay() {
        let mut file = ApprovalsFile::default();
        file.record(Approval {
            id: "a".into(),
            at_ms: 100,
            replay: true,
        });
        file.record(Approval {
            id: "b".into(),
            at_ms: 100,
            replay: false,
        });
        assert_eq!(waited(&file.approvals, "a", 50), Waited::Replay);
        assert_eq!(waited(&file.approvals, "b", 50), Waited::Drop);
        assert_eq!(
            waited(&file.approvals, "a", 150),
            Waited::No,
            "after the approval"
        );
        assert_eq!(
            waited(&file.approvals, "c", 50),
            Waited::No,
            "allowed by config"
        );
        for n in 0..KEPT + 5 {
            file.record(Approval {
                id: format!("s{n}"),
                at_ms: 200,
                replay: false,
            });
        }
        assert_eq!(file.approvals.len(), KEPT);
        assert_eq!(waited(&file.approvals, "a", 50), Waited::No, "forgotten");
    }
}
