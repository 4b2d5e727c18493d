//! The OpenAI-compatible entry points: `POST /v1/chat/completions` (streaming and not) and
//! `GET /v1/models`, so that chat apps (Open WebUI, LibreChat) and the OpenAI SDKs can talk to
//! the assistant; `/v1/responses` lives beside it (`web::responses`), sharing its run step.
//!
//! Two ways to talk:
//! - **stateless** (no `x-pincer-session-key` header, no `user` field): the request's messages
//!   are the conversation, as chat apps send it. The turn runs in an ephemeral session (memory
//!   only, forgotten once answered); the client's system messages are added after the gateway's
//!   system prompt; the model is offered the client's function tools only, none of the
//!   gateway's, and a call of one is returned to the client (`finish_reason: "tool_calls"`),
//!   whose next request carries the results as `tool` messages.
//! - **a server-side session** (the header, else `agent:main:openai:<user>`): the gateway keeps
//!   the conversation, only the last user message of the request is used, the gateway's tools
//!   serve it, and the answer carries the session key in the same header.
//!
//! Either way the sampling settings apply (`temperature`, `top_p`, `max_tokens` /
//! `max_completion_tokens`, `stop`, `tool_choice`), and errors come in OpenAI's shape
//! ([`errors`]).
//!
//! - `chat_request.rs`: the request read and checked; `conversation.rs`: what both endpoints
//!   check alike; `run.rs`: the shared run step; `chat_answer.rs`: the answer's shapes;
//!   `errors.rs`: OpenAI's error shape and statuses.

pub(crate) mod chat_answer;
pub(crate) mod chat_request;
pub(crate) mod conversation;
pub(crate) mod errors;
pub(crate) mod run;

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{CacheControl, CacheDirective, HeaderName, HeaderValue};
use actix_web::web;
use actix_web::{get, post, HttpRequest, HttpResponse};
use serde_json::json;

use self::chat_request::ChatCall;
use self::errors::ApiError;
use self::run::Target;
use super::auth::Authorized;
use super::AppState;
use crate::api::scopes::op;
use crate::sessions::key;
use crate::sessions::TurnRequest;

const SESSION_HEADER: &str = "x-pincer-session-key";

/// Seconds since the epoch (the `created` fields).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The session a request names: its header, else its `user` (`agent:main:openai:<user>`),
/// else none (stateless).
pub(crate) fn target_of(request: &HttpRequest, user: Option<&str>) -> Result<Target, ApiError> {
    match request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(given) if key::is_valid(given) => Ok(Target::Session(given.to_string())),
        Some(_) => Err(ApiError::invalid(
            SESSION_HEADER,
            format!("invalid {SESSION_HEADER}"),
        )),
        None => Ok(match user.filter(|u| key::is_valid(u)) {
            Some(user) => Target::Session(format!("agent:main:openai:{user}")),
            None => Target::Stateless,
        }),
    }
}

#[post("/v1/chat/completions")]
pub(crate) async fn chat_completions(
    _auth: Authorized<op::ChatSend>,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if !state.chat_completions {
        return ApiError {
            status: actix_web::http::StatusCode::NOT_FOUND,
            ..ApiError::invalid(
                "",
                "/v1/chat/completions is off: gateway.http.endpoints.chatCompletions.enabled",
            )
        }
        .response();
    }
    match chat(&state, &request, &body).await {
        Ok(response) => response,
        Err(error) => {
            if error.status.is_client_error() {
                tracing::warn!(message = %error.message, param = ?error.param, "refused chat completion request");
            }
            error.response()
        }
    }
}

async fn chat(
    state: &AppState,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let call = ChatCall::parse(body)?;
    let target = target_of(request, call.user.as_deref())?;
    let (text, turn) = match &target {
        Target::Stateless => call.conversation.into_turn("messages")?,
        Target::Session(_) => {
            let text = call
                .last_user_text()
                .ok_or_else(|| ApiError::invalid("messages", "no user message with text content"))?
                .to_string();
            let sampling = call.conversation.sampling;
            let max_tokens = call.conversation.max_tokens;
            let turn = TurnRequest {
                sampling,
                max_tokens,
                ..TurnRequest::default()
            };
            (text, turn)
        }
    };
    let model = call.model.unwrap_or_else(|| "pincer".to_string());
    let events = run::start(&state.router, &target, text, turn).await?;
    let header = match &target {
        Target::Session(key) => Some((
            HeaderName::from_static(SESSION_HEADER),
            HeaderValue::from_str(key).unwrap_or_else(|_| HeaderValue::from_static("invalid")),
        )),
        Target::Stateless => None,
    };
    let id = format!("chatcmpl-{}", fresh_id());
    let created = unix_now();
    let mut response = if call.stream {
        let steps = run::streamed(events).await?;
        let mut response = HttpResponse::Ok();
        response
            .content_type("text/event-stream")
            .insert_header(CacheControl(vec![CacheDirective::NoCache]));
        response.streaming(chat_answer::chunks(
            steps,
            id,
            created,
            model,
            call.include_usage,
        ))
    } else {
        let answer = run::outcome(events).await?;
        HttpResponse::Ok().json(chat_answer::completion(&answer, &id, created, &model))
    };
    if let Some((name, value)) = header {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

#[get("/v1/models")]
pub(crate) async fn models(
    _auth: Authorized<op::ModelsList>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let created = unix_now();
    let mut data = vec![
        json!({ "id": "pincer", "object": "model", "created": created, "owned_by": "pincer" }),
    ];
    for model in &state.engine.settings.models {
        data.push(
            json!({ "id": model, "object": "model", "created": created, "owned_by": "pincer" }),
        );
    }
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

/// 64 random bits, hex (request, response and session ids).
pub(crate) fn fresh_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
