//! Rendering of the benchmark report (`benches/report/`): the Markdown of
//! `docs/BENCHMARKS.md` (machine, run, one table per benchmark, the targets missed) and the
//! short summary printed at the end of `scripts/bench`. The machine is described from `/proc`
//! and `uname`, as found when the report is written (the machine that ran the benchmarks).

use std::fmt::Write;
use std::fs;
use std::process::Command;

use crate::{Figure, Options, Section};

/// A number with sensible precision: grouped thousands from 1,000, fewer decimals as it grows.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1_000.0 {
        let digits = format!("{:.0}", magnitude);
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{}{grouped}", if value < 0.0 { "-" } else { "" })
    } else if magnitude >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn with_unit(value: f64, unit: &str) -> String {
    if unit.is_empty() {
        number(value)
    } else {
        format!("{} {unit}", number(value))
    }
}

fn target_text(figure: &Figure) -> String {
    match &figure.goal {
        None => "—".to_string(),
        Some(goal) => {
            let op = match goal.op.as_str() {
                ">=" => "≥",
                "<" => "<",
                _ => "=",
            };
            format!("{op} {}", with_unit(goal.value, &figure.unit))
        }
    }
}

/// "met", "**missed**" or "" (no target).
fn verdict(figure: &Figure) -> &'static str {
    match &figure.goal {
        None => "",
        Some(goal) if goal.met(figure.stats().0) => "met",
        Some(_) => "**missed**",
    }
}

fn first_line_of(path: &str, prefix: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_string())
}

/// CPU model, cores, memory and kernel.
fn machine() -> Vec<(&'static str, String)> {
    let model = first_line_of("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into());
    let listed = fs::read_to_string("/proc/cpuinfo")
        .map(|text| {
            text.lines()
                .filter(|line| line.starts_with("processor"))
                .count()
        })
        .unwrap_or(0);
    let usable = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = first_line_of("/proc/meminfo", "MemTotal")
        .and_then(|value| value.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("unknown".to_string(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = Command::new("uname")
        .arg("-srvm")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".into());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    vec![
        ("CPU", model),
        (
            "Cores",
            format!("{usable} usable by the benchmarks ({listed} in /proc/cpuinfo)"),
        ),
        ("Memory", memory),
        ("Kernel", kernel),
        ("Rust", rustc),
    ]
}

/// The 1-minute load average at the start (the first number of `--load`) when it exceeds half
/// the cores: the benchmarks then shared the machine with other work.
fn busy(load: &str) -> Option<f64> {
    let first: f64 = load.split_whitespace().next()?.parse().ok()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (first > cores as f64 / 2.0).then_some(first)
}

pub(crate) fn render(options: &Options, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Pincer benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `scripts/bench` (do not edit by hand; run it again). Each figure is the \
         median of several runs of its benchmark; the spread is the lowest and highest of those \
         runs and their number. A target is judged on the median. Targets come from the issues \
         and live in the benches (`benches/`), which print them with their figures.\n"
    );
    if options.mode == "quick" {
        let _ = writeln!(
            out,
            "> **Quick run** (`scripts/bench --quick`): one short run of each benchmark with \
             smaller sizes and a short soak. A smoke test of the harness, not figures to quote.\n"
        );
    }
    if let Some(load) = busy(&options.load) {
        let _ = writeln!(
            out,
            "> **The machine was busy**: a load average of {load} at the start of the run on {} \
             cores. Other work competes with the gateway and the load generators for the cores, \
             so these figures are pessimistic.\n",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    let _ = writeln!(out, "## Machine\n\n| | |\n|---|---|");
    for (name, value) in machine() {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    let _ = writeln!(out, "\n## Run\n\n| | |\n|---|---|");
    let _ = writeln!(out, "| Commit | `{}` |", options.commit);
    let _ = writeln!(out, "| Date | {} |", options.date);
    let _ = writeln!(out, "| Command | `{}` |", options.command);
    let _ = writeln!(out, "| Build | release (the bench profile) |");
    if !options.load.is_empty() {
        let _ = writeln!(out, "| Load average (1, 5, 15 min) | {} |", options.load);
    }
    for section in sections {
        let _ = writeln!(out, "\n## {}\n", section.title);
        let meta = |key: &str| section.meta.get(key).map(String::as_str).unwrap_or("?");
        let runs = match meta("runs") {
            "1" => "1 run".to_string(),
            n => format!("{n} runs"),
        };
        let _ = writeln!(
            out,
            "`cargo bench --bench {} -- {}`: {runs}, {}, commit `{}`.\n",
            meta("bench"),
            meta("args"),
            meta("date"),
            meta("commit"),
        );
        if let Some(error) = &section.error {
            let _ = writeln!(
                out,
                "**FAILED**: the benchmark did not complete; its last lines:\n\n```text\n{}\n```\n",
                error.trim_end()
            );
        }
        if section.figures.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "| Figure | Median | Spread (min–max, runs) | Target | |\n|---|--:|--:|--:|---|"
        );
        for figure in &section.figures {
            let (median, min, max) = figure.stats();
            let spread = match figure.values.len() {
                1 => "(1 run)".to_string(),
                n => format!("{}–{} (n={n})", number(min), with_unit(max, &figure.unit)),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {spread} | {} | {} |",
                figure.label,
                with_unit(median, &figure.unit),
                target_text(figure),
                verdict(figure),
            );
        }
    }
    let _ = writeln!(out, "\n## Summary\n\n{}", summary(sections));
    out
}

/// Targets met and missed, and failed benches, in a few lines.
pub(crate) fn summary(sections: &[Section]) -> String {
    let mut met = 0;
    let mut missed = Vec::new();
    let mut failed = Vec::new();
    for section in sections {
        if section.error.is_some() {
            failed.push(section.name);
        }
        for figure in &section.figures {
            match verdict(figure) {
                "met" => met += 1,
                "" => {}
                _ => missed.push(format!(
                    "{}: {} (target {})",
                    figure.label,
                    with_unit(figure.stats().0, &figure.unit),
                    target_text(figure)
                )),
            }
        }
    }
    let mut out = format!("{met} of {} targets met.\n", met + missed.len());
    for line in &missed {
        let _ = writeln!(out, "- missed: {line}");
    }
    if !failed.is_empty() {
        let _ = writeln!(out, "- failed benchmarks: {}", failed.join(", "));
    }
    out
}
