//! The WebSocket control protocol and its limits.

mod limits;
mod openclaw_methods;
mod protocol;
