//! The session actor: one per live session key, under `/gateway/sessions`.
//!
//! It runs one turn at a time. Messages that arrive meanwhile follow `messages.queue.mode`:
//! `collect` gathers them into one follow-up turn, `followup` makes one turn each, `interrupt`
//! aborts the running turn and starts anew. At most `messages.queue.cap` wait; beyond that the
//! oldest (`drop: old`) or the newest (`drop: new`) is refused, and its sender is told so. The
//! actor holds no conversation state of its own: the transcript is the state, so a restarted or
//! evicted session loses nothing. The store's in-memory view of the transcript lives as long as
//! the actor: each incarnation starts from the file, and a stopped actor releases the view. An
//! ephemeral session (no session key) runs its request's turn and stops.
//!
//! A journaled message (one with a turn id) belongs to exactly one turn. The run records a
//! collected turn's members with its question; a copy of a message submitted again (a replay
//! after a crash, a retry after a passing failure) waits for the turn that holds it (queued,
//! running, just ended, or persisted) and is never collected into a second one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, Context, Handler, Message, WrapFuture,
};
use pincer_actors::{ChildContext, Managed, StartChild, TerminateChild};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tracing::warn;

use super::entry::now_ms;
use super::key::is_ephemeral;
use super::late::LateAskers;
use super::turn::{RunEvent, SessionServices, Turn, TurnRequest};
use super::Entry;
use crate::config::{QueueConfig, QueueDrop, QueueMode};
use crate::providers::ChatMessage;

/// How long an ephemeral session waits for its request's message before it stops.
const EPHEMERAL_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// A user message for this session; events about its turn go to `listener`.
pub struct Submit {
    pub text: String,
    pub listener: UnboundedSender<RunEvent>,
    /// The turn id to use, for messages that may be submitted again after a crash (channel
    /// messages from the journal): a turn with the same id finds its answer in the transcript
    /// instead of asking the model again. `None`: a fresh id.
    pub turn_id: Option<String>,
    /// The message may have been submitted before (a journal replay after a restart, or a retry
    /// of a deferred message): before it is queued as new, the transcript is searched for a turn
    /// that already holds it. False for a message just accepted, which no turn can hold yet, so
    /// the common path reads nothing.
    pub replayed: bool,
    /// What the client asked beside its message (see `Turn::request`).
    pub request: Option<Arc<TurnRequest>>,
}

impl Message for Submit {
    type Result = ();
}

/// What a turn answers: its id, its user message, and the ids of the journaled messages it
/// collects (in order; the first is the turn's id when any has one).
#[derive(Debug, Clone)]
struct Plan {
    id: String,
    text: String,
    members: Vec<String>,
    /// Whether it answers journaled messages (a channel's): only such a turn can be asked again
    /// by a replayed copy, so only such a turn is remembered once it has ended.
    journaled: bool,
    /// Its question may already be persisted (see `Turn::replayed`).
    replayed: bool,
    /// The first collected message's request options (see `Turn::request`).
    request: Option<Arc<TurnRequest>>,
}

/// A queued asker.
enum Waiting {
    /// A message no turn holds yet; `collect` joins such messages into one turn.
    Fresh {
        text: String,
        turn_id: Option<String>,
        /// Submitted as possibly seen before (`Submit::replayed`).
        replayed: bool,
        request: Option<Arc<TurnRequest>>,
        listeners: Vec<UnboundedSender<RunEvent>>,
    },
    /// Askers of a turn whose question is already persisted (found for a replayed message):
    /// they wait for that very turn, run again as it was planned (the run resumes from the
    /// question, or delivers the persisted answer). Never joined with anything else, so no
    /// message is asked in two turns.
    Bound {
        plan: Plan,
        listeners: Vec<UnboundedSender<RunEvent>>,
    },
}

impl Waiting {
    fn listeners(self) -> Vec<UnboundedSender<RunEvent>> {
        match self {
            Waiting::Fresh { listeners, .. } | Waiting::Bound { listeners, .. } => listeners,
        }
    }

    /// Whether this queued asker is (or waits for a turn holding) message `id`.
    fn holds(&self, id: &str) -> bool {
        match self {
            Waiting::Fresh { turn_id, .. } => turn_id.as_deref() == Some(id),
            Waiting::Bound { plan, .. } => plan.members.iter().any(|m| m == id),
        }
    }

    fn bound_to(&self, turn: &str) -> bool {
        matches!(self, Waiting::Bound { plan, .. } if plan.id == turn)
    }
}

struct Current {
    plan: Plan,
    child_id: String,
    listeners: Vec<UnboundedSender<RunEvent>>,
    late: Arc<LateAskers>,
}

/// The actor.
pub struct SessionActor {
    cx: ChildContext,
    key: String,
    services: Arc<SessionServices>,
    queue_config: QueueConfig,
    queue: VecDeque<Waiting>,
    /// Boxed, like `last`: most sessions are idle, and an idle session should cost a pointer
    /// for each, not the whole turn.
    current: Option<Box<Current>>,
    /// The turn that ended last, so that a replayed copy of one of its messages arriving just
    /// after it is told its outcome rather than running it again.
    last: Option<Box<(Plan, Arc<LateAskers>)>>,
    busy: Arc<AtomicBool>,
    dropped: u64,
    turns: u64,
}

impl SessionActor {
    pub fn new(
        cx: ChildContext,
        key: String,
        services: Arc<SessionServices>,
        queue_config: QueueConfig,
        busy: Arc<AtomicBool>,
    ) -> Self {
        SessionActor {
            cx,
            key,
            services,
            queue_config,
            queue: VecDeque::new(),
            current: None,
            last: None,
            busy,
            dropped: 0,
            turns: 0,
        }
    }

    fn publish(&self) {
        let state = match &self.current {
            Some(current) => format!("running turn {}", current.plan.id),
            None => "idle".to_string(),
        };
        self.cx.set_status(format!(
            "{state}, {} waiting, {} dropped, {} turns",
            self.queue.len(),
            self.dropped,
            self.turns
        ));
    }

    /// Where a submitted message goes: beside a queued asker of the same message, into the turn
    /// that already holds it (running now, or persisted before a restart), or in as new.
    fn place(&mut self, submit: Submit) -> Option<Waiting> {
        let Some(id) = submit.turn_id.clone() else {
            return Some(Waiting::Fresh {
                text: submit.text,
                turn_id: None,
                replayed: false,
                request: submit.request,
                listeners: vec![submit.listener],
            });
        };
        if let Some(waiting) = self.queue.iter_mut().find(|w| w.holds(&id)) {
            match waiting {
                Waiting::Fresh { listeners, .. } | Waiting::Bound { listeners, .. } => {
                    listeners.push(submit.listener)
                }
            }
            return None;
        }
        // The running turn holds it (its question may not even be persisted yet): join it.
        if let Some(current) = self
            .current
            .as_ref()
            .filter(|c| c.plan.members.contains(&id))
        {
            if current.late.join(submit.listener.clone()) {
                return None;
            }
        }
        // The turn that just ended holds it and was answered (or failed for good): say so.
        if let Some(late) = self
            .last
            .as_deref()
            .filter(|(plan, late)| plan.members.contains(&id) && late.concluded())
            .map(|(_, late)| late)
        {
            if late.join(submit.listener.clone()) {
                return None;
            }
        }
        let persisted = if submit.replayed {
            self.persisted_plan(&id)
        } else {
            None
        };
        Some(match persisted {
            Some(plan) => Waiting::Bound {
                plan,
                listeners: vec![submit.listener],
            },
            None => Waiting::Fresh {
                text: submit.text,
                turn_id: Some(id),
                replayed: submit.replayed,
                request: submit.request,
                listeners: vec![submit.listener],
            },
        })
    }

    /// The persisted turn whose question holds message `id` (its own turn, or a collected one).
    fn persisted_plan(&self, id: &str) -> Option<Plan> {
        let entries = match self.services.store.load(&self.key) {
            Ok(entries) => entries,
            Err(error) => {
                // Not knowing, the message is asked anew: at worst it is answered twice, as
                // before membership was recorded; the run itself will hit the same error.
                warn!(session = %self.key, %error, "cannot read the transcript to find a replayed message's turn");
                return None;
            }
        };
        plan_holding(&entries, id)
    }

    fn enqueue(&mut self, waiting: Waiting) {
        let cap = usize::try_from(self.queue_config.cap.max(1)).unwrap_or(usize::MAX);
        if self.queue.len() >= cap {
            self.dropped += 1;
            let refused = match self.queue_config.drop {
                QueueDrop::Old => {
                    let oldest = self.queue.pop_front();
                    self.queue.push_back(waiting);
                    oldest
                }
                QueueDrop::New => Some(waiting),
            };
            if let Some(refused) = refused {
                for listener in refused.listeners() {
                    let _ = listener.send(RunEvent::Failed {
                        retryable: false,
                        retry: None,
                        error: format!(
                            "message dropped: more than {cap} messages were waiting for this session (messages.queue.cap)"
                        ),
                    });
                }
            }
            return;
        }
        self.queue.push_back(waiting);
    }

    /// Takes the next turn off the queue: the turn the first asker waits for, with every asker
    /// of it; or, for a new message, the new messages (all of them in `collect` and `interrupt`
    /// modes, the first in `followup` mode).
    fn next_turn(&mut self) -> Option<(Plan, Vec<UnboundedSender<RunEvent>>)> {
        let first = self.queue.pop_front()?;
        let mut listeners = Vec::new();
        let plan = match first {
            Waiting::Bound {
                plan,
                listeners: own,
            } => {
                listeners.extend(own);
                let mut rest = VecDeque::with_capacity(self.queue.len());
                for waiting in self.queue.drain(..) {
                    if waiting.bound_to(&plan.id) {
                        listeners.extend(waiting.listeners());
                    } else {
                        rest.push_back(waiting);
                    }
                }
                self.queue = rest;
                plan
            }
            Waiting::Fresh {
                text,
                turn_id,
                replayed,
                request,
                listeners: own,
            } => {
                listeners.extend(own);
                let mut texts = vec![text];
                let mut members: Vec<String> = turn_id.into_iter().collect();
                if self.queue_config.mode != QueueMode::Followup {
                    let mut rest = VecDeque::with_capacity(self.queue.len());
                    for waiting in self.queue.drain(..) {
                        match waiting {
                            Waiting::Fresh {
                                text,
                                turn_id,
                                listeners: theirs,
                                ..
                            } => {
                                texts.push(text);
                                members.extend(turn_id);
                                listeners.extend(theirs);
                            }
                            bound => rest.push_back(bound),
                        }
                    }
                    self.queue = rest;
                }
                self.turns += 1;
                let id = members
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("t{}-{}", now_ms(), self.turns));
                let journaled = !members.is_empty();
                if members.is_empty() {
                    members.push(id.clone());
                }
                Plan {
                    id,
                    text: texts.join("\n\n"),
                    members,
                    journaled,
                    replayed,
                    request,
                }
            }
        };
        Some((plan, listeners))
    }

    fn start_next(&mut self, ctx: &mut Context<Self>) {
        let Some((plan, listeners)) = self.next_turn() else {
            if is_ephemeral(&self.key) && self.turns > 0 {
                // An ephemeral session lives for its request's turn: nothing is left to keep.
                ctx.stop();
                return;
            }
            self.publish();
            return;
        };
        let turn_id = plan.id.clone();
        let (done, finished) = oneshot::channel();
        let late = Arc::new(LateAskers::default());
        let turn = Turn {
            session_key: self.key.clone(),
            id: turn_id.clone(),
            text: plan.text.clone(),
            members: plan.members.clone(),
            replayed: plan.replayed,
            listeners: listeners.clone(),
            late: Arc::clone(&late),
            request: plan.request.clone(),
        };
        // The run lives on this session's thread (see `SessionServices::arbiters`).
        let spec = Arc::clone(&self.services.runner)
            .run_spec(turn, done)
            .on(actix::Arbiter::current());
        let child_id = spec.id().to_string();
        self.current = Some(Box::new(Current {
            plan,
            child_id,
            listeners,
            late,
        }));
        self.busy.store(true, Relaxed);
        let runs = self.services.runs.clone();
        let started_turn = turn_id.clone();
        ctx.spawn(
            async move { runs.ask(StartChild(spec)).await }
                .into_actor(self)
                .map(move |result, session, ctx| {
                    let error = match result {
                        Ok(Ok(_)) => return,
                        Ok(Err(error)) => error.to_string(),
                        Err(error) => error.to_string(),
                    };
                    if let Some(current) = session
                        .current
                        .as_ref()
                        .filter(|c| c.plan.id == started_turn)
                    {
                        let failed = RunEvent::Failed {
                            retryable: true,
                            retry: None,
                            error: format!("could not start the agent run: {error}"),
                        };
                        current.late.settle(&failed);
                        for listener in &current.listeners {
                            let _ = listener.send(failed.clone());
                        }
                    }
                    session.turn_over(&started_turn, ctx);
                }),
        );
        // The run holds `done`; it fires when the turn is over, or errors if the run is gone.
        ctx.spawn(
            async move {
                let _ = finished.await;
            }
            .into_actor(self)
            .map(move |(), session, ctx| session.turn_over(&turn_id, ctx)),
        );
        self.publish();
    }

    fn turn_over(&mut self, turn_id: &str, ctx: &mut Context<Self>) {
        if self.current.as_ref().is_none_or(|c| c.plan.id != turn_id) {
            return;
        }
        if let Some(current) = self.current.take() {
            self.retire(*current);
        }
        self.busy.store(false, Relaxed);
        self.start_next(ctx);
    }

    /// Stops the running turn: its askers are told `why`, the transcript records it, the run is
    /// terminated. False when no turn was running.
    fn stop_current(&mut self, why: &str) -> bool {
        let Some(current) = self.current.take() else {
            return false;
        };
        let failed = RunEvent::Failed {
            error: why.into(),
            retryable: false,
            retry: None,
        };
        current.late.settle(&failed);
        for listener in &current.listeners {
            let _ = listener.send(failed.clone());
        }
        let entry = Entry::TurnFailed {
            ts_ms: now_ms(),
            turn: current.plan.id.clone(),
            error: why.into(),
            retryable: false,
        };
        let _ = self.services.store.append(&self.key, &[entry]);
        let _ = self
            .services
            .runs
            .tell(TerminateChild(current.child_id.clone()));
        self.retire(*current);
        self.busy.store(false, Relaxed);
        true
    }

    /// Keeps an ended turn as the last one; whoever joined it without getting an outcome is let
    /// go (they ask again). Only a turn that answers journaled messages is kept (a replayed copy
    /// can only be of those), and without its text, so that an idle web session costs what it
    /// did before.
    fn retire(&mut self, current: Current) {
        current.late.close();
        let Current { mut plan, late, .. } = current;
        if !plan.journaled {
            self.last = None;
            return;
        }
        plan.text = String::new();
        self.last = Some(Box::new((plan, late)));
    }

    /// `interrupt` mode: abandon the running turn in favour of the new message.
    fn interrupt(&mut self, ctx: &mut Context<Self>) {
        if !self.stop_current("interrupted by a newer message (messages.queue.mode = interrupt)") {
            return;
        }
        self.start_next(ctx);
    }
}

/// The turn in `entries` whose persisted question holds message `id`: the turn of that id, or
/// a collected turn listing it among its members.
fn plan_holding(entries: &[Entry], id: &str) -> Option<Plan> {
    entries.iter().find_map(|entry| match entry {
        Entry::Message {
            turn,
            message: ChatMessage::User { content, .. },
            members,
            ..
        } if turn == id || members.iter().any(|m| m == id) => Some(Plan {
            id: turn.clone(),
            text: content.clone(),
            members: if members.is_empty() {
                vec![turn.clone()]
            } else {
                members.clone()
            },
            journaled: true,
            replayed: true,
            request: None,
        }),
        _ => None,
    })
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if is_ephemeral(&self.key) {
            self.services.store.open_ephemeral(&self.key);
            // Its request's message is on its way; should it never come, do not linger.
            ctx.run_later(EPHEMERAL_WAIT, |session, ctx| {
                if session.current.is_none() && session.queue.is_empty() {
                    ctx.stop();
                }
            });
        } else {
            // A new incarnation starts from the file, the truth (after a restart, whatever the
            // previous one may have left in memory is dropped).
            self.services.store.release(&self.key);
        }
        self.publish();
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.busy.store(false, Relaxed);
        // Evicted, restarting or done: the session's view leaves memory (an ephemeral session
        // is forgotten).
        self.services.store.release(&self.key);
    }
}

impl Managed for SessionActor {}

impl Handler<Submit> for SessionActor {
    type Result = ();

    fn handle(&mut self, submit: Submit, ctx: &mut Context<Self>) {
        let Some(waiting) = self.place(submit) else {
            // Another asker of the same message is queued; this one waits beside it.
            self.publish();
            return;
        };
        let fresh = matches!(waiting, Waiting::Fresh { .. });
        self.enqueue(waiting);
        if self.current.is_none() {
            self.start_next(ctx);
            return;
        }
        // Only a new message interrupts: an asker of a turn that already exists waits for it.
        if fresh && self.queue_config.mode == QueueMode::Interrupt {
            self.interrupt(ctx);
        }
        self.publish();
    }
}

/// Stops the running turn (an operator's `chat.abort`); answers whether one was running. Queued
/// messages then run as usual.
pub struct Abort;

impl Message for Abort {
    type Result = bool;
}

impl Handler<Abort> for SessionActor {
    type Result = bool;

    fn handle(&mut self, _abort: Abort, ctx: &mut Context<Self>) -> bool {
        if !self.stop_current("aborted by the operator") {
            return false;
        }
        self.start_next(ctx);
        true
    }
}

pincer_actors::mailbox!(SessionActor: Submit, Abort);

#[cfg(test)]
#[path = "actor_tests.rs"]
mod tests;
