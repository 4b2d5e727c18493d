//! Every parser of outside input, fed random bytes and mutated valid inputs: each must answer with
//! an error (or a value), never panic. A fixed-seed xorshift keeps failures reproducible; the
//! seed and the input are in the panic message. (Journal frames, the codec and WhatsApp webhook
//! bodies have the same kind of test next to their code.)

use std::collections::VecDeque;
use std::path::Path;

use crate::providers::anthropic::AnthropicDecoder;
use crate::providers::openai::OpenAiDecoder;
use crate::providers::sse::{Decoder, SseParser};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `count` inputs: random bytes, and valid samples with bytes flipped, cut, repeated or spliced
/// with JSON and SSE punctuation.
fn inputs(samples: &[&[u8]], count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let punctuation = b"{}[]\":,\\\n\r: data event0-9e";
    (0..count)
        .map(|i| {
            if i % 4 == 0 || samples.is_empty() {
                let len = rng.below(300);
                return (0..len).map(|_| rng.next() as u8).collect();
            }
            let mut input = samples[rng.below(samples.len())].to_vec();
            for _ in 0..=rng.below(4) {
                if input.is_empty() {
                    break;
                }
                let at = rng.below(input.len());
                match rng.below(4) {
                    0 => input[at] = rng.next() as u8,
                    1 => input.truncate(at),
                    2 => {
                        let piece = input[at..].to_vec();
                        input.extend_from_slice(&piece);
                    }
                    _ => input.insert(at, punctuation[rng.below(punctuation.len())]),
                }
            }
            input
        })
        .collect()
}

const OPENAI_SSE: &[u8] = b"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"t\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n\
data: [DONE]\n\n";

const ANTHROPIC_SSE: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

#[test]
fn sse_parser_and_both_provider_decoders_never_panic() {
    for (i, input) in inputs(&[OPENAI_SSE, ANTHROPIC_SSE], 4000)
        .iter()
        .enumerate()
    {
        let mut parser = SseParser::new();
        let (mut openai, mut anthropic) = (OpenAiDecoder::new("p"), AnthropicDecoder::new("p"));
        let mut out = VecDeque::new();
        // Split at a varying point: events cut across reads.
        let cut = i % (input.len() + 1);
        for piece in [&input[..cut], &input[cut..]] {
            let Ok(events) = parser.push(piece) else {
                break;
            };
            for event in events {
                let _ = openai.decode(event.clone(), &mut out);
                let _ = anthropic.decode(event, &mut out);
            }
        }
        let _ = (openai.cut_off(), anthropic.cut_off());
    }
}

#[test]
fn websocket_request_frames_never_panic() {
    let sample: &[u8] = br#"{"type":"req","id":"1","method":"chat.send","params":{"message":"hi","idempotencyKey":"k"}}"#;
    for input in inputs(&[sample], 4000) {
        let _ = crate::control::frames::parse_request(&String::from_utf8_lossy(&input));
    }
}

#[test]
fn telegram_updates_never_panic() {
    let sample: &[u8] = br#"{"update_id":9,"message":{"message_id":4,"from":{"id":1,"is_bot":false,"first_name":"A","username":"a"},"chat":{"id":1,"type":"private"},"date":1,"text":"hi","photo":[{"file_id":"x"}]}}"#;
    for input in inputs(&[sample], 4000) {
        if let Ok(value) = serde_json::from_slice(&input) {
            let _ = crate::channels::telegram::update::parse(value, "1");
        }
    }
}

#[test]
fn config_files_never_panic() {
    let sample = include_bytes!("../config/pincer.example.json5");
    for input in inputs(
        &[
            sample,
            b"{ gateway: { port: 1 }, channels: { whatsapp: { enabled: true } } }",
        ],
        600,
    ) {
        let _ = crate::config::parse_str(&String::from_utf8_lossy(&input), Path::new("fuzz.json5"));
    }
}
