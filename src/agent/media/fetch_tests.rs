//! Downloads against the emulator's hosted files: limits, checksums, storage.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use pincer_emulators::Emulator;
use sha2::{Digest, Sha256};

use super::*;
use crate::sessions::media::Located;

struct Hosted {
    url: String,
    sha256: Option<String>,
    size: Option<u64>,
    located: AtomicUsize,
}

impl MediaSource for Hosted {
    fn locate(&self, _media: &MediaRef) -> BoxFuture<'static, Result<Located, MediaError>> {
        self.located.fetch_add(1, Ordering::SeqCst);
        let located = Located {
            url: self.url.clone(),
            bearer: Some("media-token".into()),
            mime: Some("image/jpeg".into()),
            sha256: self.sha256.clone(),
            size: self.size,
        };
        async move { Ok(located) }.boxed()
    }
}

fn reference(kind: MediaKind, size: Option<u64>) -> MediaRef {
    MediaRef {
        kind,
        id: "m1".into(),
        mime: None,
        sha256: None,
        file_name: None,
        size,
        duration_s: None,
        dimensions: None,
        animated: false,
    }
}

fn client() -> reqwest::Client {
    crate::net::http::builder("media tests").build().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn source(url: String, sha256: Option<String>, size: Option<u64>) -> Arc<Hosted> {
    Arc::new(Hosted {
        url,
        sha256,
        size,
        located: AtomicUsize::new(0),
    })
}

#[tokio::test]
async fn a_file_is_downloaded_with_the_bearer_checked_and_stored_privately() {
    let emulator = Emulator::openai();
    let bytes = b"\xff\xd8 a jpeg".to_vec();
    let url = emulator.host_file("/media/abc", &bytes, "image/jpeg");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("media");
    let config = MediaConfig::default();
    let http = client();
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
    for sha in [hex(&bytes), b64] {
        let hosted = source(url.clone(), Some(sha), None);
        let fetched = fetch(
            &http,
            &config,
            &store,
            hosted.as_ref(),
            &reference(MediaKind::Image, None),
        )
        .await
        .unwrap();
        assert_eq!(fetched.bytes, bytes);
        assert_eq!(fetched.path, store.join(format!("{}.jpg", hex(&bytes))));
        assert_eq!(std::fs::read(&fetched.path).unwrap(), bytes);
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&store), 0o700);
    assert_eq!(mode(&store.join(format!("{}.jpg", hex(&bytes)))), 0o600);
    let get = emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .unwrap();
    assert_eq!(get.header("authorization"), Some("Bearer media-token"));
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_before_any_request() {
    let mut config = MediaConfig::default();
    config.max_bytes.image = 10;
    let hosted = source("http://127.0.0.1:9/never".into(), None, None);
    let dir = tempfile::tempdir().unwrap();
    let error = fetch(
        &client(),
        &config,
        dir.path(),
        hosted.as_ref(),
        &reference(MediaKind::Image, Some(11)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::Media(MediaError::TooLarge {
                size: 11,
                limit: 10,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(hosted.located.load(Ordering::SeqCst), 0);
    assert!(!error.is_passing());
}

#[tokio::test]
async fn a_download_past_the_limit_is_cut_and_nothing_is_stored() {
    let emulator = Emulator::openai();
    let url = emulator.host_file("/big", &vec![7u8; 4096], "image/jpeg");
    let mut config = MediaConfig::default();
    config.max_bytes.image = 1000;
    let dir = tempfile::tempdir().unwrap();
    let hosted = source(url, None, None);
    let error = fetch(
        &client(),
        &config,
        dir.path(),
        hosted.as_ref(),
        &reference(MediaKind::Image, None),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, FetchError::Media(MediaError::TooLarge { .. })),
        "{error}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_checksum_mismatch_is_refused() {
    let emulator = Emulator::openai();
    let url = emulator.host_file("/x", b"actual bytes", "image/jpeg");
    let dir = tempfile::tempdir().unwrap();
    let hosted = source(url, Some(hex(b"other bytes")), None);
    let error = fetch(
        &client(),
        &MediaConfig::default(),
        dir.path(),
        hosted.as_ref(),
        &reference(MediaKind::Image, None),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, FetchError::Media(MediaError::Corrupt)),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_file_is_refused_and_a_dead_server_is_passing() {
    let emulator = Emulator::openai();
    let dir = tempfile::tempdir().unwrap();
    let gone = source(
        format!("http://{}/nothing-here", emulator.addr()),
        None,
        None,
    );
    let error = fetch(
        &client(),
        &MediaConfig::default(),
        dir.path(),
        gone.as_ref(),
        &reference(MediaKind::Image, None),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, FetchError::Refused(404)), "{error}");
    let dead = source("http://127.0.0.1:1/x".into(), None, None);
    let error = fetch(
        &client(),
        &MediaConfig::default(),
        dir.path(),
        dead.as_ref(),
        &reference(MediaKind::Image, None),
    )
    .await
    .unwrap_err();
    assert!(error.is_passing(), "{error}");
}

#[test]
fn accepted_types_match_exactly_or_by_family() {
    let mut config = MediaConfig::default();
    config
        .accept
        .insert("image".into(), vec!["image/png".into()]);
    config
        .accept
        .insert("document".into(), vec!["text/*".into()]);
    assert!(check_type(&config, MediaKind::Image, "image/png").is_ok());
    assert!(check_type(&config, MediaKind::Image, "image/jpeg").is_err());
    assert!(check_type(&config, MediaKind::Document, "text/csv; charset=utf-8").is_ok());
    assert!(
        check_type(&config, MediaKind::Voice, "audio/ogg").is_ok(),
        "unlisted kinds take all"
    );
}

#[test]
fn extensions_come_from_the_type_only() {
    assert_eq!(extension_of("image/jpeg"), "jpg");
    assert_eq!(extension_of("audio/ogg; codecs=opus"), "ogg");
    assert_eq!(extension_of("application/x-evil/../../x"), "bin");
}
