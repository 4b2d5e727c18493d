//! The system under test of the channel benches (the throughput runs and the soak): a
//! `pincer gateway` (started by `common::gateway`) whose WhatsApp channel points at the Graph API
//! emulator and whose model is the OpenAI emulator, with 1,000 senders already paired (in the
//! pairing store's allowlist file, as `pincer pairing approve` leaves it).

use std::path::PathBuf;

use serde_json::json;

use crate::common::gateway::{Spec, Wait};
use crate::{APP_SECRET, PNID, WA_TOKEN};

/// The sender numbers, all paired.
pub(crate) fn sender(n: usize) -> String {
    format!("4915550{n:05}")
}

/// The gateway's home: the config, and `senders` paired senders. It waits for `/readyz`, so
/// the WhatsApp channel is up before the first webhook.
pub(crate) fn spec(provider: &str, graph: &str, senders: usize) -> Spec<'static> {
    let config = format!(
        "{{ agents: {{ defaults: {{ model: 'openai/m' }}, maxConcurrentRuns: 64, sessionCacheSize: 20000 }},\n\
           session: {{ idleMinutes: 600 }}, messages: {{ queue: {{ mode: 'followup' }} }},\n\
           models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{provider}', apiKey: 'k' }} }} }},\n\
           channels: {{ whatsapp: {{ enabled: true, phoneNumberId: '{PNID}', accessToken: '{WA_TOKEN}',\n\
             appSecret: '{APP_SECRET}', verifyToken: 'v', apiBaseUrl: '{graph}', dmPolicy: 'pairing',\n\
             sendsPerSecond: 1000000, markRead: false }} }} }}\n"
    );
    let approved: Vec<String> = (0..senders).map(sender).collect();
    let mut spec = Spec::new("channels", Some(config));
    spec.files.push((
        PathBuf::from("state/credentials/whatsapp-allowFrom.json"),
        json!({ "version": 1, "allowFrom": approved }).to_string(),
    ));
    spec.wait = Wait::Ready;
    spec
}
