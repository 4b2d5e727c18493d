//! Operations: the checks and views an operator runs against an installation, with or without a
//! running gateway. This is the seed's `Diagnostics`, `ConfigBestPractices` and
//! `DebuggingTools.profileMemory`, implemented over real data.
//!
//! The CLI commands in [`crate::cli`] (`doctor`, `security audit`, `config suggest|template`,
//! `debug memory`) gather their input, call into here, and print; everything in this module
//! is data in, report out, so that it is testable without a machine in a given state.
//!
//! - [`audit`] + [`audit_config`]: `pincer security audit`, findings with stable check ids;
//! - [`doctor`] (report), [`doctor_facts`] (gathering), [`doctor_checks`] (issues), [`fix`]
//!   (`--fix` repairs): `pincer doctor`;
//! - [`suggest`]: `pincer config suggest` and `pincer config template --secure`;
//! - [`memory`]: `pincer debug memory`;
//! - [`secrets_walls`]: whether the kernel keeps Pincer's secrets from `exec` (doctor and audit);
//! - helpers: [`perms`] (file modes), [`procfs`] (a process's memory), [`netinfo`] (addresses),
//!   [`layout`] (workspace, service unit), [`clock`], [`units`], [`error`].

pub mod audit;
pub mod audit_config;
pub mod doctor;
pub mod doctor_checks;
pub mod doctor_facts;
pub mod doctor_tools;
pub mod error;
pub mod fix;
pub mod layout;
pub mod memory;
pub mod netinfo;
pub mod perms;
pub mod procfs;
pub mod secrets_walls;
pub mod suggest;
pub mod units;

pub use error::OpsError;
