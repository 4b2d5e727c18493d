//! `current_time`: the gateway's clock, in UTC (models do not know what time it is).

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use super::{Tool, ToolContext};
use crate::providers::ToolSpec;

/// The `current_time` tool; needs nothing from its caller.
pub(crate) struct CurrentTime;

impl Tool for CurrentTime {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "current_time".into(),
            description: "The current date and time (UTC, RFC 3339) and Unix time in seconds."
                .into(),
            parameters: json!({ "type": "object", "properties": {} }),
        }
    }

    fn call(
        &self,
        _cx: &ToolContext,
        _arguments: Value,
    ) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move {
            let now = crate::clock::now_secs();
            Ok(json!({ "utc": crate::clock::rfc3339(now), "unix": now }).to_string())
        })
    }
}
