//! The Telegram emulator's file sends: `sendPhoto`, `sendDocument`, `sendVoice`, `sendAudio`,
//! `sendVideo` and `sendSticker`, read from `multipart/form-data` (the file in the part named
//! after the method's field, `chat_id` and `caption` beside it) and recorded as
//! [`SentFile`]s. Refused as the Bot API refuses: no file, a caption over 1024 characters, a
//! photo over 10 MB or another file over 50 MB (the limits of uploads by bots).

use serde_json::{json, Value};

use super::super::super::connection::Request;
use super::super::super::lock;
use super::super::super::multipart;
use super::super::{chat_json, now, SentFile, Shared};
use super::{bad_request, chat_id, check_blocked, ok, ApiError, Params};

/// The methods and the name of their file field (lower-case method names).
pub(super) const FILE_METHODS: &[(&str, &str)] = &[
    ("sendphoto", "photo"),
    ("senddocument", "document"),
    ("sendvoice", "voice"),
    ("sendaudio", "audio"),
    ("sendvideo", "video"),
    ("sendsticker", "sticker"),
];

const MAX_CAPTION_CHARS: usize = 1024;

/// The text parts of a multipart body, as parameters.
pub(super) fn form_params(request: &Request, params: &mut Params) -> Result<(), ApiError> {
    let content_type = request.header("content-type").unwrap_or_default();
    let parts = multipart::parse(content_type, &request.body)
        .ok_or_else(|| bad_request("can't parse multipart/form-data"))?;
    for part in parts.iter().filter(|part| part.file_name.is_none()) {
        let value = String::from_utf8_lossy(&part.data).into_owned();
        params.insert(part.name.clone(), Value::String(value));
    }
    Ok(())
}

/// Answers one of [`FILE_METHODS`].
pub(super) fn send_file(
    shared: &Shared,
    method: &str,
    field: &str,
    params: &Params,
    request: &Request,
) -> Result<Value, ApiError> {
    let chat_id = chat_id(params)?;
    let content_type = request.header("content-type").unwrap_or_default();
    let parts = multipart::parse(content_type, &request.body).unwrap_or_default();
    let file = parts
        .iter()
        .find(|part| part.name == field && part.file_name.is_some())
        .ok_or_else(|| bad_request(&format!("there is no {field} in the request")))?;
    let limit = if field == "photo" { 10 } else { 50 } * 1024 * 1024;
    if file.data.len() > limit {
        return Err(ApiError {
            code: 413,
            description: "Request Entity Too Large".into(),
            retry_after: None,
        });
    }
    let caption = super::string(params, "caption");
    if caption
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS)
    {
        return Err(bad_request("message caption is too long"));
    }
    let mut state = lock(&shared.state);
    check_blocked(&state, chat_id)?;
    let message_id = state.next_message_id;
    state.next_message_id += 1;
    state.files.push(SentFile {
        chat_id,
        method: method.to_string(),
        field: field.to_string(),
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        bytes: file.data.clone(),
        caption: caption.clone(),
        message_id,
    });
    shared.changed.notify_all();
    let mut message = json!({
        "message_id": message_id,
        "from": {"id": shared.bot_id, "is_bot": true, "first_name": "Pincer Emu",
            "username": "pincer_emu_bot"},
        "chat": chat_json(chat_id),
        "date": now(),
    });
    message[field] = json!({"file_id": format!("EMU-{message_id}"),
        "file_unique_id": format!("U{message_id}"), "file_size": file.data.len()});
    if let Some(caption) = caption {
        message["caption"] = json!(caption);
    }
    ok(message)
}
