//! How long the gateway takes to acknowledge a webhook (the HTTP round trip of the POST, not
//! the reply), for a text message and for an image message: the image's download happens in the
//! agent's run, so its webhook must be acknowledged as fast as a text one (issue 18's target).
//!
//! One client thread posts text and image webhooks alternately (so drift in the machine's load
//! touches both alike), each from a paired sender, and times each POST.

use std::time::{Duration, Instant};

use crate::common::client::Client;
use crate::common::Result;
use crate::setup::sender;
use crate::{APP_SECRET, PNID};
use pincer_emulators::graph;

/// The acknowledgement times of each kind.
pub(crate) struct Acks {
    pub(crate) text: Vec<Duration>,
    pub(crate) image: Vec<Duration>,
}

/// A signed webhook carrying one image message (Meta's shape: `type: "image"` with the media
/// id, MIME type, SHA-256 and caption).
fn image_webhook(from: &str, wamid: &str, n: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "0",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550000000", "phone_number_id": PNID },
                    "contacts": [{ "profile": { "name": "Bench" }, "wa_id": from }],
                    "messages": [{
                        "from": from,
                        "id": wamid,
                        "timestamp": "1700000000",
                        "type": "image",
                        "image": {
                            "id": format!("media-{n}"),
                            "mime_type": "image/jpeg",
                            "sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                            "caption": format!("receipt {n}"),
                        },
                    }],
                },
            }],
        }],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

fn timed_post(client: &mut Client, body: &[u8]) -> Result<Duration> {
    let header = format!("X-Hub-Signature-256: {}\r\n", graph::sign(body, APP_SECRET));
    let started = Instant::now();
    let response = client.request("POST", "/webhooks/whatsapp", &header, body)?;
    let elapsed = started.elapsed();
    if response.status != 200 {
        return Err(format!(
            "webhook answered {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ));
    }
    Ok(elapsed)
}

/// `pairs` text and image webhooks, alternately, from `senders` paired senders. Their wamids
/// (`wamid.ACK...`) are not routed to the load threads, so their replies are ignored.
pub(crate) fn measure(client: &mut Client, pairs: usize, senders: usize) -> Result<Acks> {
    let mut acks = Acks {
        text: Vec::with_capacity(pairs),
        image: Vec::with_capacity(pairs),
    };
    for n in 0..pairs {
        let from = sender(n % senders);
        let text = graph::text_webhook(
            PNID,
            &[(&from, &format!("wamid.ACKT{n}"), &format!("ack text {n}"))],
        );
        acks.text.push(timed_post(client, &text)?);
        let image = image_webhook(&from, &format!("wamid.ACKI{n}"), n);
        acks.image.push(timed_post(client, &image)?);
        // Spread out, so the turns these start do not pile up behind the posts.
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(acks)
}
