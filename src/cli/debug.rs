//! `pincer debug memory [--json]`. (Being written.)

use std::path::Path;

use super::{CliError, DebugAction};

pub fn run(_config: Option<&Path>, _action: &DebugAction) -> Result<i32, CliError> {
    Err(CliError::Usage("pincer debug is being written".into()))
}
