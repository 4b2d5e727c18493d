//! The OpenAI embeddings endpoint, `POST /v1/embeddings`: `{"model", "input": string | [string]}`
//! answered `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
//! "usage": {"prompt_tokens", "total_tokens"}}`, as OpenAI (and Ollama, llama.cpp, vLLM) answer.
//!
//! The vectors are deterministic and put paraphrases close: a small concept lexicon maps words
//! and their synonyms ("car", "automobile", "vehicle") to one dimension each, every other word
//! (stop words aside) is hashed (FNV-1a) to one of the remaining dimensions, each word adds 1 to
//! its dimension, and the vector is scaled to length 1. So "fix the automobile" and "car repair"
//! share two dimensions and no word. The length is [`super::Emulator::set_embedding_dimensions`]
//! (default [`DEFAULT_DIMENSIONS`]); [`embed`] is public so benchmarks can make the same vectors
//! without HTTP.

use std::net::TcpStream;

use serde_json::{json, Value};

use super::connection::write_status;
use super::{lock, Shared};

/// The vector length when none was set.
pub const DEFAULT_DIMENSIONS: usize = 64;

/// Words that carry no meaning here (not embedded).
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "to", "of", "is", "are", "on", "in", "for", "and", "or", "my", "at", "be",
    "it", "its", "this", "that", "with", "we", "our", "get", "got", "goes", "has", "have", "by",
    "from", "when", "what", "how", "do", "does", "i", "me", "you", "was", "will", "need", "needs",
];

/// One dimension per concept, with the words that mean it.
const CONCEPTS: &[&[&str]] = &[
    &[
        "car",
        "cars",
        "automobile",
        "vehicle",
        "truck",
        "van",
        "auto",
    ],
    &[
        "repair",
        "repairs",
        "fix",
        "fixed",
        "fixing",
        "mechanic",
        "garage",
        "service",
        "serviced",
        "maintenance",
        "broken",
    ],
    &["dog", "dogs", "puppy", "cat", "kitten", "pet", "pets"],
    &[
        "doctor",
        "physician",
        "clinic",
        "dentist",
        "appointment",
        "checkup",
        "medical",
    ],
    &[
        "food",
        "meal",
        "dinner",
        "lunch",
        "breakfast",
        "eat",
        "restaurant",
        "cook",
    ],
    &["birthday", "anniversary", "celebration", "party", "born"],
    &[
        "travel", "trip", "flight", "vacation", "holiday", "journey", "fly",
    ],
    &[
        "money", "pay", "bill", "invoice", "payment", "cost", "price", "rent",
    ],
    &[
        "friday", "weekend", "monday", "tomorrow", "schedule", "calendar", "date",
    ],
];

fn fnv1a(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The emulator's vector of `text`, of `dims` numbers (at least one more than the concepts).
pub fn embed(text: &str, dims: usize) -> Vec<f32> {
    let dims = dims.max(CONCEPTS.len() + 1);
    let mut vector = vec![0.0f32; dims];
    let lower = text.to_lowercase();
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
    {
        let slot = CONCEPTS
            .iter()
            .position(|words| words.contains(&word))
            .unwrap_or_else(|| {
                let others = (dims - CONCEPTS.len()) as u64;
                CONCEPTS.len() + (fnv1a(word) % others) as usize
            });
        vector[slot] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
    vector
}

/// Answers an embeddings request; 400 in OpenAI's shape when the body is not what the API takes,
/// the outage's status during [`super::Emulator::fail_for`].
pub(super) fn answer(shared: &Shared, body: &Value, out: &mut TcpStream) -> std::io::Result<bool> {
    let outage = *lock(&shared.outage);
    if let Some((until, code)) = outage {
        if std::time::Instant::now() < until {
            let body = json!({"error": {"message": "The server is overloaded", "type": "server_error", "param": null, "code": null}});
            return write_status(out, code, &body.to_string(), None).map(|()| true);
        }
    }
    let Some(model) = body["model"].as_str() else {
        return refuse(out, "you must provide a model parameter");
    };
    let inputs: Vec<String> = match &body["input"] {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) if !items.is_empty() => {
            let texts: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect();
            match texts {
                Some(texts) => texts,
                None => return refuse(out, "input must be a string or an array of strings"),
            }
        }
        _ => return refuse(out, "'input' is a required property"),
    };
    let dims = *lock(&shared.embedding_dimensions);
    let mut tokens = 0usize;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            tokens += text.split_whitespace().count();
            json!({"object": "embedding", "index": index, "embedding": embed(text, dims)})
        })
        .collect();
    let answer = json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    });
    write_status(out, 200, &answer.to_string(), None).map(|()| true)
}

fn refuse(out: &mut TcpStream, message: &str) -> std::io::Result<bool> {
    let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}});
    write_status(out, 400, &body.to_string(), None).map(|()| true)
}

/// The inputs of one recorded embeddings request body.
pub fn inputs_of(body: &Value) -> Vec<String> {
    match &body["input"] {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn paraphrases_are_close_and_unrelated_texts_are_not() {
        let query = embed("car repair", 64);
        let paraphrase = embed("The automobile goes to the mechanic to get fixed.", 64);
        let unrelated = embed("Buy tulips and bread.", 64);
        assert!(cosine(&query, &paraphrase) > 0.7);
        assert!(cosine(&query, &unrelated) < 0.1);
        assert_eq!(embed("car repair", 768).len(), 768);
        assert_eq!(embed("car repair", 64), query, "deterministic");
        let norm: f32 = query.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
    }
}
