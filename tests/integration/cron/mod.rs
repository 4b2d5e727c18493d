//! Cron jobs and the heartbeat against the real gateway, the model emulator and the Telegram
//! emulator: a job every second answered and delivered once per firing, a firing interrupted by
//! `kill -9` mid-turn delivered exactly once after the restart, `HEARTBEAT_OK` not delivered
//! while another heartbeat answer is, and jobs added at run time surviving a restart (through
//! the CLI, the HTTP operator API and `/admin/actors`).

mod control_ui;
mod heartbeat;
mod jobs;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::channels::telegram;
use crate::support::Gateway;
use pincer_emulators::telegram::BotApi;
use pincer_emulators::Emulator;

/// The chat jobs deliver to.
const CHAT: i64 = 4242;

/// A config with the echo model, Telegram on `bot`, and `extra` spliced in at the root.
fn config(provider: &Emulator, bot: &BotApi, extra: &str) -> String {
    format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           channels: {{ {} }}, {extra} }}",
        provider.base_url(),
        telegram(bot, "open", "'*'", "")
    )
}

/// A job's firings as the runs file has them: (runAtMs, statuses in order).
fn firings(state: &Path, job: &str) -> Vec<(u64, Vec<String>)> {
    let path = state.join("cron").join("runs").join(format!("{job}.jsonl"));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<(u64, Vec<String>)> = Vec::new();
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let at = record["runAtMs"].as_u64().expect("runAtMs");
        let status = record["status"].as_str().expect("status").to_string();
        match out.iter_mut().find(|(t, _)| *t == at) {
            Some((_, statuses)) => statuses.push(status),
            None => out.push((at, vec![status])),
        }
    }
    out
}

/// Waits until `check` holds for `job`'s firings, or panics with them.
fn wait_for_firings(
    state: &Path,
    job: &str,
    limit: Duration,
    check: impl Fn(&[(u64, Vec<String>)]) -> bool,
) -> Vec<(u64, Vec<String>)> {
    let deadline = Instant::now() + limit;
    loop {
        let found = firings(state, job);
        if check(&found) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; firings of {job}: {found:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The texts the bot sent to [`CHAT`].
fn sent_to_chat(bot: &BotApi) -> Vec<String> {
    bot.sent()
        .into_iter()
        .filter(|m| m.chat_id == CHAT)
        .map(|m| m.text)
        .collect()
}

/// `GET /admin/cron`'s jobs.
fn jobs(gateway: &Gateway) -> Vec<Value> {
    let response = gateway.get_authed("/admin/cron");
    assert_eq!(response.status, 200, "{}", response.text);
    response.body["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
