//! Sessions: transcripts on disk, session keys, and the session actors that run turns.

pub mod actor;
pub mod entry;
pub mod key;
pub mod router;
pub mod store;
pub mod submit;

pub use entry::Entry;
pub use store::{Inspection, SessionMeta, SessionStore, StoreError};
