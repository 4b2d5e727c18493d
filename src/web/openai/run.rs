//! The run step both OpenAI-compatible endpoints share: hand the turn to its session (a named
//! one, or an ephemeral one for a stateless request), then read its events, whole (the answer
//! or the error) or as a stream of steps each endpoint renders in its own wire format.

use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use super::errors::ApiError;
use crate::providers::{ToolCall, Usage};
use crate::sessions::key;
use crate::sessions::router::SessionRouter;
use crate::sessions::submit::submit_request;
use crate::sessions::{RunEvent, TurnRequest};
use pincer_actors::ActorRef;

/// Where a turn runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A stateless request: an ephemeral session, the client's conversation as the history.
    Stateless,
    /// A server-side session: its transcript is the history, the request adds its last user
    /// message and its sampling settings only.
    Session(String),
}

/// A turn's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub text: String,
    /// Calls of the client's tools, for the client to run.
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// The model ref that answered.
    pub model: String,
}

/// One step of a streamed turn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Delta(String),
    Done(Answer),
    Failed(ApiError),
}

/// Starts the turn; its events arrive on the receiver.
pub(crate) async fn start(
    router: &ActorRef<SessionRouter>,
    target: &Target,
    text: String,
    request: TurnRequest,
) -> Result<UnboundedReceiver<RunEvent>, ApiError> {
    let (key, request) = match target {
        Target::Stateless => (key::ephemeral(), request),
        Target::Session(key) => (
            key.clone(),
            // The session's transcript is the conversation and the gateway's tools serve it.
            TurnRequest {
                sampling: request.sampling,
                max_tokens: request.max_tokens,
                ..TurnRequest::default()
            },
        ),
    };
    let (listener, events) = mpsc::unbounded_channel();
    submit_request(router, &key, text, listener, Arc::new(request))
        .await
        .map_err(ApiError::unavailable)?;
    Ok(events)
}

/// What one event means for an asker, if anything (`None`: keep reading).
fn step_of(event: RunEvent) -> Option<Step> {
    match event {
        RunEvent::Delta(piece) => Some(Step::Delta(piece)),
        RunEvent::ToolCall { .. } => None,
        RunEvent::Final {
            text,
            usage,
            model,
            tool_calls,
            ..
        } => Some(Step::Done(Answer {
            text,
            tool_calls,
            usage,
            model,
        })),
        RunEvent::Failed {
            error,
            retryable,
            retry,
        } => Some(Step::Failed(ApiError::failed(error, retryable, retry))),
    }
}

fn ended_early() -> ApiError {
    ApiError::unavailable("the turn ended without an answer (the gateway is stopping?)")
}

/// Waits for the turn's outcome.
pub(crate) async fn outcome(mut events: UnboundedReceiver<RunEvent>) -> Result<Answer, ApiError> {
    while let Some(event) = events.recv().await {
        match step_of(event) {
            Some(Step::Done(answer)) => return Ok(answer),
            Some(Step::Failed(error)) => return Err(error),
            Some(Step::Delta(_)) | None => {}
        }
    }
    Err(ended_early())
}

/// The turn's steps as they come: deltas, then one `Done` or `Failed`, then the end.
pub(crate) fn steps(events: UnboundedReceiver<RunEvent>) -> impl Stream<Item = Step> {
    futures_util::stream::unfold(Some(events), |events| async move {
        let mut events = events?;
        loop {
            match events.recv().await {
                Some(event) => match step_of(event) {
                    Some(Step::Delta(piece)) => return Some((Step::Delta(piece), Some(events))),
                    Some(last) => return Some((last, None)),
                    None => continue,
                },
                None => return Some((Step::Failed(ended_early()), None)),
            }
        }
    })
}

/// The steps of a streamed answer, once the first is known: a turn that fails before anything
/// streams gets an error answer with its status (and `Retry-After`), as OpenAI gives one, not a
/// 200 whose stream holds the error.
pub(crate) async fn streamed(
    events: UnboundedReceiver<RunEvent>,
) -> Result<impl Stream<Item = Step>, ApiError> {
    let mut rest = Box::pin(steps(events));
    match rest.next().await {
        Some(Step::Failed(error)) => Err(error),
        first => Ok(futures_util::stream::iter(first).chain(rest)),
    }
}
