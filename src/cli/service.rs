//! `pincer service install|uninstall|status|start|stop|restart|clear-safe-mode`; `install` is
//! [`super::daemon::install`], shared with `--install-daemon`.

use std::path::Path;

use super::{CliError, ServiceAction};
use crate::paths::Paths;
use crate::service::{self, ServiceError, UNIT};

pub fn run(config: Option<&Path>, action: &ServiceAction) -> Result<i32, CliError> {
    let result = match action {
        ServiceAction::Install => {
            return super::daemon::install(super::daemon::DaemonRequest {
                config,
                ..Default::default()
            })
        }
        ServiceAction::Uninstall => service::uninstall().map(|()| {
            println!("removed {UNIT}");
            crate::exit::OK
        }),
        ServiceAction::Status => passthrough(&["status", "--no-pager", UNIT]),
        ServiceAction::Start => passthrough(&["start", UNIT]),
        ServiceAction::Stop => passthrough(&["stop", UNIT]),
        ServiceAction::Restart => passthrough(&["restart", UNIT]),
        ServiceAction::ClearSafeMode => {
            let paths = Paths::resolve(config)?;
            let was_on = crate::gateway::safe_mode::clear(&paths.state_dir)?;
            if was_on {
                println!("safe mode cleared; restart the gateway (`pincer service restart`) to start its channels");
            } else {
                println!("the gateway was not in safe mode; its start history was reset");
            }
            Ok(crate::exit::OK)
        }
    };
    result.or_else(|error| match &error {
        ServiceError::NoSystemd(_) | ServiceError::NoUserSession(_) => {
            eprintln!("pincer: {error}.");
            eprintln!(
                "Run `pincer gateway` yourself, or see `pincer service install` for the unit to \
                 install by hand."
            );
            Ok(crate::exit::UNAVAILABLE)
        }
        _ => Err(CliError::Usage(error.to_string())),
    })
}

fn passthrough(args: &[&str]) -> Result<i32, ServiceError> {
    let output = service::systemctl(args)?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    Ok(if output.status.success() {
        crate::exit::OK
    } else {
        crate::exit::FAILURE
    })
}
