//! Fuzz target: an Anthropic Messages answer stream, split into network reads at fuzzer-chosen
//! boundaries (`chunks.rs`), parsed as SSE and decoded into stream events.

#![no_main]

#[path = "chunks.rs"]
mod chunks;

use libfuzzer_sys::fuzz_target;
use pincer::providers::anthropic::AnthropicDecoder;

fuzz_target!(|data: &[u8]| {
    chunks::run(data, AnthropicDecoder::new("fuzz"));
});
