//! Handing a user message to its session actor, for every entry point (the HTTP API, channels).

use std::time::Duration;

use pincer_actors::{ActorRef, SendError};
use tokio::sync::mpsc::UnboundedSender;

use std::sync::Arc;

use super::actor::{Record, Submit};
use super::entry::Note;
use super::router::{GetSession, SessionRouter};
use super::turn::{RunEvent, TurnRequest};

/// Hands the message to the session's actor, retrying for about a second while the actor is
/// being restarted (after a crash) or a just-evicted one finishes stopping. A full mailbox is
/// reported at once: waiting would only add load.
pub(crate) async fn submit(
    router: &ActorRef<SessionRouter>,
    session_key: &str,
    text: String,
    listener: UnboundedSender<RunEvent>,
    turn_id: Option<String>,
) -> Result<(), String> {
    submit_with(router, session_key, text, listener, turn_id, false, None).await
}

/// [`submit`] with what the client asked beside its message (an OpenAI-compatible request):
/// its sampling settings, and for a stateless request (an ephemeral session) its whole
/// conversation and its own tools (see [`TurnRequest`]).
pub(crate) async fn submit_request(
    router: &ActorRef<SessionRouter>,
    session_key: &str,
    text: String,
    listener: UnboundedSender<RunEvent>,
    request: Arc<TurnRequest>,
) -> Result<(), String> {
    submit_with(
        router,
        session_key,
        text,
        listener,
        None,
        false,
        Some(request),
    )
    .await
}

/// [`submit`] for a journaled message with its turn id; `replayed`: it may have been submitted
/// before (replay after a restart, a retry), so the session first looks for the turn that holds
/// it (see `Submit::replayed`); `request`: the message's media and origin (see
/// [`TurnRequest::inbound`]), and a group's system prompt.
pub(crate) async fn submit_journaled(
    router: &ActorRef<SessionRouter>,
    session_key: &str,
    text: String,
    listener: UnboundedSender<RunEvent>,
    turn_id: String,
    replayed: bool,
    request: Option<Arc<TurnRequest>>,
) -> Result<(), String> {
    submit_with(
        router,
        session_key,
        text,
        listener,
        Some(turn_id),
        replayed,
        request,
    )
    .await
}

async fn submit_with(
    router: &ActorRef<SessionRouter>,
    session_key: &str,
    text: String,
    listener: UnboundedSender<RunEvent>,
    turn_id: Option<String>,
    replayed: bool,
    request: Option<Arc<TurnRequest>>,
) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..20 {
        match router.ask(GetSession(session_key.to_string())).await {
            Ok(Ok(session)) => match session.tell(Submit {
                text: text.clone(),
                listener: listener.clone(),
                turn_id: turn_id.clone(),
                replayed,
                request: request.clone(),
            }) {
                Ok(()) => return Ok(()),
                Err(SendError::Full(_)) => {
                    return Err(format!(
                        "session {session_key}: mailbox full, try again later"
                    ))
                }
                Err(SendError::NotRunning(_)) => {
                    last = format!("session {session_key} is restarting")
                }
            },
            Ok(Err(why)) => last = why,
            Err(e) => return Err(format!("the session router is unavailable: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(last)
}

/// Records `note` in the session's transcript without a turn (group context, a reaction, an
/// edit, a deletion), through its actor; returns once it is written.
pub(crate) async fn record(
    router: &ActorRef<SessionRouter>,
    session_key: &str,
    note: Note,
) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..20 {
        match router.ask(GetSession(session_key.to_string())).await {
            Ok(Ok(session)) => match session.ask(Record(note.clone())).await {
                Ok(result) => return result,
                Err(e) => last = format!("session {session_key}: {e}"),
            },
            Ok(Err(why)) => last = why,
            Err(e) => return Err(format!("the session router is unavailable: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(last)
}
