//! `pincer import openclaw [DIR] [--dry-run] [--json] [--force]`: moves an OpenClaw home into
//! Pincer (see [`crate::import`]). Prints the plan (`--dry-run`: and stops), refuses when a
//! target exists unless `--force`, and says where `--force` kept what it replaced.

use std::path::{Path, PathBuf};

use super::{CliError, ImportArgs};
use crate::import::{self, ImportError, ImportOptions};
use crate::paths::Paths;

/// Runs the command; the exit code.
pub fn run(config: Option<&Path>, args: &ImportArgs) -> Result<i32, CliError> {
    let paths = Paths::resolve(config)?;
    let options = ImportOptions {
        source: args.dir.clone(),
        force: args.force,
    };
    import_into(&paths, &options, args.dry_run, args.json)
}

/// The user's home directory, where the OpenClaw home is looked for.
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Plans and (unless `dry_run`) carries out the import into `paths`, printing the plan as text
/// or JSON. Shared with `pincer onboard --import-openclaw`.
pub(crate) fn import_into(
    paths: &Paths,
    options: &ImportOptions,
    dry_run: bool,
    json: bool,
) -> Result<i32, CliError> {
    let mut prepared = import::prepare(paths, options, home_dir().as_deref())?;
    if options.force {
        prepared.plan.force();
    }
    prepared.plan.dry_run = dry_run;
    let conflicts = prepared.plan.conflicts().len();
    if dry_run || conflicts > 0 {
        print(&prepared.plan, json);
        if conflicts > 0 && !dry_run {
            return Err(ImportError::Exists { count: conflicts }.into());
        }
        return Ok(crate::exit::OK);
    }
    let stamp = crate::clock::file_stamp(crate::clock::now_secs());
    let plan = import::apply(prepared, &stamp)?;
    print(&plan, json);
    if !json {
        println!(
            "\nNext: `pincer config validate`, then `pincer gateway`. Settings that were not \
             imported are listed above; docs/openclaw-compat.md explains each."
        );
    }
    Ok(crate::exit::OK)
}

fn print(plan: &import::plan::Plan, json: bool) {
    if json {
        match serde_json::to_string_pretty(plan) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("pincer: cannot print the plan: {error}"),
        }
    } else {
        print!("{}", plan.render());
    }
}
