//! Hybrid memory search through the real gateway: a paraphrase outranks a keyword-only match
//! (through the `memory_search` tool the model calls, and `pincer memory search`), a reindex
//! after an edit embeds only the edited paragraph, and a provider that is down leaves BM25
//! results with a note saying so.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::agent::{ask, gateway_with_root};
use crate::support::tools::{call, tool_result};
use crate::support::{run_cli, stderr, stdout, Gateway};
use pincer_emulators::{Emulator, Reply};

/// A paragraph holding the query's words only as items of a list.
const KEYWORDS_ONLY: &str = "Words to learn in French: car, repair, apple, window, table, \
     garden, kitchen, bread, cheese, river, mountain, chair, door, lamp, glass, spoon, plate, \
     shirt, shoe, book.";
/// A paragraph meaning the query without any of its words.
const PARAPHRASE: &str = "The automobile goes to the mechanic on Friday to get fixed.";
const OTHER: &str = "Anna likes tulips.";

fn memory_note() -> String {
    format!("# Lists\n{KEYWORDS_ONLY}\n# Errands\n{PARAPHRASE}\n# People\n{OTHER}\n")
}

/// A paragraph as indexed: a heading opens it.
fn paragraph(heading: &str, text: &str) -> String {
    format!("# {heading}\n{text}")
}

/// A gateway whose model is `openai/m` and whose embeddings come from `embeddings` (provider
/// `emb`), two paragraphs a batch.
fn gateway(model: &Emulator, embeddings: &Emulator) -> Gateway {
    gateway_with_root(
        &["openai/m"],
        &[
            ("openai", "openai-completions", model),
            ("emb", "openai-completions", embeddings),
        ],
        "",
        "memory: { embeddings: { provider: 'emb', model: 'fake-embed', batchSize: 2 } },",
    )
}

fn workspace(gateway: &Gateway) -> PathBuf {
    gateway.state_dir().join("agents/main/workspace")
}

fn cli_json(gateway: &Gateway, args: &[&str]) -> Value {
    let output = run_cli(gateway.home(), args);
    assert!(
        output.status.success(),
        "{args:?}: {}{}",
        stdout(&output),
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

/// The paragraphs embedded so far (queries are the one-input requests equal to `query`).
fn embedded_paragraphs(emulator: &Emulator, queries: &[&str]) -> Vec<String> {
    emulator
        .embedding_inputs()
        .into_iter()
        .filter(|batch| !(batch.len() == 1 && queries.contains(&batch[0].as_str())))
        .flatten()
        .collect()
}

#[test]
fn a_paraphrase_outranks_a_keyword_only_match_and_only_edits_are_embedded_again() {
    let model = Emulator::openai();
    let embeddings = Emulator::openai();
    let gateway = gateway(&model, &embeddings);
    std::fs::write(workspace(&gateway).join("MEMORY.md"), memory_note()).unwrap();

    // The model searches its memory.
    model.push(call(
        "c1",
        "memory_search",
        json!({ "query": "car repair", "maxResults": 3 }),
    ));
    model.push(Reply::text(&["found it"]));
    let response = ask(&gateway, "agent:main:main", "when is the car repaired?");
    assert_eq!(response.status, 200, "{}", response.body);
    let requests = model.requests();
    let result: Value =
        serde_json::from_str(&tool_result(&requests.last().unwrap().body, "c1")).unwrap();
    assert_eq!(result["mode"], "hybrid", "{result}");
    let results = result["results"].as_array().unwrap();
    assert_eq!(
        results[0]["snippet"],
        paragraph("Errands", PARAPHRASE),
        "{result}"
    );
    assert_eq!(results[0]["lines"], "3-4");
    assert_eq!(results[0]["matched"], json!(["meaning"]));
    assert_eq!(results[1]["snippet"], paragraph("Lists", KEYWORDS_ONLY));
    assert!(results[1]["matched"]
        .as_array()
        .unwrap()
        .contains(&json!("keywords")));

    // Every paragraph was embedded once, in batches of at most two.
    let mut once = embedded_paragraphs(&embeddings, &["car repair"]);
    once.sort();
    let mut expected = vec![
        paragraph("Lists", KEYWORDS_ONLY),
        paragraph("Errands", PARAPHRASE),
        paragraph("People", OTHER),
    ];
    expected.sort();
    assert_eq!(once, expected);
    assert!(embeddings.embedding_inputs().iter().all(|b| b.len() <= 2));
    assert!(embeddings
        .requests()
        .iter()
        .all(|r| r.body["model"] == "fake-embed"));

    // The CLI agrees.
    let answer = cli_json(&gateway, &["memory", "search", "car repair", "--json"]);
    assert_eq!(
        answer["results"][0]["snippet"],
        paragraph("Errands", PARAPHRASE),
        "{answer}"
    );
    let output = run_cli(gateway.home(), &["memory", "search", "car repair"]);
    let text = stdout(&output);
    assert!(text.starts_with("MEMORY.md:3-4"), "{text}");
    assert!(text.contains("[meaning]"), "{text}");

    // One paragraph edited: a reindex embeds that one only.
    let before = embeddings.embedding_inputs().len();
    let edited = memory_note().replace(OTHER, "Anna likes tulips and roses.");
    std::fs::write(workspace(&gateway).join("MEMORY.md"), edited).unwrap();
    let status = cli_json(&gateway, &["memory", "reindex", "--json"]);
    let after: Vec<String> = embeddings.embedding_inputs()[before..]
        .iter()
        .flatten()
        .cloned()
        .collect();
    assert_eq!(after, [paragraph("People", "Anna likes tulips and roses.")]);
    assert_eq!(status["workspaces"][0]["chunks"], 3, "{status}");
    assert_eq!(status["workspaces"][0]["vectors"], 3);
    assert_eq!(status["embeddings"]["state"], "ready");
    assert_eq!(status["mode"], "hybrid");

    // The index survives a restart: nothing is embedded again.
    let before = embeddings.embedding_inputs().len();
    let gateway = gateway.restart();
    let answer = cli_json(&gateway, &["memory", "search", "car repair", "--json"]);
    assert_eq!(
        answer["results"][0]["snippet"],
        paragraph("Errands", PARAPHRASE)
    );
    let again = embedded_paragraphs(&embeddings, &["car repair"]);
    assert_eq!(again.len(), 4, "three at first, one edit: {again:?}");
    assert!(
        embeddings.embedding_inputs().len() > before,
        "the query was embedded"
    );

    // The indexer is an actor with its figures.
    let actors = gateway.get_authed("/admin/actors").body;
    let text = actors.to_string();
    assert!(text.contains("/gateway/tools/memory-index"), "{text}");
    assert!(text.contains("3 chunks, 3 vectors"), "{text}");
}

#[test]
fn a_provider_that_is_down_leaves_keyword_results_with_a_note() {
    let model = Emulator::openai();
    let embeddings = Emulator::openai();
    embeddings.fail_for(Duration::from_secs(600), 503);
    let gateway = gateway(&model, &embeddings);
    std::fs::write(workspace(&gateway).join("MEMORY.md"), memory_note()).unwrap();

    let answer = cli_json(&gateway, &["memory", "search", "car repair", "--json"]);
    assert_eq!(answer["mode"], "keywords", "{answer}");
    assert!(
        answer["note"]
            .as_str()
            .unwrap()
            .contains("keyword (BM25) results only"),
        "{answer}"
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the keywords match: {answer}");
    assert_eq!(results[0]["snippet"], paragraph("Lists", KEYWORDS_ONLY));
    let status = cli_json(&gateway, &["memory", "status", "--json"]);
    assert_eq!(status["embeddings"]["state"], "failing", "{status}");
    assert!(status["embeddings"]["error"]
        .as_str()
        .unwrap()
        .contains("503"));
    let output = run_cli(gateway.home(), &["memory", "status"]);
    assert!(stdout(&output).contains("FAILING"), "{}", stdout(&output));
}

#[test]
fn without_embeddings_the_search_is_bm25_as_before() {
    let model = Emulator::openai();
    let gateway = gateway_with_root(
        &["openai/m"],
        &[("openai", "openai-completions", &model)],
        "",
        "",
    );
    std::fs::write(workspace(&gateway).join("MEMORY.md"), memory_note()).unwrap();
    let answer = cli_json(&gateway, &["memory", "search", "car repair", "--json"]);
    assert_eq!(answer["mode"], "keywords");
    assert!(answer.get("note").is_none(), "{answer}");
    assert_eq!(
        answer["results"][0]["snippet"],
        paragraph("Lists", KEYWORDS_ONLY)
    );
    let status = cli_json(&gateway, &["memory", "status", "--json"]);
    assert_eq!(status["embeddings"]["state"], "off", "{status}");
    assert_eq!(status["workspaces"][0]["vectors"], 0);
}
