//! Operations: the checks and views an operator runs against an installation, with or without a
//! running gateway. This is the seed's `Diagnostics`, `ConfigBestPractices` and
//! `DebuggingTools.profileMemory`, implemented over real data.
//!
//! The CLI commands in [`crate::cli`] (`doctor`, `security audit`, `config suggest|template`,
//! `debug memory`) gather their input, call into here, and print; everything in this module
//! is data in, report out, so that it is testable without a machine in a given state.
//!
//! - [`audit`] + [`audit_config`] + [`audit_extensions`] (MCP, cron, sub-agents, embeddings):
//!   `pincer security audit`, findings with stable check ids;
//! - [`doctor`] (report), [`doctor_facts`] (gathering), [`doctor_checks`] (issues), [`fix`]
//!   (`--fix` repairs): `pincer doctor`;
//! - [`suggest`]: `pincer config suggest` and `pincer config template --secure`;
//! - [`memory`]: `pincer debug memory`;
//! - [`secrets_walls`]: whether the kernel keeps Pincer's secrets from `exec` (doctor and audit);
//! - [`skill_install`]: `pincer skills install`, a skill archive checked like a backup's;
//! - helpers: [`perms`] (file modes), [`procfs`] (a process's memory), [`netinfo`] (addresses),
//!   [`layout`] (workspace, service unit), [`clock`], [`units`], [`error`].

pub(crate) mod audit;
pub(crate) mod audit_config;
pub(crate) mod audit_extensions;
pub(crate) mod doctor;
pub(crate) mod doctor_checks;
pub(crate) mod doctor_facts;
pub(crate) mod doctor_tools;
pub(crate) mod error;
pub(crate) mod fix;
pub(crate) mod layout;
pub(crate) mod memory;
pub(crate) mod netinfo;
pub(crate) mod perms;
pub(crate) mod procfs;
pub(crate) mod secrets_walls;
pub(crate) mod skill_install;
pub(crate) mod suggest;
pub(crate) mod units;
