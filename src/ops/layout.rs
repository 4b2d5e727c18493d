//! Where the operations tools look for the files they check beyond [`crate::paths::Paths`]: the
//! systemd user unit (the agent workspace is the config's rule, [`crate::config::workspace`]).

use std::path::PathBuf;

/// The systemd user unit `pincer service install` writes, if the home directory is known.
pub(crate) fn service_unit() -> Option<PathBuf> {
    crate::service::unit_path().ok()
}
