//! The agent's tools end to end: the basics (files, exec, sandbox), tools as actors, more tools,
//! and the sandbox keeping secrets from the model.

mod actors;
mod basics;
mod more;
mod secrets;
