//! An emulator of the Telegram Bot API (wire-formats §2), for channel tests: `/bot<TOKEN>/<method>`
//! with parameters from a JSON body, a urlencoded form or the query string, long-polling
//! `getUpdates` that blocks until an update is queued (honouring `offset`, `limit`, `timeout`,
//! `allowed_updates`, and the 409 conflicts), `sendMessage` with the 4096-character limit,
//! `sendChatAction`, `getMe`, `setWebhook`/`deleteWebhook`/`getWebhookInfo`, `getFile` with the
//! file download at `/file/bot<TOKEN>/<file_path>` (files a test registers with
//! [`BotApi::add_file`]), `answerCallbackQuery` (recorded), and scripted 429, 409 and 403
//! (blocked) answers. Update builders for every message kind are in [`updates`].
//!
//! Usage:
//! ```ignore
//! let bot = BotApi::start("123456:ABC");
//! // configure the gateway with apiBaseUrl = bot.base_url() and the token ...
//! let update_id = bot.push_message(111, 111, "hello");
//! assert!(bot.wait_for_sent(1, Duration::from_secs(5)));
//! assert_eq!(bot.sent()[0].chat_id, 111);
//! assert_eq!(bot.confirmed_offset(), update_id + 1); // after the gateway's next poll
//! ```
//! In webhook mode the test plays Telegram itself: [`post_update`] with [`BotApi::update_json`].
//! The method implementations are in `telegram/methods.rs`.

mod files;
mod methods;
pub mod updates;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::client::request;
use super::connection::{serve_requests, Server};
use super::lock;

/// The longest message text `sendMessage` accepts, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 4096;

/// The first update id handed out.
pub const FIRST_UPDATE_ID: i64 = 900_000_001;

/// A message the bot sent (`sendMessage` answered with `ok: true`).
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub chat_id: i64,
    pub text: String,
    /// `reply_parameters.message_id` (or the legacy `reply_to_message_id`).
    pub reply_to: Option<i64>,
    pub parse_mode: Option<String>,
    /// The id the emulator gave the message.
    pub message_id: i64,
}

/// A file the bot sent (`sendPhoto`, `sendDocument`, `sendVoice`, ... answered `ok: true`).
#[derive(Debug, Clone)]
pub struct SentFile {
    pub chat_id: i64,
    /// The method as written in the path (`sendPhoto`).
    pub method: String,
    /// The multipart field that held the file (`photo`).
    pub field: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
    pub message_id: i64,
}

/// A method call with a valid token, as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method name as written in the path (any case).
    pub method: String,
}

#[derive(Default)]
struct State {
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    confirmed_offset: i64,
    offsets: Vec<i64>,
    /// Bumped by every getUpdates: a waiting poll whose number is no longer current was
    /// superseded and answers 409.
    poll_generation: u64,
    waiting_pollers: usize,
    allowed_updates: Vec<String>,
    sent: Vec<SentMessage>,
    /// Files sent (`methods/media_out.rs`).
    files: Vec<SentFile>,
    actions: Vec<(i64, String)>,
    calls: Vec<Call>,
    /// Calls left to refuse, `retry_after`, and the method (lower case) they are limited to.
    inject_429: Option<(usize, u64, Option<String>)>,
    inject_409: bool,
    blocked: HashSet<i64>,
    /// The webhook URL and secret token, while a webhook is set.
    webhook: Option<(String, Option<String>)>,
    stopping: bool,
    /// Files `getFile` knows, by `file_id`: their `file_path` and bytes.
    hosted: HashMap<String, (String, Vec<u8>)>,
    /// The `callback_query_id` of every `answerCallbackQuery`, in order.
    callback_answers: Vec<String>,
    /// The `file_path` of every file download, in order.
    downloads: Vec<String>,
}

struct Shared {
    token: String,
    bot_id: i64,
    state: Mutex<State>,
    changed: Condvar,
}

/// A running Bot API emulator; it stops accepting connections when dropped (and answers waiting
/// polls with no updates).
pub struct BotApi {
    shared: Arc<Shared>,
    server: Server,
}

impl BotApi {
    /// Starts an emulator for the bot `token` (`<bot id>:<secret>`, e.g. `123456:ABC`).
    pub fn start(token: &str) -> BotApi {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or(1);
        let state = State {
            next_update_id: FIRST_UPDATE_ID,
            next_message_id: 1,
            ..State::default()
        };
        let shared = Arc::new(Shared {
            token: token.to_string(),
            bot_id,
            state: Mutex::new(state),
            changed: Condvar::new(),
        });
        let connection = Arc::clone(&shared);
        let server = Server::start("telegram-emulator", move |stream| {
            serve_requests(stream, |request, out| {
                methods::answer(&connection, request, out)
            })
        });
        BotApi { shared, server }
    }

    /// The address the emulator listens on (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`: the API root (calls go to `<base_url>/bot<TOKEN>/<method>`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Queues a text message from user `from_id` in chat `chat_id` (private when positive) and
    /// returns its update id.
    pub fn push_message(&self, from_id: i64, chat_id: i64, text: &str) -> i64 {
        let mut state = lock(&self.shared.state);
        let message_id = state.next_message_id;
        state.next_message_id += 1;
        let update_id = state.next_update_id;
        let update = message_update(from_id, chat_id, text, update_id, message_id);
        self.queue(state, update)
    }

    /// Queues any update; an `update_id` is assigned unless it has one. Returns the update id.
    pub fn push_raw_update(&self, mut update: Value) -> i64 {
        let state = lock(&self.shared.state);
        if !update["update_id"].is_i64() {
            update["update_id"] = json!(state.next_update_id);
        }
        self.queue(state, update)
    }

    fn queue(&self, mut state: std::sync::MutexGuard<'_, State>, update: Value) -> i64 {
        let update_id = update["update_id"].as_i64().unwrap_or_default();
        state.next_update_id = state.next_update_id.max(update_id + 1);
        state.updates.push_back(update);
        self.shared.changed.notify_all();
        update_id
    }

    /// The next `n` calls (any method) answer 429 with `parameters.retry_after`.
    pub fn inject_429(&self, n: usize, retry_after_s: u64) {
        lock(&self.shared.state).inject_429 = Some((n, retry_after_s, None));
    }

    /// The next `n` calls of `method` (case-insensitive) answer 429 with `parameters.retry_after`.
    pub fn inject_429_for(&self, method: &str, n: usize, retry_after_s: u64) {
        lock(&self.shared.state).inject_429 =
            Some((n, retry_after_s, Some(method.to_ascii_lowercase())));
    }

    /// The next getUpdates answers 409 "terminated by other getUpdates request".
    pub fn inject_409_next(&self) {
        lock(&self.shared.state).inject_409 = true;
    }

    /// `sendMessage` and `sendChatAction` to this chat answer 403 (bot blocked by the user).
    pub fn block_chat(&self, chat_id: i64) {
        lock(&self.shared.state).blocked.insert(chat_id);
    }

    /// The messages sent, in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        lock(&self.shared.state).sent.clone()
    }

    /// The chat actions sent: chat id and action (`typing`), in order.
    /// The files the bot sent, in order.
    pub fn files(&self) -> Vec<SentFile> {
        lock(&self.shared.state).files.clone()
    }

    /// Waits until the bot sent `n` files.
    pub fn wait_for_files(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.files.len() >= n)
    }

    pub fn chat_actions(&self) -> Vec<(i64, String)> {
        lock(&self.shared.state).actions.clone()
    }

    /// Every call with the right token, in order (refused ones included).
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.state).calls.clone()
    }

    /// The `offset` of every getUpdates call (0 when omitted), in order.
    pub fn get_updates_offsets(&self) -> Vec<i64> {
        lock(&self.shared.state).offsets.clone()
    }

    /// Updates queued and not yet confirmed by a higher offset.
    pub fn pending_updates(&self) -> usize {
        lock(&self.shared.state).updates.len()
    }

    /// The highest offset confirmed so far (0 before any): updates below it are gone.
    pub fn confirmed_offset(&self) -> i64 {
        lock(&self.shared.state).confirmed_offset
    }

    /// The `callback_query_id`s answered with `answerCallbackQuery`, in order.
    pub fn callback_answers(&self) -> Vec<String> {
        lock(&self.shared.state).callback_answers.clone()
    }

    /// Waits until at least `n` callback queries were answered; false on timeout.
    pub fn wait_for_callback_answers(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.callback_answers.len() >= n)
    }

    /// The webhook URL and secret token, while a webhook is set.
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        lock(&self.shared.state).webhook.clone()
    }

    /// Waits until at least `n` messages were sent; false on timeout.
    pub fn wait_for_sent(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.sent.len() >= n)
    }

    /// Waits until a getUpdates call is blocked waiting for updates; false on timeout.
    pub fn wait_for_poller(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.waiting_pollers > 0)
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let state = lock(&self.shared.state);
        let (state, _) = self
            .shared
            .changed
            .wait_timeout_while(state, timeout, |state| !done(state))
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        done(&state)
    }

    /// A private-chat (or group, for a negative `chat_id`) text-message update, as Telegram
    /// sends it (wire-formats §2.2), for webhook tests.
    pub fn update_json(from_id: i64, chat_id: i64, text: &str, update_id: i64) -> Value {
        let message_id = update_id.rem_euclid(1_000_000).max(1);
        message_update(from_id, chat_id, text, update_id, message_id)
    }
}

impl Drop for BotApi {
    fn drop(&mut self) {
        lock(&self.shared.state).stopping = true;
        self.shared.changed.notify_all();
    }
}

/// Unix seconds now.
fn now() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_secs()).unwrap_or_default()
}

/// The `chat` object for a chat id: private when positive, a supergroup for `-100…` ids, else
/// a group.
fn chat_json(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({"id": chat_id, "first_name": format!("User {chat_id}"),
            "username": format!("user{chat_id}"), "type": "private"})
    } else if chat_id <= -1_000_000_000_000 {
        json!({"id": chat_id, "title": format!("Supergroup {chat_id}"), "type": "supergroup"})
    } else {
        json!({"id": chat_id, "title": format!("Group {chat_id}"), "type": "group"})
    }
}

fn message_update(
    from_id: i64,
    chat_id: i64,
    text: &str,
    update_id: i64,
    message_id: i64,
) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "from": {"id": from_id, "is_bot": false, "first_name": format!("User {from_id}"),
            "username": format!("user{from_id}"), "language_code": "en"},
        "chat": chat_json(chat_id),
        "date": now(),
        "text": text,
    });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        let length = command.encode_utf16().count(); // entity lengths are UTF-16 code units
        message["entities"] = json!([{"offset": 0, "length": length, "type": "bot_command"}]);
    }
    json!({"update_id": update_id, "message": message})
}

/// POSTs one update to a gateway as Telegram's webhook delivery does, with
/// `X-Telegram-Bot-Api-Secret-Token: <secret>` when given; returns the status and body.
pub fn post_update(
    addr: SocketAddr,
    path: &str,
    update: &Value,
    secret: Option<&str>,
) -> (u16, String) {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(secret) = secret {
        headers.push(("X-Telegram-Bot-Api-Secret-Token", secret));
    }
    let body = update.to_string();
    request(addr, "POST", path, &headers, Some(body.as_bytes()))
}
