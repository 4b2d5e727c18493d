//! What the channel actor does with one admitted journal entry, decided from the record and the
//! channel's settings alone: ask the agent (in the sender's or the group's session, with the
//! message's media and origin), record a note without a turn (a reaction, an edit, a deletion,
//! a group message not addressed to the agent), or nothing (a platform notice, an unknown
//! kind: logged and counted, never answered with an apology).
//!
//! The DM policy (pairing) is the actor's, applied before this for direct messages; the group
//! policy (`groupPolicy`, `groups.<id>`) is applied here, since a group is allowed or not as a
//! whole and its members are never paired one by one.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::journal::{Content, ContentKind, GroupContext, InboundRecord, MessageBody};
use crate::config::channels::conversation::{EditMode, GroupConfig, ReactionMode};
use crate::config::channels::Conversation;
use crate::sessions::entry::{Note, NoteKind};
use crate::sessions::key;
use crate::sessions::media::{Inbound, MediaRef, MediaSource};
use crate::sessions::TurnRequest;

/// A channel's conversation settings, owned by its actor (see [`Conversation`]).
#[derive(Debug, Clone, Default)]
pub struct ConversationSettings {
    pub group_policy: crate::config::channels::conversation::GroupPolicy,
    pub groups: Arc<BTreeMap<String, GroupConfig>>,
    pub reactions: ReactionMode,
    pub edits: EditMode,
}

impl ConversationSettings {
    /// A copy of a section's settings.
    pub(crate) fn of(conversation: Conversation<'_>) -> Self {
        ConversationSettings {
            group_policy: conversation.group_policy,
            groups: Arc::new(conversation.groups.clone()),
            reactions: conversation.reactions,
            edits: conversation.edits,
        }
    }

    /// The borrowed view the rules read.
    pub(crate) fn view(&self) -> Conversation<'_> {
        Conversation {
            group_policy: self.group_policy,
            groups: &self.groups,
            reactions: self.reactions,
            edits: self.edits,
        }
    }
}

/// What to do with an entry.
#[derive(Debug)]
pub(super) enum Action {
    /// A turn in `session`.
    Ask(Ask),
    /// A note in `session`'s transcript, then, for an edit in `edits: "turn"` mode, a turn.
    Record {
        session: String,
        note: Note,
        then: Option<Ask>,
    },
    /// A kind older versions journaled as unreadable: answered as they did.
    Unsupported(String),
    /// Nothing to answer: `why` is logged, `counter` counted.
    Ignore { counter: Ignored, why: String },
}

/// A turn to ask.
#[derive(Debug)]
pub(super) struct Ask {
    pub session: String,
    pub text: String,
    pub request: Arc<TurnRequest>,
}

/// Which figure an ignored entry counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ignored {
    /// A group the agent does not take part in, or a member it does not answer.
    Refused,
    /// A kind the gateway does not know.
    Unknown,
    /// A platform notice.
    Notice,
    /// A reaction with `reactions: "off"`, or an empty message.
    Nothing,
}

/// What [`decide`] needs beside the record.
pub(super) struct Situation<'a> {
    pub channel: &'a str,
    /// The session of the sender's direct messages (`session.dmScope`).
    pub direct_session: String,
    pub conversation: Conversation<'a>,
    /// How the run fetches this channel's media (its transport's).
    pub media_source: Option<Arc<dyn MediaSource>>,
}

/// The group a record was said in, if any.
pub(super) fn group_of(record: &InboundRecord) -> Option<&GroupContext> {
    match &record.body {
        MessageBody::Content(content) => content.group.as_ref(),
        MessageBody::Text(_) | MessageBody::Unsupported { .. } => None,
    }
}

/// Whether the record asks something of the agent (a message to answer), as opposed to a
/// reaction, an edit, a deletion or a notice: only those start a pairing request.
pub(super) fn is_question(record: &InboundRecord) -> bool {
    match &record.body {
        MessageBody::Text(_) | MessageBody::Unsupported { .. } => true,
        MessageBody::Content(content) => content.kind == ContentKind::Message,
    }
}

/// Decides what to do with `record`, already admitted by the DM policy when it is direct.
pub(super) fn decide(record: &InboundRecord, situation: &Situation<'_>) -> Action {
    let content = match &record.body {
        MessageBody::Text(text) => {
            return Action::Ask(ask(
                record,
                situation,
                situation.direct_session.clone(),
                text.clone(),
                &[],
                None,
            ))
        }
        MessageBody::Unsupported { kind } => return Action::Unsupported(kind.clone()),
        MessageBody::Content(content) => content,
    };
    let (session, group) = match &content.group {
        None => (situation.direct_session.clone(), None),
        Some(group) => match situation.conversation.group(&group.id) {
            Some(settings) => (key::group(situation.channel, &group.id), Some((group, settings))),
            None => {
                return Action::Ignore {
                    counter: Ignored::Refused,
                    why: format!(
                        "group {} is not one the agent takes part in (channels.{}.groupPolicy and groups)",
                        group.id, situation.channel
                    ),
                }
            }
        },
    };
    let from = || {
        Some(
            record
                .sender_name
                .clone()
                .unwrap_or_else(|| record.sender.clone()),
        )
    };
    let note = |kind: NoteKind, text: &str, target: Option<&String>, for_model: bool| Note {
        kind,
        from: from(),
        text: text.to_string(),
        target: target.cloned(),
        for_model,
    };
    match &content.kind {
        ContentKind::Message => {
            if content.text.trim().is_empty() && content.media.is_empty() {
                return Action::Ignore {
                    counter: Ignored::Nothing,
                    why: "an empty message".into(),
                };
            }
            if let Some((context, settings)) = &group {
                if !addressed(context, settings, &record.sender) {
                    let said = said_in_group(content);
                    return Action::Record {
                        session,
                        note: note(NoteKind::Context, &said, Some(&record.platform_id), true),
                        then: None,
                    };
                }
            }
            let text = match &group {
                Some(_) => format!("{}: {}", from().unwrap_or_default(), content.text),
                None => content.text.clone(),
            };
            let system = group
                .as_ref()
                .and_then(|(_, settings)| settings.system_prompt.clone());
            Action::Ask(ask(
                record,
                situation,
                session,
                text,
                &content.media,
                system,
            ))
        }
        ContentKind::Reaction { target, emoji } => match situation.conversation.reactions {
            ReactionMode::Off => Action::Ignore {
                counter: Ignored::Nothing,
                why: "a reaction (channels reactions: off)".into(),
            },
            mode => Action::Record {
                session,
                note: note(
                    NoteKind::Reaction,
                    emoji,
                    Some(target),
                    mode == ReactionMode::Model,
                ),
                then: None,
            },
        },
        ContentKind::Edit { target } => {
            let then = (situation.conversation.edits == EditMode::Turn).then(|| {
                let text = format!(
                    "[edited an earlier message; it now reads:] {}",
                    content.text
                );
                ask(record, situation, session.clone(), text, &[], None)
            });
            Action::Record {
                session,
                note: note(NoteKind::Edit, &content.text, Some(target), false),
                then,
            }
        }
        ContentKind::Delete { target } => Action::Record {
            session,
            note: note(NoteKind::Delete, "", Some(target), false),
            then: None,
        },
        ContentKind::System { what } => Action::Ignore {
            counter: Ignored::Notice,
            why: format!("platform notice: {what}"),
        },
        ContentKind::Unknown { kind } => Action::Ignore {
            counter: Ignored::Unknown,
            why: format!("a message of unknown kind {kind:?}"),
        },
    }
}

/// Whether a group message starts a turn: it is addressed to the agent (or the group needs no
/// mention) and its sender may ask (the group's `allowFrom`, when it has one).
fn addressed(context: &GroupContext, settings: &GroupConfig, sender: &str) -> bool {
    let member_may = settings.allow_from.is_empty()
        || settings
            .allow_from
            .iter()
            .any(|id| id == "*" || id == sender);
    member_may && (context.addressed || !settings.require_mention)
}

/// What an unaddressed group message adds to the context: its text, and what it carried.
fn said_in_group(content: &Content) -> String {
    let mut said = content.text.clone();
    for media in &content.media {
        if !said.is_empty() {
            said.push(' ');
        }
        said.push_str(&format!("[{}]", media.kind));
    }
    said
}

fn ask(
    record: &InboundRecord,
    situation: &Situation<'_>,
    session: String,
    text: String,
    media: &[MediaRef],
    system: Option<String>,
) -> Ask {
    let inbound = Inbound {
        channel: situation.channel.to_string(),
        chat: record.chat.clone(),
        platform_id: record.platform_id.clone(),
        media: media.to_vec(),
        source: if media.is_empty() {
            None
        } else {
            situation.media_source.clone()
        },
    };
    Ask {
        session,
        text,
        request: Arc::new(TurnRequest {
            system,
            inbound: Some(Arc::new(inbound)),
            ..TurnRequest::default()
        }),
    }
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod tests;
