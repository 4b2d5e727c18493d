//! What the session actor reads to place a message: the persisted turn that already holds a
//! replayed message, and whether a message brings media (which keeps it out of collected turns).

use std::sync::Arc;

use super::Plan;
use crate::providers::ChatMessage;
use crate::sessions::{Entry, TurnRequest};

/// The turn in `entries` whose persisted question holds message `id`: the turn of that id, or
/// a collected turn listing it among its members.
pub(super) fn plan_holding(entries: &[Entry], id: &str) -> Option<Plan> {
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

/// Whether a message's request carries files to fetch.
pub(super) fn carries_media(request: &Option<Arc<TurnRequest>>) -> bool {
    request
        .as_ref()
        .and_then(|request| request.inbound.as_ref())
        .is_some_and(|inbound| !inbound.media.is_empty())
}
