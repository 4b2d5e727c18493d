//! The `Tool` trait and the registry of tools a run offers the model.
//!
//! Tools are looked up by name when the model calls them; a tool's failure is a result the model
//! reads (`is_error`), never a failed run. The built-in tools of this version are deliberately few
//! (`current_time`); the tools issue adds the file, exec, web and session tools, each run as its
//! own supervised actor.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{json, Value};

use crate::providers::ToolSpec;

/// A capability the model can invoke.
pub trait Tool: Send + Sync {
    /// Name, description and JSON Schema of the arguments, as sent to the model.
    fn spec(&self) -> ToolSpec;
    /// Runs the tool; `Err` is an error message the model will read.
    fn call(&self, arguments: Value) -> BoxFuture<'static, Result<String, String>>;
}

/// Tools by name.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tools.keys()).finish()
    }
}

impl ToolRegistry {
    /// The built-in tools.
    pub fn builtin() -> Self {
        let mut registry = ToolRegistry::default();
        registry.register(Arc::new(CurrentTime));
        registry
    }

    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.spec().name, tool);
    }

    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|tool| tool.spec()).collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.tools.get(name).cloned()
    }
}

/// `current_time`: the gateway's clock, in UTC (models do not know what time it is).
struct CurrentTime;

impl Tool for CurrentTime {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "current_time".into(),
            description: "The current date and time (UTC, RFC 3339) and Unix time in seconds."
                .into(),
            parameters: json!({ "type": "object", "properties": {} }),
        }
    }

    fn call(&self, _arguments: Value) -> BoxFuture<'static, Result<String, String>> {
        Box::pin(async move {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?;
            Ok(
                json!({ "utc": crate::clock::rfc3339(now.as_secs()), "unix": now.as_secs() })
                    .to_string(),
            )
        })
    }
}
