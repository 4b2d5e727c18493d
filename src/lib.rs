pub mod config;
pub mod paths;
