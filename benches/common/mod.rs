//! Code shared by the benchmarks of `pincer gateway` (included by each of them with
//! `#[path = "../common/mod.rs"] mod common;`, since every bench is its own crate):
//!
//! - `gateway`: start a real `pincer gateway` (the bench-profile binary Cargo builds first) in a
//!   temporary home with a given config, wait for `/healthz` or `/readyz`, read its token, call
//!   its admin API, stop it; a failure carries the tail of its stderr;
//! - `client`: the minimal keep-alive HTTP/1.1 client the load generators use;
//! - `procfs`: the `/proc` figures (RSS, CPU ticks of a process and of the machine);
//! - `figure`: the machine-readable result line every bench prints with `--json`, which
//!   `scripts/bench` collects and `benches/report/` aggregates into `docs/BENCHMARKS.md`.
//!
//! Each bench uses a different part of it, hence the `dead_code` allowance below.

#![allow(dead_code)]

pub mod client;
pub mod figure;
pub mod gateway;
pub mod procfs;

pub type Result<T> = std::result::Result<T, String>;

/// Cargo builds the binary (bench profile) before any benchmark and names it here.
pub const PINCER_BIN: &str = env!("CARGO_BIN_EXE_pincer");
