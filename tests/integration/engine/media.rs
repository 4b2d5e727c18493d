//! Media in the run, end to end in-process: a turn carrying a channel's media references (as
//! the channel actors hand them over in `TurnRequest::inbound`) with a test `MediaSource` whose
//! files the emulator hosts. The model emulator receives the image part, the transcription
//! emulator the multipart audio; a file over its limit becomes a note and the turn is answered;
//! the transcript holds the prepared message and the trace the download and transcription.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use pincer::config::credentials::{Credential, CredentialOrigin};
use pincer::config::{
    AuthMode, Config, ModelSelection, ProviderApi, ProviderConfig, Secret, TranscriptionConfig,
};
use pincer::gateway::RunningGateway;
use pincer::providers::ChatMessage;
use pincer::sessions::media::{Inbound, Located, MediaError, MediaKind, MediaRef, MediaSource};
use pincer::sessions::{Entry, RunEvent, TurnRequest};
use pincer_emulators::Emulator;
use serde_json::Value;

/// Locates every reference at the emulator's hosted file of the same id.
struct HostedFiles {
    base: String,
}

impl MediaSource for HostedFiles {
    fn locate(&self, media: &MediaRef) -> BoxFuture<'static, Result<Located, MediaError>> {
        let located = Located {
            url: format!("{}/files/{}", self.base, media.id),
            bearer: Some("platform-token".into()),
            mime: media.mime.clone(),
            sha256: None,
            size: None,
        };
        async move { Ok(located) }.boxed()
    }
}

fn reference(kind: MediaKind, id: &str, mime: &str) -> MediaRef {
    MediaRef {
        kind,
        id: id.into(),
        mime: Some(mime.into()),
        sha256: None,
        file_name: None,
        size: None,
        duration_s: Some(7),
        dimensions: None,
        animated: false,
    }
}

fn start(
    emulator: &Emulator,
    configure: impl FnOnce(&mut Config),
) -> (RunningGateway, tempfile::TempDir) {
    let mut config = Config::default();
    config.agents.defaults.model = Some(ModelSelection::Single("openai/m".into()));
    config.models.providers.insert(
        "openai".into(),
        ProviderConfig {
            api: ProviderApi::OpenaiCompletions,
            base_url: emulator.base_url(),
            api_key: Some(Secret::new("k")),
            api_key_env: None,
            headers: Default::default(),
        },
    );
    configure(&mut config);
    let credential = Credential {
        mode: AuthMode::Token,
        secret: Some(Secret::new("t0ken")),
        origin: CredentialOrigin::Configured,
    };
    let state_dir = tempfile::tempdir().expect("state dir");
    let gateway = pincer::gateway::start(pincer::gateway::StartParts {
        safe_mode: None,
        config: &config,
        credential: &credential,
        listener: TcpListener::bind("127.0.0.1:0").expect("bind"),
        tls: None,
        state_dir: state_dir.path(),
        config_file: None,
        tools: Default::default(),
    })
    .expect("gateway starts");
    (gateway, state_dir)
}

/// Submits `text` with `media` and waits for the answer's text.
async fn turn(
    gateway: &RunningGateway,
    emulator: &Emulator,
    key: &str,
    text: &str,
    media: Vec<MediaRef>,
) -> String {
    let inbound = Inbound {
        channel: "whatsapp".into(),
        chat: "15550001".into(),
        platform_id: "wamid.1".into(),
        media,
        source: Some(Arc::new(HostedFiles {
            base: format!("http://{}", emulator.addr()),
        })),
    };
    let request = TurnRequest {
        inbound: Some(Arc::new(inbound)),
        ..Default::default()
    };
    let mut events = gateway
        .submit(key, text.into(), request)
        .await
        .expect("submitted");
    let wait = async {
        while let Some(event) = events.recv().await {
            match event {
                RunEvent::Final { text, .. } => return text,
                RunEvent::Failed { error, .. } => panic!("the turn failed: {error}"),
                _ => {}
            }
        }
        panic!("no answer")
    };
    actix_web::rt::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("answered in time")
}

fn chat_bodies(emulator: &Emulator) -> Vec<Value> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .map(|r| r.body)
        .collect()
}

fn user_messages(gateway: &RunningGateway, key: &str) -> Vec<ChatMessage> {
    gateway
        .engine
        .store
        .load(key)
        .expect("transcript")
        .into_iter()
        .filter_map(|e| match e {
            Entry::Message {
                message: message @ ChatMessage::User { .. },
                ..
            } => Some(message),
            _ => None,
        })
        .collect()
}

fn trace_steps(gateway: &RunningGateway, key: &str) -> Vec<Value> {
    gateway
        .engine
        .store
        .load(key)
        .expect("transcript")
        .into_iter()
        .filter_map(|e| match e {
            Entry::Trace { trace, .. } => {
                Some(trace["steps"].as_array().cloned().unwrap_or_default())
            }
            _ => None,
        })
        .flatten()
        .collect()
}

#[actix_web::test]
async fn a_photo_reaches_the_model_as_an_image_part_and_the_next_turn_as_a_note() {
    let emulator = Emulator::openai();
    let photo = b"\x89PNG\r\n\x1a\n a tiny png".to_vec();
    emulator.host_file("/files/photo-1", &photo, "image/png");
    let (mut gateway, _state) = start(&emulator, |_| {});
    let key = "agent:main:whatsapp:dm:15550001";
    turn(
        &gateway,
        &emulator,
        key,
        "what is on this receipt?",
        vec![reference(MediaKind::Image, "photo-1", "image/png")],
    )
    .await;

    let bodies = chat_bodies(&emulator);
    let content = &bodies[0]["messages"].as_array().unwrap().last().unwrap()["content"];
    let data = base64::engine::general_purpose::STANDARD.encode(&photo);
    assert_eq!(content[0]["type"], "text");
    assert_eq!(content[0]["text"], "what is on this receipt?");
    assert_eq!(content[1]["type"], "image_url");
    assert_eq!(
        content[1]["image_url"]["url"],
        format!("data:image/png;base64,{data}")
    );
    let download = emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(
        download.header("authorization"),
        Some("Bearer platform-token")
    );

    let users = user_messages(&gateway, key);
    let ChatMessage::User { content, images } = &users[0] else {
        unreachable!()
    };
    assert_eq!(content, "what is on this receipt?");
    assert_eq!(images[0].media_type, "image/png");
    assert!(images[0].path.ends_with(".png") && std::fs::read(&images[0].path).unwrap() == photo);
    let steps = trace_steps(&gateway, key);
    let step = steps
        .iter()
        .find(|s| s["kind"] == "download")
        .expect("the download is traced");
    assert_eq!(step["media"], "image");
    assert_eq!(step["bytes"], photo.len());

    // The next turn sends the photo as a note only (prompt size), and does not download again.
    turn(&gateway, &emulator, key, "thanks", Vec::new()).await;
    let bodies = chat_bodies(&emulator);
    let history = bodies[1]["messages"].to_string();
    assert!(!history.contains(&data), "{history}");
    assert!(history.contains("not shown again"), "{history}");
    let _ = gateway.stop().await;
}

#[actix_web::test]
async fn a_voice_note_is_transcribed_through_the_provider_and_marked_as_a_transcript() {
    let emulator = Emulator::openai();
    let audio = b"OggS fake opus bytes".to_vec();
    emulator.host_file("/files/voice-1", &audio, "audio/ogg");
    emulator.push_transcript("buy milk on the way home");
    let (mut gateway, _state) = start(&emulator, |config| {
        config.media.transcription = Some(TranscriptionConfig {
            provider: "openai".into(),
            model: "whisper-1".into(),
            language: Some("en".into()),
        });
    });
    let key = "agent:main:whatsapp:dm:15550001";
    turn(
        &gateway,
        &emulator,
        key,
        "",
        vec![reference(MediaKind::Voice, "voice-1", "audio/ogg")],
    )
    .await;

    let sent = emulator.transcriptions();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].file, audio);
    assert_eq!(sent[0].file_name.as_deref(), Some("voice.ogg"));
    assert_eq!(sent[0].content_type.as_deref(), Some("audio/ogg"));
    assert_eq!(sent[0].model.as_deref(), Some("whisper-1"));
    assert_eq!(sent[0].response_format.as_deref(), Some("json"));
    assert_eq!(sent[0].language.as_deref(), Some("en"));
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer k"));
    let bodies = chat_bodies(&emulator);
    let last = bodies[0]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["content"],
        "[voice note, 7 s, transcribed]: buy milk on the way home"
    );
    let steps = trace_steps(&gateway, key);
    let step = steps
        .iter()
        .find(|s| s["kind"] == "transcription")
        .expect("traced");
    assert_eq!(step["bytes"], audio.len());
    assert!(step["durationMs"].is_u64());
    // `pincer trace` reads these steps (an unknown kind would drop the whole trace).
    for step in &steps {
        serde_json::from_value::<pincer::api::TraceStep>(step.clone())
            .unwrap_or_else(|e| panic!("{step} does not read: {e}"));
    }
    let _ = gateway.stop().await;
}

#[actix_web::test]
async fn without_transcription_the_sender_is_told_once_and_too_large_files_become_notes() {
    let emulator = Emulator::openai();
    emulator.host_file("/files/voice-1", b"OggS", "audio/ogg");
    emulator.host_file("/files/big", &vec![1u8; 2048], "image/jpeg");
    let (mut gateway, _state) = start(&emulator, |config| config.media.max_bytes.image = 1024);
    let key = "agent:main:whatsapp:dm:15550001";
    let first = turn(
        &gateway,
        &emulator,
        key,
        "",
        vec![reference(MediaKind::Voice, "voice-1", "audio/ogg")],
    )
    .await;
    assert!(first.contains("media.transcription"), "{first}");
    let second = turn(
        &gateway,
        &emulator,
        key,
        "again",
        vec![reference(MediaKind::Voice, "voice-1", "audio/ogg")],
    )
    .await;
    assert!(
        !second.contains("media.transcription"),
        "told once: {second}"
    );
    let bodies = chat_bodies(&emulator);
    let last = bodies[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["content"],
        "[voice note, 7 s: not transcribed, as no transcription service is configured]\nagain"
    );

    let answer = turn(
        &gateway,
        &emulator,
        key,
        "look",
        vec![reference(MediaKind::Image, "big", "image/jpeg")],
    )
    .await;
    assert!(
        answer.starts_with("echo: "),
        "the turn is answered: {answer}"
    );
    let bodies = chat_bodies(&emulator);
    let last = bodies[2]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let text = last["content"].as_str().unwrap();
    assert!(
        text.starts_with(
            "[image: could not be read: the file is 2048 bytes, over the 1024-byte limit"
        ),
        "{text}"
    );
    let _ = gateway.stop().await;
}

#[actix_web::test]
async fn documents_are_saved_in_the_workspace_inbox_and_text_ones_read_into_the_message() {
    let emulator = Emulator::openai();
    emulator.host_file("/files/doc-1", b"name,amount\nmilk,2\n", "text/csv");
    emulator.host_file("/files/doc-2", b"%PDF-1.4 not really", "application/pdf");
    emulator.host_file("/files/clip", b"never fetched", "video/mp4");
    let (mut gateway, state) = start(&emulator, |_| {});
    let key = "agent:main:main";
    let mut csv = reference(MediaKind::Document, "doc-1", "text/csv");
    csv.file_name = Some("../../shopping list.csv".into());
    let mut pdf = reference(MediaKind::Document, "doc-2", "application/pdf");
    pdf.file_name = Some("report.pdf".into());
    let video = reference(MediaKind::Video, "clip", "video/mp4");
    let mut sticker = reference(MediaKind::Sticker, "s", "image/webp");
    sticker.animated = true;
    turn(
        &gateway,
        &emulator,
        key,
        "see these",
        vec![csv, pdf, video, sticker],
    )
    .await;

    let inbox = state.path().join("agents/main/workspace/inbox");
    assert_eq!(
        std::fs::read(inbox.join("shopping_list.csv")).unwrap(),
        b"name,amount\nmilk,2\n"
    );
    assert_eq!(
        std::fs::read(inbox.join("report.pdf")).unwrap(),
        b"%PDF-1.4 not really"
    );
    let bodies = chat_bodies(&emulator);
    let last = bodies[0]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["content"],
        "[document \"../../shopping list.csv\" (text/csv, 19 bytes), saved as inbox/shopping_list.csv]:\nname,amount\nmilk,2\n\n\
         [document \"report.pdf\" (application/pdf, 19 bytes), saved as inbox/report.pdf; its text is not extracted here: open the file from the workspace]\n\
         [video, 7 s]\n[animated sticker]\nsee these"
    );
    assert!(
        !emulator.requests().iter().any(|r| r.path.contains("clip")),
        "video is described, not downloaded"
    );
    let _ = gateway.stop().await;
}

#[actix_web::test]
async fn a_restarted_run_finds_the_prepared_message_and_downloads_nothing_again() {
    let emulator = Emulator::openai();
    emulator.host_file("/files/photo-1", b"\x89PNG again", "image/png");
    // The first attempt's three tries fail: the supervisor restarts the run.
    for _ in 0..3 {
        emulator.push(pincer_emulators::Reply::status(503));
    }
    let (mut gateway, _state) = start(&emulator, |_| {});
    let key = "agent:main:main";
    let answer = turn(
        &gateway,
        &emulator,
        key,
        "and this?",
        vec![reference(MediaKind::Image, "photo-1", "image/png")],
    )
    .await;
    assert!(answer.starts_with("echo: "), "{answer}");
    let downloads = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(
        downloads, 1,
        "the second attempt used the persisted message"
    );
    let bodies = chat_bodies(&emulator);
    assert_eq!(bodies.len(), 4);
    assert!(
        bodies[3].to_string().contains("data:image/png;base64,"),
        "the restarted attempt still sends the image: it reads the stored file"
    );
    assert_eq!(user_messages(&gateway, key).len(), 1);
    let _ = gateway.stop().await;
}
