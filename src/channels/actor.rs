//! The channel actor: one per channel account, under `/gateway/channels`.
//!
//! It owns everything between the journal and the platform. For each journaled message it
//! applies the DM policy (pairing codes for strangers), hands admitted text to the sender's
//! session actor (with a turn id derived from the journal entry, so a replayed message finds its
//! answer in the transcript instead of asking the model twice), sends the answer back in chunks
//! through the channel's [`SendGate`] with retries, and marks the entry done in the journal.
//!
//! Webhook handlers and pollers [`Deliver`] new entries directly; a sweep every two seconds (and
//! at start) picks up whatever is pending in the journal and not in flight: messages from before
//! a crash or restart, and any whose delivery message was lost. The journal is the queue; the
//! actor only remembers what it has in flight.
//!
//! Exactly once across `kill -9`: before a reply is handed to the platform, the entry is marked
//! `sending` in the journal, and the send carries a tag (`pincer-<entry id>`) that WhatsApp echoes
//! in its delivery statuses. A replayed entry marked `sending` may have been answered just before
//! the crash, so it is not sent again at once: it waits `confirmWaitSeconds` for a status with its
//! tag, which proves the reply went out (the webhook handler then marks the entry done in the
//! journal, even while this actor is not running, and tells it with [`Confirmed`]); only without
//! such proof is it answered anew. Telegram has no delivery statuses, so there a reply cut off by
//! a crash is sent again (at least once).
//!
//! A collected turn (`collect` mode) answers several entries at once. Its question records them
//! (`members`), so the reply goes out for the first of them on this channel and the others are
//! marked done: a rule that needs no memory, hence gives the same answer before and after a
//! crash. Entries from the sweep are submitted as `replayed`, so that the session puts each into
//! the turn that already holds it instead of collecting it again.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::fut::{wrap_stream, ActorStreamExt};
use actix::{Actor, AsyncContext, Context, Handler, Message};
use pincer_actors::{ActorRef, ChildContext, Managed};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::chunk;
use super::defer::Deferrals;
use super::delivery::{send_reply, Reply};
use super::dispatch::{self, Action, Ask, Ignored};
use super::gate::SendGate;
use super::journal::{Entry, Journal};
use super::pairing::{AllowList, PairingStore};
use super::stats::ChannelStats;
use super::tasks::Tasks;
use super::transport::{SendFailure, Transport};
use crate::config::{DmPolicy, DmScope};
use crate::sessions::key;
use crate::sessions::router::SessionRouter;
use crate::sessions::submit::submit_journaled;
use crate::sessions::RunEvent;

/// How often pending journal entries are swept up.
const SWEEP: Duration = Duration::from_secs(2);
/// While the credentials are refused, pending messages are retried this rarely.
const UNHEALTHY_RETRY: Duration = Duration::from_secs(60);
/// A message whose turn ends without an answer this many times (its session kept crashing) is
/// given up with an apology.
const MAX_DELIVERIES: u32 = 3;
/// How long a batched turn's id is remembered (so its answer goes out once), for a turn whose
/// question lists none of this channel's messages (recorded before members were). Every asker of
/// a batched turn gets its answer from the same broadcast, so a minute is ample; longer only
/// costs memory (one id per message answered).
const ANSWERED_MEMORY: Duration = Duration::from_secs(60);

const APOLOGY: &str =
    "Sorry, something went wrong and I could not answer that. Please try again in a moment.";

/// New journal entries for this channel (from its webhook handler or poller).
pub struct Deliver(pub Vec<Entry>);

impl Message for Deliver {
    type Result = ();
}

/// A delivery status from the platform proved that the reply to journal entry `id` reached it
/// (the webhook handler has already marked the entry done in the journal).
pub struct Confirmed {
    pub id: u64,
}

impl Message for Confirmed {
    type Result = ();
}

/// The tag sent with the reply to `entry`: its journal id and receive time.
pub(crate) fn reply_tag(entry: &Entry) -> String {
    format!("pincer-{}-{}", entry.id, entry.record.received_ms)
}

/// The journal id and receive time in a reply tag.
pub(crate) fn parse_reply_tag(tag: &str) -> Option<(u64, u64)> {
    let (id, received_ms) = tag.strip_prefix("pincer-")?.split_once('-')?;
    Some((id.parse().ok()?, received_ms.parse().ok()?))
}

/// The turn id of a journaled message: `<channel>-<entry id>-<received ms>`, stable across
/// restarts, so a replayed message finds its turn in the transcript.
fn turn_id_of(channel: &str, entry: &Entry) -> String {
    format!("{channel}-{}-{}", entry.id, entry.record.received_ms)
}

/// Which of a turn's members sends its answer on `channel`: the first that came through it.
fn replier<'a>(channel: &str, members: &'a [String]) -> Option<&'a str> {
    members.iter().map(String::as_str).find(|member| {
        member
            .strip_prefix(channel)
            .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// How a channel treats its senders.
#[derive(Debug, Clone)]
pub struct ChannelSettings {
    pub policy: DmPolicy,
    pub allow_from: Vec<String>,
    pub chunk_limit: usize,
    pub sends_per_second: u32,
    pub mark_read: bool,
    pub dm_scope: DmScope,
    /// How long a replayed, possibly answered message waits for its delivery status.
    pub confirm_wait: Duration,
    /// Groups, reactions and edits.
    pub conversation: super::dispatch::ConversationSettings,
}

/// What the actor needs, cloned into each incarnation.
#[derive(Clone)]
pub struct ChannelParts {
    /// The channel's plug-in (its names and session-key rules).
    pub plugin: &'static dyn super::plugin::ChannelPlugin,
    pub transport: Arc<dyn Transport>,
    pub journal: Journal,
    pub router: ActorRef<SessionRouter>,
    pub pairing: PairingStore,
    pub stats: Arc<ChannelStats>,
    pub settings: ChannelSettings,
}

/// A task of the actor that finished (see `tasks.rs`).
enum Finished {
    Turn(Box<Entry>, Result<TurnOutcome, String>),
    /// A note was recorded (or not); the `Ask` follows it (an edit asked as a turn).
    Recorded(Box<Entry>, Option<Ask>, bool, Result<(), String>),
    Sent(u64, Result<(), SendFailure>),
}

enum TurnOutcome {
    Answer {
        text: String,
        turn: String,
        members: Vec<String>,
    },
    Failed {
        error: String,
        retryable: bool,
    },
}

/// The actor.
pub struct ChannelActor {
    cx: ChildContext,
    parts: ChannelParts,
    channel: &'static str,
    allow: AllowList,
    gate: Rc<SendGate>,
    in_flight: HashSet<u64>,
    deliveries: HashMap<u64, u32>,
    answered_turns: HashMap<String, Instant>,
    unhealthy_since: Option<Instant>,
    /// Replayed entries whose reply may already have gone out, with the time their wait ends.
    awaiting: HashMap<u64, (Entry, Instant)>,
    /// Strangers' messages waiting for their approval, pending in the journal (see `admit.rs`).
    parked: HashMap<u64, Entry>,
    /// Entries whose turn failed for a passing reason, asked again later (see `defer.rs`).
    deferred: Deferrals,
    /// Turns being answered and replies being sent.
    tasks: Tasks<Finished>,
}

impl ChannelActor {
    pub fn new(cx: ChildContext, parts: ChannelParts) -> Self {
        let channel = parts.plugin.labels().channel;
        let allow = AllowList::new(channel, &parts.settings.allow_from, parts.pairing.clone());
        let gate = Rc::new(SendGate::new(parts.settings.sends_per_second));
        let deferred = Deferrals::new(Arc::clone(&parts.stats));
        ChannelActor {
            cx,
            channel,
            allow,
            gate,
            parts,
            in_flight: HashSet::new(),
            deliveries: HashMap::new(),
            answered_turns: HashMap::new(),
            unhealthy_since: None,
            awaiting: HashMap::new(),
            parked: HashMap::new(),
            deferred,
            tasks: Tasks::new(),
        }
    }

    fn publish(&self) {
        let stats = &self.parts.stats;
        let paused = if self.gate.paused() {
            ", sends paused (throttled)"
        } else {
            ""
        };
        let waiting = if self.deferred.is_empty() {
            String::new()
        } else {
            format!(", {} waiting for the models", self.deferred.len())
        };
        self.cx.set_status(format!(
            "{}; {} received, {} answered, {} in flight{waiting}{paused}",
            stats.link(),
            stats.received.load(Relaxed),
            stats.answered.load(Relaxed),
            self.in_flight.len(),
        ));
    }

    fn sweep(&mut self) {
        self.recheck_waiting();
        let now = Instant::now();
        self.answered_turns
            .retain(|_, at| now.duration_since(*at) < ANSWERED_MEMORY);
        if self
            .unhealthy_since
            .is_some_and(|since| now.duration_since(since) < UNHEALTHY_RETRY)
        {
            return;
        }
        let confirms = self.parts.transport.confirms_delivery();
        let pending = self
            .parts
            .journal
            .pending(self.channel, self.parts.transport.account());
        for entry in pending {
            if self.in_flight.contains(&entry.id) || self.deferred.holds(entry.id, now) {
                continue;
            }
            if entry.sending && confirms {
                info!(
                    channel = self.channel,
                    entry = entry.id,
                    "a reply may have gone out before the restart; waiting for its delivery status"
                );
                self.in_flight.insert(entry.id);
                let until = now + self.parts.settings.confirm_wait;
                self.awaiting.insert(entry.id, (entry, until));
            } else {
                self.process(entry, true);
            }
        }
        let expired: Vec<u64> = self
            .awaiting
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some((entry, _)) = self.awaiting.remove(&id) {
                info!(
                    channel = self.channel,
                    entry = id,
                    "no delivery status came; answering again"
                );
                self.in_flight.remove(&id);
                self.process(entry, true);
            }
        }
    }

    /// Handles one journal entry; `replayed`: it comes from the sweep, so it may have been
    /// handed to its session before (by an earlier incarnation, or before a restart).
    fn process(&mut self, entry: Entry, replayed: bool) {
        if !self.in_flight.insert(entry.id) {
            return;
        }
        let record = &entry.record;
        if dispatch::group_of(record).is_none() {
            // Direct: the DM policy first. Only a message to answer may start a pairing
            // request; a stranger's reaction or edit is dropped unseen.
            let admission = if dispatch::is_question(record) || self.allow.contains(&record.sender)
            {
                self.admit(&entry)
            } else {
                Admission::Drop
            };
            match admission {
                Admission::Agent => {}
                Admission::Drop => return self.finish(entry.id),
                Admission::Wait { code } => return self.wait_for_approval(entry, code),
            }
        }
        let settings = &self.parts.settings;
        let situation = dispatch::Situation {
            channel: self.channel,
            direct_session: key::direct(
                settings.dm_scope,
                self.parts.plugin.session_origin(record),
            ),
            conversation: settings.conversation.view(),
            media_source: self.parts.transport.media_source(),
        };
        match dispatch::decide(record, &situation) {
            Action::Ask(ask) => self.ask_agent(entry, ask, replayed),
            Action::Record {
                session,
                note,
                then,
            } => self.record(entry, session, note, then, replayed),
            Action::Unsupported(kind) => {
                self.parts.stats.unsupported.fetch_add(1, Relaxed);
                let text = format!(
                    "Sorry, I can only read text messages for now ({kind} messages are not \
                     supported yet)."
                );
                self.reply(entry, text);
            }
            Action::Ignore { counter, why } => {
                let stats = &self.parts.stats;
                match counter {
                    Ignored::Refused => {
                        stats.refused.fetch_add(1, Relaxed);
                        info!(channel = self.channel, entry = entry.id, %why, "message ignored");
                    }
                    Ignored::Unknown => {
                        stats.unknown_kinds.fetch_add(1, Relaxed);
                        warn!(channel = self.channel, entry = entry.id, %why, "message not handled");
                    }
                    Ignored::Notice => {
                        stats.notices.fetch_add(1, Relaxed);
                        info!(channel = self.channel, entry = entry.id, %why, "noted");
                    }
                    Ignored::Nothing => {
                        tracing::debug!(channel = self.channel, entry = entry.id, %why, "nothing to answer");
                    }
                }
                self.finish(entry.id);
            }
        }
    }

    fn ask_agent(&mut self, entry: Entry, ask: Ask, replayed: bool) {
        let Ask {
            session,
            text,
            request,
        } = ask;
        let turn_id = turn_id_of(self.channel, &entry);
        if self.parts.settings.mark_read {
            self.tasks
                .spawn_quiet(self.parts.transport.mark_read(&entry));
        }
        let router = self.parts.router.clone();
        let asking = async move {
            let (listener, mut events) = mpsc::unbounded_channel();
            submit_journaled(
                &router,
                &session,
                text,
                listener,
                turn_id,
                replayed,
                Some(request),
            )
            .await?;
            while let Some(event) = events.recv().await {
                match event {
                    RunEvent::Final {
                        text,
                        turn,
                        members,
                        ..
                    } => {
                        return Ok(TurnOutcome::Answer {
                            text,
                            turn,
                            members,
                        })
                    }
                    RunEvent::Failed {
                        error, retryable, ..
                    } => return Ok(TurnOutcome::Failed { error, retryable }),
                    RunEvent::Delta(_) | RunEvent::ToolCall { .. } => {}
                }
            }
            Err("the turn ended without an answer (the session stopped)".to_string())
        };
        self.tasks
            .spawn(async move { Finished::Turn(Box::new(entry), asking.await) });
    }

    fn turn_over(&mut self, entry: Entry, outcome: Result<TurnOutcome, String>) {
        match outcome {
            Ok(TurnOutcome::Answer {
                text,
                turn,
                members,
            }) => match replier(self.channel, &members) {
                // The turn's question lists its messages: the first of ours replies, the others
                // are answered by that reply. Decided from the transcript alone, so a message
                // replayed after a crash agrees with the one answered before it.
                Some(first) if first == turn_id_of(self.channel, &entry) => self.reply(entry, text),
                Some(_) => self.finish(entry.id),
                // A turn that lists none of ours (recorded before members were): the first
                // asker to hear the answer replies.
                None => {
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        self.answered_turns.entry(turn)
                    {
                        slot.insert(Instant::now());
                        self.reply(entry, text);
                    } else {
                        self.finish(entry.id);
                    }
                }
            },
            Ok(TurnOutcome::Failed {
                error,
                retryable: true,
            }) if Deferrals::may_defer(entry.record.received_ms, crate::clock::now_ms()) => {
                let wait = self.deferred.defer(entry.id, Instant::now());
                warn!(
                    channel = self.channel,
                    entry = entry.id,
                    %error,
                    retry_in_s = wait.as_secs(),
                    "the models are unavailable; the message stays in the journal and is asked again"
                );
                self.in_flight.remove(&entry.id);
            }
            Ok(TurnOutcome::Failed { error, .. }) => {
                warn!(channel = self.channel, entry = entry.id, %error, "the agent could not answer; apologising");
                self.deferred.remove(entry.id);
                self.reply(entry, APOLOGY.to_string());
            }
            Err(why) => {
                let tries = self.deliveries.entry(entry.id).or_default();
                *tries += 1;
                if *tries >= MAX_DELIVERIES {
                    warn!(channel = self.channel, entry = entry.id, %why, "giving up on a message");
                    self.reply(entry, APOLOGY.to_string());
                } else {
                    warn!(channel = self.channel, entry = entry.id, %why, "message not answered; it stays in the journal and is retried");
                    self.in_flight.remove(&entry.id);
                }
            }
        }
    }

    fn reply(&mut self, entry: Entry, text: String) {
        let id = entry.id;
        let confirms = self.parts.transport.confirms_delivery();
        let reply = Reply {
            to: entry.record.chat.clone(),
            chunks: chunk::split(&text, self.parts.settings.chunk_limit),
            quote: Some(entry.record.platform_id.clone()),
            tag: confirms.then(|| reply_tag(&entry)),
        };
        let journal = self.parts.journal.clone();
        let (transport, gate, stats) = (
            Arc::clone(&self.parts.transport),
            Rc::clone(&self.gate),
            Arc::clone(&self.parts.stats),
        );
        let channel = self.channel;
        let sending = async move {
            if confirms {
                // Marked before the send: after a crash, this entry waits for proof of delivery
                // instead of being answered twice.
                if let Err(error) = journal.sending(id).await {
                    warn!(channel, entry = id, %error, "cannot mark the reply as sending; a crash now could answer twice");
                }
            }
            send_reply(transport, gate, stats, reply).await
        };
        self.tasks
            .spawn(async move { Finished::Sent(id, sending.await) });
    }

    fn sent(&mut self, id: u64, result: Result<(), SendFailure>) {
        let stats = &self.parts.stats;
        match result {
            Ok(()) => {
                stats.answered.fetch_add(1, Relaxed);
                if self.unhealthy_since.take().is_some() || !stats.healthy() {
                    stats.set_link(true, "linked");
                    info!(channel = self.channel, "sends work again; channel healthy");
                }
                self.finish(id);
            }
            Err(SendFailure::Unhealthy { why }) => {
                if self.unhealthy_since.is_none() {
                    tracing::error!(channel = self.channel, %why, "the platform refuses the credentials; replies wait in the journal until they are fixed");
                }
                stats.set_link(false, format!("unhealthy: {why}"));
                self.unhealthy_since = Some(Instant::now());
                self.in_flight.remove(&id);
            }
            Err(failure) => {
                stats.send_failures.fetch_add(1, Relaxed);
                warn!(
                    channel = self.channel,
                    entry = id,
                    why = failure.why(),
                    "reply not delivered"
                );
                self.finish(id);
            }
        }
    }

    fn finish(&mut self, id: u64) {
        self.parts.journal.done(id);
        self.in_flight.remove(&id);
        self.deliveries.remove(&id);
        self.deferred.remove(id);
    }
}

impl Actor for ChannelActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(results) = self.tasks.results() {
            ctx.spawn(
                wrap_stream(results)
                    .map(|finished, actor: &mut Self, _ctx| match finished {
                        Ok(Finished::Turn(entry, outcome)) => actor.turn_over(*entry, outcome),
                        Ok(Finished::Sent(id, result)) => actor.sent(id, result),
                        Ok(Finished::Recorded(entry, then, replayed, result)) => {
                            actor.recorded(*entry, then, replayed, result)
                        }
                        // A panic in the actor's work is the actor's panic, as it was when the
                        // work ran in its context: the supervisor restarts it.
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .finish(),
            );
        }
        self.parts.stats.set_link(true, "linked");
        self.sweep();
        self.publish();
        ctx.run_interval(SWEEP, |actor, _ctx| {
            actor.sweep();
            actor.publish();
        });
    }
}

impl Managed for ChannelActor {}

impl Handler<Deliver> for ChannelActor {
    type Result = ();

    fn handle(&mut self, Deliver(entries): Deliver, _ctx: &mut Context<Self>) {
        for entry in entries {
            self.process(entry, false);
        }
    }
}

impl Handler<Confirmed> for ChannelActor {
    type Result = ();

    fn handle(&mut self, Confirmed { id }: Confirmed, _ctx: &mut Context<Self>) {
        if self.awaiting.remove(&id).is_some() {
            info!(channel = self.channel, entry = id, "delivery status proves the reply went out before the restart; not sending it again");
            self.parts.stats.answered.fetch_add(1, Relaxed);
            self.finish(id);
        }
    }
}

pincer_actors::mailbox!(ChannelActor: Deliver, Notify, Confirmed, SendFile);

mod admit;
mod notes;
mod notify;

pub(crate) use notify::{Notify, SendFile};

use admit::Admission;

#[cfg(test)]
#[path = "actor_tests.rs"]
mod tests;
