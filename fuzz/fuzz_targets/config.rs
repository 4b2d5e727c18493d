//! Fuzz target: a `pincer.json5` config file's text through the same steps as at start-up
//! (JSON5 syntax pass, typed schema pass, environment overrides from an empty environment so that
//! runs are deterministic, cross-key validation), plus the redacted view `pincer config` prints.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pincer::config::{apply_overrides, parse_str, redacted, validate};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(mut config) = parse_str(&text, Path::new("fuzz.json5")) else {
        return;
    };
    let no_environment = |_: &str| None;
    if apply_overrides(&mut config, &no_environment).is_err() {
        return;
    }
    std::hint::black_box(validate(&config));
    std::hint::black_box(redacted(&config));
});
