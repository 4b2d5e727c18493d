//! An emulator of the WhatsApp Business Cloud API (Meta Graph API) send endpoint, for channel
//! tests: `POST /{version}/{phone_number_id}/messages` with a bearer token, text sends and mark-read
//! requests validated and answered as the real API does (wire-formats §1.4–1.6), scripted Graph
//! errors, latency, and optionally a signed `failed` (131047) status webhook posted back to the
//! gateway after each successful send, as Meta reports re-engagement failures.
//!
//! Usage:
//! ```ignore
//! let graph = GraphApi::start("EAAtoken");
//! graph.fail_next(1, 130429, 400);
//! // configure the gateway with apiBaseUrl = graph.base_url(), apiVersion = "v21.0" ...
//! assert!(graph.wait_for_sends(1, Duration::from_secs(5)));
//! let body = graph::text_webhook("106540352242922", &[("16505551234", "wamid.A", "hi")]);
//! graph::post_webhook(gateway.addr, "/whatsapp/webhook", &body, Some(&graph::sign(&body, "secret")));
//! ```
//! Layout: this file is the public API; `graph/endpoint.rs` answers the send endpoint;
//! `graph/media.rs` the media lookup and download, `graph/media_out.rs` uploads and media sends; `graph/webhooks.rs` is the webhook side (what
//! Meta posts to a gateway: signatures, payloads, the GET handshake) and `graph/kinds.rs` its
//! builders of every inbound message kind, re-exported here.

mod endpoint;
mod kinds;
mod media;
mod media_out;
mod webhooks;

pub use media_out::{MediaSent, Upload};

pub use media::MediaInfo;

/// Builders of every inbound message kind (`graph::kinds::button_reply(..)`, ...).
#[allow(unused_imports)] // each test binary uses a subset
pub use kinds::{kinds_value, kinds_webhook, messages_value, raw_webhook, Kind};

/// The kind builders, by name: `graph::kind::location(..)`.
pub mod kind {
    #[allow(unused_imports)]
    pub use super::kinds::{
        button_reply, changed_number, contacts, edit, flow_reply, list_reply, location, media,
        message, order, quick_reply, reaction, revoke, text, unsupported, voice,
    };
}

#[allow(unused_imports)] // each test binary uses a subset
pub use webhooks::{
    encode, hmac_sha256, media_value, media_webhook, multi_webhook, post_webhook, sign,
    status_value, status_webhook, text_value, text_webhook, try_post_webhook, verify_request,
    DISPLAY_PHONE_NUMBER, WABA_ID,
};

pub use endpoint::error_text;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::client::split_url;
use super::connection::{serve_requests, Server};
use super::lock;

/// The longest text body the API accepts, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 4096;

/// A text message the emulator accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The API version segment of the path (`v21.0`).
    pub version: String,
    pub phone_number_id: String,
    /// `to`, or `recipient` when the send addressed a business-scoped user id.
    pub to: String,
    /// Addressed with `recipient` (a business-scoped user id) rather than `to`.
    pub by_user_id: bool,
    /// `individual` (the default) or `group` (Groups API: `to` is a group id).
    pub recipient_type: String,
    pub body: String,
    /// The quoted inbound message (`context.message_id`), if any.
    pub context: Option<String>,
    /// The `wamid.EMU<n>` id the emulator answered with.
    pub id: String,
}

/// A text send the emulator refused (scripted failure or validation error).
#[derive(Debug, Clone)]
pub struct FailedSend {
    /// The Graph error code answered.
    pub code: u32,
}

/// A scripted failure: the Graph error code and the HTTP status to answer with.
#[derive(Debug, Clone, Copy)]
struct Failure {
    code: u32,
    http_status: u16,
}

/// Where the `failed` status webhooks go.
#[derive(Debug, Clone)]
struct WebhookTarget {
    url: String,
    app_secret: String,
    phone_number_id: String,
}

#[derive(Default)]
struct State {
    sends: Vec<Sent>,
    failed: Vec<FailedSend>,
    reads: Vec<String>,
    typing: Vec<String>,
    attempts: usize,
    status_posts: Vec<(String, u16)>,
    next_message: u64,
    next_trace: u64,
    fail_next: Option<(usize, Failure)>,
    fail_until: Option<(Instant, Failure)>,
    fail_recipients: HashMap<String, (usize, Failure)>,
    latency: Duration,
    post_failed_status: bool,
    post_sent_status: bool,
    webhook: Option<WebhookTarget>,
    /// Outbound media (`media_out.rs`).
    uploads: Vec<Upload>,
    media_sent: Vec<MediaSent>,
    next_media: u64,
    media: HashMap<String, media::StoredMedia>,
    media_lookups: Vec<String>,
    media_downloads: Vec<String>,
    /// Downloads hang (after being recorded) while this is set: a crash mid-download.
    stall_downloads: bool,
}

/// Called for every successful send with the quoted message id (if any) and when it arrived.
pub type SendHook = Arc<dyn Fn(Option<&str>, Instant) + Send + Sync>;

struct Shared {
    token: String,
    state: Mutex<State>,
    changed: Condvar,
    on_send: Mutex<Option<SendHook>>,
}

/// A running Graph API emulator; it stops accepting connections when dropped.
pub struct GraphApi {
    shared: Arc<Shared>,
    server: Server,
}

impl GraphApi {
    /// Starts an emulator that accepts `Authorization: Bearer <access_token>`.
    pub fn start(access_token: &str) -> GraphApi {
        let shared = Arc::new(Shared {
            token: access_token.to_string(),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            on_send: Mutex::new(None),
        });
        let connection = Arc::clone(&shared);
        let server = Server::start("graph-emulator", move |stream| {
            serve_requests(stream, |request, out| {
                endpoint::answer(&connection, request, out)
            })
        });
        GraphApi { shared, server }
    }

    /// The address the emulator listens on (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`: the gateway's `apiBaseUrl` (the version is a separate setting).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// The next `n` text sends fail with Graph error `code` and HTTP `http_status`.
    pub fn fail_next(&self, n: usize, code: u32, http_status: u16) {
        lock(&self.shared.state).fail_next = Some((n, Failure { code, http_status }));
    }

    /// Every text send fails with `code` / `http_status` for `duration` from now.
    pub fn fail_for(&self, duration: Duration, code: u32, http_status: u16) {
        let failure = Failure { code, http_status };
        lock(&self.shared.state).fail_until = Some((Instant::now() + duration, failure));
    }

    /// The next `n` text sends to `to` fail (sends to other recipients are unaffected).
    pub fn fail_recipient(&self, to: &str, n: usize, code: u32, http_status: u16) {
        let failure = Failure { code, http_status };
        lock(&self.shared.state)
            .fail_recipients
            .insert(to.to_string(), (n, failure));
    }

    /// After each successful send, post a signed `failed` status (error 131047) for the new
    /// message id to the webhook target (see [`GraphApi::set_webhook_target`]), on a thread.
    /// Calls `hook` for every successful send (benchmarks route replies to their senders with
    /// it, without scanning the list of sends).
    pub fn on_send(&self, hook: SendHook) {
        *lock(&self.shared.on_send) = Some(hook);
    }

    pub fn post_failed_status(&self, enabled: bool) {
        lock(&self.shared.state).post_failed_status = enabled;
    }

    /// After each successful send, post a signed `sent` status (with the send's
    /// `biz_opaque_callback_data`) to the webhook target, as Meta does: retried every 100 ms
    /// until the gateway answers 200 (for up to 2 minutes), each time to the target set then, so
    /// a test can point it at a restarted gateway.
    pub fn post_sent_status(&self, enabled: bool) {
        lock(&self.shared.state).post_sent_status = enabled;
    }

    /// Where status webhooks go: the gateway's webhook URL (`http://127.0.0.1:P/path`), the app
    /// secret they are signed with, and the `metadata.phone_number_id` they carry.
    /// Panics at once on a URL that is not `http://host:port/...`.
    pub fn set_webhook_target(&self, url: &str, app_secret: &str, phone_number_id: &str) {
        split_url(url);
        lock(&self.shared.state).webhook = Some(WebhookTarget {
            url: url.to_string(),
            app_secret: app_secret.to_string(),
            phone_number_id: phone_number_id.to_string(),
        });
    }

    /// Registers a file under media id `id`: `GET /{version}/{id}` finds it and its download
    /// URL serves `bytes` (both with the bearer token only). Returns what a webhook refers to it
    /// by (the SHA-256 in base64, as webhooks carry it).
    pub fn add_media(&self, id: &str, mime: &str, bytes: &[u8]) -> MediaInfo {
        let stored = media::StoredMedia {
            mime: mime.to_string(),
            bytes: bytes.to_vec(),
        };
        lock(&self.shared.state)
            .media
            .insert(id.to_string(), stored);
        MediaInfo::of(id, mime, bytes)
    }

    /// The media ids looked up with a good token, in order.
    pub fn media_lookups(&self) -> Vec<String> {
        lock(&self.shared.state).media_lookups.clone()
    }

    /// While `on`, a media download is recorded and then hangs without a byte until it is
    /// turned off (a gateway killed mid-download never gets its file).
    pub fn stall_downloads(&self, on: bool) {
        lock(&self.shared.state).stall_downloads = on;
        self.shared.changed.notify_all();
    }

    /// The media ids whose bytes were downloaded (or whose download began, while stalled), in
    /// order.
    pub fn media_downloads(&self) -> Vec<String> {
        lock(&self.shared.state).media_downloads.clone()
    }

    /// A delay before every reply.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.state).latency = latency;
    }

    /// The accepted text sends, in order.
    pub fn sends(&self) -> Vec<Sent> {
        lock(&self.shared.state).sends.clone()
    }

    /// How many accepted sends quoted each inbound wamid (`context.message_id`).
    pub fn sends_by_context(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for sent in &lock(&self.shared.state).sends {
            if let Some(context) = &sent.context {
                *counts.entry(context.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// How many accepted replies carry each inbound text, counted by content: the model
    /// emulator answers `echo: <the turn's user message>`, and a turn that collected several
    /// messages joins their texts with a blank line, so each `\n\n`-separated piece of an echo
    /// is one inbound message answered. Counting quoted ids cannot see a message answered inside
    /// another message's turn and again in its own; this can. Replies that are not echoes
    /// (apologies, pairing codes, scripted answers) count nothing.
    pub fn echoed_texts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for sent in &lock(&self.shared.state).sends {
            let Some(echoed) = sent.body.strip_prefix("echo: ") else {
                continue;
            };
            for piece in echoed.split("\n\n") {
                *counts.entry(piece.to_string()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// The refused text sends (scripted failures and validation errors), in order.
    pub fn failed(&self) -> Vec<FailedSend> {
        lock(&self.shared.state).failed.clone()
    }

    /// The message ids marked read, in order.
    pub fn reads(&self) -> Vec<String> {
        lock(&self.shared.state).reads.clone()
    }

    /// The message ids whose mark-read asked for a typing indicator.
    pub fn typing_indicators(&self) -> Vec<String> {
        lock(&self.shared.state).typing.clone()
    }

    /// Every send attempt: each POST to a messages path except mark-read requests, whatever
    /// its outcome (401, validation error, scripted failure or success).
    pub fn attempts(&self) -> usize {
        lock(&self.shared.state).attempts
    }

    /// The `failed` status webhooks posted so far: message id and the gateway's HTTP status
    /// (0 when the post itself failed).
    pub fn status_posts(&self) -> Vec<(String, u16)> {
        lock(&self.shared.state).status_posts.clone()
    }

    /// Waits until at least `n` sends were accepted; false on timeout.
    pub fn wait_for_sends(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.sends.len() >= n)
    }

    /// Waits until at least `n` status webhooks were posted (and answered); false on timeout.
    pub fn wait_for_status_posts(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.status_posts.len() >= n)
    }

    /// Forgets the records (sends, failures, reads, attempts, status posts) and the scripted
    /// failures; the latency, webhook target and message id counter stay.
    pub fn clear(&self) {
        let mut state = lock(&self.shared.state);
        state.sends.clear();
        state.failed.clear();
        state.reads.clear();
        state.typing.clear();
        state.attempts = 0;
        state.status_posts.clear();
        state.fail_next = None;
        state.fail_until = None;
        state.fail_recipients.clear();
    }

    /// The files uploaded to `/media`, in order.
    pub fn uploads(&self) -> Vec<Upload> {
        lock(&self.shared.state).uploads.clone()
    }

    /// The media messages accepted, in order.
    pub fn media_sends(&self) -> Vec<MediaSent> {
        lock(&self.shared.state).media_sent.clone()
    }

    /// Waits until `n` media messages were accepted.
    pub fn wait_for_media_sends(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.media_sent.len() >= n)
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
}
