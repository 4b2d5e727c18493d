//! Errors of the operations toolkit ([`super`]): the few things that can fail outright while
//! diagnosing or repairing an installation. Most findings are *reported* rather than returned as
//! errors (doctor must work on a broken installation); these are the failures of the tools
//! themselves.

use std::path::PathBuf;

/// Why an operations tool could not do its job.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpsError {
    /// The OS random source failed while generating a password; nothing weaker is substituted.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    /// A repair (`pincer doctor --fix`) could not change a file or directory.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done, e.g. `chmod 600`.
        action: String,
        /// The file or directory.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
}
