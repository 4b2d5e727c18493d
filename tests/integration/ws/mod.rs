//! The WebSocket control protocol and its limits.

mod limits;
mod protocol;
