//! `pincer memory status|reindex|search QUERY [--json]`: the running gateway's memory index
//! (files, paragraphs, vectors, the embeddings provider), a reindex now, and a search of the
//! main workspace's notes as `memory_search` runs it ([`crate::api::memory`]).

use std::path::Path;

use clap::Subcommand;

use super::client::{block_on, encode, GatewayClient};
use super::CliError;
use crate::agent::memory::ProviderState;
use crate::api::{MemoryReindexRequest, MemorySearchAnswer, MemoryStatus};

/// `pincer memory ...`.
#[derive(Debug, Subcommand)]
pub enum MemoryAction {
    /// The index: files, paragraphs, vectors, the embeddings provider's state.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Bring the index up to date now (only changed paragraphs are embedded); `index` is
    /// OpenClaw's name.
    #[command(alias = "index")]
    Reindex {
        /// Read every note again, even those whose size and time are unchanged.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// Search the notes as the model's memory_search does.
    Search {
        query: String,
        /// 1 to 20.
        #[arg(long, default_value_t = 5)]
        max_results: usize,
        #[arg(long)]
        min_score: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn run(config: Option<&Path>, action: &MemoryAction) -> Result<i32, CliError> {
    let client = GatewayClient::discover(config)?;
    match action {
        MemoryAction::Status { json } => {
            let status: MemoryStatus = block_on(client.get("/admin/memory"))??;
            show_status(&status, *json);
        }
        MemoryAction::Reindex { full, json } => {
            let request = MemoryReindexRequest { full: *full };
            let status: MemoryStatus = block_on(client.post("/admin/memory/reindex", &request))??;
            show_status(&status, *json);
        }
        MemoryAction::Search {
            query,
            max_results,
            min_score,
            json,
        } => {
            let mut path = format!(
                "/admin/memory/search?query={}&maxResults={max_results}",
                encode(query)
            );
            if let Some(min) = min_score {
                path.push_str(&format!("&minScore={min}"));
            }
            let answer: MemorySearchAnswer = block_on(client.get(&path))??;
            show_answer(&answer, *json);
        }
    }
    Ok(crate::exit::OK)
}

fn show_status(status: &MemoryStatus, json: bool) {
    if json {
        return print_json(status);
    }
    let provider = match &status.embeddings {
        ProviderState::Off => "off (BM25 alone)".to_string(),
        ProviderState::Unusable { error } => format!("unusable: {error}"),
        ProviderState::Idle => "not called yet".to_string(),
        ProviderState::Ready => "ok".to_string(),
        ProviderState::Failing { error, .. } => format!("FAILING: {error}"),
    };
    let named = match (&status.provider, &status.model) {
        (Some(provider), Some(model)) => format!("{provider}/{model}: "),
        _ => String::new(),
    };
    println!("mode        {}", status.mode);
    println!("embeddings  {named}{provider}");
    for workspace in &status.workspaces {
        println!(
            "{}\n            {} files, {} paragraphs, {} vectors ({} dimensions)",
            workspace.root,
            workspace.files,
            workspace.chunks,
            workspace.vectors,
            workspace.dimensions
        );
    }
    if status.workspaces.is_empty() {
        println!("nothing indexed yet");
    }
    if let Some(note) = &status.note {
        println!("note        {note}");
    }
}

fn show_answer(answer: &MemorySearchAnswer, json: bool) {
    if json {
        return print_json(answer);
    }
    if let Some(note) = &answer.note {
        println!("({note})");
    }
    if answer.results.is_empty() {
        println!("no note matches {:?}", answer.query);
    }
    for result in &answer.results {
        println!(
            "{}:{}  score {}  [{}]",
            result.path,
            result.lines,
            result.score,
            result.matched.join(", ")
        );
        for line in result.snippet.lines() {
            println!("    {line}");
        }
    }
}
