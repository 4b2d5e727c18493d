//! `pincer config validate|get|path`: work on the config file without a running gateway.

use std::path::Path;

use super::{CliError, ConfigAction};
use crate::config::{self, ConfigSource};
use crate::gateway::{load_config, GatewayOptions};
use crate::paths::Paths;

pub fn run(config_path: Option<&Path>, action: &ConfigAction) -> Result<i32, CliError> {
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
                println!("environment overrides: {}", loaded.overrides.join(", "));
            }
        }
        ConfigAction::Get { key, reveal } => {
            let value = match key {
                Some(key) => config::get_path(&loaded.config, key, *reveal)
                    .ok_or_else(|| CliError::Usage(format!("no config key {key:?}")))?,
                None if *reveal => serde_json::to_value(&loaded.config)
                    .map_err(|e| CliError::Usage(e.to_string()))?,
                None => config::redacted(&loaded.config),
            };
            match value {
                serde_json::Value::String(text) => println!("{text}"),
                other => println!(
                    "{}",
                    serde_json::to_string_pretty(&other).unwrap_or_default()
                ),
            }
        }
        ConfigAction::Path => {}
        ConfigAction::Suggest { .. } | ConfigAction::Template { .. } => {
            return Err(CliError::Usage("being written".into()));
        }
    }
    Ok(crate::exit::OK)
}
