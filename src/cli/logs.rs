//! `pincer logs [--follow] [--json] [--level L] [--lines N]`: the gateway's log files (JSON
//! lines, one file per day), readable or raw, optionally followed as they grow.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::{CliError, LogsArgs};
use crate::config::{load_config, GatewayOptions};
use crate::logging::{file::log_files, log_dir};
use crate::paths::Paths;

pub fn run(config: Option<&Path>, args: &LogsArgs) -> Result<i32, CliError> {
    let paths = Paths::resolve(config)?;
    let options = GatewayOptions {
        config_path: config.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    let dir = log_dir(&loaded.config.logging, &paths.state_dir);
    let minimum = match args
        .level
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => 4,
        Some(level) => rank(level).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown level {level:?}: use error, warn, info or debug"
            ))
        })?,
    };
    let files = log_files(&dir);
    let Some(newest) = files.last().cloned() else {
        if !args.follow {
            println!("no log files in {}", dir.display());
            return Ok(crate::exit::OK);
        }
        return follow(&dir, None, 0, args, minimum);
    };
    // The last N matching lines, reading back through older files when the newest has fewer.
    let mut shown: Vec<String> = Vec::new();
    for path in files.iter().rev() {
        let text = std::fs::read_to_string(path)?;
        let mut lines: Vec<String> = text
            .lines()
            .filter_map(|l| render(l, args.json, minimum))
            .collect();
        lines.append(&mut shown);
        shown = lines;
        if shown.len() >= args.lines {
            break;
        }
    }
    let skip = shown.len().saturating_sub(args.lines);
    for line in &shown[skip..] {
        println!("{line}");
    }
    if args.follow {
        let offset = std::fs::metadata(&newest).map(|m| m.len()).unwrap_or(0);
        return follow(&dir, Some(newest), offset, args, minimum);
    }
    Ok(crate::exit::OK)
}

fn rank(level: &str) -> Option<u8> {
    match level {
        "error" => Some(1),
        "warn" | "warning" => Some(2),
        "info" => Some(3),
        "debug" => Some(4),
        "trace" => Some(5),
        _ => None,
    }
}

/// One file line, formatted (or raw with `--json`), if it passes the level filter.
fn render(line: &str, json: bool, minimum: u8) -> Option<String> {
    let parsed: Value = serde_json::from_str(line).ok()?;
    let level = parsed["level"]
        .as_str()
        .unwrap_or("INFO")
        .to_ascii_lowercase();
    if rank(&level).unwrap_or(3) > minimum {
        return None;
    }
    if json {
        return Some(line.to_string());
    }
    let fields = parsed["fields"].as_object();
    let message = fields
        .and_then(|f| f.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let extra: Vec<String> = fields
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != "message")
        .map(|(key, value)| match value {
            Value::String(text) => format!("{key}={text}"),
            other => format!("{key}={other}"),
        })
        .collect();
    Some(format!(
        "{} {:>5} {}: {message}{}{}",
        parsed["timestamp"].as_str().unwrap_or("-"),
        level.to_ascii_uppercase(),
        parsed["target"].as_str().unwrap_or("-"),
        if extra.is_empty() { "" } else { " " },
        extra.join(" ")
    ))
}

/// Prints lines appended to the newest file, moving to the next day's file when it appears.
fn follow(
    dir: &Path,
    mut current: Option<PathBuf>,
    mut offset: u64,
    args: &LogsArgs,
    minimum: u8,
) -> Result<i32, CliError> {
    let mut pending = String::new();
    loop {
        if let Some(newest) = log_files(dir).last() {
            if current.as_ref() != Some(newest) {
                current = Some(newest.clone());
                offset = 0;
                pending.clear();
            }
        }
        if let Some(path) = &current {
            if let Ok(mut file) = File::open(path) {
                let length = file.metadata().map(|m| m.len()).unwrap_or(0);
                if length < offset {
                    offset = 0;
                }
                if length > offset && file.seek(SeekFrom::Start(offset)).is_ok() {
                    let mut chunk = String::new();
                    if file.read_to_string(&mut chunk).is_ok() {
                        offset = length;
                        pending.push_str(&chunk);
                        while let Some(end) = pending.find('\n') {
                            let line: String = pending.drain(..=end).collect();
                            if let Some(shown) = render(line.trim_end(), args.json, minimum) {
                                println!("{shown}");
                            }
                        }
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}
