//! Outbound media through the real gateway: the model's `message` tool sends a workspace file to
//! a chat (WhatsApp: media upload then a document message; Telegram: `sendPhoto`), a sandboxed
//! session may not name another chat, and `pincer message send --file` with and without a
//! running gateway. The emulators parse the multipart uploads and record the bytes.

use std::time::Duration;

use crate::support::agent::ask;
use crate::support::channels::{post_text, telegram, whatsapp, WA_TOKEN};
use crate::support::tools::{call, tool_result};
use crate::support::{run_cli, stderr, Gateway};
use pincer_emulators::graph::GraphApi;
use pincer_emulators::telegram::BotApi;
use pincer_emulators::{Emulator, Reply};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// A config with `channels` and `root` (more top-level keys), the model on `provider`.
fn config(provider: &Emulator, channels: &[String], root: &str) -> String {
    format!(
        "{{ agent: {{ model: 'local/echo' }}, \
           models: {{ providers: {{ local: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }}, \
           channels: {{ {} }} {root} }}",
        provider.base_url(),
        channels.join(", ")
    )
}

/// Writes `name` into the gateway's main workspace.
fn put(gateway: &Gateway, name: &str, bytes: &[u8]) {
    let path = gateway.state_dir().join("agents/main/workspace").join(name);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn the_main_session_sends_a_workspace_pdf_to_a_named_whatsapp_chat() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let gateway = Gateway::start(Some(&config(&provider, &channels, "")));
    put(&gateway, "report.pdf", PDF);
    provider.push(call(
        "m1",
        "message",
        json!({"action": "send", "channel": "whatsapp", "target": "15550010",
            "media": "report.pdf", "message": "The Q3 report"}),
    ));
    provider.push(Reply::text(&["sent it"]));

    let answer = ask(&gateway, "agent:main:main", "send the report to 15550010");
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(graph.wait_for_media_sends(1, WAIT), "no media message");
    let uploads = graph.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, PDF, "the file's bytes, exactly");
    assert_eq!(uploads[0].mime, "application/pdf");
    assert_eq!(uploads[0].file_name.as_deref(), Some("report.pdf"));
    assert_eq!(uploads[0].content_type.as_deref(), Some("application/pdf"));
    let sent = &graph.media_sends()[0];
    assert_eq!(
        (sent.to.as_str(), sent.kind.as_str(), sent.media_id.as_str()),
        ("15550010", "document", uploads[0].id.as_str())
    );
    assert_eq!(sent.caption.as_deref(), Some("The Q3 report"));
    assert_eq!(sent.filename.as_deref(), Some("report.pdf"));
    let requests = provider.requests();
    let result = tool_result(&requests[1].body, "m1");
    assert!(result.contains("document report.pdf"), "{result}");
}

#[test]
fn a_photo_goes_out_with_send_photo_and_a_sandboxed_session_cannot_name_another_chat() {
    let provider = Emulator::openai();
    let bot = BotApi::start(crate::support::channels::BOT_TOKEN);
    let channels = [telegram(&bot, "open", "'*'", "")];
    let root = ", agents: { defaults: { sandbox: { mode: 'non-main', \
        allowlist: ['read', 'message'] } } }";
    let gateway = Gateway::start(Some(&config(&provider, &channels, root)));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake image bytes";
    put(&gateway, "chart.png", png);
    provider.push(call(
        "p1",
        "message",
        json!({"channel": "telegram", "target": "4242", "filePath": "chart.png",
            "caption": "This week"}),
    ));
    provider.push(Reply::text(&["done"]));
    assert_eq!(
        ask(&gateway, "agent:main:main", "send the chart").status,
        200
    );
    assert!(bot.wait_for_files(1, WAIT), "no sendPhoto");
    let file = &bot.files()[0];
    assert_eq!(
        (file.method.as_str(), file.field.as_str()),
        ("sendPhoto", "photo")
    );
    assert_eq!((file.chat_id, file.bytes.as_slice()), (4242, &png[..]));
    assert_eq!(file.caption.as_deref(), Some("This week"));
    assert_eq!(file.content_type.as_deref(), Some("image/png"));

    // A sandboxed session (a group's) is offered the tool but may not message another chat.
    provider.push(call(
        "p2",
        "message",
        json!({"channel": "telegram", "target": "999", "message": "spam"}),
    ));
    provider.push(Reply::text(&["refused"]));
    assert_eq!(
        ask(&gateway, "agent:main:telegram:group:-100", "x").status,
        200
    );
    let requests = provider.requests();
    let refused = tool_result(&requests.last().unwrap().body, "p2");
    assert!(refused.contains("only send to its own chat"), "{refused}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(bot.files().len(), 1);
    assert!(
        bot.sent().iter().all(|m| m.chat_id != 999),
        "nothing went to 999"
    );
}

/// The model names no target: the file goes back to the chat the message came from (the turn's
/// `TurnRequest::inbound`, set by the channel actor). The sender talks to the main session
/// (`dmScope: "main"`), whose workspace the test fills before the message arrives.
#[test]
fn a_whatsapp_sender_gets_the_file_in_their_own_chat() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let root = ", session: { dmScope: 'main' }";
    let gateway = Gateway::start(Some(&config(&provider, &channels, root)));
    provider.push(call("w1", "message", json!({"media": "report.pdf"})));
    provider.push(Reply::text(&["here it is"]));
    put(&gateway, "report.pdf", PDF);
    assert_eq!(
        post_text(&gateway, "15550011", "wamid.IN1", "send me the report"),
        200
    );
    assert!(
        graph.wait_for_media_sends(1, WAIT),
        "no file went out; what the model was told: {:?}",
        provider.requests().last().map(|r| r.body.to_string())
    );
    let sent = &graph.media_sends()[0];
    assert_eq!(
        (sent.to.as_str(), sent.kind.as_str()),
        ("15550011", "document")
    );
    assert!(graph.wait_for_sends(1, WAIT), "the answer follows the file");
    assert_eq!(graph.sends()[0].body, "here it is");
}

#[test]
fn the_cli_sends_a_file_through_the_running_gateway_and_without_one() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let channels = [whatsapp(&graph, "open", "'*'", "")];
    let text = config(&provider, &channels, "");
    let gateway = Gateway::start(Some(&text));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("menu.pdf");
    std::fs::write(&file, PDF).unwrap();
    let args = |to: &'static str| -> Vec<String> {
        [
            "message",
            "send",
            "--channel",
            "whatsapp",
            "--to",
            to,
            "--text",
            "Tonight's menu",
            "--file",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([file.display().to_string(), "--json".into()])
        .collect()
    };
    let run = |home: &std::path::Path, to: &'static str| {
        let args = args(to);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(home, &refs)
    };
    let through = run(gateway.home.path(), "15550020");
    assert!(through.status.success(), "{}", stderr(&through));
    assert!(!String::from_utf8_lossy(&through.stdout).contains("direct"));
    assert!(graph.wait_for_media_sends(1, WAIT));

    // No gateway: the CLI uploads and sends itself with the config's credentials.
    let offline = tempfile::tempdir().unwrap();
    std::fs::write(offline.path().join("pincer.json5"), &text).unwrap();
    let direct = run(offline.path(), "15550021");
    assert!(direct.status.success(), "{}", stderr(&direct));
    assert!(String::from_utf8_lossy(&direct.stdout).contains("\"via\": \"direct\""));
    assert!(graph.wait_for_media_sends(2, WAIT));
    let sends = graph.media_sends();
    let uploads = graph.uploads();
    for (index, to) in ["15550020", "15550021"].iter().enumerate() {
        assert_eq!(sends[index].to, *to);
        assert_eq!(sends[index].kind, "document");
        assert_eq!(sends[index].caption.as_deref(), Some("Tonight's menu"));
        assert_eq!(uploads[index].bytes, PDF);
    }

    // Over the limit for images: refused before anything is uploaded.
    let big = dir.path().join("big.jpg");
    std::fs::write(&big, vec![0u8; 5 * 1024 * 1024 + 1]).unwrap();
    let refused = run_cli(
        gateway.home.path(),
        &[
            "message",
            "send",
            "--channel",
            "whatsapp",
            "--to",
            "1",
            "--file",
            big.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("limit for image files"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(graph.uploads().len(), 2);
}
