//! `message`: send a text and/or a file of the workspace to a chat, through the channel (OpenClaw's
//! `message` tool, its `send` action only: what Pincer's channels can do).
//!
//! The chat is the current one (where the turn's message came from, [`ToolContext::origin`])
//! unless `channel` and `target` name another. Naming another chat is the dangerous part: a
//! session that reads strangers' text (a DM, a group) can be steered by it, and must not be made
//! to message arbitrary numbers (spam in the owner's name, or files of the workspace sent out).
//! So a named chat is allowed only to the unsandboxed main session, or when
//! `tools.message.allowTargets` lists it; every other session can only answer its own chat.
//!
//! The file goes through the file tools' rules: [`resolve_for`] (no `..`, no absolute path
//! outside the workspace, no symlink out, nothing behind the [`super::walls`]), opened through
//! [`super::guarded::Place`] (`O_NOFOLLOW`, checked on the descriptor, regular files only), and
//! its size checked against the limit of its kind ([`crate::sessions::outbound`]) before it is
//! read. The send goes through the channel's actor ([`ChatSender`]), so the channel's rate limit
//! and retries apply.

use std::io::Read as _;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::fs::blocking;
use super::workspace::{place, place_of, resolve_for, shown};
use super::{args, Tool, ToolContext};
use crate::config::tools::MessageTool;
use crate::providers::ToolSpec;
use crate::sessions::media::{ChatSender, OutboundFile};
use crate::sessions::outbound::{classify, too_large};

/// The sends of one call can wait at a throttled channel's gate: allow for it.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// `message`.
pub(crate) struct Message {
    /// `tools.message.allowTargets`, as `channel:id`.
    pub allow_targets: Vec<String>,
}

impl Message {
    pub(crate) fn new(config: &MessageTool) -> Self {
        Message {
            allow_targets: config.allow_targets.clone(),
        }
    }
}

/// Where a call sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub channel: String,
    pub to: String,
}

/// The chat a call sends to: the current one, or the one it names if this session may.
pub(crate) fn target(
    cx: &ToolContext,
    allow_targets: &[String],
    channel: Option<&str>,
    to: Option<&str>,
) -> Result<Target, String> {
    let origin = cx.origin.as_ref();
    let channel = channel
        .map(str::to_lowercase)
        .or_else(|| origin.map(|o| o.channel.clone()));
    let (channel, to) = match (channel, to) {
        (Some(channel), Some(to)) => (channel, to.trim().to_string()),
        (Some(channel), None) => match origin.filter(|o| o.channel == channel) {
            Some(origin) => (channel, origin.chat.clone()),
            None => return Err(format!("name the target chat on {channel}")),
        },
        (None, _) => {
            return Err(
                "this turn did not come from a chat: name the channel and the target".into(),
            )
        }
    };
    if to.is_empty() {
        return Err("the target is empty".into());
    }
    let current = origin.is_some_and(|o| o.channel == channel && o.chat == to);
    let listed = allow_targets
        .iter()
        .any(|entry| *entry == format!("{channel}:{to}"));
    let owner = cx.is_main && !cx.sandboxed;
    if !(current || listed || owner) {
        return Err(format!(
            "this session may only send to its own chat; {channel}:{to} is not in \
             tools.message.allowTargets"
        ));
    }
    Ok(Target { channel, to })
}

/// Reads the workspace file `path` as a file to send, within its kind's limit.
pub(crate) fn read_file(
    cx: &ToolContext,
    path: &str,
    voice: bool,
    caption: Option<String>,
) -> Result<impl FnOnce() -> Result<OutboundFile, String> + Send + 'static, String> {
    let full = resolve_for(cx, path)?;
    let shown_as = shown(&cx.workspace, &full);
    let (root, walls) = place_of(cx)?;
    let file_name = full
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{path:?} names no file"))?;
    let (kind, mime) = classify(&file_name, voice);
    Ok(move || {
        let file = place(&root, &walls).open_read(&full, &shown_as)?;
        let len = file
            .metadata()
            .map_err(|e| format!("{shown_as}: {e}"))?
            .len();
        if let Some(why) = too_large(kind, len) {
            return Err(format!("{shown_as}: {why}"));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(len + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{shown_as}: {e}"))?;
        if let Some(why) = too_large(kind, bytes.len() as u64) {
            return Err(format!("{shown_as}: {why} (it grew while read)"));
        }
        Ok(OutboundFile {
            kind,
            bytes: bytes.into(),
            file_name,
            mime: mime.to_string(),
            caption,
        })
    })
}

impl Tool for Message {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "message".into(),
            description: "Send a message and/or a file of the workspace to a chat: by default the \
                chat this conversation is in; another chat (channel and target) only where this \
                session is allowed to. Files go as what their extension says (image, audio, \
                video, document); asVoice sends an .ogg/.opus file as a voice note."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "action": { "type": "string", "enum": ["send"] },
                    "message": {
                        "type": "string",
                        "description": "Text to send; with a file and no caption, its caption"
                    },
                    "media": {
                        "type": "string",
                        "description": "Path of a workspace file to send (also filePath, path)"
                    },
                    "caption": { "type": "string" },
                    "asVoice": { "type": "boolean" },
                    "channel": {
                        "type": "string",
                        "description": "whatsapp or telegram; default: this chat's"
                    },
                    "target": {
                        "type": "string",
                        "description": "The chat: a WhatsApp number, a Telegram chat id; default: this chat (also to)"
                    }
                }
            }),
        }
    }

    fn call(
        &self,
        cx: &ToolContext,
        arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        let prepared = prepare(cx, &self.allow_targets, &arguments);
        Box::pin(async move {
            let (sender, target, text, file) = prepared?;
            let mut done = Vec::new();
            if let Some(text) = text {
                sender
                    .send_text(&target.channel, &target.to, text)
                    .await
                    .map_err(|e| e.to_string())?;
                done.push("the message".to_string());
            }
            if let Some(read) = file {
                let file = blocking(read).await?;
                let what = format!(
                    "{} {} ({} bytes)",
                    file.kind,
                    file.file_name,
                    file.bytes.len()
                );
                let sent = sender.send_file(&target.channel, &target.to, file).await;
                sent.map_err(|e| format!("{} (after {})", e, done_text(&done)))?;
                done.push(what);
            }
            Ok(format!(
                "sent {} to {} on {}",
                done.join(" and "),
                target.to,
                target.channel
            ))
        })
    }

    fn timeout(&self) -> std::time::Duration {
        TIMEOUT
    }
}

fn done_text(done: &[String]) -> String {
    if done.is_empty() {
        "nothing was sent".into()
    } else {
        format!("{} went out", done.join(" and "))
    }
}

type FileRead = Box<dyn FnOnce() -> Result<OutboundFile, String> + Send>;
type Prepared = (
    std::sync::Arc<dyn ChatSender>,
    Target,
    Option<String>,
    Option<FileRead>,
);

/// Everything a call needs that can be checked before anything is sent.
fn prepare(
    cx: &ToolContext,
    allow_targets: &[String],
    arguments: &Value,
) -> Result<Prepared, String> {
    match args::opt_string(arguments, "action")? {
        None | Some("send") => {}
        Some(other) => {
            return Err(format!(
                "unknown action {other:?}; only \"send\" is supported"
            ))
        }
    }
    let text = args::opt_string(arguments, "message")?.filter(|t| !t.trim().is_empty());
    let media = match args::opt_string(arguments, "media")? {
        Some(media) => Some(media),
        None => match args::opt_string(arguments, "filePath")? {
            Some(path) => Some(path),
            None => args::opt_string(arguments, "path")?,
        },
    };
    let caption = args::opt_string(arguments, "caption")?.filter(|c| !c.trim().is_empty());
    let to = match args::opt_string(arguments, "target")? {
        Some(to) => Some(to),
        None => args::opt_string(arguments, "to")?,
    };
    let target = target(
        cx,
        allow_targets,
        args::opt_string(arguments, "channel")?,
        to,
    )?;
    let Some(sender) = cx.chat.clone() else {
        return Err("no channel runs in this gateway".into());
    };
    let (text, file): (Option<String>, Option<FileRead>) = match (media, text) {
        (None, None) => return Err("give a message or a media file to send".into()),
        (None, Some(text)) => (Some(text.to_string()), None),
        (Some(path), text) => {
            let voice = args::opt_bool(arguments, "asVoice")?.unwrap_or(false);
            // A text and no caption: the text is the file's caption (one message, as OpenClaw).
            let (text, caption) = match (text, caption) {
                (Some(text), None) => (None, Some(text.to_string())),
                (text, caption) => (text.map(str::to_string), caption.map(str::to_string)),
            };
            let read = read_file(cx, path, voice, caption)?;
            (text, Some(Box::new(read)))
        }
    };
    Ok((sender, target, text, file))
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
