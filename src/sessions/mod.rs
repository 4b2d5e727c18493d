//! Sessions: transcripts on disk, session keys, and the session actors that order the turns.
//!
//! The lower half of the engine. A session actor decides which messages each turn answers and
//! who hears the outcome; the agent above runs the turn, through the [`TurnRunner`] it
//! implements ([`turn`] holds that contract: [`Turn`], [`RunEvent`], [`SessionServices`]).
//!
//! - [`store`], [`entry`], [`key`]: transcripts (and each live session's view of its own in
//!   memory), their lines, session keys;
//! - [`actor`]: one actor per live session; [`late`]: askers who join a running turn;
//! - [`media`]: media references of channel messages, and files sent back;
//! - [`router`]: finds or starts session actors, evicts idle ones; [`submit`]: the entry point;
//! - [`subagents`]: child sessions started by `sessions_spawn`, and their registry actor.

pub(crate) mod actor;
pub(crate) mod entry;
pub(crate) mod key;
pub(crate) mod late;
pub mod media;
pub mod outbound;
pub(crate) mod router;
pub(crate) mod store;
pub mod subagents;
pub(crate) mod submit;
pub(crate) mod turn;

pub use entry::Entry;
pub use store::{
    Inspection, Pruned, Retention, SessionMeta, SessionStore, StoreError, TurnContext,
};
pub use turn::{RetryHint, RunEvent, SessionServices, Turn, TurnRequest, TurnRunner};
