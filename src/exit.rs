//! Process exit codes, chosen so that a service manager can tell failures apart.
//!
//! Codes follow BSD `sysexits.h` where one fits. The service unit sets
//! `RestartPreventExitStatus=78` so that a broken config is reported instead of relaunched in a loop.

/// Clean exit, including after SIGTERM/SIGINT.
pub const OK: i32 = 0;
/// A runtime failure (the supervision tree gave up, an I/O error the gateway cannot recover from).
pub const FAILURE: i32 = 1;
/// Command-line usage error (clap's own code).
pub const USAGE: i32 = 2;
/// The service is unavailable: the port is taken, another gateway holds the state directory, or
/// (for CLI commands) no gateway is running.
pub const UNAVAILABLE: i32 = 69;
/// The configuration is invalid (EX_CONFIG).
pub const CONFIG: i32 = crate::config::EXIT_CONFIG;
