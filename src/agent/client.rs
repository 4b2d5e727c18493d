//! What a client's request changes in a run (`Turn::request`, the OpenAI-compatible
//! endpoints): the system prompt, the history, the offered tools, the sampling settings, and
//! the turn's opening messages.
//!
//! A turn without a request runs as the gateway's settings and the session's transcript say. A
//! stateless request (an ephemeral session) brings its own conversation: its earlier messages
//! are the history, its last user message and any tool round trip after it open the turn. When
//! it brings its own tools, the model is offered those only, and a call of one ends the turn so
//! that the client runs it (`RunEvent::Final::tool_calls`).

use std::sync::Arc;

use super::Engine;
use crate::providers::{ChatMessage, Sampling, ToolSpec};
use crate::sessions::{Turn, TurnRequest};

/// The system prompt: the gateway's (with the session's skills list, see
/// [`crate::agent::skills::prompt`]), then the client's system messages (added, never in place
/// of it: the gateway's prompt is the operator's).
pub(crate) fn system_prompt(engine: &Engine, request: Option<&TurnRequest>, key: &str) -> String {
    let gateway = match engine.tools.skills_prompt(key) {
        Some(skills) if engine.settings.system_prompt.trim().is_empty() => skills,
        Some(skills) => format!("{}\n\n{skills}", engine.settings.system_prompt),
        None => engine.settings.system_prompt.clone(),
    };
    let gateway = &gateway;
    match request.and_then(|r| r.system.as_deref()).map(str::trim) {
        Some(client) if !client.is_empty() && gateway.trim().is_empty() => client.to_string(),
        Some(client) if !client.is_empty() => format!("{gateway}\n\n{client}"),
        _ => gateway.clone(),
    }
}

/// The tools offered to the model: the client's own when it sent any, else the gateway's for
/// the session.
pub(crate) fn offered_tools(engine: &Engine, turn: &Turn) -> Arc<[ToolSpec]> {
    match turn.request.as_ref().and_then(|r| r.client_tools.as_ref()) {
        Some(tools) => Arc::clone(tools),
        None => engine.tools.specs_for(&turn.session_key),
    }
}

/// The models to try, in order: the turn's own model (a sub-agent's override) first, then the
/// gateway's chain without it.
pub(crate) fn model_chain(engine: &Engine, request: Option<&TurnRequest>) -> Vec<String> {
    let chain = &engine.settings.models;
    match request.and_then(|r| r.model.as_deref()) {
        Some(first) => std::iter::once(first.to_string())
            .chain(chain.iter().filter(|m| m.as_str() != first).cloned())
            .collect(),
        None => chain.clone(),
    }
}

/// Whether the turn's tool calls are the client's to run.
pub(crate) fn client_runs_tools(turn: &Turn) -> bool {
    turn.request
        .as_ref()
        .is_some_and(|r| r.client_tools.is_some())
}

/// The sampling settings and the answer's token budget.
pub(crate) fn sampling(engine: &Engine, request: Option<&TurnRequest>) -> (Sampling, u32) {
    match request {
        Some(request) => (
            request.sampling.clone(),
            request
                .max_tokens
                .unwrap_or(engine.settings.max_tokens)
                .max(1),
        ),
        None => (Sampling::default(), engine.settings.max_tokens),
    }
}

/// The messages that open the turn: a stateless request's own (its last user message and what
/// followed it), else the user's text, after what was said in the session since its last turn
/// that the model should see (`notes`: group context, reactions).
pub(crate) fn opening(turn: &Turn, notes: &[String]) -> Vec<ChatMessage> {
    match turn.request.as_ref().filter(|r| !r.opening.is_empty()) {
        Some(request) => request.opening.clone(),
        None => vec![ChatMessage::user(with_notes(&turn.text, notes))],
    }
}

/// The user's text after what was said in the session since the last answer that the model
/// should see (`notes`: group context, reactions), marked as such.
pub(crate) fn with_notes(text: &str, notes: &[String]) -> String {
    if notes.is_empty() {
        return text.to_string();
    }
    format!(
        "[Said in this conversation since your last answer, not addressed to you:]\n{}\n\n[The message to answer:]\n{text}",
        notes.join("\n")
    )
}

/// The history the prompt carries: a stateless request's, else the session's.
pub(crate) fn history(turn: &Turn, session: Arc<Vec<ChatMessage>>) -> Arc<Vec<ChatMessage>> {
    match turn.request.as_ref().and_then(|r| r.history.as_ref()) {
        Some(history) => Arc::clone(history),
        None => session,
    }
}
