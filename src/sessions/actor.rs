//! The session actor: one per live session key, under `/gateway/sessions`.
//!
//! It runs one turn at a time. Messages that arrive meanwhile follow `messages.queue.mode`:
//! `collect` gathers them into one follow-up turn, `followup` makes one turn each, `interrupt`
//! aborts the running turn and starts anew. At most `messages.queue.cap` wait; beyond that the
//! oldest (`drop: old`) or the newest (`drop: new`) is refused, and its sender is told so. The
//! actor holds no conversation state of its own: the transcript is the state, so a restarted or
//! evicted session loses nothing.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, WrapFuture};
use pincer_actors::{ChildContext, Managed, StartChild, TerminateChild};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::agent::run::{run_spec, Turn};
use crate::agent::{Engine, RunEvent};
use crate::config::{QueueConfig, QueueDrop, QueueMode};
use crate::sessions::entry::now_ms;
use crate::sessions::Entry;

/// A user message for this session; events about its turn go to `listener`.
pub struct Submit {
    pub text: String,
    pub listener: UnboundedSender<RunEvent>,
    /// The turn id to use, for messages that may be submitted again after a crash (channel
    /// messages from the journal): a turn with the same id finds its answer in the transcript
    /// instead of asking the model again. `None`: a fresh id.
    pub turn_id: Option<String>,
}

impl Message for Submit {
    type Result = ();
}

struct Pending {
    text: String,
    listener: UnboundedSender<RunEvent>,
    turn_id: Option<String>,
}

struct Current {
    turn_id: String,
    child_id: String,
    listeners: Vec<UnboundedSender<RunEvent>>,
}

/// The actor.
pub struct SessionActor {
    cx: ChildContext,
    key: String,
    engine: Arc<Engine>,
    queue_config: QueueConfig,
    queue: VecDeque<Pending>,
    current: Option<Current>,
    busy: Arc<AtomicBool>,
    dropped: u64,
    turns: u64,
}

impl SessionActor {
    pub fn new(
        cx: ChildContext,
        key: String,
        engine: Arc<Engine>,
        queue_config: QueueConfig,
        busy: Arc<AtomicBool>,
    ) -> Self {
        SessionActor {
            cx,
            key,
            engine,
            queue_config,
            queue: VecDeque::new(),
            current: None,
            busy,
            dropped: 0,
            turns: 0,
        }
    }

    fn publish(&self) {
        let state = match &self.current {
            Some(current) => format!("running turn {}", current.turn_id),
            None => "idle".to_string(),
        };
        self.cx.set_status(format!(
            "{state}, {} waiting, {} dropped, {} turns",
            self.queue.len(),
            self.dropped,
            self.turns
        ));
    }

    fn enqueue(&mut self, pending: Pending) {
        let cap = usize::try_from(self.queue_config.cap.max(1)).unwrap_or(usize::MAX);
        if self.queue.len() >= cap {
            self.dropped += 1;
            let refused = match self.queue_config.drop {
                QueueDrop::Old => {
                    let oldest = self.queue.pop_front();
                    self.queue.push_back(pending);
                    oldest
                }
                QueueDrop::New => Some(pending),
            };
            if let Some(refused) = refused {
                let _ = refused.listener.send(RunEvent::Failed {
                    retryable: false,
                    error: format!(
                        "message dropped: more than {cap} messages were waiting for this session (messages.queue.cap)"
                    ),
                });
            }
            return;
        }
        self.queue.push_back(pending);
    }

    fn start_turn(&mut self, batch: Vec<Pending>, ctx: &mut Context<Self>) {
        if batch.is_empty() {
            return;
        }
        self.turns += 1;
        let turn_id = batch
            .iter()
            .find_map(|p| p.turn_id.clone())
            .unwrap_or_else(|| format!("t{}-{}", now_ms(), self.turns));
        let text = batch
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        let listeners: Vec<_> = batch.into_iter().map(|p| p.listener).collect();
        let (done, finished) = oneshot::channel();
        let turn = Turn {
            session_key: self.key.clone(),
            id: turn_id.clone(),
            text,
            listeners: listeners.clone(),
        };
        let spec = run_spec(Arc::clone(&self.engine), turn, done);
        let child_id = spec.id().to_string();
        self.current = Some(Current {
            turn_id: turn_id.clone(),
            child_id,
            listeners,
        });
        self.busy.store(true, Relaxed);
        let runs = self.engine.runs.clone();
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
                        .filter(|c| c.turn_id == started_turn)
                    {
                        for listener in &current.listeners {
                            let _ = listener.send(RunEvent::Failed {
                                retryable: true,
                                error: format!("could not start the agent run: {error}"),
                            });
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
        if self.current.as_ref().is_none_or(|c| c.turn_id != turn_id) {
            return;
        }
        self.current = None;
        self.busy.store(false, Relaxed);
        let batch: Vec<Pending> = match self.queue_config.mode {
            QueueMode::Collect => self.queue.drain(..).collect(),
            QueueMode::Followup | QueueMode::Interrupt => {
                self.queue.pop_front().into_iter().collect()
            }
        };
        if batch.is_empty() {
            self.publish();
        } else {
            self.start_turn(batch, ctx);
        }
    }

    /// Stops the running turn: its askers are told `why`, the transcript records it, the run is
    /// terminated. False when no turn was running.
    fn stop_current(&mut self, why: &str) -> bool {
        let Some(current) = self.current.take() else {
            return false;
        };
        for listener in &current.listeners {
            let _ = listener.send(RunEvent::Failed {
                error: why.into(),
                retryable: false,
            });
        }
        let entry = Entry::TurnFailed {
            ts_ms: now_ms(),
            turn: current.turn_id.clone(),
            error: why.into(),
            retryable: false,
        };
        let _ = self.engine.store.append(&self.key, &[entry]);
        let _ = self.engine.runs.tell(TerminateChild(current.child_id));
        self.busy.store(false, Relaxed);
        true
    }

    /// `interrupt` mode: abandon the running turn in favour of the new message.
    fn interrupt(&mut self, ctx: &mut Context<Self>) {
        if !self.stop_current("interrupted by a newer message (messages.queue.mode = interrupt)") {
            return;
        }
        let batch: Vec<Pending> = self.queue.drain(..).collect();
        self.start_turn(batch, ctx);
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Context<Self>) {
        self.publish();
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.busy.store(false, Relaxed);
    }
}

impl Managed for SessionActor {}

impl Handler<Submit> for SessionActor {
    type Result = ();

    fn handle(&mut self, submit: Submit, ctx: &mut Context<Self>) {
        let pending = Pending {
            text: submit.text,
            listener: submit.listener,
            turn_id: submit.turn_id,
        };
        if self.current.is_none() {
            self.start_turn(vec![pending], ctx);
            return;
        }
        self.enqueue(pending);
        if self.queue_config.mode == QueueMode::Interrupt {
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
        let Some(turn_id) = self.current.as_ref().map(|c| c.turn_id.clone()) else {
            return false;
        };
        // Put the turn back so that `turn_over` moves on to the queue.
        self.stop_current("aborted by the operator");
        self.current = Some(Current {
            turn_id: turn_id.clone(),
            child_id: String::new(),
            listeners: Vec::new(),
        });
        self.turn_over(&turn_id, ctx);
        true
    }
}

pincer_actors::mailbox!(SessionActor: Submit, Abort);
