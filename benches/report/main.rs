//! The aggregation step of `scripts/bench`: reads the figure lines every benchmark printed with
//! `--json` (`benches/common/figure.rs`), one file per run, and writes the Markdown report
//! (`docs/BENCHMARKS.md` for a full run): the machine, the commit, the date and the command
//! line, then per figure the median of the runs, the spread (min–max, number of runs), the
//! target the bench gave and whether the median meets it.
//!
//! ```text
//! cargo bench --bench report -- --results DIR --out FILE --commit C --date D --command CMD
//!     [--mode full|quick] [--load TEXT]
//! ```
//!
//! `DIR` holds one folder per benchmark (`startup`, `engine`, `channels`, `ws`, `tools`,
//! `journal`, `soak`; a missing one is left out of the report), each with `run-<n>.jsonl` (the
//! figure lines of run n), `meta` (`key=value` lines written by `scripts/bench`: `runs`,
//! `date`, `commit`, `args`, `status`) and, when the bench failed, `error.txt`. Run on its own
//! (`cargo bench` runs every bench), it says so and does nothing. Layout: this file reads and
//! aggregates; `markdown.rs` renders.

#![allow(
    unreachable_pub,
    reason = "a binary exports nothing: its `pub` items are shared between its own modules"
)]

mod markdown;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

type Result<T> = std::result::Result<T, String>;

/// The benchmarks in report order: folder name and section title.
const BENCHES: [(&str, &str); 8] = [
    ("startup", "Start-up and footprint"),
    ("engine", "Agent engine: `POST /v1/chat/completions`"),
    (
        "channels",
        "WhatsApp channel: webhook → agent → Graph API send",
    ),
    ("ws", "WebSocket control plane"),
    ("tools", "Tool invocation actor"),
    ("journal", "Channel journal"),
    ("memory", "Memory search: 10,000 paragraphs, vectors of 768"),
    (
        "soak",
        "Soak: steady WhatsApp load through the real gateway",
    ),
];

/// The command line.
pub(crate) struct Options {
    results: PathBuf,
    out: PathBuf,
    pub(crate) commit: String,
    pub(crate) date: String,
    pub(crate) command: String,
    pub(crate) mode: String,
    pub(crate) load: String,
}

/// A target as the bench gave it: `op` is `>=`, `<` or `==`.
#[derive(Clone)]
pub(crate) struct Goal {
    pub(crate) op: String,
    pub(crate) value: f64,
}

impl Goal {
    pub(crate) fn met(&self, value: f64) -> bool {
        match self.op.as_str() {
            ">=" => value >= self.value,
            "<" => value < self.value,
            _ => value == self.value,
        }
    }
}

/// One figure over all runs of a bench.
pub(crate) struct Figure {
    pub(crate) label: String,
    pub(crate) unit: String,
    pub(crate) goal: Option<Goal>,
    pub(crate) values: Vec<f64>,
}

impl Figure {
    /// The median (the mean of the middle two for an even count), min and max.
    pub(crate) fn stats(&self) -> (f64, f64, f64) {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        (median, sorted[0], sorted[n - 1])
    }
}

/// One bench's section: its `meta`, its figures in the order they were first printed, and
/// the error of a failed run.
pub(crate) struct Section {
    pub(crate) title: &'static str,
    pub(crate) name: &'static str,
    pub(crate) meta: BTreeMap<String, String>,
    pub(crate) figures: Vec<Figure>,
    pub(crate) error: Option<String>,
}

fn usage() -> &'static str {
    "usage: cargo bench --bench report -- --results DIR --out FILE --commit C --date D --command CMD [--mode full|quick] [--load TEXT]\n\
     (the aggregation step of scripts/bench, which is the command to run)"
}

fn parse_args() -> Result<Option<Options>> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every benchmark binary.
            "--bench" => {}
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            "--results" | "--out" | "--commit" | "--date" | "--command" | "--mode" | "--load" => {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                values.insert(arg.trim_start_matches('-').to_string(), value);
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    if values.is_empty() {
        return Ok(None);
    }
    let mut take = |name: &str| -> Result<String> {
        values
            .remove(name)
            .ok_or_else(|| format!("--{name} is required\n{}", usage()))
    };
    Ok(Some(Options {
        results: take("results")?.into(),
        out: take("out")?.into(),
        commit: take("commit")?,
        date: take("date")?,
        command: take("command")?,
        mode: take("mode").unwrap_or_else(|_| "full".to_string()),
        load: take("load").unwrap_or_default(),
    }))
}

/// `key=value` lines.
fn read_meta(path: &Path) -> Result<BTreeMap<String, String>> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect())
}

/// Adds the figure lines of one run to `figures`.
fn read_run(path: &Path, figures: &mut Vec<(String, Figure)>) -> Result<()> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), number + 1);
        let record: Value =
            serde_json::from_str(line).map_err(|e| format!("{}: not JSON ({e}): {line}", at()))?;
        let id = record["figure"]
            .as_str()
            .ok_or_else(|| format!("{}: no \"figure\" in {line}", at()))?;
        let Some(value) = record["value"].as_f64() else {
            // A figure that could not be computed in this run (JSON null).
            continue;
        };
        let goal = match (
            record["target"]["op"].as_str(),
            record["target"]["value"].as_f64(),
        ) {
            (Some(op), Some(value)) => Some(Goal {
                op: op.to_string(),
                value,
            }),
            _ => None,
        };
        let index = match figures.iter().position(|(known, _)| known == id) {
            Some(index) => index,
            None => {
                figures.push((
                    id.to_string(),
                    Figure {
                        label: record["label"].as_str().unwrap_or(id).to_string(),
                        unit: record["unit"].as_str().unwrap_or("").to_string(),
                        goal,
                        values: Vec::new(),
                    },
                ));
                figures.len() - 1
            }
        };
        figures[index].1.values.push(value);
    }
    Ok(())
}

fn read_section(dir: &Path, name: &'static str, title: &'static str) -> Result<Section> {
    let meta = read_meta(&dir.join("meta"))?;
    let mut runs: Vec<(u64, PathBuf)> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let stem = path.file_name()?.to_str()?.strip_suffix(".jsonl")?;
            let number = stem.strip_prefix("run-")?.parse().ok()?;
            Some((number, path))
        })
        .collect();
    runs.sort();
    let mut figures = Vec::new();
    for (_, path) in &runs {
        read_run(path, &mut figures)?;
    }
    let error = fs::read_to_string(dir.join("error.txt")).ok();
    Ok(Section {
        title,
        name,
        meta,
        figures: figures.into_iter().map(|(_, figure)| figure).collect(),
        error,
    })
}

fn run(options: &Options) -> Result<()> {
    let mut sections = Vec::new();
    for (name, title) in BENCHES {
        let dir = options.results.join(name);
        if dir.join("meta").exists() {
            sections.push(read_section(&dir, name, title)?);
        }
    }
    if sections.is_empty() {
        return Err(format!(
            "no benchmark results under {}",
            options.results.display()
        ));
    }
    let text = markdown::render(options, &sections);
    if let Some(parent) = options.out.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let partial = options.out.with_extension("md.partial");
    fs::write(&partial, &text).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, &options.out)
        .map_err(|e| format!("cannot write {}: {e}", options.out.display()))?;
    print!("{}", markdown::summary(&sections));
    println!("report written to {}", options.out.display());
    Ok(())
}

fn main() {
    match parse_args() {
        Ok(Some(options)) => {
            if let Err(error) = run(&options) {
                eprintln!("bench report: {error}");
                std::process::exit(1);
            }
        }
        Ok(None) => println!("bench report: nothing to aggregate (scripts/bench runs this step)"),
        Err(error) => {
            eprintln!("bench report: {error}");
            std::process::exit(2);
        }
    }
}
