//! `pincer service install|uninstall|status|start|stop|restart|clear-safe-mode`.

use std::path::Path;
use std::time::Duration;

use super::{CliError, ServiceAction};
use crate::paths::Paths;
use crate::service::{self, ServiceError, UnitSpec, UNIT};

pub fn run(config: Option<&Path>, action: &ServiceAction) -> Result<i32, CliError> {
    let result = match action {
        ServiceAction::Install => install(config),
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
    result.or_else(|error| match error {
        ServiceError::NoSystemd(why) => {
            eprintln!("pincer: systemd is not available here ({why}).");
            eprintln!("Install this unit by hand (e.g. as ~/.config/systemd/user/{UNIT}), or run `pincer gateway` under your own supervisor:\n");
            if let Ok(spec) = unit_spec(config) {
                eprintln!("{}", service::render_unit(&spec));
            }
            Ok(crate::exit::UNAVAILABLE)
        }
        other => Err(CliError::Usage(other.to_string())),
    })
}

fn unit_spec(config: Option<&Path>) -> Result<UnitSpec, CliError> {
    Ok(UnitSpec {
        executable: std::env::current_exe()?,
        pincer_home: std::env::var_os("PINCER_HOME").map(Into::into),
        config: config.map(Path::to_path_buf),
    })
}

fn install(config: Option<&Path>) -> Result<i32, ServiceError> {
    let spec = unit_spec(config).map_err(|e| ServiceError::NoSystemd(e.to_string()))?;
    let ready = service::install(&spec, Duration::from_secs(20))?;
    let path = service::unit_path()?;
    println!("installed {}", path.display());
    if ready {
        println!("the gateway is running and reported READY; it restarts on crashes (not on config errors)");
        Ok(crate::exit::OK)
    } else {
        println!("the service did not report READY within 20 s; see `pincer service status` and `pincer logs`");
        Ok(crate::exit::FAILURE)
    }
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
