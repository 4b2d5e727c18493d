//! Fuzz target: an OpenAI Chat Completions answer stream, split into network reads at
//! fuzzer-chosen boundaries (`chunks.rs`), parsed as SSE and decoded into stream events.

#![no_main]

#[path = "chunks.rs"]
mod chunks;

use libfuzzer_sys::fuzz_target;
use pincer::providers::openai::OpenAiDecoder;

fuzz_target!(|data: &[u8]| {
    chunks::run(data, OpenAiDecoder::new("fuzz"));
});
