//! The provider clients against the OpenAI and Anthropic emulators: streams, and errors.

mod errors;
mod streams;
