//! Unit tests of the kit, run on a real actix system with tokio's clock paused, so that backoff
//! delays and timeouts pass instantly and in a fixed order: no test depends on wall-clock sleeps.

mod arbiters;
mod fault;
mod fixtures;
mod mailbox;
mod reserved;
mod shutdown;
mod supervision;
