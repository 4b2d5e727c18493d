//! The agent engine: turns end to end against the provider emulators, sessions, and a run
//! restarted by its supervisor mid-turn.

mod ephemeral;
mod media;
mod run_restart;
mod sessions;
mod threads;
mod turns;
