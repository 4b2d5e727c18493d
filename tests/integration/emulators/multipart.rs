//! The emulators' multipart reader on bodies as RFC 7578 lays them out: text fields, a binary
//! file part whose bytes contain CRLF and dashes, and refusals of malformed bodies.

use pincer_emulators::multipart::{parse, text};

fn body(boundary: &str, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\n\
             whatsapp\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n\
             application/pdf\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"report.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[test]
fn fields_and_binary_files_are_read_exactly() {
    let file = b"%PDF\r\n--not-the-boundary\r\n\x00\xff end";
    let parts = parse(
        "multipart/form-data; boundary=XyZ123",
        &body("XyZ123", file),
    )
    .unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(text(&parts, "messaging_product"), Some("whatsapp"));
    assert_eq!(text(&parts, "type"), Some("application/pdf"));
    let part = &parts[2];
    assert_eq!(part.name, "file");
    assert_eq!(part.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(part.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(part.data, file);
    assert_eq!(text(&parts, "file"), None, "a file is not a text field");
}

#[test]
fn malformed_bodies_are_refused() {
    let good = body("B", b"x");
    assert!(parse("application/json", &good).is_none());
    assert!(parse("multipart/form-data", &good).is_none(), "no boundary");
    assert!(parse("multipart/form-data; boundary=other", &good).is_none());
    let cut = &good[..good.len() - 8];
    assert!(
        parse("multipart/form-data; boundary=B", cut).is_none(),
        "no closing boundary"
    );
    assert!(
        parse("multipart/form-data; boundary=\"B\"", &good).is_some(),
        "quoted boundary"
    );
}
