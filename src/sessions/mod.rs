//! Sessions: transcripts on disk, session keys, and the session actors that order the turns.
//!
//! The lower half of the engine. A session actor decides which messages each turn answers and
//! who hears the outcome; the agent above runs the turn, through the [`TurnRunner`] it
//! implements ([`turn`] holds that contract: [`Turn`], [`RunEvent`], [`SessionServices`]).
//!
//! - [`store`], [`entry`], [`key`]: transcripts, their lines, session keys;
//! - [`actor`]: one actor per live session; [`late`]: askers who join a running turn;
//! - [`router`]: finds or starts session actors, evicts idle ones; [`submit`]: the entry point.

pub mod actor;
pub mod entry;
pub mod key;
pub mod late;
pub mod router;
pub mod store;
pub mod submit;
pub mod turn;

pub use entry::Entry;
pub use store::{Inspection, SessionMeta, SessionStore, StoreError};
pub use turn::{RunEvent, SessionServices, Turn, TurnRunner};
