//! Memory search end to end: the real gateway, its memory index and the provider emulator's
//! deterministic embeddings (`pincer_emulators::embeddings`).

mod hybrid;
