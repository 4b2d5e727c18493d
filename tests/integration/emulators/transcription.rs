//! The model emulator's transcription endpoint: its multipart parser, and a real `reqwest`
//! multipart request recorded part by part.

use pincer_emulators::transcription::{parse_multipart, DEFAULT_TRANSCRIPT};
use pincer_emulators::Emulator;

#[test]
fn a_multipart_body_is_split_into_its_parts() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"voice.ogg\"\r\nContent-Type: audio/ogg\r\n\r\nOGG\r\n--X\r\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--XyZ--\r\n";
    let parts = parse_multipart(body, "XyZ").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].name, "file");
    assert_eq!(parts[0].file_name.as_deref(), Some("voice.ogg"));
    assert_eq!(parts[0].content_type.as_deref(), Some("audio/ogg"));
    assert_eq!(
        parts[0].data, b"OGG\r\n--X",
        "a near-delimiter inside the data is data"
    );
    assert_eq!(parts[1].data, b"whisper-1");
    assert!(parse_multipart(b"garbage", "XyZ").is_none());
    assert!(parse_multipart(b"--XyZ\r\nno end of head", "XyZ").is_none());
}

#[test]
fn a_transcription_without_a_file_is_refused_and_one_with_it_answered() {
    let emulator = Emulator::openai();
    let boundary = "b0undary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let post = |body: String| {
        pincer_emulators::client::request(
            emulator.addr(),
            "POST",
            "/v1/audio/transcriptions",
            &[("content-type", content_type.as_str())],
            Some(body.as_bytes()),
        )
    };
    let only_model = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--{boundary}--\r\n");
    let (status, _) = post(only_model);
    assert_eq!(status, 400);
    emulator.push_transcript("hello there");
    let full = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.ogg\"\r\nContent-Type: audio/ogg\r\n\r\nOGGDATA\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\njson\r\n--{boundary}--\r\n");
    let (status, body) = post(full.clone());
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"text":"hello there"}"#);
    let (_, body) = post(full);
    assert!(body.contains(DEFAULT_TRANSCRIPT), "{body}");
    let recorded = emulator.transcriptions();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].file, b"OGGDATA");
    assert_eq!(recorded[0].file_name.as_deref(), Some("a.ogg"));
    assert_eq!(recorded[0].model.as_deref(), Some("whisper-1"));
    assert_eq!(recorded[0].response_format.as_deref(), Some("json"));
}
