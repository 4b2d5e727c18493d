//! `pincer config validate|get|path|suggest|template`: work on the config file without a running
//! gateway. `suggest` and `template` print JSON5 from [`crate::ops::suggest`] and read no config,
//! so they work without one and with a broken one.

use std::path::Path;

use super::{CliError, ConfigAction};
use crate::config::{self, ConfigSource};
use crate::gateway::{load_config, GatewayOptions};
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
