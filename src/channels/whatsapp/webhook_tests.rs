//! The signature check and the envelope parser, on the documented payload shapes.

use super::*;
use crate::channels::journal::MessageBody;

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

#[test]
fn signatures_are_checked_over_the_raw_bytes() {
    let body = br#"{"a":"caf\u00e9"}"#;
    let good = sign(b"secret", body);
    assert_eq!(verify_signature(b"secret", body, Some(&good)), Ok(()));
    assert_eq!(
        verify_signature(b"other", body, Some(&good)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(b"secret", b"{}", Some(&good)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(b"secret", body, None),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(b"secret", body, Some("sha1=abc")),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        verify_signature(b"secret", body, Some("sha256=zz")),
        Err(SignatureError::Malformed)
    );
    let upper = good.to_uppercase().replace("SHA256=", "sha256=");
    assert_eq!(
        verify_signature(b"secret", body, Some(&upper)),
        Ok(()),
        "hex case does not matter"
    );
}

const TEXT: &str = r#"{"object":"whatsapp_business_account",
 "entry":[{"id":"102290129340398",
  "changes":[{"value":{
     "messaging_product":"whatsapp",
     "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
     "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
     "messages":[{"from":"16505551234",
        "id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        "timestamp":"1749416383","type":"text",
        "text":{"body":"Does it come in another color?"}},
       {"from":"16505551234","id":"wamid.2","timestamp":"1749416384","type":"image",
        "image":{"id":"1","mime_type":"image/jpeg"}}]},
   "field":"messages"}]}]}"#;

#[test]
fn text_and_other_messages_become_records() {
    let parsed = parse(TEXT.as_bytes(), "106540352242922").unwrap();
    assert_eq!(parsed.messages.len(), 2);
    let first = &parsed.messages[0];
    assert_eq!(first.sender, "16505551234");
    assert_eq!(first.sender_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(
        first.body,
        MessageBody::Text("Does it come in another color?".into())
    );
    let MessageBody::Content(image) = &parsed.messages[1].body else {
        panic!("an image is content: {:?}", parsed.messages[1].body);
    };
    assert_eq!(image.media[0].id, "1");
    // Another phone number's notifications are not ours.
    let other = parse(TEXT.as_bytes(), "999").unwrap();
    assert!(other.messages.is_empty());
    assert_eq!(other.skipped, 1);
}

#[test]
fn failed_statuses_carry_their_errors() {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{
      "messaging_product":"whatsapp",
      "metadata":{"display_phone_number":"1","phone_number_id":"590968830767958"},
      "statuses":[{"id":"wamid.X","status":"failed","timestamp":"1750857384","recipient_id":"55",
        "errors":[{"code":131047,"title":"Re-engagement message","error_data":{"details":"24 hours"}}]}]},
      "field":"messages"}]}]}"#;
    let parsed = parse(body.as_bytes(), "590968830767958").unwrap();
    assert_eq!(parsed.statuses.len(), 1);
    assert_eq!(parsed.statuses[0].status, "failed");
    assert_eq!(
        parsed.statuses[0].errors[0].describe(),
        "131047 Re-engagement message: 24 hours"
    );
}

#[test]
fn malformed_bodies_are_errors_not_panics() {
    for body in [
        &b""[..],
        b"{",
        b"[]",
        b"{\"object\":\"page\",\"entry\":[]}",
        b"{\"entry\":7}",
        b"\xff\xfe",
    ] {
        assert!(
            parse(body, "1").is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}
