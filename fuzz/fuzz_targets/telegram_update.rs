//! Fuzz target: a Telegram update as the webhook route receives it (any JSON body), or a
//! `getUpdates` result array as the poller walks it, parsed for a fixed bot id.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pincer::channels::telegram::identity::BotIdentity;
use pincer::channels::telegram::update::parse;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let updates = match value {
        Value::Array(updates) => updates,
        single => vec![single],
    };
    let me = BotIdentity {
        account: "7000000001".into(),
        id: 7000000001,
        username: Some("pincer_bot".into()),
    };
    for update in updates {
        if let Ok(parsed) = parse(update, &me) {
            if let Some(record) = parsed.record {
                assert_eq!(record.channel, "telegram");
                assert!(!record.platform_id.is_empty());
            }
        }
    }
});
