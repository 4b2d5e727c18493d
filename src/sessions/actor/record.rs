//! Recording what is said in a session outside its turns ([`Record`]: group context, reactions,
//! edits, deletions), through the session's actor so that a note and the turns it precedes
//! reach the transcript in the order they were handled.

use actix::{Context, Handler, Message};

use super::SessionActor;
use crate::sessions::entry::{now_ms, Note};
use crate::sessions::Entry;

/// Appends `note` to the session's transcript; answered once it is written (so a channel marks
/// its message done only then).
pub struct Record(pub Note);

impl Message for Record {
    type Result = Result<(), String>;
}

impl Handler<Record> for SessionActor {
    type Result = Result<(), String>;

    fn handle(&mut self, Record(note): Record, _ctx: &mut Context<Self>) -> Self::Result {
        let entry = Entry::Note {
            ts_ms: now_ms(),
            note,
        };
        self.services
            .store
            .append(&self.key, &[entry])
            .map_err(|e| format!("session {}: {e}", self.key))
    }
}
