//! Fuzz target: a WhatsApp webhook POST. The input is `<X-Hub-Signature-256 header>\n<body>`
//! (no newline: no header); the signature is checked against a fixed app secret, then the body is
//! parsed as a notification for a fixed phone number id, whatever the signature said (the parser
//! must survive bodies that a leaked secret could sign).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pincer::channels::whatsapp::webhook::{parse, verify_signature};

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (Some(String::from_utf8_lossy(&data[..at])), &data[at + 1..]),
        None => (None, data),
    };
    let _ = verify_signature(b"app-secret", body, header.as_deref());
    if let Ok(parsed) = parse(body, "106540352242922") {
        for record in &parsed.messages {
            assert_eq!(record.channel, "whatsapp");
            assert_eq!(record.account, "106540352242922");
        }
        let described: usize = parsed
            .statuses
            .iter()
            .flat_map(|s| &s.errors)
            .chain(&parsed.errors)
            .map(|e| e.describe().len())
            .sum();
        std::hint::black_box(described);
    }
});
