//! The command line's say in the config: `pincer gateway`'s flags, and loading the config the
//! way the gateway does, which every command that reads the config shares.
//!
//! The order is the file, then the environment (the process environment, then the secrets file
//! of the state directory, see [`super::secrets`]), then the flags, then validation. A command
//! that loads the config this way sees what a gateway started with the same flags would run with.

use std::path::PathBuf;

use super::{load_with, Bind, Config, ConfigError, Environment, LoadedConfig};
use crate::paths::Paths;

/// Command-line overrides for `pincer gateway` (the other commands pass the ones they take).
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    pub config_path: Option<PathBuf>,
    pub port: Option<u16>,
    pub bind: Option<Bind>,
    /// Log at debug level.
    pub verbose: bool,
}

/// Loads the config the way the gateway does: file, environment (the process environment, then
/// the secrets file of the state directory), then the CLI flags, validated.
pub fn load_config(paths: &Paths, options: &GatewayOptions) -> Result<LoadedConfig, ConfigError> {
    let environment = Environment::load(&paths.secrets_file())?;
    let env = |name: &str| environment.get(name);
    let flags = |config: &mut Config| {
        if let Some(port) = options.port {
            config.gateway.port = port;
        }
        if let Some(bind) = options.bind {
            config.gateway.bind = bind;
        }
    };
    load_with(&paths.config_file, &env, &flags)
}
