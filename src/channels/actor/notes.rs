//! Recording a message as a note in its session without a turn (a reaction, an edit, a
//! deletion, an unaddressed group message; see [`super::super::dispatch`]): through the
//! session's actor, the journal entry done once the note is written.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use tracing::warn;

use super::super::dispatch::Ask;
use super::super::journal::Entry;
use super::{ChannelActor, Finished};
use crate::sessions::entry::Note;
use crate::sessions::submit;

impl ChannelActor {
    /// Records a note in its session without a turn, then asks `then` if there is one.
    pub(super) fn record(
        &mut self,
        entry: Entry,
        session: String,
        note: Note,
        then: Option<Ask>,
        replayed: bool,
    ) {
        let router = self.parts.router.clone();
        let stats = Arc::clone(&self.parts.stats);
        let recording = async move {
            submit::record(&router, &session, note).await?;
            stats.recorded.fetch_add(1, Relaxed);
            Ok(())
        };
        self.tasks.spawn(async move {
            Finished::Recorded(Box::new(entry), then, replayed, recording.await)
        });
    }

    pub(super) fn recorded(
        &mut self,
        entry: Entry,
        then: Option<Ask>,
        replayed: bool,
        result: Result<(), String>,
    ) {
        match (result, then) {
            (Ok(()), Some(ask)) => self.ask_agent(entry, ask, replayed),
            (Ok(()), None) => self.finish(entry.id),
            (Err(why), _) => {
                warn!(channel = self.channel, entry = entry.id, %why, "cannot record the message yet; it stays in the journal");
                self.in_flight.remove(&entry.id);
            }
        }
    }
}
