//! `pincer config validate|get|path|suggest|template`: work on the config file without a running
//! gateway. `suggest` and `template` print JSON5 from [`crate::ops::suggest`] and read no config,
//! so they work without one and with a broken one.

use std::path::Path;

use super::{CliError, ConfigAction};
use crate::config::{self, ConfigSource};
use crate::config::{load_config, GatewayOptions};
use crate::ops::suggest;
use crate::paths::Paths;

pub fn run(config_path: Option<&Path>, action: &ConfigAction) -> Result<i32, CliError> {
    match action {
        ConfigAction::Suggest { production } => {
            print!(
                "{}",
                suggest::PerformanceSuggestion::new(*production).to_json5()
            );
            return Ok(crate::exit::OK);
        }
        ConfigAction::Template { secure: true } => {
            let text = suggest::fresh_secure_template()
                .map_err(|e| CliError::Io(std::io::Error::other(e)))?;
            print!("{text}");
            return Ok(crate::exit::OK);
        }
        ConfigAction::Template { secure: false } => {
            print!("{}", suggest::EXAMPLE_CONFIG);
            return Ok(crate::exit::OK);
        }
        _ => {}
    }
    let paths = Paths::resolve(config_path)?;
    if let ConfigAction::Path = action {
        println!("{}", paths.config_file.display());
        return Ok(crate::exit::OK);
    }
    let options = GatewayOptions {
        config_path: config_path.map(Path::to_path_buf),
        ..GatewayOptions::default()
    };
    let loaded = load_config(&paths, &options)?;
    match action {
        ConfigAction::Validate => {
            let unrunnable = unrunnable_channels(&loaded, &paths);
            if !unrunnable.is_empty() {
                return Err(config::ConfigError::Invalid {
                    path: paths.config_file.clone(),
                    problems: unrunnable,
                }
                .into());
            }
            match &loaded.source {
                ConfigSource::File(path) => println!("config OK: {}", path.display()),
                ConfigSource::Defaults => println!(
                    "no config file at {}: the zero-config defaults apply and are valid",
                    paths.config_file.display()
                ),
            }
            if !loaded.overrides.is_empty() {
                println!(
                    "environment overrides (environment or secrets file): {}",
                    loaded.overrides.join(", ")
                );
            }
        }
        ConfigAction::Get { key, reveal } => {
            // Credentials print as "***" by their type; only `--reveal` serializes them plainly.
            let key = key.as_deref().unwrap_or("");
            let value = config::get_path(&loaded.config, key, *reveal)
                .ok_or_else(|| CliError::Usage(format!("no config key {key:?}")))?;
            match value {
                serde_json::Value::String(text) => println!("{text}"),
                other => println!(
                    "{}",
                    serde_json::to_string_pretty(&other).unwrap_or_default()
                ),
            }
        }
        // Answered above, before the config is loaded.
        ConfigAction::Path | ConfigAction::Suggest { .. } | ConfigAction::Template { .. } => {}
    }
    Ok(crate::exit::OK)
}

/// An enabled channel without its credentials, as a config error naming each missing key and the
/// variable that can hold it. The gateway itself still starts on such a config (the other
/// channels and the API work, `/readyz` says what is down), but `config validate` is where a user
/// asks whether the config does what it says, and an enabled channel that cannot run does not.
fn unrunnable_channels(loaded: &config::LoadedConfig, paths: &Paths) -> Vec<config::Problem> {
    config::channels::unrunnable(&loaded.config.channels)
        .into_iter()
        .flat_map(|channel| {
            let name = channel.channel;
            channel.missing.into_iter().map(move |(key, var)| {
                let source = match var {
                    "-" => String::new(),
                    var => format!(
                        ", or the environment variable {var} (for a service: in {})",
                        paths.secrets_file().display()
                    ),
                };
                config::Problem::new(
                    key,
                    format!(
                        "channels.{name} is enabled but this is not set: set it in the config \
                         file{source}, or set channels.{name}.enabled to false. The gateway \
                         starts without the channel and reports not ready (/readyz)"
                    ),
                )
            })
        })
        .collect()
}
