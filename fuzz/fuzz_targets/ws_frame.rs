//! Fuzz target: a control-plane WebSocket text frame (text frames are UTF-8, so invalid bytes are
//! replaced first), decoded as a request and, when it is one, checked as the `connect` handshake
//! frame (everything but the credential check, which needs a gateway).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pincer::control::frames::parse_request;
use pincer::control::socket::parse_connect;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(request) = parse_request(&text) else {
        return;
    };
    assert_eq!(request.kind, "req");
    assert!(!request.id.is_empty() && request.id.len() <= 128);
    if let Ok(hello) = parse_connect(&request) {
        assert_eq!(hello.id, request.id);
        assert!(hello.presence.client_id.chars().count() <= 64);
        assert!(hello.scopes.names().iter().all(|s| s.starts_with("operator.")));
    }
});
