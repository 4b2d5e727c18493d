//! `pincer security audit [--json]`. (Being written.)

use std::path::Path;

use super::{CliError, SecurityAction};

pub fn run(_config: Option<&Path>, _action: &SecurityAction) -> Result<i32, CliError> {
    Err(CliError::Usage(
        "pincer security audit is being written".into(),
    ))
}
