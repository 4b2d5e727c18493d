//! `pincer logs [--follow] [--json] [--level L] [--lines N]`: the gateway's log files (JSON
//! lines, one file per day), readable or raw, optionally followed as they grow. The last lines
//! come through the running gateway's `logs.tail` when there is one, else from the files with the
//! same function ([`crate::api::logs::tail`]); `--follow` reads the files.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::client::{block_on, encode, GatewayClient};
use super::{CliError, LogsArgs};
use crate::api::logs::{rank, tail};
use crate::api::{ApiError, LogTail};
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
    let level = args
        .level
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| "debug".to_string());
    let minimum = rank(&level).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown level {level:?}: use error, warn, info or debug"
        ))
    })?;
    if args.follow {
        // Following reads the files as they grow; the last lines come from them too.
        let shown = tail(&dir, args.lines, Some(minimum)).ok();
        print_lines(shown.as_ref(), args, minimum);
        let newest = log_files(&dir).last().cloned();
        let offset = newest
            .as_ref()
            .and_then(|f| std::fs::metadata(f).ok())
            .map_or(0, |m| m.len());
        return follow(&dir, newest, offset, args, minimum);
    }
    // Through the running gateway when there is one (the log folder it writes), else the files,
    // with the same function.
    let shown = match GatewayClient::discover(config) {
        Ok(client) => {
            let path = format!("/admin/logs?lines={}&level={}", args.lines, encode(&level));
            match block_on(client.get::<LogTail>(&path))? {
                Ok(tail) => Some(tail),
                Err(CliError::Refused { error, .. }) if error.code == "NOT_FOUND" => None,
                Err(error) => return Err(error),
            }
        }
        Err(CliError::NotRunning(_)) => match tail(&dir, args.lines, Some(minimum)) {
            Ok(tail) => Some(tail),
            Err(ApiError::NotFound(_)) => None,
            Err(error) => return Err(std::io::Error::other(error.to_string()).into()),
        },
        Err(error) => return Err(error),
    };
    if shown.is_none() {
        println!("no log files in {}", dir.display());
    }
    print_lines(shown.as_ref(), args, minimum);
    Ok(crate::exit::OK)
}

fn print_lines(shown: Option<&LogTail>, args: &LogsArgs, minimum: u8) {
    for line in shown.into_iter().flat_map(|t| &t.lines) {
        if let Some(line) = render(line, args.json, minimum) {
            println!("{line}");
        }
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
