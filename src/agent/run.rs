//! An agent run: one turn, attempted up to `maxAttempts` times under supervision.
//!
//! The run is a transient task child of `/gateway/runs` (id `<session key>#<turn id>`). Every
//! attempt starts from the transcript, as the session store's in-memory view of it gives it
//! (`SessionStore::turn_context`: no file read once the session is loaded), so it resumes
//! where the previous one stopped:
//! - the user's message is persisted once, by the first attempt;
//! - an assistant step with tool calls is followed by the tool results still missing;
//! - a turn whose final answer is already persisted is delivered without calling the model (the
//!   previous attempt died between persisting and delivering).
//!
//! A retryable failure returns `Err` (the supervisor restarts the run with backoff); a panic is
//! caught by the supervisor the same way. When attempts run out, or the failure is final, the
//! askers get a `Failed` event and the turn is recorded as failed. Either way the session is told
//! that the turn is over through the `done` channel, exactly once.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use pincer_actors::{ChildSpec, RestartType};
use serde_json::json;
use tokio::sync::oneshot;
use tracing::{info, warn};

use super::call::{call_model, Deltas, StepError};
use super::client;
use super::media::images;
use super::media::prepare::prepare;
use super::resources::{acquire, PermitError};
use super::tools::invoke::ToolOutcome;
use super::tools::ToolContext;
use super::Engine;
use crate::providers::{ChatMessage, ChatRequest, ToolCall, Usage};
use crate::sessions::entry::now_ms;
use crate::sessions::{Entry, RetryHint, RunEvent, Turn, TurnContext};

struct TurnState {
    turn: Turn,
    /// Bytes of the turn's text already streamed to the askers (see `Deltas`).
    streamed: std::sync::atomic::AtomicUsize,
    started: std::time::Instant,
    attempts: AtomicU32,
    last_error: Mutex<Option<String>>,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl TurnState {
    /// Tells every asker the turn's outcome.
    fn broadcast(&self, event: RunEvent) {
        self.turn.late.settle(&event);
        for listener in &self.turn.listeners {
            let _ = listener.send(event.clone());
        }
    }

    /// Marks the turn over (once).
    fn finish(&self) {
        if let Some(done) = self.done.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = done.send(());
        }
    }
}

/// The child spec of the run for `turn`; `done` fires once the turn is over.
pub(crate) fn run_spec(engine: Arc<Engine>, turn: Turn, done: oneshot::Sender<()>) -> ChildSpec {
    let id = format!("{}#{}", turn.session_key, turn.id);
    let state = Arc::new(TurnState {
        turn,
        streamed: std::sync::atomic::AtomicUsize::new(0),
        started: std::time::Instant::now(),
        attempts: AtomicU32::new(0),
        last_error: Mutex::new(None),
        done: Mutex::new(Some(done)),
    });
    ChildSpec::task(id, "run", move |_cx| {
        let attempt = state.attempts.fetch_add(1, Relaxed) + 1;
        let engine = Arc::clone(&engine);
        let state = Arc::clone(&state);
        async move { attempt_turn(&engine, &state, attempt).await }.boxed_local()
    })
    .restart(RestartType::Transient)
    // One run per turn: a run that ended normally leaves the registry at once (a failed one
    // stays visible for the grace period, with its error).
    .forget_when_done()
}

async fn attempt_turn(engine: &Engine, state: &TurnState, attempt: u32) -> Result<(), String> {
    let max = engine.settings.max_attempts;
    if attempt > max {
        let why = state
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "the run crashed".to_string());
        // The attempts went to crashes (a panic leaves no error behind): trying later would crash
        // again, so the failure is final.
        fail_turn(
            engine,
            state,
            format!("no answer after {max} attempts: {why}"),
            false,
            None,
        );
        return Ok(());
    }
    let outcome = tokio::time::timeout(engine.settings.timeout, advance(engine, state)).await;
    let error = match outcome {
        Ok(Ok(answer)) => {
            if let RunEvent::Final { usage, .. } = &answer {
                engine.stats.record(state.started.elapsed(), *usage, true);
            }
            state.broadcast(answer);
            state.finish();
            return Ok(());
        }
        Ok(Err(error)) => error,
        Err(_elapsed) => StepError::Fatal(format!(
            "the run took longer than {} s",
            engine.settings.timeout.as_secs()
        )),
    };
    let hint = error.hint();
    match error {
        StepError::Retryable(why) | StepError::Passing(why, _) if attempt < max => {
            warn!(turn = %state.turn.id, attempt, %why, "run attempt failed; the supervisor will retry");
            *state.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(why.clone());
            Err(why)
        }
        StepError::Retryable(why) | StepError::Passing(why, _) => {
            let why = format!("no answer after {max} attempts: {why}");
            fail_turn(engine, state, why, true, hint);
            Ok(())
        }
        StepError::Fatal(why) | StepError::Shed(why, _) => {
            fail_turn(engine, state, why, false, hint);
            Ok(())
        }
    }
}

/// Ends the turn without an answer. A `retryable` failure is recorded as such, so that asking
/// again with the same turn id resumes it instead of repeating the failure.
fn fail_turn(
    engine: &Engine,
    state: &TurnState,
    error: String,
    retryable: bool,
    retry: Option<RetryHint>,
) {
    warn!(turn = %state.turn.id, session = %state.turn.session_key, %error, retryable, "turn failed");
    engine
        .stats
        .record(state.started.elapsed(), Usage::default(), false);
    let entry = Entry::TurnFailed {
        ts_ms: now_ms(),
        turn: state.turn.id.clone(),
        error: error.clone(),
        retryable,
    };
    if let Err(store_error) = engine.store.append(&state.turn.session_key, &[entry]) {
        warn!(%store_error, "could not record the failed turn");
    }
    state.broadcast(RunEvent::Failed {
        error,
        retryable,
        retry,
    });
    state.finish();
}

/// Continues the turn from the transcript to a final answer.
async fn advance(engine: &Engine, state: &TurnState) -> Result<RunEvent, StepError> {
    let turn = &state.turn;
    let TurnContext {
        history,
        mut mine,
        failed,
        members,
        notes,
    } = engine
        .store
        .turn_context(&turn.session_key, &turn.id, !turn.replayed)
        .map_err(|e| StepError::Retryable(e.to_string()))?;
    if let Some(error) = failed {
        return Ok(RunEvent::Failed {
            error,
            retryable: false,
            retry: None,
        });
    }
    // What the turn answers is what its persisted question says, whoever asks now: a resumed
    // turn keeps the members it was first asked with.
    let mut trace = Vec::new();
    // How to enable transcription, appended to this answer the first time a chat needs it.
    let mut notice = None;
    let members = match members {
        Some(members) => members,
        None if mine.is_empty() => {
            let inbound = turn
                .request
                .as_ref()
                .and_then(|r| r.inbound.as_deref())
                .filter(|inbound| !inbound.media.is_empty());
            let opening = match inbound {
                Some(inbound) => {
                    let last_attempt = state.attempts.load(Relaxed) >= engine.settings.max_attempts;
                    let text = client::with_notes(&turn.text, &notes);
                    let prepared =
                        prepare(engine, &turn.session_key, &text, inbound, last_attempt).await?;
                    trace.extend(prepared.trace);
                    notice = prepared.notice;
                    vec![prepared.message]
                }
                None => client::opening(turn, &notes),
            };
            persist_opening(engine, turn, &opening)?;
            mine.extend(opening);
            turn.members.clone()
        }
        None => turn.members.clone(),
    };
    // The turn's own images go to the model as image input; the history's stay notes.
    images::load(&mut mine).await;
    let mut total = Usage::default();
    let mut deltas = Deltas::new(&state.streamed);
    // Made at the first tool call: a sandboxed session's folder is created only when a tool runs.
    let mut tools: Option<Arc<ToolContext>> = None;
    let request = turn.request.as_deref();
    let history = client::history(turn, history);
    let system = client::system_prompt(engine, request, &turn.session_key);
    let (sampling, max_tokens) = client::sampling(engine, request);
    let offered = client::offered_tools(engine, turn);
    let client_runs_tools = client::client_runs_tools(turn);
    let chain = client::model_chain(engine, request);
    for _step in 0..engine.settings.max_steps {
        match mine.last() {
            // Answered, or stopped at the client's tool calls, by an earlier attempt.
            Some(ChatMessage::Assistant { text, tool_calls })
                if tool_calls.is_empty() || client_runs_tools =>
            {
                return Ok(RunEvent::Final {
                    text: text.clone(),
                    usage: total,
                    model: String::new(),
                    turn: turn.id.clone(),
                    members,
                    tool_calls: tool_calls.clone(),
                });
            }
            Some(ChatMessage::Assistant { tool_calls, .. }) => {
                let calls = tool_calls.clone();
                let inbound = turn.request.as_ref().and_then(|r| r.inbound.as_deref());
                let tools = tools.get_or_insert_with(|| {
                    let cx = engine.tools.context(&turn.session_key, inbound);
                    // A restarted attempt keeps the skills the earlier one read (their env).
                    if let Some(skills) = &cx.skills {
                        skills.replay(&cx.workspace, &mine);
                    }
                    cx
                });
                run_missing_tools(engine, turn, tools, &calls, &mut mine, &mut trace).await?;
            }
            _ => {}
        }
        let permit = acquire(&engine.resources).await.map_err(refusal)?;
        let request = ChatRequest {
            model: String::new(),
            system: Some(system.clone()),
            history: Arc::clone(&history),
            messages: mine.clone(),
            tools: Arc::clone(&offered),
            max_tokens,
            sampling: sampling.clone(),
        };
        let mut output = call_model(engine, &chain, request, &turn.listeners, &mut deltas).await?;
        drop(permit);
        if let Some(line) = notice.as_ref().filter(|_| output.tool_calls.is_empty()) {
            let separator = if output.text.is_empty() { "" } else { "\n\n" };
            let line = format!("{separator}{line}");
            output.text.push_str(&line);
            for listener in &turn.listeners {
                let _ = listener.send(RunEvent::Delta(line.clone()));
            }
            notice = None;
        }
        trace.push(json!({
            "kind": "model", "model": output.model, "durationMs": output.duration_ms,
            "firstTokenMs": output.first_token_ms, "inputTokens": output.usage.input_tokens,
            "outputTokens": output.usage.output_tokens, "toolCalls": output.tool_calls.len(),
        }));
        total.input_tokens += output.usage.input_tokens;
        total.output_tokens += output.usage.output_tokens;
        let message = ChatMessage::Assistant {
            text: output.text.clone(),
            tool_calls: output.tool_calls.clone(),
        };
        let step = message_entry(
            turn,
            message.clone(),
            Some(output.usage),
            Some(output.model.clone()),
            Vec::new(),
        );
        if output.tool_calls.is_empty() || client_runs_tools {
            // The answer (or the calls the client is to run) and the run's trace go in one
            // write: one append per step, not two.
            engine
                .store
                .append(&turn.session_key, &[step, trace_entry(turn, &trace, total)])
                .map_err(|e| StepError::Retryable(e.to_string()))?;
            info!(turn = %turn.id, session = %turn.session_key, model = %output.model, "turn answered");
            return Ok(RunEvent::Final {
                text: output.text,
                usage: total,
                model: output.model,
                turn: turn.id.clone(),
                members,
                tool_calls: output.tool_calls,
            });
        }
        engine
            .store
            .append(&turn.session_key, &[step])
            .map_err(|e| StepError::Retryable(e.to_string()))?;
        mine.push(message);
    }
    record_trace(engine, turn, &trace, total);
    Err(StepError::Fatal(format!(
        "no final answer after {} model calls (agents.defaults.maxSteps)",
        engine.settings.max_steps
    )))
}

/// Runs the tool calls of the last assistant step that have no result yet, persisting each.
/// Each call is its own invocation actor `<session>#<turn>#<call id>` under `/gateway/tools`;
/// dropping this future (the run aborted) cancels the call in progress.
async fn run_missing_tools(
    engine: &Engine,
    turn: &Turn,
    tools: &Arc<ToolContext>,
    calls: &[ToolCall],
    mine: &mut Vec<ChatMessage>,
    trace: &mut Vec<serde_json::Value>,
) -> Result<(), StepError> {
    for call in calls {
        let answered = mine
            .iter()
            .any(|m| matches!(m, ChatMessage::Tool { call_id, .. } if *call_id == call.id));
        if answered {
            continue;
        }
        let started = std::time::Instant::now();
        let id = format!("{}#{}#{}", turn.session_key, turn.id, call.id);
        let ToolOutcome { content, is_error } = engine.tools.call(tools, id, call).await;
        trace.push(json!({
            "kind": "tool", "name": call.name, "durationMs": started.elapsed().as_millis() as u64,
            "isError": is_error,
        }));
        let message = ChatMessage::Tool {
            call_id: call.id.clone(),
            name: call.name.clone(),
            content,
            is_error,
        };
        persist(engine, turn, message.clone(), None, None)?;
        mine.push(message);
    }
    Ok(())
}

fn persist(
    engine: &Engine,
    turn: &Turn,
    message: ChatMessage,
    usage: Option<Usage>,
    model: Option<String>,
) -> Result<(), StepError> {
    append_message(engine, turn, message, usage, model, Vec::new())
}

/// Persists the turn's opening: its user message together with the messages it answers (one
/// line, so the question and its membership are durable at the same instant), and, for a
/// stateless request, the tool round trip the client sent after it, in the same write.
fn persist_opening(engine: &Engine, turn: &Turn, opening: &[ChatMessage]) -> Result<(), StepError> {
    let members = if turn.members.len() == 1 && turn.members[0] == turn.id {
        Vec::new()
    } else {
        turn.members.clone()
    };
    let mut members = Some(members);
    let entries: Vec<Entry> = opening
        .iter()
        .map(|message| {
            let members = members.take().unwrap_or_default();
            let mut entry = message_entry(turn, message.clone(), None, None, members);
            if let Entry::Message {
                message: ChatMessage::User { .. },
                source,
                ..
            } = &mut entry
            {
                *source = turn
                    .request
                    .as_ref()
                    .and_then(|r| r.inbound.as_ref())
                    .map(|inbound| inbound.platform_id.clone());
            }
            entry
        })
        .collect();
    engine
        .store
        .append(&turn.session_key, &entries)
        .map_err(|e| StepError::Retryable(e.to_string()))
}

/// A refused permit: load shedding and a shortage of memory pass by themselves.
fn refusal(error: PermitError) -> StepError {
    match error {
        PermitError::Shedding(_) | PermitError::ShortOfMemory { .. } => StepError::Shed(
            error.to_string(),
            RetryHint {
                after: None,
                rate_limited: false,
            },
        ),
        PermitError::Unavailable => StepError::Fatal(error.to_string()),
    }
}

fn append_message(
    engine: &Engine,
    turn: &Turn,
    message: ChatMessage,
    usage: Option<Usage>,
    model: Option<String>,
    members: Vec<String>,
) -> Result<(), StepError> {
    let entry = message_entry(turn, message, usage, model, members);
    engine
        .store
        .append(&turn.session_key, &[entry])
        .map_err(|e| StepError::Retryable(e.to_string()))
}

fn message_entry(
    turn: &Turn,
    message: ChatMessage,
    usage: Option<Usage>,
    model: Option<String>,
    members: Vec<String>,
) -> Entry {
    Entry::Message {
        ts_ms: now_ms(),
        turn: turn.id.clone(),
        message,
        usage,
        model,
        members,
        source: None,
    }
}

fn trace_entry(turn: &Turn, steps: &[serde_json::Value], total: Usage) -> Entry {
    Entry::Trace {
        ts_ms: now_ms(),
        turn: turn.id.clone(),
        run: format!("{}#{}", turn.session_key, turn.id),
        trace: json!({ "steps": steps, "inputTokens": total.input_tokens, "outputTokens": total.output_tokens }),
    }
}

/// Records the trace of a run that ended without an answer (best effort).
fn record_trace(engine: &Engine, turn: &Turn, steps: &[serde_json::Value], total: Usage) {
    let entry = trace_entry(turn, steps, total);
    if let Err(error) = engine.store.append(&turn.session_key, &[entry]) {
        warn!(%error, "could not record the run trace");
    }
}
