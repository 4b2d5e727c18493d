//! Configuration: errors that name the key and the fix, and secrets that never print.

mod errors;
mod secrets;
