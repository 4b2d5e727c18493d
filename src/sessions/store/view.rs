//! The in-memory view of one live session's transcript: its recent turns, grouped by turn id,
//! and the history of completed turns ready to send upstream.
//!
//! A view is built from the file (the whole file, or only its tail when the prompt is bounded
//! by `session.historyTurns`, see `file::read_tail`) and then kept up to date by every append,
//! so a turn costs no transcript read. It answers what a run needs ([`TurnContext`]): the
//! completed earlier turns, the turn's own messages, whether the turn failed for good, and the
//! members recorded with its question. The rules are those a whole-file read applied before:
//! messages are grouped by turn id in order of first appearance (a turn answered late, after a
//! passing failure, still reads as one question and its answer); a turn is complete when its
//! last message is an assistant message without tool calls; a final `turn_failed` line keeps the
//! turn out of the history (and ends it), a retryable one does not.
//!
//! A view loaded from the tail may hold a turn whose first lines were not read: such a turn is
//! `partial`; it is left out of the history, and a run asking for it is answered from the file.
//! The history is kept as one shared vector (`Arc`): a run takes a reference, not a copy, and a
//! turn that completes after the others is added at its end without rebuilding it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::providers::ChatMessage;
use crate::sessions::entry::{Note, NoteKind};
use crate::sessions::Entry;

/// What a run needs to continue turn `id` of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnContext {
    /// The completed earlier turns, oldest first (at most `session.historyTurns` of them).
    pub history: Arc<Vec<ChatMessage>>,
    /// The turn's own persisted messages, to resume from.
    pub mine: Vec<ChatMessage>,
    /// The turn was recorded as failed for good, with what its askers were told.
    pub failed: Option<String>,
    /// The members recorded with the turn's question (its own id alone when none were);
    /// `None` while the question is not persisted.
    pub members: Option<Vec<String>>,
    /// What was said in the session since the last question that the model should see with
    /// this one (group context, reactions): one line each, oldest first. Only while the turn's
    /// question is not persisted: the run writes them into it, so they are read once.
    pub notes: Vec<String>,
}

/// One turn, as far as the view has read it.
#[derive(Debug, Clone, Default)]
pub(super) struct TurnLog {
    pub(super) id: String,
    pub(super) messages: Vec<ChatMessage>,
    pub(super) members: Option<Vec<String>>,
    /// The last final failure recorded for the turn.
    pub(super) failed: Option<String>,
    /// A final failure came after some of its messages: the turn stays out of the history.
    excluded: bool,
    /// Its first lines may be in the part of the file that was not read.
    pub(super) partial: bool,
    /// Its messages are in the history vector.
    in_history: bool,
}

impl TurnLog {
    /// A turn of which nothing is read yet.
    pub(super) fn new(id: &str, partial: bool) -> TurnLog {
        TurnLog {
            id: id.to_string(),
            partial,
            ..TurnLog::default()
        }
    }

    fn complete(&self) -> bool {
        !self.excluded
            && !self.partial
            && matches!(self.messages.last(), Some(ChatMessage::Assistant { tool_calls, .. }) if tool_calls.is_empty())
    }

    /// Applies one line of the turn.
    pub(super) fn apply(&mut self, entry: &Entry) {
        match entry {
            Entry::Message {
                message, members, ..
            } => {
                if self.members.is_none() && matches!(message, ChatMessage::User { .. }) {
                    self.members = Some(if members.is_empty() {
                        vec![self.id.clone()]
                    } else {
                        members.clone()
                    });
                }
                self.messages.push(message.clone());
            }
            Entry::TurnFailed {
                error,
                retryable: false,
                ..
            } => {
                self.failed = Some(error.clone());
                self.excluded |= !self.messages.is_empty();
            }
            _ => {}
        }
    }
}

/// The view of one session.
#[derive(Debug, Default)]
pub(super) struct View {
    turns: Vec<TurnLog>,
    by_id: HashMap<String, usize>,
    /// Every turn of the file is here from its first line (read whole, never trimmed).
    pub(super) whole: bool,
    /// At most this many completed turns go into the history (0: all).
    bound: usize,
    history: Arc<Vec<ChatMessage>>,
    /// Message counts of the turns in `history`, oldest first (to drop the oldest).
    counts: VecDeque<usize>,
    /// The highest turn index whose messages are in `history`.
    last_in: Option<usize>,
    /// Turns changed since the history was last brought up to date.
    pending: Vec<usize>,
    /// The history must be rebuilt (a turn changed out of order, or turns were dropped).
    stale: bool,
    /// The notes for the model since the last question (see [`TurnContext::notes`]).
    notes: Vec<String>,
    /// The turn of each channel message's question, by the message's platform id, so an edit
    /// or a deletion finds it.
    sources: HashMap<String, String>,
}

/// What a deleted message reads as from then on: its text is not sent to the model again.
pub(crate) const DELETED: &str = "[this message was deleted by its sender]";

/// Extra completed turns a bounded view keeps before it drops the oldest, so that dropping
/// (which renumbers the turns) happens once per this many turns, not on every one.
fn slack(bound: usize) -> usize {
    bound / 2 + 8
}

impl View {
    /// An empty view; `whole`: nothing of the session precedes it (a new or ephemeral session,
    /// or a file read from its start).
    pub(super) fn new(bound: usize, whole: bool) -> View {
        View {
            whole,
            bound,
            ..View::default()
        }
    }

    /// A view of `entries`, the lines of the file in order (`whole`: from its first line).
    pub(super) fn of(entries: &[Entry], bound: usize, whole: bool) -> View {
        let mut view = View::new(bound, whole);
        for entry in entries {
            view.apply(entry);
        }
        view.trim();
        view
    }

    /// Applies one appended (or loaded) line.
    pub(super) fn apply(&mut self, entry: &Entry) {
        if let Entry::Note { note, .. } = entry {
            self.note(note);
            return;
        }
        let Some(turn) = entry.turn() else {
            return;
        };
        if let Entry::Message {
            message: ChatMessage::User { .. },
            source,
            ..
        } = entry
        {
            // The notes so far went into this question.
            self.notes.clear();
            if let Some(source) = source {
                self.sources.insert(source.clone(), turn.to_string());
            }
        }
        if matches!(entry, Entry::Trace { .. }) {
            return;
        }
        let index = match self.by_id.get(turn) {
            Some(&index) => index,
            None => {
                // A turn's first line is its question; a turn first seen from another line may
                // have begun in the part of the file that was not read.
                let partial = !self.whole
                    && !matches!(
                        entry,
                        Entry::Message {
                            message: ChatMessage::User { .. },
                            ..
                        }
                    );
                self.turns.push(TurnLog::new(turn, partial));
                self.by_id.insert(turn.to_string(), self.turns.len() - 1);
                self.turns.len() - 1
            }
        };
        self.turns[index].apply(entry);
        self.pending.push(index);
    }

    /// Applies a note: an edit or a deletion changes the question it targets (if the view holds
    /// it); a note for the model waits for the next question.
    fn note(&mut self, note: &Note) {
        let replacement = match note.kind {
            NoteKind::Edit => Some(note.text.as_str()),
            NoteKind::Delete => Some(DELETED),
            NoteKind::Context | NoteKind::Reaction => None,
        };
        if let Some(text) = replacement {
            let index = note
                .target
                .as_ref()
                .and_then(|target| self.sources.get(target))
                .and_then(|turn| self.by_id.get(turn))
                .copied();
            if let Some(index) = index {
                if let Some(ChatMessage::User { content, images }) =
                    self.turns[index].messages.first_mut()
                {
                    *content = text.to_string();
                    if note.kind == NoteKind::Delete {
                        // A deleted photo is not shown to the model again either.
                        images.clear();
                    }
                    self.stale = true;
                }
            }
        }
        if note.for_model {
            self.notes.push(render_note(note));
        }
    }

    /// Whether the view can answer for turn `id` without the file: it holds the turn from its
    /// first line, or it holds every turn and `id` is not one, or `id` is new (`fresh`).
    pub(super) fn knows(&self, id: &str, fresh: bool) -> bool {
        match self.by_id.get(id) {
            Some(&index) => !self.turns[index].partial,
            None => self.whole || fresh,
        }
    }

    /// Puts turn `log`, read whole from the file, in place of what the view held of it.
    pub(super) fn replace(&mut self, log: TurnLog) {
        match self.by_id.get(&log.id) {
            Some(&index) => self.turns[index] = log,
            None => {
                // Older than every turn here (or dropped from it): it goes first.
                self.turns.insert(0, log);
                self.renumber();
            }
        }
        self.stale = true;
    }

    fn renumber(&mut self) {
        self.by_id = self
            .turns
            .iter()
            .enumerate()
            .map(|(index, turn)| (turn.id.clone(), index))
            .collect();
        self.pending.clear();
        self.stale = true;
    }

    /// What a run needs for turn `id`.
    pub(super) fn context(&mut self, id: &str) -> TurnContext {
        self.refresh();
        let (mine, failed, members) = match self.by_id.get(id) {
            Some(&index) => {
                let turn = &self.turns[index];
                (
                    turn.messages.clone(),
                    turn.failed.clone(),
                    turn.members.clone(),
                )
            }
            None => (Vec::new(), None, None),
        };
        let notes = if mine.is_empty() {
            self.notes.clone()
        } else {
            Vec::new()
        };
        TurnContext {
            history: Arc::clone(&self.history),
            mine,
            failed,
            members,
            notes,
        }
    }

    /// Roughly the heap bytes the view holds (its turns, and the history that copies the
    /// completed ones), for the store's memory budget: text lengths plus a fixed allowance per
    /// message and per turn for the structures around them.
    pub(super) fn estimate(&self) -> usize {
        let turns: usize = self
            .turns
            .iter()
            .map(|turn| {
                128 + 2 * turn.id.len() + turn.messages.iter().map(message_bytes).sum::<usize>()
            })
            .sum();
        let history: usize = self.history.iter().map(message_bytes).sum();
        let notes: usize = self.notes.iter().map(|n| 32 + n.len()).sum();
        let sources: usize = self
            .sources
            .iter()
            .map(|(k, v)| 64 + k.len() + v.len())
            .sum();
        256 + turns + history + notes + sources
    }

    /// Drops the oldest turns of a bounded view that holds more completed turns than it needs.
    pub(super) fn trim(&mut self) {
        if self.bound == 0 {
            return;
        }
        let complete = self.turns.iter().filter(|t| t.complete()).count();
        if complete <= self.bound + slack(self.bound) {
            return;
        }
        let mut drop = complete - self.bound;
        let mut cut = 0;
        while cut < self.turns.len() && drop > 0 {
            if self.turns[cut].complete() {
                drop -= 1;
            }
            cut += 1;
        }
        self.turns.drain(..cut);
        self.whole = false;
        self.renumber();
        let by_id = &self.by_id;
        self.sources.retain(|_, turn| by_id.contains_key(turn));
    }

    /// Brings the history up to date with the turns changed since the last call.
    fn refresh(&mut self) {
        if !self.stale {
            let mut pending = std::mem::take(&mut self.pending);
            pending.sort_unstable();
            pending.dedup();
            for index in pending {
                let turn = &self.turns[index];
                let wanted = turn.complete();
                if wanted == turn.in_history {
                    continue;
                }
                if wanted && self.last_in.is_none_or(|last| index > last) {
                    self.push_turn(index);
                } else {
                    self.stale = true;
                    break;
                }
            }
        }
        if self.stale {
            self.rebuild();
        }
        self.trim();
        if self.stale {
            self.rebuild();
        }
    }

    fn push_turn(&mut self, index: usize) {
        let history = Arc::make_mut(&mut self.history);
        let turn = &mut self.turns[index];
        history.extend(turn.messages.iter().cloned());
        self.counts.push_back(turn.messages.len());
        turn.in_history = true;
        self.last_in = Some(index);
        if self.bound > 0 && self.counts.len() > self.bound {
            let oldest = self.counts.pop_front().unwrap_or(0);
            history.drain(..oldest.min(history.len()));
        }
    }

    fn rebuild(&mut self) {
        let mut chosen: Vec<usize> = (0..self.turns.len())
            .filter(|&i| self.turns[i].complete())
            .collect();
        if self.bound > 0 && chosen.len() > self.bound {
            chosen.drain(..chosen.len() - self.bound);
        }
        for turn in &mut self.turns {
            turn.in_history = false;
        }
        let mut history = Vec::new();
        self.counts.clear();
        for &index in &chosen {
            let turn = &mut self.turns[index];
            history.extend(turn.messages.iter().cloned());
            self.counts.push_back(turn.messages.len());
            turn.in_history = true;
        }
        // Turns before the first chosen one stay out even if they complete later (only the
        // newest `bound` count); mark them so that a late completion forces a rebuild.
        self.last_in = chosen.last().copied();
        self.history = Arc::new(history);
        self.pending.clear();
        self.stale = false;
    }
}

/// One line of what the model is shown of a note: `Ana: dinner at 8?`, `Ana reacted 👍`.
fn render_note(note: &Note) -> String {
    let from = note.from.as_deref().unwrap_or("someone");
    match note.kind {
        NoteKind::Context => format!("{from}: {}", note.text),
        NoteKind::Reaction if note.text.is_empty() => format!("{from} removed a reaction"),
        NoteKind::Reaction => format!("{from} reacted {} to a message", note.text),
        NoteKind::Edit => format!("{from} edited a message to: {}", note.text),
        NoteKind::Delete => format!("{from} deleted a message"),
    }
}

/// Roughly the heap bytes of one message (see [`View::estimate`]).
fn message_bytes(message: &ChatMessage) -> usize {
    const PER_MESSAGE: usize = 96;
    PER_MESSAGE
        + match message {
            ChatMessage::User { content, images } => {
                content.len()
                    + images
                        .iter()
                        .map(|i| i.path.len() + i.media_type.len())
                        .sum::<usize>()
            }
            ChatMessage::Assistant { text, tool_calls } => {
                text.len()
                    + tool_calls
                        .iter()
                        .map(|call| 160 + call.id.len() + call.name.len())
                        .sum::<usize>()
            }
            ChatMessage::Tool {
                call_id,
                name,
                content,
                ..
            } => call_id.len() + name.len() + content.len(),
        }
}
