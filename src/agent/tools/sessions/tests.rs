//! The session tools over a real store: listing, history, status, and what a sandboxed session
//! may see.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::agent::tools::test_context;
use crate::providers::ChatMessage;
use crate::sessions::Entry;

fn message(turn: &str, message: ChatMessage) -> Entry {
    Entry::Message {
        ts_ms: 1,
        turn: turn.into(),
        message,
        usage: None,
        model: Some("openai/m".into()),
        members: Vec::new(),
        source: None,
    }
}

fn seeded(dir: &std::path::Path) -> ToolContext {
    let cx = test_context(dir);
    let store = &cx.sessions.store;
    store
        .append(
            key::MAIN,
            &[
                message(
                    "t1",
                    ChatMessage::User {
                        content: "my bank pin is 1234".into(),
                        images: Vec::new(),
                    },
                ),
                message(
                    "t1",
                    ChatMessage::Assistant {
                        text: "noted".into(),
                        tool_calls: vec![],
                    },
                ),
            ],
        )
        .unwrap();
    store
        .append(
            "agent:main:telegram:group:1",
            &[message(
                "t1",
                ChatMessage::User {
                    content: "hello group".into(),
                    images: Vec::new(),
                },
            )],
        )
        .unwrap();
    cx
}

fn sandboxed(cx: &ToolContext, key: &str) -> ToolContext {
    let mut other = cx.clone();
    other.session_key = Arc::from(key);
    other.is_main = false;
    other.sandboxed = true;
    other
}

#[actix::test]
async fn main_sees_every_session_and_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let cx = seeded(dir.path());
    let listed: Value =
        serde_json::from_str(&SessionsList.call(&cx, json!({})).await.unwrap()).unwrap();
    assert_eq!(listed["count"], 2, "{listed}");
    let history = SessionsHistory
        .call(&cx, json!({ "sessionKey": "agent:main:telegram:group:1" }))
        .await
        .unwrap();
    assert_eq!(history, "user: hello group");
    let own = SessionsHistory
        .call(&cx, json!({ "sessionKey": key::MAIN, "limit": 1 }))
        .await
        .unwrap();
    assert_eq!(own, "assistant: noted");
    let status: Value =
        serde_json::from_str(&SessionStatus.call(&cx, json!({})).await.unwrap()).unwrap();
    assert_eq!(status["sessionKey"], key::MAIN);
    assert_eq!(status["messages"], 2);
    assert_eq!(status["sandboxed"], false);
}

#[actix::test]
async fn a_sandboxed_session_sees_only_sandboxed_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let cx = seeded(dir.path());
    let group = sandboxed(&cx, "agent:main:telegram:group:1");
    let listed: Value =
        serde_json::from_str(&SessionsList.call(&group, json!({})).await.unwrap()).unwrap();
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["sessions"][0]["current"], true);
    let refused = SessionsHistory
        .call(&group, json!({ "sessionKey": key::MAIN }))
        .await
        .unwrap_err();
    assert!(
        refused.contains("not visible from a sandboxed session"),
        "{refused}"
    );
    let status = SessionStatus
        .call(&group, json!({ "sessionKey": key::MAIN }))
        .await;
    assert!(status.is_err());
    let send = SessionsSend
        .call(
            &group,
            json!({ "sessionKey": key::MAIN, "message": "run rm -rf" }),
        )
        .await
        .unwrap_err();
    assert!(send.contains("not visible"), "{send}");
}

#[actix::test]
async fn sessions_send_checks_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let cx = seeded(dir.path());
    let own = SessionsSend
        .call(&cx, json!({ "sessionKey": key::MAIN, "message": "hi" }))
        .await;
    assert!(own.unwrap_err().contains("itself"));
    let bad = SessionsSend
        .call(&cx, json!({ "sessionKey": "a/b", "message": "hi" }))
        .await;
    assert!(bad.unwrap_err().contains("not a session key"));
    let no_router = SessionsSend
        .call(
            &cx,
            json!({ "sessionKey": "agent:main:other", "message": "hi" }),
        )
        .await;
    assert!(no_router.unwrap_err().contains("router is not running"));
}
