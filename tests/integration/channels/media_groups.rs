//! Issue 18 end to end, through the real gateway and the emulators: a photo reaches the model as
//! an image part and a voice note as a transcript (the transcription emulator receiving the
//! multipart audio); reactions, edits and deletions get no reply but change the transcript; a
//! group message without a mention is kept as context and one with a mention is answered in the
//! group's session; `kill -9` during a media download, and the message is answered once after
//! the restart.

use std::time::Duration;

use crate::support::channels::{
    post_signed, post_text, telegram, wait_for_status, whatsapp, PNID, WA_TOKEN,
};
use crate::support::Gateway;
use pincer_emulators::graph::{self, kind, GraphApi};
use pincer_emulators::telegram::{updates, BotApi};
use pincer_emulators::Emulator;

const WAIT: Duration = Duration::from_secs(20);

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The config: the model emulator as the `local` provider, which also transcribes.
fn config(provider: &Emulator, channels: &[String], extra: &str) -> String {
    format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           media: {{ transcription: {{ provider: 'local', model: 'whisper-1' }} }}, \
           channels: {{ {} }} {extra} }}",
        provider.base_url(),
        channels.join(", ")
    )
}

/// Every request body the model emulator got, joined.
fn asked(provider: &Emulator) -> String {
    provider
        .requests()
        .iter()
        .map(|r| r.body.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn post_kind(gateway: &Gateway, from: &str, wamid: &str, what: graph::Kind) -> u16 {
    post_signed(gateway, &graph::kinds_webhook(PNID, &[(from, wamid, what)]))
}

#[test]
fn a_photo_reaches_the_model_as_an_image_and_a_voice_note_as_a_transcript() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let gateway = Gateway::start(Some(&config(&provider, &channels, "")));

    let photo = graph.add_media("1001001", "image/png", PNG);
    let status = post_kind(
        &gateway,
        "15550201",
        "wamid.PH1",
        kind::media("image", &photo, Some("my receipt")),
    );
    assert_eq!(status, 200);
    assert!(graph.wait_for_sends(1, WAIT), "the photo was not answered");
    let body = asked(&provider);
    assert!(
        body.contains("\"image_url\"") && body.contains("data:image/png;base64,"),
        "the model got the image as an image part: {body}"
    );
    assert!(body.contains("my receipt"), "with its caption: {body}");
    assert_eq!(graph.media_downloads(), vec!["1001001".to_string()]);

    let audio = b"OggS fake opus voice note bytes".to_vec();
    let note = graph.add_media("1001002", "audio/ogg", &audio);
    provider.push_transcript("buy milk on the way home");
    assert_eq!(
        post_kind(&gateway, "15550201", "wamid.VN1", kind::voice(&note)),
        200
    );
    assert!(
        graph.wait_for_sends(2, WAIT),
        "the voice note was not answered"
    );
    let transcriptions = provider.transcriptions();
    assert_eq!(transcriptions.len(), 1, "one transcription request");
    assert_eq!(
        transcriptions[0].file, audio,
        "the multipart file is the voice note"
    );
    assert_eq!(transcriptions[0].model.as_deref(), Some("whisper-1"));
    let body = asked(&provider);
    assert!(
        body.contains("buy milk on the way home") && body.contains("transcribed"),
        "the model got the transcript, marked as one: {body}"
    );
    // The run's trace shows the download and the transcription, with their times.
    let traces = gateway.get_authed("/admin/sessions/agent:main:whatsapp:direct:15550201/traces");
    assert_eq!(traces.status, 200, "{}", traces.text);
    for step in ["\"download\"", "\"transcription\"", "durationMs"] {
        assert!(traces.text.contains(step), "{step} in {}", traces.text);
    }
}

#[test]
fn reactions_edits_and_deletions_get_no_reply_but_change_the_transcript() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let gateway = Gateway::start(Some(&config(&provider, &channels, "")));
    assert_eq!(
        post_text(&gateway, "15550301", "wamid.T1", "dinner at 7?"),
        200
    );
    assert!(graph.wait_for_sends(1, WAIT));

    for (wamid, what) in [
        ("wamid.R1", kind::reaction("wamid.T1", Some("👍"))),
        ("wamid.R2", kind::reaction("wamid.T1", None)),
        ("wamid.E1", kind::edit("wamid.T1", "dinner at 8?")),
        ("wamid.D0", kind::revoke("wamid.UNKNOWN")),
    ] {
        assert_eq!(post_kind(&gateway, "15550301", wamid, what), 200);
    }
    let figures = wait_for_status(&gateway, "the four to be recorded", |s| {
        s["channels"]["whatsapp"]["recorded"] == 4 && s["journal"]["pending"] == 0
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        graph.sends().len(),
        1,
        "a reaction, an edit or a deletion is never answered: {:?} {figures:#}",
        graph.sends()
    );
    assert_eq!(provider.requests().len(), 1, "and never reaches the model");

    // The next turn's history has the edited text, not the original.
    assert_eq!(
        post_text(&gateway, "15550301", "wamid.T2", "and who cooks?"),
        200
    );
    assert!(graph.wait_for_sends(2, WAIT));
    let last = provider
        .requests()
        .last()
        .map(|r| r.body.to_string())
        .unwrap_or_default();
    assert!(
        last.contains(r#"{"content":"dinner at 8?","role":"user"}"#),
        "{last}"
    );
    assert!(
        !last.contains(r#""content":"dinner at 7?""#),
        "the question reads as edited: {last}"
    );

    // A deletion of the edited message: its text is not sent to the model again.
    assert_eq!(
        post_kind(&gateway, "15550301", "wamid.D1", kind::revoke("wamid.T1")),
        200
    );
    wait_for_status(&gateway, "the deletion", |s| {
        s["channels"]["whatsapp"]["recorded"] == 5
    });
    assert_eq!(
        post_text(&gateway, "15550301", "wamid.T3", "still there?"),
        200
    );
    assert!(graph.wait_for_sends(3, WAIT));
    let last = provider
        .requests()
        .last()
        .map(|r| r.body.to_string())
        .unwrap_or_default();
    assert!(!last.contains(r#""content":"dinner at 8?""#), "{last}");
    assert!(last.contains("deleted by its sender"), "{last}");

    // The transcript keeps the notes.
    let history = gateway.get_authed("/admin/sessions/agent:main:whatsapp:direct:15550301/history");
    assert_eq!(history.status, 200, "{}", history.text);
    let notes: Vec<&str> = history.body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["role"] == "note")
                .filter_map(|m| m["kind"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        notes,
        vec!["reaction", "reaction", "edit", "delete", "delete"],
        "{}",
        history.text
    );
}

#[test]
fn a_telegram_group_answers_only_when_mentioned_in_its_own_session() {
    let provider = Emulator::openai();
    let bot = BotApi::start(crate::support::channels::BOT_TOKEN);
    let groups = ", groups: { '-100555': {} }";
    let channels = [telegram(&bot, "pairing", "", groups)];
    let gateway = Gateway::start(Some(&config(&provider, &channels, "")));
    // The bot learns its username from getMe before it can tell a mention.
    let deadline = std::time::Instant::now() + WAIT;
    while !bot
        .calls()
        .iter()
        .any(|c| c.method.eq_ignore_ascii_case("getMe"))
    {
        assert!(std::time::Instant::now() < deadline, "no getMe");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));

    bot.push_raw_update(updates::group_text(111, -100555, "who cooks tonight?"));
    // A group not listed: ignored, whatever it says.
    bot.push_raw_update(updates::group_text(112, -100999, "@pincer_emu_bot hello?"));
    wait_for_status(&gateway, "the unaddressed message to be kept", |s| {
        s["channels"]["telegram"]["recorded"] == 1
            && s["channels"]["telegram"]["refused"] == 1
            && s["journal"]["pending"] == 0
    });
    assert!(provider.requests().is_empty(), "no turn without a mention");
    assert!(bot.sent().is_empty());
    assert_eq!(
        provider.requests().len(),
        0,
        "group members are not asked to pair either"
    );

    bot.push_raw_update(updates::group_text(
        113,
        -100555,
        "@pincer_emu_bot what's for dinner?",
    ));
    assert!(bot.wait_for_sent(1, WAIT), "a mention is answered");
    let answer = &bot.sent()[0];
    assert_eq!(answer.chat_id, -100555, "in the group");
    let body = asked(&provider);
    assert!(
        body.contains("who cooks tonight?"),
        "the model saw the context: {body}"
    );
    assert!(body.contains("what's for dinner?"), "{body}");
    let sessions = gateway.get_authed("/admin/sessions");
    assert!(
        sessions.text.contains("agent:main:telegram:group:-100555"),
        "{}",
        sessions.text
    );
}

#[test]
fn a_media_download_cut_by_kill_9_is_answered_once_after_the_restart() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let gateway = Gateway::start(Some(&config(&provider, &channels, "")));
    let photo = graph.add_media("1001003", "image/png", PNG);
    graph.stall_downloads(true);
    let status = post_kind(
        &gateway,
        "15550401",
        "wamid.K1",
        kind::media("image", &photo, Some("the crash photo")),
    );
    assert_eq!(status, 200, "acknowledged before the download");
    let deadline = std::time::Instant::now() + WAIT;
    while graph.media_downloads().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the download never began"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let home = gateway.kill9();
    graph.stall_downloads(false);
    assert!(
        graph.sends().is_empty(),
        "nothing answered before the crash"
    );

    let gateway = Gateway::start_in(home, &[]);
    assert!(graph.wait_for_sends(1, WAIT), "answered after the restart");
    wait_for_status(&gateway, "the journal to settle", |s| {
        s["journal"]["pending"] == 0
    });
    std::thread::sleep(Duration::from_millis(500));
    let sends = graph.sends();
    assert_eq!(sends.len(), 1, "answered exactly once: {sends:?}");
    assert_eq!(sends[0].context.as_deref(), Some("wamid.K1"));
    assert_eq!(
        graph.media_downloads().len(),
        2,
        "downloaded again after the crash"
    );
    let body = asked(&provider);
    assert!(body.contains("data:image/png;base64,"), "{body}");
}
