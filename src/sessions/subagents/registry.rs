//! The sub-agent registry (`/gateway/subagents`): a permanent actor that starts children, waits
//! for their outcome, stops them (a timeout, a reset parent) and announces their results.
//!
//! Everything it knows is in the [`SubagentBook`]'s file, so an incarnation (after a panic, or a
//! gateway restart) resumes from it: a running child's task is submitted again under its run id
//! as a possibly seen message (`replayed`), which joins the turn still running or finds the one
//! persisted (its answer delivered without a model call), and a result not yet announced is
//! announced under its own turn id, found again the same way. Its status in `/admin/actors`:
//! how many children run, how many are recorded.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, WrapFuture};
use pincer_actors::{ActorRef, ChildContext, ChildSpec, Managed};
use tokio::sync::mpsc::unbounded_channel;

use super::{
    capped, child_key, new_run_id, AnnounceTarget, Limits, SpawnRefusal, SubagentBook,
    SubagentRecord, SubagentStatus,
};
use crate::sessions::actor::Abort;
use crate::sessions::media::ChatSender;
use crate::sessions::router::{GetSession, SessionRouter};
use crate::sessions::submit::submit_journaled;
use crate::sessions::{RunEvent, TurnRequest};

/// How often a lost child (its session went away without an outcome) or a failed announce is
/// tried again, and the pause between tries.
pub(super) const RETRIES: u32 = 5;
pub(super) const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The result recorded for a child whose parent was reset.
pub(crate) const STOPPED_BY_RESET: &str = "stopped: its parent session was reset";

/// What the registry is built with.
pub struct RegistrySettings {
    pub limits: Limits,
    /// `agents.defaults.subagents.model`.
    pub default_model: Option<String>,
    /// `agents.defaults.subagents.runTimeoutSeconds` (0: none).
    pub default_timeout_seconds: u64,
}

/// Start a child of `parent` working on `task`.
#[derive(Debug, Clone)]
pub struct SpawnRequest {
    pub parent: String,
    pub task: String,
    pub label: Option<String>,
    /// A model ref tried before the gateway's chain.
    pub model: Option<String>,
    /// Seconds before the child is stopped.
    pub timeout_seconds: Option<u64>,
    /// The chat the parent's turn came from, where the parent's answer to the announce goes.
    pub announce_to: Option<AnnounceTarget>,
}

/// A child accepted: it runs in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawned {
    pub run_id: String,
    pub child_session_key: String,
    pub depth: u32,
}

impl Message for SpawnRequest {
    type Result = Result<Spawned, SpawnRefusal>;
}

/// Stop every running descendant of `parent` (it was reset); answers how many were stopped.
pub struct StopChildren {
    pub parent: String,
}

impl Message for StopChildren {
    type Result = usize;
}

/// Stop one running child of `parent`, named by its run id or session key (the `subagents`
/// tool's `kill`), with its own children; answers its record, or why not.
pub struct StopChild {
    pub parent: String,
    pub target: String,
}

impl Message for StopChild {
    type Result = Result<SubagentRecord, String>;
}

/// The actor.
pub struct SubagentRegistry {
    pub(super) cx: ChildContext,
    pub(super) book: Arc<SubagentBook>,
    pub(super) router: ActorRef<SessionRouter>,
    pub(super) chat: Option<Arc<dyn ChatSender>>,
    pub(super) settings: Arc<RegistrySettings>,
    /// Announces in flight, so that a child's outcome arriving twice announces once.
    pub(super) announcing: HashSet<String>,
    /// Tries so far of lost children and failed announces, by run id.
    pub(super) tries: HashMap<String, u32>,
}

/// The registry's child spec and address; `chat` sends the parents' answers to their chats.
pub fn spec(
    book: Arc<SubagentBook>,
    router: ActorRef<SessionRouter>,
    chat: Option<Arc<dyn ChatSender>>,
    settings: RegistrySettings,
) -> (ChildSpec, ActorRef<SubagentRegistry>) {
    let settings = Arc::new(settings);
    ChildSpec::actor("subagents", "subagents", move |cx| SubagentRegistry {
        cx: cx.clone(),
        book: Arc::clone(&book),
        router: router.clone(),
        chat: chat.clone(),
        settings: Arc::clone(&settings),
        announcing: HashSet::new(),
        tries: HashMap::new(),
    })
}

/// How a child's task reached its end, as its listener saw it.
enum Outcome {
    Answered(String),
    Failed(String),
    /// The listener was dropped without an outcome (the child's session actor went away).
    Lost,
}

impl SubagentRegistry {
    pub(super) fn publish(&self) {
        self.cx.set_status(format!(
            "{} running, {} recorded",
            self.book.running(),
            self.book.list(None).len()
        ));
    }

    /// Submits the child's task (again, when `replayed`) and waits for its outcome.
    fn drive(&mut self, record: &SubagentRecord, replayed: bool, ctx: &mut Context<Self>) {
        let router = self.router.clone();
        let key = record.child_session_key.clone();
        let run_id = record.run_id.clone();
        let text = record.task.clone();
        let request = Arc::new(TurnRequest {
            system: Some(preamble(record)),
            model: record.model.clone(),
            ..TurnRequest::default()
        });
        let turn = run_id.clone();
        let waiting = async move {
            let (listener, mut events) = unbounded_channel();
            if let Err(why) =
                submit_journaled(&router, &key, text, listener, turn, replayed, Some(request)).await
            {
                return Outcome::Failed(why);
            }
            while let Some(event) = events.recv().await {
                match event {
                    RunEvent::Final { text, .. } => return Outcome::Answered(text),
                    RunEvent::Failed { error, .. } => return Outcome::Failed(error),
                    _ => {}
                }
            }
            Outcome::Lost
        };
        ctx.spawn(
            waiting
                .into_actor(self)
                .map(move |outcome, registry, ctx| registry.child_ended(&run_id, outcome, ctx)),
        );
        if let Some(seconds) = record.timeout_seconds {
            let due = record
                .created_ms
                .saturating_add(seconds.saturating_mul(1000));
            let left = Duration::from_millis(due.saturating_sub(crate::clock::now_ms()));
            let run_id = record.run_id.clone();
            ctx.run_later(left, move |registry, ctx| registry.time_out(&run_id, ctx));
        }
    }

    fn child_ended(&mut self, run_id: &str, outcome: Outcome, ctx: &mut Context<Self>) {
        let Some(record) = self.book.get(run_id) else {
            return;
        };
        if record.status == SubagentStatus::Running {
            let (status, result) = match outcome {
                Outcome::Answered(text) => (
                    SubagentStatus::Done,
                    capped(text, &record.child_session_key),
                ),
                Outcome::Failed(error) => (SubagentStatus::Failed, error),
                Outcome::Lost => {
                    let tries = self.tries.entry(run_id.to_string()).or_default();
                    *tries += 1;
                    if *tries <= RETRIES {
                        let run_id = run_id.to_string();
                        ctx.run_later(RETRY_PAUSE, move |registry, ctx| {
                            if let Some(record) = registry.book.get(&run_id) {
                                if record.status == SubagentStatus::Running {
                                    registry.drive(&record, true, ctx);
                                }
                            }
                        });
                        return;
                    }
                    (
                        SubagentStatus::Failed,
                        "its session stopped without an answer".to_string(),
                    )
                }
            };
            self.tries.remove(run_id);
            tracing::info!(run = run_id, status = status.as_str(), "sub-agent ended");
            self.book.update(run_id, |r| {
                r.status = status;
                r.result = Some(result);
                r.ended_ms = Some(crate::clock::now_ms());
            });
        }
        if let Some(record) = self.book.get(run_id) {
            if record.status != SubagentStatus::Stopped && !record.announced {
                self.announce(record, false, ctx);
            }
        }
        self.publish();
    }

    /// `runTimeoutSeconds` passed: the child is recorded as timed out, its turn stopped, and
    /// the parent told.
    fn time_out(&mut self, run_id: &str, ctx: &mut Context<Self>) {
        let Some(record) = self.book.get(run_id) else {
            return;
        };
        if record.status != SubagentStatus::Running {
            return;
        }
        let seconds = record.timeout_seconds.unwrap_or_default();
        let Some(record) = self.book.update(run_id, |r| {
            r.status = SubagentStatus::TimedOut;
            r.result = Some(format!(
                "stopped after {seconds} s without an answer (runTimeoutSeconds)"
            ));
            r.ended_ms = Some(crate::clock::now_ms());
        }) else {
            return;
        };
        tracing::info!(run = run_id, seconds, "sub-agent timed out");
        self.abort(&record.child_session_key);
        self.announce(record, false, ctx);
        self.publish();
    }

    /// Stops the running turn of the child session `key` (its askers are told, its run
    /// terminated).
    fn abort(&self, key: &str) {
        let router = self.router.clone();
        let key = key.to_string();
        actix::spawn(async move {
            if let Ok(Ok(session)) = router.ask(GetSession(key)).await {
                let _ = session.ask(Abort).await;
            }
        });
    }
}

/// What the child is told besides its task (added to its system prompt).
fn preamble(record: &SubagentRecord) -> String {
    format!(
        "You are a sub-agent started by session {} to do one task, given in the next message. \
         Nobody reads this conversation as it goes: work on the task alone, then answer with \
         the result. Your final answer is handed back to that session.",
        record.parent_session_key
    )
}

impl Actor for SubagentRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        for record in self.book.list(None) {
            match record.status {
                SubagentStatus::Running => self.drive(&record, true, ctx),
                SubagentStatus::Stopped => {}
                _ if !record.announced => self.announce(record, true, ctx),
                _ => {}
            }
        }
        self.publish();
    }
}

impl Managed for SubagentRegistry {}

impl Handler<SpawnRequest> for SubagentRegistry {
    type Result = Result<Spawned, SpawnRefusal>;

    fn handle(&mut self, request: SpawnRequest, ctx: &mut Context<Self>) -> Self::Result {
        if request.task.trim().is_empty() {
            return Err(SpawnRefusal::EmptyTask);
        }
        if crate::sessions::key::is_ephemeral(&request.parent) {
            return Err(SpawnRefusal::NoSession);
        }
        let depth = self.book.admit(&request.parent, self.settings.limits)?;
        let run_id = new_run_id();
        let timeout_seconds = request
            .timeout_seconds
            .or(Some(self.settings.default_timeout_seconds))
            .filter(|seconds| *seconds > 0);
        let record = SubagentRecord {
            run_id: run_id.clone(),
            child_session_key: child_key(&run_id),
            parent_session_key: request.parent,
            depth,
            task: request.task,
            label: request.label.filter(|label| !label.trim().is_empty()),
            model: request
                .model
                .or_else(|| self.settings.default_model.clone()),
            status: SubagentStatus::Running,
            result: None,
            created_ms: crate::clock::now_ms(),
            ended_ms: None,
            timeout_seconds,
            announce_to: request.announce_to,
            announced: false,
        };
        self.book.insert(record.clone())?;
        tracing::info!(run = %run_id, parent = %record.parent_session_key, depth, "sub-agent spawned");
        self.drive(&record, false, ctx);
        self.publish();
        Ok(Spawned {
            run_id,
            child_session_key: record.child_session_key,
            depth,
        })
    }
}

impl Handler<StopChildren> for SubagentRegistry {
    type Result = usize;

    fn handle(&mut self, stop: StopChildren, _ctx: &mut Context<Self>) -> usize {
        let stopped = self.book.stop_descendants(&stop.parent, STOPPED_BY_RESET);
        for record in &stopped {
            tracing::info!(run = %record.run_id, parent = %stop.parent, "sub-agent stopped");
            self.abort(&record.child_session_key);
        }
        self.publish();
        stopped.len()
    }
}

impl Handler<StopChild> for SubagentRegistry {
    type Result = Result<SubagentRecord, String>;

    fn handle(&mut self, stop: StopChild, _ctx: &mut Context<Self>) -> Self::Result {
        let record = self
            .book
            .get(&stop.target)
            .or_else(|| self.book.by_child(&stop.target))
            .filter(|r| r.parent_session_key == stop.parent)
            .ok_or_else(|| format!("{:?} is not a sub-agent of this session", stop.target))?;
        if record.status != SubagentStatus::Running {
            return Err(format!(
                "sub-agent {} is {} already",
                record.name(),
                record.status.as_str()
            ));
        }
        let stopped = self
            .book
            .update(&record.run_id, |r| {
                r.status = SubagentStatus::Stopped;
                r.result = Some("stopped by its parent".into());
                r.ended_ms = Some(crate::clock::now_ms());
                r.announced = true;
            })
            .ok_or_else(|| "the sub-agent's record is gone".to_string())?;
        for child in self
            .book
            .stop_descendants(&record.child_session_key, "stopped: its parent was stopped")
            .iter()
            .chain(std::iter::once(&stopped))
        {
            self.abort(&child.child_session_key);
        }
        self.publish();
        Ok(stopped)
    }
}

pincer_actors::mailbox!(SubagentRegistry: SpawnRequest, StopChildren, StopChild);
