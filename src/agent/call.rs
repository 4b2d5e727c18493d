//! One model call for a run step, through the failover chain.
//!
//! For each model of `agents.defaults.model` in order: skip its provider while it cools down;
//! stream the answer, forwarding text deltas to the askers; on a retryable failure (overloaded,
//! 5xx, network, idle stream) retry the same model up to twice with backoff (honouring
//! `Retry-After`), then, if a fallback follows, start the provider's short cooldown and fall back;
//! on rate-limit, auth or quota failures start the provider's cooldown and fall back; on a context
//! overflow or a bad request stop (another model would fail the same way).
//!
//! When the whole chain fails for passing reasons (overloaded, unreachable, rate limited, cooling
//! down), the step error is `Retryable`: the run is retried, and a channel keeps the message for
//! later instead of apologising.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tracing::warn;

use super::Engine;
use crate::providers::catalog::ModelClient;
use crate::providers::{ChatRequest, ErrorKind, ProviderError, StreamEvent, ToolCall, Usage};
use crate::sessions::{RetryHint, RunEvent};

/// Retries of one model after a retryable failure, before falling back.
const RETRIES_PER_MODEL: u32 = 2;

/// What one successful model call produced.
#[derive(Debug, Clone)]
pub(crate) struct StepOutput {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// The model ref that answered.
    pub model: String,
    pub first_token_ms: Option<u64>,
    pub duration_ms: u64,
}

/// Keeps a turn's streamed text from repeating when a model call is retried or the run restarts:
/// the askers have already seen the first `forwarded` bytes of the turn's text, so the bytes a new
/// attempt produces again are not sent twice. (When a retry words its answer differently, the
/// streamed text can only be a best effort; the final answer is always whole and sent once.)
#[derive(Debug)]
pub(crate) struct Deltas<'a> {
    forwarded: &'a AtomicUsize,
    seen: usize,
}

impl<'a> Deltas<'a> {
    /// Counts from the start of the turn's text, against what earlier attempts forwarded.
    pub(crate) fn new(forwarded: &'a AtomicUsize) -> Self {
        Deltas { forwarded, seen: 0 }
    }

    /// The part of `piece` the askers have not seen yet.
    fn pass<'p>(&mut self, piece: &'p str) -> &'p str {
        let start = self.seen;
        self.seen += piece.len();
        let forwarded = self.forwarded.load(Relaxed);
        if self.seen <= forwarded {
            return "";
        }
        let mut skip = forwarded.saturating_sub(start).min(piece.len());
        while !piece.is_char_boundary(skip) {
            skip += 1;
        }
        self.forwarded.store(self.seen, Relaxed);
        &piece[skip..]
    }
}

/// Why a step failed: worth another attempt of the run, or final.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StepError {
    Retryable(String),
    /// The whole model chain failed for a passing cause (overloaded, unreachable, rate limited,
    /// cooling down): retried like `Retryable`, and if it still fails the askers learn when to
    /// ask again.
    Passing(String, RetryHint),
    Fatal(String),
    /// No run may start now (the memory guard sheds load): final for this turn, but asking
    /// again later may work.
    Shed(String, RetryHint),
}

impl StepError {
    /// What the askers are told of asking again, if anything.
    pub(crate) fn hint(&self) -> Option<RetryHint> {
        match self {
            StepError::Passing(_, hint) | StepError::Shed(_, hint) => Some(*hint),
            StepError::Retryable(_) | StepError::Fatal(_) => None,
        }
    }
}

/// Calls the model chain for `request` (its `model` field is filled per candidate).
pub(crate) async fn call_model(
    engine: &Engine,
    chain: &[String],
    mut request: ChatRequest,
    listeners: &[UnboundedSender<RunEvent>],
    deltas: &mut Deltas<'_>,
) -> Result<StepOutput, StepError> {
    let mut last: Option<ProviderError> = None;
    for (position, model_ref) in chain.iter().enumerate() {
        let has_fallback = position + 1 < chain.len();
        let (client, model) = match engine.catalog.resolve(model_ref) {
            Ok(found) => found,
            Err(error) => {
                last = Some(error);
                continue;
            }
        };
        let provider = client.provider_id().to_string();
        if let Some(cooling) = engine.cooldowns.cooling(&provider, Instant::now()) {
            // Named after the cause's nature, so that the chain's verdict (retry later or not)
            // is the same as when the provider was last asked.
            let kind = if cooling.passing {
                ErrorKind::RateLimited
            } else {
                ErrorKind::Auth
            };
            let mut skipped = ProviderError::new(
                kind,
                provider,
                format!(
                    "cooling down for {} more seconds",
                    cooling.left.as_secs().max(1)
                ),
            );
            skipped.retry_after = Some(cooling.left);
            last = Some(skipped);
            continue;
        }
        request.model = model;
        // A model without image input is sent the turn's images as notes.
        let text_only = engine
            .media
            .text_only(model_ref)
            .then(|| request.without_images());
        let this_request = text_only.as_ref().unwrap_or(&request);
        for retry in 0..=RETRIES_PER_MODEL {
            let step_start = deltas.seen;
            let result = stream_once(
                &client,
                this_request,
                listeners,
                deltas,
                engine.settings.stream_idle,
            )
            .await;
            if result.is_err() {
                // A retry produces this step's text again from its beginning.
                deltas.seen = step_start;
            }
            match result {
                Ok(mut output) => {
                    engine.cooldowns.succeeded(&provider);
                    output.model = model_ref.clone();
                    return Ok(output);
                }
                Err(error) => {
                    warn!(model = %model_ref, kind = ?error.kind, %error, retry, "model call failed");
                    if error.starts_cooldown() {
                        let length = engine.cooldowns.cool_down(
                            &provider,
                            error.retry_after,
                            &error.message,
                            error.kind == ErrorKind::RateLimited,
                            Instant::now(),
                        );
                        warn!(%provider, cooldown_s = length.as_secs(), "provider cooling down");
                        last = Some(error);
                        break;
                    }
                    if error.is_retryable() && retry < RETRIES_PER_MODEL {
                        tokio::time::sleep(retry_delay(retry, error.retry_after)).await;
                        last = Some(error);
                        continue;
                    }
                    if error.is_retryable() && has_fallback {
                        // Spare the next turns these retries while the fallback answers.
                        let length = engine.cooldowns.cool_down_unavailable(
                            &provider,
                            &error.message,
                            Instant::now(),
                        );
                        warn!(%provider, cooldown_s = length.as_secs(), "provider unavailable; cooling down, falling back");
                    }
                    if !error.allows_fallback() {
                        return Err(StepError::Fatal(error.to_string()));
                    }
                    last = Some(error);
                    break;
                }
            }
        }
    }
    Err(match last {
        Some(error) if error.kind == ErrorKind::NotConfigured => StepError::Fatal(format!(
            "no model provider is usable: {error}. Configure one: set ANTHROPIC_API_KEY or OPENAI_API_KEY, \
             or point agents.defaults.model at a provider in models.providers (e.g. an Ollama server)"
        )),
        Some(error) if error.is_retryable() || error.kind == ErrorKind::RateLimited => {
            let hint = RetryHint {
                after: error.retry_after.or_else(|| soonest_back(engine)),
                rate_limited: error.kind == ErrorKind::RateLimited,
            };
            StepError::Passing(error.to_string(), hint)
        }
        Some(error) => StepError::Fatal(format!("every model in the chain failed; last: {error}")),
        None => StepError::Fatal("no model is configured (agents.defaults.model is empty)".into()),
    })
}

/// When the first provider of the chain that is cooling down is due back, if any is.
fn soonest_back(engine: &Engine) -> Option<Duration> {
    let now = Instant::now();
    engine
        .settings
        .models
        .iter()
        .filter_map(|model_ref| engine.catalog.resolve(model_ref).ok())
        .filter_map(|(client, _)| engine.cooldowns.remaining(client.provider_id(), now))
        .min()
}

/// Backoff between retries of one model: the provider's `Retry-After` when it gave one (capped at
/// a minute), else 0.5 s doubling, capped at 8 s.
fn retry_delay(retry: u32, retry_after: Option<Duration>) -> Duration {
    retry_after
        .map(|d| d.min(Duration::from_secs(60)))
        .unwrap_or_else(|| {
            Duration::from_millis(500 * 2u64.pow(retry.min(4))).min(Duration::from_secs(8))
        })
}

/// One streamed call: forwards deltas, collects tool calls and usage, enforces the idle timeout.
async fn stream_once(
    client: &ModelClient,
    request: &ChatRequest,
    listeners: &[UnboundedSender<RunEvent>],
    deltas: &mut Deltas<'_>,
    idle: Duration,
) -> Result<StepOutput, ProviderError> {
    let provider = client.provider_id().to_string();
    let idle_error = || {
        ProviderError::new(
            ErrorKind::StreamIdle,
            provider.clone(),
            format!("no data from the model for {} s", idle.as_secs()),
        )
    };
    let started = Instant::now();
    let mut stream = tokio::time::timeout(idle, client.stream(request))
        .await
        .map_err(|_| idle_error())??;
    let mut output = StepOutput {
        text: String::new(),
        tool_calls: Vec::new(),
        usage: Usage::default(),
        model: String::new(),
        first_token_ms: None,
        duration_ms: 0,
    };
    let mut finished = false;
    while let Some(event) = tokio::time::timeout(idle, stream.next())
        .await
        .map_err(|_| idle_error())?
    {
        if output.first_token_ms.is_none() {
            output.first_token_ms = Some(elapsed_ms(started));
        }
        match event? {
            StreamEvent::Text(piece) => {
                let fresh = deltas.pass(&piece);
                if !fresh.is_empty() {
                    for listener in listeners {
                        let _ = listener.send(RunEvent::Delta(fresh.to_string()));
                    }
                }
                output.text.push_str(&piece);
            }
            StreamEvent::ToolCall(call) => {
                for listener in listeners {
                    let _ = listener.send(RunEvent::ToolCall {
                        name: call.name.clone(),
                    });
                }
                output.tool_calls.push(call);
            }
            StreamEvent::Usage(usage) => output.usage = usage,
            StreamEvent::Finished(_) => finished = true,
        }
    }
    if !finished {
        return Err(ProviderError::new(
            ErrorKind::Network,
            provider,
            "the stream ended before the model finished",
        ));
    }
    output.duration_ms = elapsed_ms(started);
    Ok(output)
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_step_does_not_repeat_what_the_askers_saw() {
        let forwarded = AtomicUsize::new(0);
        let mut first = Deltas::new(&forwarded);
        assert_eq!(first.pass("Hello "), "Hello ");
        assert_eq!(first.pass("wö"), "wö");
        // The stream broke; a new attempt starts the turn's text again.
        let mut retry = Deltas::new(&forwarded);
        assert_eq!(retry.pass("Hel"), "");
        assert_eq!(
            retry.pass("lo wörld"),
            "rld",
            "only the unseen part, cut on a char boundary"
        );
        assert_eq!(retry.pass("!"), "!");
    }
}
