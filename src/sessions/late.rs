//! The askers of a turn who arrive after its run has started.
//!
//! A replayed message (a journal sweep after a crash, a retry after a passing failure) may find
//! its turn already running or just ended: [`LateAskers`] tells such askers the turn's outcome
//! instead of running it again. The session actor (`sessions/actor.rs`) creates one per turn and
//! the run (`agent/run.rs`) settles it when the turn has its answer or fails.

use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;

use super::RunEvent;

/// Askers who join a turn that is already running (a replayed message whose turn was started
/// by an earlier copy of it): they are told the turn's outcome (`Final` or `Failed`), not its
/// deltas. Joining after the outcome answers at once, so the race between a run finishing and
/// someone joining it loses nobody; joining a turn that ended without an outcome is refused.
#[derive(Debug, Default)]
pub struct LateAskers {
    state: Mutex<Late>,
}

#[derive(Debug, Default)]
enum Late {
    #[default]
    Open,
    Waiting(Vec<UnboundedSender<RunEvent>>),
    Settled(RunEvent),
    Closed,
}

impl LateAskers {
    /// Adds `listener`; false when the turn ended without an outcome (ask again instead).
    pub fn join(&self, listener: UnboundedSender<RunEvent>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *state {
            Late::Open => *state = Late::Waiting(vec![listener]),
            Late::Waiting(listeners) => listeners.push(listener),
            Late::Settled(outcome) => {
                let _ = listener.send(outcome.clone());
            }
            Late::Closed => return false,
        }
        true
    }

    /// Whether the turn ended for good: answered, or failed for a reason that asking again
    /// would not change (joining then answers at once). A retryable failure is not conclusive:
    /// whoever asks again runs the turn again.
    pub fn concluded(&self) -> bool {
        matches!(
            *self.state.lock().unwrap_or_else(|p| p.into_inner()),
            Late::Settled(
                RunEvent::Final { .. }
                    | RunEvent::Failed {
                        retryable: false,
                        ..
                    }
            )
        )
    }

    /// Tells everyone who joined, and everyone who joins later, the turn's outcome (the first
    /// outcome stands).
    pub fn settle(&self, outcome: &RunEvent) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::take(&mut *state) {
            Late::Waiting(listeners) => {
                for listener in listeners {
                    let _ = listener.send(outcome.clone());
                }
            }
            Late::Settled(first) => {
                *state = Late::Settled(first);
                return;
            }
            Late::Open | Late::Closed => {}
        }
        *state = Late::Settled(outcome.clone());
    }

    /// The turn is over: without an outcome, the askers are let go (their channel closes, so
    /// they ask again) and no one may join.
    pub fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(*state, Late::Settled(_)) {
            *state = Late::Closed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Usage;

    #[test]
    fn late_askers_hear_the_outcome_whenever_they_join() {
        let late = LateAskers::default();
        let (early, mut early_rx) = tokio::sync::mpsc::unbounded_channel();
        assert!(late.join(early));
        let outcome = RunEvent::Failed {
            error: "x".into(),
            retryable: true,
            retry: None,
        };
        late.settle(&outcome);
        assert_eq!(early_rx.try_recv().ok(), Some(outcome.clone()));
        let (after, mut after_rx) = tokio::sync::mpsc::unbounded_channel();
        assert!(late.join(after), "joining a settled turn answers at once");
        assert_eq!(after_rx.try_recv().ok(), Some(outcome));
        late.close();
        assert!(
            !late.concluded(),
            "a retryable failure does not conclude the turn"
        );
        let answered = LateAskers::default();
        answered.settle(&RunEvent::Final {
            text: "done".into(),
            usage: Usage::default(),
            model: String::new(),
            turn: "t".into(),
            members: vec!["t".into()],
            tool_calls: Vec::new(),
        });
        answered.close();
        assert!(answered.concluded(), "closing keeps a known answer");

        let vanished = LateAskers::default();
        let (waiting, mut waiting_rx) = tokio::sync::mpsc::unbounded_channel();
        assert!(vanished.join(waiting));
        vanished.close();
        assert!(
            waiting_rx.try_recv().is_err() && waiting_rx.is_closed(),
            "let go, so it asks again"
        );
        let (too_late, _rx) = tokio::sync::mpsc::unbounded_channel();
        assert!(!vanished.join(too_late));
    }
}
