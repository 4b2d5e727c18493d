//! `pincer doctor [--json] [--fix]`. (Being written.)

use std::path::Path;

use super::{CliError, DoctorArgs};

pub fn run(_config: Option<&Path>, _args: &DoctorArgs) -> Result<i32, CliError> {
    Err(CliError::Usage("pincer doctor is being written".into()))
}
