//! # Pincer: a self-hosted personal AI-assistant gateway
//!
//! One process, `pincer gateway`, runs a supervised actor system (built on the domain-free kit in
//! the `pincer-actors` crate) and exposes it over HTTP. This crate is that gateway and its CLI.
//!
//! ## How it fits together
//! - [`config`] and [`paths`]: where files live, the strict JSON5 config, environment overrides,
//!   the gateway's credential; [`runtime_file`]: what a running gateway publishes, which the
//!   commands read to find it.
//! - [`gateway`]: start-up (the single-instance lock, the listening socket, the supervision
//!   tree) and ordered shutdown on SIGTERM/SIGINT.
//! - [`web`]: the web actor that owns the actix-web server, its routes (`/healthz`, `/readyz`,
//!   `/admin/actors`), authentication and the failed-auth lockout.
//! - [`api`]: the typed operator API: every operator operation once ([`api::Operator`]), with its
//!   request and response structs; [`web`] and [`control`] are thin adapters over it, and the CLI
//!   reads the same structs.
//! - [`cli`]: the `pincer` subcommands, which find a running gateway by themselves.
//! - [`onboard`]: the first-run wizard (`pincer onboard`) that writes a commented config.
//! - [`channels`]: the chat channels; [`channels::journal`] makes what they accept durable.
//! - [`codec`]: the compact binary encoding (bincode) of what is stored in binary form.
//! - [`agent`]: agent runs and their tools ([`agent::tools`]: policy, sandbox, one supervised
//!   task per tool call); [`cache`]: the seed's two-level (memory + disk) cache.
//! - [`net`]: the one HTTP-client factory and TLS; [`logging`], [`exit`]: process-level concerns
//!   shared by the binary's commands.
//!
//! The modules form layers (lowest first: foundation, services, engine, channels, monitor, api,
//! adapters, gateway, commands); a module imports only from layers below its own, which
//! `layering_tests` checks (see `docs/architecture.md`, "Layers").
//!
//! The supervision tree at run time:
//!
//! ```text
//! /gateway            root supervisor (one_for_one)
//! ├── monitor         supervisor for the resource and monitoring actors
//! ├── sessions        supervisor for one actor per chat session
//! ├── tools           supervisor for one short-lived task per tool call
//! ├── runs            supervisor for one task per turn (agent runs)
//! ├── channels        supervisor for one actor per channel account
//! └── web             the HTTP server (started last, so stopped first)
//! ```

pub mod agent;
pub mod api;
pub(crate) mod backup;
pub(crate) mod cache;
pub mod channels;
pub mod cli;
pub(crate) mod clock;
pub(crate) mod codec;
pub mod config;
pub mod control;
pub mod exit;
pub(crate) mod fsutil;
pub mod gateway;
pub(crate) mod import;
pub mod logging;
pub(crate) mod monitor;
pub mod net;
pub(crate) mod onboard;
pub(crate) mod ops;
pub(crate) mod paths;
pub mod providers;
pub(crate) mod runtime_file;
pub(crate) mod service;
pub mod sessions;
pub mod web;

#[cfg(test)]
mod layering_tests;
#[cfg(test)]
mod robustness_tests;
