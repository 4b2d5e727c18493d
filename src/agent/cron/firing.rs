//! One firing of a job, from its recorded start to its end: the message goes to the job's
//! session as a turn whose id is derived from the firing (`cron-<jobId>-<runAtMs>`), the answer
//! is recorded, then sent to the job's target between a `delivering` and a `delivered` record.
//!
//! Exactly once across crashes: the scheduler records `fired` before this runs. A firing found
//! unfinished at start is resumed from its last record: after `fired`, the message is submitted
//! again with the same turn id as a replay, so the session finds the persisted turn (its answer,
//! or the step it had reached) instead of asking the model anew; after `answered`, the recorded
//! answer is sent; after `delivering`, it is sent again, because the process died between
//! asking the platform and recording its acceptance (the one window that remains: a send the
//! platform accepted in the instant before the kill is sent twice).

use std::sync::Arc;

use pincer_actors::ActorRef;
use tokio::sync::Semaphore;
use tracing::warn;

use super::heartbeat;
use super::store::{CronStore, RunRecord, RunStatus};
use crate::config::cron::DeliverTarget;
use crate::sessions::media::ChatSender;
use crate::sessions::router::SessionRouter;
use crate::sessions::RunEvent;

/// What every firing needs.
pub(crate) struct FiringDeps {
    pub store: CronStore,
    pub router: ActorRef<SessionRouter>,
    /// The running channels; `None` in a gateway without any (a target then fails clearly).
    pub sender: Option<Arc<dyn ChatSender>>,
    /// The control plane's `cron` event.
    pub events: Option<Arc<dyn super::CronEvents>>,
    /// `cron.maxConcurrentRuns` permits.
    pub permits: Arc<Semaphore>,
}

/// One firing, as the scheduler hands it over.
#[derive(Debug, Clone)]
pub(crate) struct Firing {
    pub job_id: String,
    pub run_at_ms: u64,
    pub session_key: String,
    pub message: String,
    pub deliver: Option<DeliverTarget>,
    /// A heartbeat: an acknowledgement is not delivered.
    pub heartbeat: bool,
}

/// Where a firing starts.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Just recorded `fired`: ask the session.
    Ask,
    /// Recorded `fired` in an earlier process: ask again as a replay of the same turn.
    AskAgain,
    /// The answer is recorded: send it.
    Deliver(String),
}

impl Firing {
    /// The turn's id: one per firing, the same in every process.
    pub(crate) fn turn_id(&self) -> String {
        format!("cron-{}-{}", self.job_id, self.run_at_ms)
    }

    fn record(&self, status: RunStatus) -> RunRecord {
        RunRecord {
            job_id: self.job_id.clone(),
            run_at_ms: self.run_at_ms,
            ts: crate::clock::now_ms(),
            status,
            summary: None,
            error: None,
        }
    }
}

/// Runs `firing` from `step` to its end; answers its last record (also appended).
pub(crate) async fn run(deps: Arc<FiringDeps>, firing: Firing, step: Step) -> RunRecord {
    let answer = match step {
        Step::Deliver(answer) => answer,
        Step::Ask | Step::AskAgain => {
            let replayed = matches!(step, Step::AskAgain);
            let asked = {
                let _permit = deps.permits.acquire().await;
                ask(&deps, &firing, replayed).await
            };
            match asked {
                Ok(answer) => {
                    let record = RunRecord {
                        summary: Some(answer.clone()),
                        ..firing.record(RunStatus::Answered)
                    };
                    write(&deps.store, &record);
                    answer
                }
                Err(error) => return finish(&deps.store, &firing, RunStatus::Failed, Some(error)),
            }
        }
    };
    if firing.heartbeat && heartbeat::is_acknowledgement(&answer) {
        return finish(&deps.store, &firing, RunStatus::Suppressed, None);
    }
    let Some(target) = &firing.deliver else {
        return finish(&deps.store, &firing, RunStatus::Ok, None);
    };
    if answer.trim().is_empty() {
        return finish(&deps.store, &firing, RunStatus::Ok, None);
    }
    let Some(sender) = deps.sender.clone() else {
        let error = format!("no channel is running to deliver to {}", target.channel);
        return finish(&deps.store, &firing, RunStatus::Failed, Some(error));
    };
    write(&deps.store, &firing.record(RunStatus::Delivering));
    match sender.send_text(&target.channel, &target.to, answer).await {
        Ok(()) => finish(&deps.store, &firing, RunStatus::Delivered, None),
        Err(error) => finish(
            &deps.store,
            &firing,
            RunStatus::Failed,
            Some(format!(
                "cannot deliver to {}:{}: {error}",
                target.channel, target.to
            )),
        ),
    }
}

/// Asks the job's session and waits for the turn's end.
async fn ask(deps: &FiringDeps, firing: &Firing, replayed: bool) -> Result<String, String> {
    let (listener, mut events) = tokio::sync::mpsc::unbounded_channel();
    crate::sessions::submit::submit_journaled(
        &deps.router,
        &firing.session_key,
        firing.message.clone(),
        listener,
        firing.turn_id(),
        replayed,
        None,
    )
    .await?;
    while let Some(event) = events.recv().await {
        match event {
            RunEvent::Final { text, .. } => return Ok(text),
            RunEvent::Failed { error, .. } => return Err(error),
            RunEvent::Delta(_) | RunEvent::ToolCall { .. } => {}
        }
    }
    Err(format!(
        "session {} ended the turn without an answer",
        firing.session_key
    ))
}

fn finish(
    store: &CronStore,
    firing: &Firing,
    status: RunStatus,
    error: Option<String>,
) -> RunRecord {
    let record = RunRecord {
        error,
        ..firing.record(status)
    };
    write(store, &record);
    record
}

fn write(store: &CronStore, record: &RunRecord) {
    if let Err(error) = store.append(record) {
        warn!(job = %record.job_id, %error, "cannot record a cron firing's step");
    }
}
