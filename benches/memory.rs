//! Benchmark of memory search (`pincer::agent::memory`): a workspace index of 10,000 paragraphs
//! with vectors of dimension 768 (the provider emulator's deterministic embeddings, made
//! in-process: the provider's own time is not Pincer's), then whole searches as `memory_search`
//! runs them once the query is embedded: BM25 over the inverted index, cosine over every vector,
//! the weighted merge, the snippets.
//!
//! Run it through `scripts/bench` (`scripts/bench --only memory`), or alone with
//! `cargo bench --bench memory -- [--paragraphs N] [--dims D] [--queries Q] [--quick] [--json]`.
//!
//! Figures: `memory.index_10k_ms` (chunking the notes, building BM25 and storing every vector),
//! `memory.save_ms` / `memory.load_ms` (the index file, written atomically and read back),
//! `memory.search_p50_ms`, `memory.search_p99_ms` (target < 10 ms, issue 19) and, for context,
//! `memory.search_bm25_p99_ms` (keywords alone, as without a provider).

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

#[allow(dead_code)]
#[path = "common/figure.rs"]
mod figure;

use std::time::{Duration, Instant};

use figure::{count, emit, Target};
use pincer::agent::memory::index::Stamp;
use pincer::agent::memory::{store, WorkspaceIndex};
use pincer::config::MemorySearchConfig;
use pincer_emulators::embeddings::embed;

const TARGET_SEARCH_P99_MS: f64 = 10.0;
const PARAGRAPHS_PER_NOTE: usize = 100;

struct Options {
    paragraphs: usize,
    dims: usize,
    queries: usize,
    json: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        paragraphs: 10_000,
        dims: 768,
        queries: 1_000,
        json: false,
    };
    let mut args = std::env::args().skip(1);
    let number = |value: Option<String>, name: &str| {
        value
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .ok_or(format!("{name} needs a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--paragraphs" => options.paragraphs = number(args.next(), "--paragraphs")?,
            "--dims" => options.dims = number(args.next(), "--dims")?,
            "--queries" => options.queries = number(args.next(), "--queries")?,
            "--quick" => options.queries = 200,
            "--json" => options.json = true,
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// A deterministic word stream (xorshift) over a vocabulary of everyday and made-up words.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
}

impl Words {
    fn new() -> Words {
        let common = [
            "car",
            "repair",
            "doctor",
            "appointment",
            "dinner",
            "birthday",
            "flight",
            "rent",
            "friday",
            "garden",
            "meeting",
            "project",
            "report",
            "call",
            "email",
            "book",
            "gift",
            "school",
            "train",
            "coffee",
            "walk",
            "music",
            "movie",
            "photo",
            "plan",
        ];
        let mut vocabulary: Vec<String> = common.iter().map(|w| w.to_string()).collect();
        vocabulary.extend((0..5_000).map(|i| format!("word{i}")));
        Words {
            state: 0x9E37_79B9_7F4A_7C15,
            vocabulary,
        }
    }

    fn next(&mut self) -> &str {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let index = (self.state % self.vocabulary.len() as u64) as usize;
        &self.vocabulary[index]
    }

    fn sentence(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.next().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    let json = options.json;
    let mut words = Words::new();
    let notes: Vec<(String, String)> = (0..options.paragraphs.div_ceil(PARAGRAPHS_PER_NOTE))
        .map(|n| {
            let paragraphs: Vec<String> = (0..PARAGRAPHS_PER_NOTE)
                .filter(|p| n * PARAGRAPHS_PER_NOTE + p < options.paragraphs)
                .map(|_| words.sentence(40))
                .collect();
            (format!("memory/note-{n:04}.md"), paragraphs.join("\n\n"))
        })
        .collect();

    // Embeddings are the provider's work: made before the clock starts.
    let mut texts = Vec::with_capacity(options.paragraphs);
    for (_, text) in &notes {
        texts.extend(text.split("\n\n").map(str::to_string));
    }
    let made = Instant::now();
    let vectors: Vec<Vec<f32>> = texts.iter().map(|t| embed(t, options.dims)).collect();
    let embed_ms = made.elapsed().as_secs_f64() * 1000.0;

    let started = Instant::now();
    let mut index = WorkspaceIndex::default();
    for (path, text) in &notes {
        index.put_note(path, Stamp::default(), text);
    }
    index.rebuild();
    index.use_model("fake-embed");
    let pending = index.pending();
    let by_text: std::collections::HashMap<&str, &Vec<f32>> =
        texts.iter().map(String::as_str).zip(&vectors).collect();
    let rows: Vec<usize> = pending.iter().map(|p| p.0).collect();
    let ordered: Vec<Vec<f32>> = pending
        .iter()
        .map(|(_, text)| by_text[text.as_str()].clone())
        .collect();
    index.fill(&rows, &ordered);
    let index_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(index.chunks().len(), options.paragraphs);
    assert_eq!(index.embedded(), options.paragraphs);

    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("memory").join("bench.idx");
    let saving = Instant::now();
    store::save(&file, &index).expect("index saved");
    let save_ms = saving.elapsed().as_secs_f64() * 1000.0;
    let size_mb = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    let loading = Instant::now();
    let loaded = store::load(&file).expect("index loaded");
    let load_ms = loading.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(loaded.embedded(), options.paragraphs);

    let settings = MemorySearchConfig::default();
    let queries: Vec<String> = (0..options.queries).map(|_| words.sentence(3)).collect();
    let mut hybrid = Vec::with_capacity(queries.len());
    let mut keywords = Vec::with_capacity(queries.len());
    let mut found = 0usize;
    for query in &queries {
        let vector = embed(query, options.dims);
        let began = Instant::now();
        let hits = loaded.search(query, Some(&vector), &settings, 5, 0.0);
        hybrid.push(began.elapsed());
        found += hits.len();
        let began = Instant::now();
        let hits = loaded.search(query, None, &settings, 5, 0.0);
        keywords.push(began.elapsed());
        found += hits.len();
    }
    assert!(found > 0, "the searches found nothing");
    hybrid.sort();
    keywords.sort();
    let (p50, p99) = (percentile(&hybrid, 0.5), percentile(&hybrid, 0.99));
    let bm25_p99 = percentile(&keywords, 0.99);
    println!(
        "{} paragraphs, {} dimensions: indexed in {index_ms:.0} ms (embedding them, the fake \
         provider's work, {embed_ms:.0} ms); index file {size_mb:.1} MiB, saved in {save_ms:.0} ms, \
         loaded in {load_ms:.0} ms; {} searches: p50 {p50:.2} ms, p99 {p99:.2} ms (BM25 alone p99 \
         {bm25_p99:.2} ms)",
        count(options.paragraphs),
        options.dims,
        count(options.queries),
    );
    let label = format!(
        "{} paragraphs × {} dimensions",
        count(options.paragraphs),
        options.dims
    );
    emit(
        json,
        "memory.index_10k_ms",
        &format!("index {label} (chunks, BM25, vectors)"),
        index_ms,
        "ms",
        Target::None,
    );
    emit(
        json,
        "memory.save_ms",
        "write the index file",
        save_ms,
        "ms",
        Target::None,
    );
    emit(
        json,
        "memory.load_ms",
        "read the index file",
        load_ms,
        "ms",
        Target::None,
    );
    emit(
        json,
        "memory.index_file_mib",
        "index file size",
        size_mb,
        "MiB",
        Target::None,
    );
    emit(
        json,
        "memory.search_p50_ms",
        "hybrid search p50 (BM25 + cosine + merge)",
        p50,
        "ms",
        Target::None,
    );
    emit(
        json,
        "memory.search_p99_ms",
        "hybrid search p99 (BM25 + cosine + merge)",
        p99,
        "ms",
        Target::Below(TARGET_SEARCH_P99_MS),
    );
    emit(
        json,
        "memory.search_bm25_p99_ms",
        "keyword-only search p99",
        bm25_p99,
        "ms",
        Target::None,
    );
}
