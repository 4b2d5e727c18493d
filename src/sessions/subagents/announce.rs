//! Announcing a child's result to its parent (part of the [`SubagentRegistry`] actor): the
//! result becomes a new turn of the parent session, under a turn id of its own so that a replay
//! after a restart finds that turn instead of asking the parent twice; the parent's answer goes
//! to the parent's chat when the spawning turn came from one. Failed submissions are tried again
//! a few times.

use actix::{ActorFutureExt, AsyncContext, Context, WrapFuture};
use tokio::sync::mpsc::unbounded_channel;

use super::registry::{SubagentRegistry, RETRIES, RETRY_PAUSE};
use super::SubagentRecord;
use crate::sessions::submit::submit_journaled;
use crate::sessions::RunEvent;

impl SubagentRegistry {
    /// Hands the child's result to its parent as a new turn; the parent's answer goes to the
    /// parent's chat, unless a channel message was collected into the same turn (the channel
    /// then sends it).
    pub(super) fn announce(
        &mut self,
        record: SubagentRecord,
        replayed: bool,
        ctx: &mut Context<Self>,
    ) {
        if !self.announcing.insert(record.run_id.clone()) {
            return;
        }
        let router = self.router.clone();
        let turn = record.announce_turn();
        let parent = record.parent_session_key.clone();
        let text = record.announcement();
        let asked = turn.clone();
        let answering = async move {
            let (listener, mut events) = unbounded_channel();
            submit_journaled(&router, &parent, text, listener, asked, replayed, None).await?;
            while let Some(event) = events.recv().await {
                match event {
                    RunEvent::Final { text, members, .. } => return Ok(Some((text, members))),
                    RunEvent::Failed { error, .. } => {
                        tracing::warn!(%error, session = %parent, "the parent could not answer a sub-agent's result");
                        return Ok(None);
                    }
                    _ => {}
                }
            }
            Err(format!("session {parent} stopped before answering"))
        };
        let run_id = record.run_id.clone();
        ctx.spawn(answering.into_actor(self).map(move |outcome, registry, ctx| {
            registry.announcing.remove(&run_id);
            let answer = match outcome {
                Ok(answer) => answer,
                Err(why) => {
                    let tries = registry.tries.entry(run_id.clone()).or_default();
                    *tries += 1;
                    tracing::warn!(%why, run = %run_id, tries = *tries, "sub-agent result not announced yet");
                    if *tries <= RETRIES {
                        ctx.run_later(RETRY_PAUSE, move |registry, ctx| {
                            if let Some(record) = registry.book.get(&run_id) {
                                if !record.announced {
                                    registry.announce(record, true, ctx);
                                }
                            }
                        });
                    }
                    return;
                }
            };
            registry.tries.remove(&run_id);
            let Some(record) = registry.book.update(&run_id, |r| r.announced = true) else {
                return;
            };
            let (Some(chat), Some(target), Some((text, members))) =
                (registry.chat.clone(), record.announce_to, answer)
            else {
                return;
            };
            if text.trim().is_empty() || members.iter().any(|member| *member != turn) {
                return;
            }
            actix::spawn(async move {
                if let Err(error) = chat.send_text(&target.channel, &target.chat, text).await {
                    tracing::warn!(%error, channel = %target.channel, "cannot send the answer to a sub-agent's result");
                }
            });
        }));
    }
}
