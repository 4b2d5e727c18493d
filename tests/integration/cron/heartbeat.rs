//! The heartbeat: the main session reads HEARTBEAT.md every second here; the model's
//! `HEARTBEAT_OK` stays in the session, its real news goes to the target chat.

use std::time::Duration;

use super::{config, firings, sent_to_chat, wait_for_firings, CHAT};
use crate::support::channels::BOT_TOKEN;
use crate::support::Gateway;
use pincer_emulators::telegram::BotApi;
use pincer_emulators::{Emulator, Reply};

const WAIT: Duration = Duration::from_secs(30);

fn heartbeat_config(provider: &Emulator, bot: &BotApi, workspace: &std::path::Path) -> String {
    let text = config(
        provider,
        bot,
        &format!(
            "cron: {{ enabled: true }}, agents: {{ defaults: {{ heartbeat: {{ every: '1s', \
             target: {{ channel: 'telegram', to: '{CHAT}' }} }} }} }}"
        ),
    );
    // The workspace goes in the `agent` block.
    text.replacen(
        "agent: { model: 'local/echo' }",
        &format!(
            "agent: {{ model: 'local/echo', workspace: '{}' }}",
            workspace.display()
        ),
        1,
    )
}

#[test]
fn heartbeat_ok_is_not_delivered_and_another_answer_is() {
    let provider = Emulator::openai();
    provider
        .push(Reply::text(&["HEARTBEAT_OK"]))
        .push(Reply::text(&["Water the plants now."]));
    let bot = BotApi::start(BOT_TOKEN);
    let workspace = tempfile::tempdir().expect("workspace");
    std::fs::write(
        workspace.path().join("HEARTBEAT.md"),
        "# Tasks\n- water the plants\n",
    )
    .expect("HEARTBEAT.md");
    let gateway = Gateway::start(Some(&heartbeat_config(&provider, &bot, workspace.path())));
    let state = gateway.state_dir();
    let found = wait_for_firings(&state, "heartbeat", WAIT, |f| {
        f.iter().any(|(_, s)| s.iter().any(|s| s == "delivered"))
    });
    let first: Vec<&Vec<String>> = found
        .iter()
        .map(|(_, statuses)| statuses)
        .filter(|statuses| statuses.len() > 1)
        .collect();
    assert_eq!(
        first[0].last().map(String::as_str),
        Some("suppressed"),
        "{found:?}"
    );
    let sent = sent_to_chat(&bot);
    assert_eq!(
        sent.first().map(String::as_str),
        Some("Water the plants now."),
        "{sent:?}"
    );
    assert!(
        sent.iter().all(|text| !text.contains("HEARTBEAT_OK")),
        "{sent:?}"
    );
    // The model read HEARTBEAT.md in the main session's turn.
    let asked = provider.requests();
    assert!(
        asked[0].body.to_string().contains("water the plants"),
        "{:?}",
        asked[0].body
    );
}

#[test]
fn an_empty_heartbeat_file_costs_no_model_call() {
    let provider = Emulator::openai();
    let bot = BotApi::start(BOT_TOKEN);
    let workspace = tempfile::tempdir().expect("workspace");
    std::fs::write(
        workspace.path().join("HEARTBEAT.md"),
        "# Keep this file empty to skip heartbeats\n<!-- tasks below -->\n",
    )
    .expect("HEARTBEAT.md");
    let gateway = Gateway::start(Some(&heartbeat_config(&provider, &bot, workspace.path())));
    let found = wait_for_firings(&gateway.state_dir(), "heartbeat", WAIT, |f| f.len() >= 2);
    assert!(
        found.iter().all(|(_, s)| s == &["skipped"]),
        "{:?}",
        firings(&gateway.state_dir(), "heartbeat")
    );
    assert!(provider.requests().is_empty());
    assert!(sent_to_chat(&bot).is_empty());
}
