//! Image parts of user messages in both providers' bodies: the current turn's as image input,
//! the history's as a note, a text-only model's as a note.

use std::sync::Arc;

use serde_json::{json, Value};

use super::openai_body::Body;
use super::types::{ChatMessage, ChatRequest, ImagePart, Sampling};

fn image(data: Option<&str>) -> ImagePart {
    ImagePart {
        media_type: "image/png".into(),
        path: "/state/media/ab.png".into(),
        data: data.map(Arc::from),
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        system: None,
        history: Arc::new(vec![
            ChatMessage::User {
                content: "an old photo".into(),
                images: vec![image(None)],
            },
            ChatMessage::Assistant {
                text: "nice".into(),
                tool_calls: Vec::new(),
            },
        ]),
        messages: vec![ChatMessage::User {
            content: "what is this?".into(),
            images: vec![image(Some("iVBORw0KGgo="))],
        }],
        tools: Arc::from(Vec::new()),
        max_tokens: 100,
        sampling: Sampling::default(),
    }
}

fn openai(request: &ChatRequest) -> Value {
    serde_json::to_value(Body(request)).unwrap()
}

#[test]
fn openai_gets_content_parts_with_a_data_url() {
    let body = openai(&request());
    assert_eq!(
        body["messages"][2]["content"],
        json!([
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        ])
    );
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": "an old photo\n[an image sent earlier; not shown again]"}]),
        "a history image is a note"
    );
}

#[test]
fn anthropic_gets_a_base64_image_block_before_the_text() {
    let body = super::anthropic::request_body(&request());
    assert_eq!(
        body["messages"][2]["content"],
        json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "text", "text": "what is this?"},
        ])
    );
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": "an old photo\n[an image sent earlier; not shown again]"}])
    );
}

#[test]
fn a_text_only_model_gets_a_note_instead() {
    let text_only = request().without_images();
    let body = openai(&text_only);
    assert_eq!(
        body["messages"][2]["content"],
        json!("what is this?\n[the user sent an image, but this model cannot see images]")
    );
    let body = super::anthropic::request_body(&text_only);
    assert!(!body.to_string().contains("iVBORw0KGgo="));
}

#[test]
fn a_transcript_keeps_the_path_and_never_the_bytes() {
    let message = request().messages.remove(0);
    let line = serde_json::to_value(&message).unwrap();
    assert_eq!(
        line,
        json!({"role": "user", "content": "what is this?", "images": [{"media_type": "image/png", "path": "/state/media/ab.png"}]})
    );
    let back: ChatMessage = serde_json::from_value(line).unwrap();
    assert!(matches!(back, ChatMessage::User { images, .. } if images[0].data.is_none()));
    let plain: ChatMessage =
        serde_json::from_value(json!({"role": "user", "content": "hi"})).unwrap();
    assert_eq!(plain, ChatMessage::user("hi"));
}
