use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::json;

use super::*;
use crate::agent::tools::walls::Walls;
use crate::agent::tools::{test_context, ChatOrigin};
use crate::sessions::media::{MediaKind, SendError};

/// What a test sender was asked to send.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Text(String, String, String),
    File(String, String, MediaKind, String, usize, Option<String>),
}

#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<Sent>>,
}

impl ChatSender for Recorder {
    fn send_text(
        &self,
        channel: &str,
        to: &str,
        text: String,
    ) -> BoxFuture<'static, Result<(), SendError>> {
        self.sent
            .lock()
            .unwrap()
            .push(Sent::Text(channel.into(), to.into(), text));
        async { Ok(()) }.boxed()
    }

    fn send_file(
        &self,
        channel: &str,
        to: &str,
        file: OutboundFile,
    ) -> BoxFuture<'static, Result<(), SendError>> {
        self.sent.lock().unwrap().push(Sent::File(
            channel.into(),
            to.into(),
            file.kind,
            file.file_name,
            file.bytes.len(),
            file.caption,
        ));
        async { Ok(()) }.boxed()
    }
}

fn context(
    dir: &std::path::Path,
    main: bool,
    origin: Option<(&str, &str)>,
) -> (ToolContext, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut cx = test_context(dir);
    cx.is_main = main;
    cx.sandboxed = !main;
    cx.origin = origin.map(|(channel, chat)| ChatOrigin {
        channel: channel.into(),
        chat: chat.into(),
    });
    cx.chat = Some(Arc::clone(&recorder) as Arc<dyn ChatSender>);
    (cx, recorder)
}

async fn call(
    tool: &Message,
    cx: &ToolContext,
    arguments: serde_json::Value,
) -> Result<String, String> {
    tool.call(cx, arguments).await
}

fn tool(allow: &[&str]) -> Message {
    Message {
        allow_targets: allow.iter().map(|s| s.to_string()).collect(),
    }
}

#[actix::test]
async fn a_file_goes_to_the_current_chat_with_its_kind_and_caption() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.pdf"), b"%PDF-1.4 hello").unwrap();
    let (cx, recorder) = context(dir.path(), false, Some(("whatsapp", "15551234567")));
    let answer = call(
        &tool(&[]),
        &cx,
        json!({"action": "send", "media": "report.pdf", "message": "Q3"}),
    )
    .await
    .unwrap();
    assert!(
        answer.contains("document report.pdf (14 bytes)"),
        "{answer}"
    );
    assert_eq!(
        recorder.sent.lock().unwrap().clone(),
        [Sent::File(
            "whatsapp".into(),
            "15551234567".into(),
            MediaKind::Document,
            "report.pdf".into(),
            14,
            Some("Q3".into())
        )]
    );
}

#[actix::test]
async fn a_text_and_a_captioned_voice_note_are_two_sends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.ogg"), b"OggS").unwrap();
    let (cx, recorder) = context(dir.path(), false, Some(("telegram", "42")));
    call(
        &tool(&[]),
        &cx,
        json!({"message": "here", "filePath": "note.ogg", "caption": "listen", "asVoice": true}),
    )
    .await
    .unwrap();
    let sent = recorder.sent.lock().unwrap().clone();
    assert_eq!(
        sent[0],
        Sent::Text("telegram".into(), "42".into(), "here".into())
    );
    assert!(matches!(&sent[1], Sent::File(_, _, MediaKind::Voice, _, 4, Some(c)) if c == "listen"));
}

#[actix::test]
async fn paths_outside_the_workspace_through_symlinks_or_behind_the_walls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir(&workspace).unwrap();
    let outside = dir.path().join("secret.pdf");
    std::fs::write(&outside, b"secret").unwrap();
    std::os::unix::fs::symlink(&outside, workspace.join("link.pdf")).unwrap();
    let state = workspace.join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::write(state.join("gateway.token"), b"t").unwrap();
    let (mut cx, recorder) = context(&workspace, true, None);
    cx.walls = Arc::new(Walls::of(&state, None));
    let tool = tool(&[]);
    for media in [
        "../secret.pdf",
        outside.to_str().unwrap(),
        "link.pdf",
        "state/gateway.token",
    ] {
        let error = call(
            &tool,
            &cx,
            json!({"channel": "telegram", "target": "1", "media": media}),
        )
        .await
        .unwrap_err();
        assert!(!error.is_empty(), "{media}");
    }
    assert!(recorder.sent.lock().unwrap().is_empty());
}

#[actix::test]
async fn files_over_their_kind_s_limit_are_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![0u8; (5 * 1024 * 1024) + 1];
    std::fs::write(dir.path().join("big.png"), &big).unwrap();
    let (cx, recorder) = context(dir.path(), false, Some(("telegram", "7")));
    let error = call(&tool(&[]), &cx, json!({"media": "big.png"}))
        .await
        .unwrap_err();
    assert!(error.contains("limit for image files"), "{error}");
    assert!(recorder.sent.lock().unwrap().is_empty());
}

#[actix::test]
async fn only_the_main_session_or_listed_targets_name_other_chats() {
    let dir = tempfile::tempdir().unwrap();
    let (sandboxed, _) = context(dir.path(), false, Some(("whatsapp", "15550000001")));
    let other = json!({"channel": "whatsapp", "target": "15559999999", "message": "hi"});
    let refused = call(&tool(&[]), &sandboxed, other.clone())
        .await
        .unwrap_err();
    assert!(refused.contains("only send to its own chat"), "{refused}");
    assert!(
        call(&tool(&["whatsapp:15559999999"]), &sandboxed, other.clone())
            .await
            .is_ok()
    );
    // Its own chat, named explicitly, is still its own chat.
    let own = json!({"channel": "whatsapp", "target": "15550000001", "message": "hi"});
    assert!(call(&tool(&[]), &sandboxed, own).await.is_ok());
    let (main, recorder) = context(dir.path(), true, None);
    call(&tool(&[]), &main, other).await.unwrap();
    assert_eq!(
        recorder.sent.lock().unwrap().clone(),
        [Sent::Text(
            "whatsapp".into(),
            "15559999999".into(),
            "hi".into()
        )]
    );
    let nowhere = call(&tool(&[]), &main, json!({"message": "hi"}))
        .await
        .unwrap_err();
    assert!(nowhere.contains("did not come from a chat"), "{nowhere}");
}

#[actix::test]
async fn nothing_to_send_and_unknown_actions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (cx, _) = context(dir.path(), true, Some(("telegram", "1")));
    assert!(call(&tool(&[]), &cx, json!({})).await.is_err());
    let error = call(&tool(&[]), &cx, json!({"action": "react", "message": "x"}))
        .await
        .unwrap_err();
    assert!(error.contains("only \"send\""), "{error}");
}
