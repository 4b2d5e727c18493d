//! The Bot API methods of the Telegram emulator: routing `/bot<TOKEN>/<method>`, reading the
//! parameters (query string, JSON body or urlencoded form), the scripted refusals, and each
//! method's answer in the `{"ok":…}` envelope with the HTTP status equal to `error_code`.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::super::client::parse_query;
use super::super::connection::{write_status, Request};
use super::super::lock;
use super::{chat_json, now, Call, SentMessage, Shared, State, MAX_TEXT_CHARS};

#[path = "media_out.rs"]
mod media_out;

const TERMINATED: &str = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/// The methods the emulator implements (lower-case).
const METHODS: &[&str] = &[
    "getupdates",
    "sendmessage",
    "sendchataction",
    "getme",
    "setwebhook",
    "deletewebhook",
    "getwebhookinfo",
    "getfile",
    "answercallbackquery",
];

/// A refusal: `{"ok":false,"error_code":code,"description":…,"parameters"?}`.
struct ApiError {
    code: u16,
    description: String,
    retry_after: Option<u64>,
}

fn error(code: u16, description: &str) -> ApiError {
    ApiError {
        code,
        description: description.to_string(),
        retry_after: None,
    }
}

fn bad_request(what: &str) -> ApiError {
    error(400, &format!("Bad Request: {what}"))
}

/// The whole success body: `{"ok":true,"result":…}`.
fn ok(result: Value) -> Result<Value, ApiError> {
    Ok(json!({"ok": true, "result": result}))
}

fn ok_described(result: Value, description: &str) -> Result<Value, ApiError> {
    Ok(json!({"ok": true, "result": result, "description": description}))
}

type Params = Map<String, Value>;

/// Answers one call (the connection stays open).
pub(super) fn answer(
    shared: &Shared,
    request: &Request,
    out: &mut TcpStream,
) -> std::io::Result<bool> {
    if let Some(keep_open) = super::files::download(shared, request, out)? {
        return Ok(keep_open);
    }
    let (status, body) = match respond(shared, request) {
        Ok(body) => (200, body),
        Err(e) => {
            let mut body = json!({"ok": false, "error_code": e.code, "description": e.description});
            if let Some(seconds) = e.retry_after {
                body["parameters"] = json!({ "retry_after": seconds });
            }
            (e.code, body)
        }
    };
    write_status(out, status, &body.to_string(), None)?;
    Ok(true)
}

fn respond(shared: &Shared, request: &Request) -> Result<Value, ApiError> {
    let (token, method) = request
        .route()
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
        .ok_or_else(|| error(404, "Not Found"))?;
    if token != shared.token {
        return Err(error(401, "Unauthorized"));
    }
    let name = method.to_ascii_lowercase();
    let file_method = media_out::FILE_METHODS.iter().find(|(m, _)| *m == name);
    if !METHODS.contains(&name.as_str()) && file_method.is_none() {
        return Err(error(404, "Not Found"));
    }
    let params = params(request)?;
    {
        let mut state = lock(&shared.state);
        state.calls.push(Call {
            method: method.to_string(),
        });
        if name == "getupdates" {
            let offset = int(&params, "offset").ok().flatten().unwrap_or(0);
            state.offsets.push(offset);
        }
        shared.changed.notify_all();
        if let Some((left, retry_after, only)) = &mut state.inject_429 {
            if *left > 0 && only.as_deref().is_none_or(|m| m == name) {
                *left -= 1;
                return Err(ApiError {
                    code: 429,
                    description: format!("Too Many Requests: retry after {retry_after}"),
                    retry_after: Some(*retry_after),
                });
            }
        }
    }
    if let Some((_, field)) = file_method {
        return media_out::send_file(shared, method, field, &params, request);
    }
    match name.as_str() {
        "getupdates" => get_updates(shared, &params),
        "sendmessage" => send_message(shared, &params),
        "sendchataction" => send_chat_action(shared, &params),
        "getme" => ok(
            json!({"id": shared.bot_id, "is_bot": true, "first_name": "Pincer Emu",
            "username": "pincer_emu_bot", "can_join_groups": true,
            "can_read_all_group_messages": false, "supports_inline_queries": false}),
        ),
        "setwebhook" => set_webhook(shared, &params),
        "getfile" => super::files::get_file(shared, string(&params, "file_id"))
            .map_err(|(code, description)| error(code, &description))
            .and_then(ok),
        "answercallbackquery" => {
            let id = string(&params, "callback_query_id")
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    bad_request(
                        "query is too old and response timeout expired or query ID is invalid",
                    )
                })?;
            let mut state = lock(&shared.state);
            state.callback_answers.push(id);
            shared.changed.notify_all();
            ok(json!(true))
        }
        "deletewebhook" => delete_webhook(shared, &params),
        _ => {
            let state = lock(&shared.state);
            let url = state.webhook.as_ref().map_or("", |(url, _)| url.as_str());
            ok(json!({"url": url, "has_custom_certificate": false,
                "pending_update_count": state.updates.len()}))
        }
    }
}

/// The parameters: the query string, then the body (JSON object or urlencoded form) on top.
fn params(request: &Request) -> Result<Params, ApiError> {
    let mut params: Params = parse_query(request.query())
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    if request.body.is_empty() {
        return Ok(params);
    }
    let content_type = request
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let form = String::from_utf8_lossy(&request.body);
        for (name, value) in parse_query(&form) {
            params.insert(name, Value::String(value));
        }
    } else if content_type.starts_with("multipart/") {
        media_out::form_params(request, &mut params)?;
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(Value::Object(body)) => params.extend(body),
            _ => return Err(bad_request("can't parse JSON object")),
        }
    }
    Ok(params)
}

/// An integer parameter (a JSON number or a numeric string).
fn int(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    let value = match params.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    value
        .map(Some)
        .ok_or_else(|| bad_request(&format!("invalid {name} specified")))
}

fn string(params: &Params, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn boolean(params: &Params, name: &str) -> bool {
    match params.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

/// A parameter of a JSON type (objects, arrays): sent as JSON text in forms and query strings.
fn structured(params: &Params, name: &str) -> Option<Value> {
    match params.get(name)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        value => Some(value.clone()),
    }
}

/// The `chat_id` of a call; `@username` chats are unknown to the emulator.
fn chat_id(params: &Params) -> Result<i64, ApiError> {
    match int(params, "chat_id") {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(bad_request("chat_id is empty")),
        Err(_) => Err(bad_request("chat not found")),
    }
}

fn check_blocked(state: &State, chat_id: i64) -> Result<(), ApiError> {
    if state.blocked.contains(&chat_id) {
        return Err(error(403, "Forbidden: bot was blocked by the user"));
    }
    Ok(())
}

fn get_updates(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let offset = int(params, "offset")?.unwrap_or(0);
    let limit = int(params, "limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = int(params, "timeout")?.unwrap_or(0).max(0) as u64;
    let allowed = structured(params, "allowed_updates");
    let mut state = lock(&shared.state);
    if std::mem::take(&mut state.inject_409) {
        return Err(error(409, TERMINATED));
    }
    if state.webhook.is_some() {
        return Err(error(409, WEBHOOK_ACTIVE));
    }
    if let Some(Value::Array(kinds)) = allowed {
        state.allowed_updates = kinds
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
    }
    state.poll_generation += 1;
    let generation = state.poll_generation;
    shared.changed.notify_all(); // a poll already waiting is now superseded
    confirm(&mut state, offset);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut waiting = false;
    let outcome = loop {
        if state.poll_generation != generation {
            break Err(error(409, TERMINATED));
        }
        let ready: Vec<Value> = state
            .updates
            .iter()
            .filter(|u| offset <= 0 || u["update_id"].as_i64().unwrap_or_default() >= offset)
            .filter(|u| allowed_kind(&state.allowed_updates, u))
            .take(limit)
            .cloned()
            .collect();
        let left = deadline.saturating_duration_since(Instant::now());
        if !ready.is_empty() || left.is_zero() || state.stopping {
            break ok(Value::Array(ready));
        }
        if !waiting {
            waiting = true;
            state.waiting_pollers += 1;
            shared.changed.notify_all();
        }
        state = shared
            .changed
            .wait_timeout(state, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    };
    if waiting {
        state.waiting_pollers -= 1;
    }
    outcome
}

/// Forgets the updates an offset confirms: below a positive offset, all but the last `-offset`
/// for a negative one.
fn confirm(state: &mut State, offset: i64) {
    if offset > 0 {
        state
            .updates
            .retain(|u| u["update_id"].as_i64().unwrap_or_default() >= offset);
        state.confirmed_offset = state.confirmed_offset.max(offset);
    } else if offset < 0 {
        let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
        while state.updates.len() > keep {
            state.updates.pop_front();
        }
        let first = state.updates.front().and_then(|u| u["update_id"].as_i64());
        let first = first.unwrap_or(state.next_update_id);
        state.confirmed_offset = state.confirmed_offset.max(first);
    }
}

/// Whether `allowed_updates` lets this update through: the listed kinds, or when empty every
/// kind but `chat_member`, `message_reaction` and `message_reaction_count`.
fn allowed_kind(allowed: &[String], update: &Value) -> bool {
    let kind = update
        .as_object()
        .and_then(|u| u.keys().find(|key| *key != "update_id"))
        .map_or("", String::as_str);
    if allowed.is_empty() {
        !matches!(
            kind,
            "chat_member" | "message_reaction" | "message_reaction_count"
        )
    } else {
        allowed.iter().any(|a| a == kind)
    }
}

fn send_message(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let chat_id = chat_id(params)?;
    let text = string(params, "text").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(bad_request("message text is empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(bad_request("message is too long"));
    }
    let reply_to = structured(params, "reply_parameters")
        .and_then(|r| r["message_id"].as_i64())
        .or(int(params, "reply_to_message_id")?);
    let mut state = lock(&shared.state);
    check_blocked(&state, chat_id)?;
    let message_id = state.next_message_id;
    state.next_message_id += 1;
    state.sent.push(SentMessage {
        chat_id,
        text: text.clone(),
        reply_to,
        parse_mode: string(params, "parse_mode"),
        message_id,
    });
    shared.changed.notify_all();
    ok(json!({
        "message_id": message_id,
        "from": {"id": shared.bot_id, "is_bot": true, "first_name": "Pincer Emu",
            "username": "pincer_emu_bot"},
        "chat": chat_json(chat_id),
        "date": now(),
        "text": text,
    }))
}

fn send_chat_action(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let chat_id = chat_id(params)?;
    let action = string(params, "action").unwrap_or_default();
    if action.is_empty() {
        return Err(bad_request("wrong parameter action in request"));
    }
    let mut state = lock(&shared.state);
    check_blocked(&state, chat_id)?;
    state.actions.push((chat_id, action));
    shared.changed.notify_all();
    ok(json!(true))
}

fn set_webhook(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let url = string(params, "url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(shared, params);
    }
    let secret = string(params, "secret_token");
    if let Some(secret) = &secret {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if secret.is_empty() || secret.len() > 256 || !secret.chars().all(allowed) {
            return Err(bad_request("secret token contains unallowed characters"));
        }
    }
    let mut state = lock(&shared.state);
    if boolean(params, "drop_pending_updates") {
        state.updates.clear();
    }
    state.webhook = Some((url, secret));
    ok_described(json!(true), "Webhook was set")
}

fn delete_webhook(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let mut state = lock(&shared.state);
    if boolean(params, "drop_pending_updates") {
        state.updates.clear();
    }
    match state.webhook.take() {
        Some(_) => ok_described(json!(true), "Webhook was deleted"),
        None => ok_described(json!(true), "Webhook is already deleted"),
    }
}
