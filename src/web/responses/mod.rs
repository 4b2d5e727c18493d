//! `POST /v1/responses`: the OpenResponses / OpenAI Responses API, off unless
//! `gateway.http.endpoints.responses.enabled` (as in OpenClaw).
//!
//! A request runs as a stateless chat completion does (the shared run step of
//! `web::openai::run`): its input items are the conversation, `instructions` and its system
//! and developer messages are added after the gateway's system prompt, its function tools are
//! offered instead of the gateway's and a call of one comes back as a `function_call` output
//! item. With `previous_response_id` the conversation of that stored response comes first;
//! every answered response is stored ([`store`]) unless the request says `store: false`. With
//! `x-pincer-session-key` or `user` the turn runs in that server-side session instead, as for
//! chat completions.
//!
//! - `request.rs`: the body read and checked; `output.rs`: the response object and its stream
//!   events; `store.rs`: stored responses in `<state>/responses/`.

pub(crate) mod output;
pub(crate) mod request;
pub(crate) mod store;

use std::sync::Arc;

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use tracing::warn;

use self::output::Frame;
use self::request::{name_results, ResponsesCall};
use self::store::{ResponseStore, Stored};
use super::auth::Authorized;
use super::openai::conversation::Stateless;
use super::openai::errors::ApiError;
use super::openai::run::{self, Answer, Step, Target};
use super::openai::{fresh_id, target_of, unix_now};
use super::AppState;
use crate::api::scopes::op;
use crate::providers::ChatMessage;
use crate::sessions::TurnRequest;

#[post("/v1/responses")]
pub(crate) async fn responses(
    _auth: Authorized<op::ChatSend>,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(store) = state.responses.clone() else {
        return ApiError {
            status: actix_web::http::StatusCode::NOT_FOUND,
            ..ApiError::invalid(
                "",
                "/v1/responses is off: set gateway.http.endpoints.responses.enabled",
            )
        }
        .response();
    };
    match respond(&state, store, &request, &body).await {
        Ok(response) => response,
        Err(error) => error.response(),
    }
}

/// What is stored once the answer is known: the conversation without it.
struct Pending {
    store: Arc<ResponseStore>,
    id: String,
    system: Vec<String>,
    conversation: Vec<ChatMessage>,
}

impl Pending {
    async fn save(self, answer: &Answer) {
        let mut conversation = self.conversation;
        conversation.push(ChatMessage::Assistant {
            text: answer.text.clone(),
            tool_calls: answer.tool_calls.clone(),
        });
        let stored = Stored {
            system: self.system,
            conversation,
        };
        let (store, id) = (self.store, self.id);
        let saved = web::block(move || store.save(&id, &stored)).await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "could not store the response"),
            Err(error) => warn!(%error, "could not store the response"),
        }
    }
}

async fn respond(
    state: &AppState,
    store: Arc<ResponseStore>,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let call = ResponsesCall::parse(body)?;
    let target = target_of(request, call.user.as_deref())?;
    let mut system = Vec::new();
    let mut conversation = Vec::new();
    if let Some(previous) = &call.previous_response_id {
        let loaded = {
            let store = Arc::clone(&store);
            let previous = previous.clone();
            web::block(move || store.load(&previous))
                .await
                .map_err(|e| ApiError::unavailable(e.to_string()))?
        };
        let stored = loaded
            .map_err(|e| ApiError::unavailable(e.to_string()))?
            .ok_or_else(|| ApiError {
                status: actix_web::http::StatusCode::NOT_FOUND,
                ..ApiError::invalid(
                    "previous_response_id",
                    format!("no stored response {previous} (expired, pruned or never stored)"),
                )
            })?;
        system = stored.system;
        conversation = stored.conversation;
    }
    system.extend(call.system.iter().cloned());
    conversation.extend(call.messages.iter().cloned());
    name_results(&mut conversation)?;
    let mut client_system: Vec<String> = call.instructions.iter().cloned().collect();
    client_system.extend(system.iter().cloned());
    let stateless = Stateless {
        messages: conversation.clone(),
        system: client_system,
        sampling: call.sampling.clone(),
        max_tokens: call.max_tokens,
        tools: call.tools.clone(),
    };
    let (text, turn) = match &target {
        Target::Stateless => stateless.into_turn("input")?,
        Target::Session(_) => {
            let text = call
                .messages
                .iter()
                .rev()
                .find_map(|m| match m {
                    ChatMessage::User { content, .. } if !content.trim().is_empty() => {
                        Some(content.clone())
                    }
                    _ => None,
                })
                .ok_or_else(|| ApiError::invalid("input", "no user message with text"))?;
            let turn = TurnRequest {
                sampling: call.sampling.clone(),
                max_tokens: call.max_tokens,
                ..TurnRequest::default()
            };
            (text, turn)
        }
    };
    let frame = Frame {
        id: format!("resp_{}{}", fresh_id(), fresh_id()),
        message_id: format!("msg_{}", fresh_id()),
        created_at: unix_now(),
        model: call.model.clone().unwrap_or_else(|| "pincer".to_string()),
        instructions: call.instructions.clone(),
        previous_response_id: call.previous_response_id.clone(),
        store: call.store,
        temperature: call.sampling.temperature,
        top_p: call.sampling.top_p,
        max_output_tokens: call.max_tokens,
        tools: call.tools_echo.clone(),
        tool_choice: call.tool_choice_echo.clone(),
    };
    // A session's conversation is its transcript: only stateless responses are stored.
    let pending = (call.store && target == Target::Stateless).then(|| Pending {
        store,
        id: frame.id.clone(),
        system,
        conversation,
    });
    let events = run::start(&state.router, &target, text, turn).await?;
    if call.stream {
        let mut pending = pending;
        let steps = run::streamed(events).await?.then(move |step| {
            let pending = match &step {
                Step::Done(_) => pending.take(),
                _ => None,
            };
            async move {
                if let (Some(pending), Step::Done(answer)) = (pending, &step) {
                    pending.save(answer).await;
                }
                step
            }
        });
        Ok(HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header(CacheControl(vec![CacheDirective::NoCache]))
            .streaming(output::events(steps, frame)))
    } else {
        let answer = run::outcome(events).await?;
        if let Some(pending) = pending {
            pending.save(&answer).await;
        }
        Ok(HttpResponse::Ok().json(output::response(&frame, Some(Ok(&answer)))))
    }
}
