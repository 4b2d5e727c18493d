//! `pincer logs`. (Being written.)

use std::path::Path;

use super::{CliError, LogsArgs};

pub fn run(_config: Option<&Path>, _args: &LogsArgs) -> Result<i32, CliError> {
    Err(CliError::Usage("pincer logs is being written".into()))
}
