//! Helpers for channel tests: a gateway whose WhatsApp / Telegram channels point at the
//! emulators, signed webhooks, and reading the channel figures.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Gateway;
use pincer_emulators::graph::{self, GraphApi};
use pincer_emulators::telegram::BotApi;
use pincer_emulators::Emulator;

pub const PNID: &str = "106540352242922";
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const WA_TOKEN: &str = "EAAtesttoken";
pub const BOT_TOKEN: &str = "123456:TEST-token";

/// The `channels.whatsapp` block for `graph` (`extra` is spliced in, e.g. `, textChunkLimit: 50`).
pub fn whatsapp(graph: &GraphApi, policy: &str, allow: &str, extra: &str) -> String {
    format!(
        "whatsapp: {{ enabled: true, phoneNumberId: '{PNID}', accessToken: '{WA_TOKEN}', \
         appSecret: '{APP_SECRET}', verifyToken: '{VERIFY_TOKEN}', apiBaseUrl: '{}', \
         apiVersion: 'v21.0', dmPolicy: '{policy}', allowFrom: [{allow}], sendsPerSecond: 1000 {extra} }}",
        graph.base_url()
    )
}

/// The `channels.telegram` block for `bot`.
pub fn telegram(bot: &BotApi, policy: &str, allow: &str, extra: &str) -> String {
    format!(
        "telegram: {{ enabled: true, botToken: '{BOT_TOKEN}', apiBaseUrl: '{}', \
         dmPolicy: '{policy}', allowFrom: [{allow}], pollTimeoutSeconds: 2, sendsPerSecond: 1000 {extra} }}",
        bot.base_url()
    )
}

/// A gateway answering with `provider` (an OpenAI emulator) and the given channel blocks.
pub fn gateway(provider: &Emulator, channels: &[String]) -> Gateway {
    Gateway::start(Some(&config(provider, channels)))
}

/// The config text of [`gateway`].
pub fn config(provider: &Emulator, channels: &[String]) -> String {
    format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           channels: {{ {} }} }}",
        provider.base_url(),
        channels.join(", ")
    )
}

/// POSTs a signed WhatsApp webhook with one text message; the HTTP status.
pub fn post_text(gateway: &Gateway, from: &str, wamid: &str, text: &str) -> u16 {
    let body = graph::text_webhook(PNID, &[(from, wamid, text)]);
    post_signed(gateway, &body)
}

/// POSTs `body` signed with the app secret.
pub fn post_signed(gateway: &Gateway, body: &[u8]) -> u16 {
    let signature = graph::sign(body, APP_SECRET);
    graph::post_webhook(gateway.addr, "/webhooks/whatsapp", body, Some(&signature)).0
}

/// `GET /admin/channels`.
pub fn channel_status(gateway: &Gateway) -> Value {
    let response = gateway.get_authed("/admin/channels");
    assert_eq!(response.status, 200, "{}", response.text);
    response.body
}

/// Waits until `check` holds for the channel figures, or panics with them.
pub fn wait_for_status(gateway: &Gateway, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = channel_status(gateway);
        if check(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; figures: {status:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pairing code in a pairing message.
pub fn code_in(text: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix("Pairing code: "))
        .unwrap_or_else(|| panic!("no pairing code in {text:?}"))
        .trim()
        .to_string()
}
