//! The send endpoint of the Graph emulator: routing, the bearer check, validation of text sends
//! and mark-read requests, scripted failures, the Graph error objects (wire-formats §1.6), and
//! the `failed` status webhook posted after a send.

use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use serde_json::{json, Value};

use super::super::client::split_url;
use super::super::connection::{write_status, Request};
use super::super::lock;
use super::{
    media_out, sign, status_webhook, try_post_webhook, FailedSend, Failure, Sent, Shared, State,
    WebhookTarget, MAX_TEXT_CHARS,
};

/// A status webhook to post once the reply is written.
enum FollowUp {
    /// `failed` (131047) to this target: message id, recipient.
    Failed(WebhookTarget, String, String),
    /// `sent`, retried until delivered: message id, recipient, callback data.
    Sent(String, String, Option<String>),
}

/// Answers one request (after the configured latency), then starts its follow-up post, if any.
pub(super) fn answer(
    shared: &Arc<Shared>,
    request: &Request,
    out: &mut TcpStream,
) -> std::io::Result<bool> {
    if let Some(answered) = super::media::answer(shared, request, out) {
        return answered;
    }
    let (status, body, follow_up) = respond(shared, request);
    let latency = lock(&shared.state).latency;
    if !latency.is_zero() {
        thread::sleep(latency);
    }
    write_status(out, status, &body.to_string(), None)?;
    if let Some(follow_up) = follow_up {
        let shared = Arc::clone(shared);
        let _ = thread::Builder::new()
            .name("graph-status-webhook".into())
            .spawn(move || match follow_up {
                FollowUp::Failed(target, id, to) => post_failed(&shared, &target, &id, &to),
                FollowUp::Sent(id, to, callback) => post_sent(&shared, &id, &to, callback),
            });
    }
    Ok(true)
}

/// Posts the signed `failed` status for message `id` and records the gateway's answer.
fn post_failed(shared: &Shared, target: &WebhookTarget, id: &str, to: &str) {
    let body = status_webhook(&target.phone_number_id, id, to, "failed", Some(131047));
    let signature = sign(&body, &target.app_secret);
    let (addr, path) = split_url(&target.url);
    let status = try_post_webhook(addr, &path, &body, Some(&signature)).map_or(0, |(s, _)| s);
    lock(&shared.state)
        .status_posts
        .push((id.to_string(), status));
    shared.changed.notify_all();
}

/// Posts the signed `sent` status for message `id` until the current target answers 200.
fn post_sent(shared: &Shared, id: &str, to: &str, callback: Option<String>) {
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    while Instant::now() < deadline {
        let target = lock(&shared.state).webhook.clone();
        if let Some(target) = target {
            let mut value = super::status_value(&target.phone_number_id, id, to, "sent", None);
            if let Some(callback) = &callback {
                value["statuses"][0]["biz_opaque_callback_data"] = json!(callback);
            }
            let body = super::multi_webhook(&[vec![value]]);
            let signature = sign(&body, &target.app_secret);
            let (addr, path) = split_url(&target.url);
            let status =
                try_post_webhook(addr, &path, &body, Some(&signature)).map_or(0, |(s, _)| s);
            if status == 200 {
                lock(&shared.state)
                    .status_posts
                    .push((id.to_string(), status));
                shared.changed.notify_all();
                return;
            }
        }
        thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The status and JSON body for one request, and the status webhook to post afterwards.
fn respond(shared: &Shared, request: &Request) -> (u16, Value, Option<FollowUp>) {
    let mut state = lock(&shared.state);
    state.next_trace += 1;
    let trace = format!("AEmuTrace{}", state.next_trace);
    let segments: Vec<&str> = request.route().trim_start_matches('/').split('/').collect();
    let (version, phone_number_id) = match segments[..] {
        [version, phone, "messages"] if request.method == "POST" && version.starts_with('v') => {
            (version.to_string(), phone.to_string())
        }
        [version, _, "media"] if request.method == "POST" && version.starts_with('v') => {
            return upload(shared, &mut state, request, &trace);
        }
        _ => {
            let message = format!("Unknown path components: {}", request.route());
            return (400, graph_error(2500, &message, None, &trace), None);
        }
    };
    let body: Option<Value> = serde_json::from_slice(&request.body).ok();
    let is_read = body.as_ref().is_some_and(|b| b["status"] == "read");
    if !is_read {
        state.attempts += 1;
    }
    let bearer = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(shared.token.as_str()) {
        let error = json!({"error": {"message": "Error validating access token",
            "type": "OAuthException", "code": 190, "fbtrace_id": trace}});
        return (401, error, None);
    }
    let Some(body) = body.filter(Value::is_object) else {
        let details = "The request body is not a valid JSON object.";
        return (400, invalid_parameter(details, &trace), None);
    };
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    let text = body["text"]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let refuse = |state: &mut State, code: u32, http_status: u16, error: Value| {
        state.failed.push(FailedSend { code });
        shared.changed.notify_all();
        (http_status, error, None)
    };
    match media_out::message(&state, &body) {
        Some(Ok(sent)) => return media_sent(shared, &mut state, sent),
        Some(Err(details)) => {
            return refuse(&mut state, 100, 400, invalid_parameter(&details, &trace))
        }
        None => {}
    }
    if let Some(details) = invalid(&body) {
        return refuse(&mut state, 100, 400, invalid_parameter(details, &trace));
    }
    if is_read {
        let id = field("message_id");
        if body["typing_indicator"]["type"] == "text" {
            state.typing.push(id.clone());
        }
        state.reads.push(id);
        shared.changed.notify_all();
        return (200, json!({"success": true}), None);
    }
    let by_user_id = field("to").is_empty();
    let to = if by_user_id {
        field("recipient")
    } else {
        field("to")
    };
    if let Some(Failure { code, http_status }) = scripted_failure(&mut state, &to) {
        let (title, details) = error_text(code);
        let message = format!("(#{code}) {title}");
        let error = graph_error(code, &message, Some(details), &trace);
        return refuse(&mut state, code, http_status, error);
    }
    state.next_message += 1;
    let id = format!("wamid.EMU{}", state.next_message);
    if let Some(hook) = lock(&shared.on_send).as_ref() {
        hook(body["context"]["message_id"].as_str(), Instant::now());
    }
    state.sends.push(Sent {
        version,
        phone_number_id,
        to: to.clone(),
        by_user_id,
        recipient_type: body["recipient_type"]
            .as_str()
            .unwrap_or("individual")
            .to_string(),
        body: text,
        context: body["context"]["message_id"].as_str().map(str::to_string),
        id: id.clone(),
    });
    shared.changed.notify_all();
    let follow_up = match (&state.webhook, state.post_failed_status) {
        (Some(target), true) => Some(FollowUp::Failed(target.clone(), id.clone(), to.clone())),
        _ if state.post_sent_status => Some(FollowUp::Sent(
            id.clone(),
            to.clone(),
            body["biz_opaque_callback_data"]
                .as_str()
                .map(str::to_string),
        )),
        _ => None,
    };
    let contact = if by_user_id {
        json!({"input": to, "user_id": to})
    } else {
        let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
        json!({"input": to, "wa_id": wa_id})
    };
    let reply = json!({"messaging_product": "whatsapp",
        "contacts": [contact], "messages": [{"id": id}]});
    (200, reply, follow_up)
}

/// Answers a media upload (after the bearer check, as every Graph call).
fn upload(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    trace: &str,
) -> (u16, Value, Option<FollowUp>) {
    let bearer = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(shared.token.as_str()) {
        let error = json!({"error": {"message": "Error validating access token",
            "type": "OAuthException", "code": 190, "fbtrace_id": trace}});
        return (401, error, None);
    }
    match media_out::upload(shared, state, request) {
        Ok(body) => (200, body, None),
        Err(details) => (400, invalid_parameter(&details, trace), None),
    }
}

/// Records an accepted media message and answers as a text send is answered.
fn media_sent(
    shared: &Shared,
    state: &mut State,
    mut sent: media_out::MediaSent,
) -> (u16, Value, Option<FollowUp>) {
    state.next_message += 1;
    sent.id = format!("wamid.EMU{}", state.next_message);
    let reply = json!({"messaging_product": "whatsapp",
        "contacts": [{"input": sent.to, "wa_id": sent.to}], "messages": [{"id": sent.id}]});
    state.media_sent.push(sent);
    shared.changed.notify_all();
    (200, reply, None)
}

/// Why the real API would refuse this send or mark-read request (the `details` text).
fn invalid(body: &Value) -> Option<&'static str> {
    match body["messaging_product"].as_str() {
        None => return Some("The parameter messaging_product is required."),
        Some("whatsapp") => {}
        Some(_) => return Some("Param messaging_product must be one of {WHATSAPP}."),
    }
    if body["status"] == "read" {
        return match body["message_id"].as_str() {
            Some(id) if !id.is_empty() => None,
            _ => Some("The parameter message_id is required."),
        };
    }
    if !matches!(body["type"].as_str(), None | Some("text")) {
        return Some("The emulator only accepts messages of type text.");
    }
    // `recipient` (a business-scoped user id) stands in for `to` (a phone number or group id).
    let to = body["to"].as_str().or(body["recipient"].as_str());
    if to.is_none_or(str::is_empty) {
        return Some("The parameter to is required.");
    }
    match body["text"]["body"].as_str() {
        None => Some("The parameter text['body'] is required."),
        Some(text) if text.chars().count() > MAX_TEXT_CHARS => {
            Some("Param text['body'] must be at most 4096 characters long.")
        }
        Some(_) => None,
    }
}

/// The scripted failure for a send to `to`, if any (consuming it): recipient scripts first,
/// then `fail_next`, then `fail_for`.
fn scripted_failure(state: &mut State, to: &str) -> Option<Failure> {
    if let Some((left, failure)) = state.fail_recipients.get_mut(to) {
        if *left > 0 {
            *left -= 1;
            return Some(*failure);
        }
    }
    if let Some((left, failure)) = &mut state.fail_next {
        if *left > 0 {
            *left -= 1;
            return Some(*failure);
        }
    }
    match state.fail_until {
        Some((until, failure)) if Instant::now() < until => Some(failure),
        _ => None,
    }
}

/// A Graph error object (wire-formats §1.6).
fn graph_error(code: u32, message: &str, details: Option<&str>, trace: &str) -> Value {
    let mut error = json!({"message": message, "type": "OAuthException", "code": code});
    if let Some(details) = details {
        error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
    }
    error["fbtrace_id"] = json!(trace);
    json!({ "error": error })
}

fn invalid_parameter(details: &str, trace: &str) -> Value {
    graph_error(100, "(#100) Invalid parameter", Some(details), trace)
}

/// The title and details text of a WhatsApp error code (used in send errors and statuses).
pub fn error_text(code: u32) -> (&'static str, &'static str) {
    match code {
        0 | 190 => ("Authentication Error", "Error validating access token."),
        1 => ("An unknown error occurred", "Unknown error."),
        2 => ("Service temporarily unavailable", "Service temporarily unavailable."),
        4 => ("Application request limit reached", "Too many API calls from this app."),
        10 | 200..=299 => ("Permission denied", "Permission is not granted."),
        100 => ("Invalid parameter", "Invalid parameter."),
        368 => ("Temporarily blocked for policies violations", "Temporarily blocked."),
        80007 => ("Rate limit issues", "The WhatsApp Business Account reached its rate limit."),
        130429 => ("Rate limit hit", "Message failed to send because there were too many messages sent from this phone number in a short period of time"),
        131000 => ("Something went wrong", "Message failed to send due to an unknown error."),
        131026 => ("Message undeliverable", "Message undeliverable."),
        131031 => ("Account has been locked", "The business account is locked."),
        131047 => ("Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
        131048 => ("Spam rate limit hit", "Message failed to send because there are restrictions on how many messages can be sent from this phone number."),
        131051 => ("Unsupported message type", "Unsupported message type."),
        131056 => ("(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."),
        _ => ("Error", "The emulator was scripted to fail."),
    }
}
