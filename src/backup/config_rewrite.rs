//! Pointing a restored config at the restoring installation's workspace.
//!
//! A backup's config names the workspace of the installation it came from. Restored elsewhere
//! (a fresh `PINCER_HOME`, another machine), that folder is not this installation's: the gateway
//! would work in it, and a crafted archive could use it to aim the restore outside the
//! installation. So `restore` decides the workspace itself (see [`super::restore`]) and, when the
//! archive's config names another one, rewrites the config's workspace setting to it.
//!
//! The rewrite is textual: only the value of `agent.workspace` and `agents.defaults.workspace`
//! is replaced (or `agent.workspace` inserted when neither is set), found with
//! [`super::json5_spans`], so comments and layout written by `pincer onboard` survive. The typed
//! config schema is never used here: it would drop comments, and its secret fields print masked.
//! The result is parsed again and must name the new workspace, or the rewrite is refused.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::json5_spans::{scan, Member};
use super::layout::expand;

/// The key paths that name the main agent's workspace, in the gateway's order of precedence.
pub(crate) const WORKSPACE_KEYS: [&[&str]; 2] = [
    &["agent", "workspace"],
    &["agents", "defaults", "workspace"],
];

/// Why a config's workspace could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RewriteError {
    #[error("its text is not valid JSON5 ({0})")]
    Syntax(String),
    #[error("the workspace path {0:?} is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error("after editing, it would not name the workspace ({0})")]
    Unverified(String),
}

/// The workspace setting of a parsed config as the gateway reads it: `agent.workspace`, else
/// `agents.defaults.workspace`; `None` when unset or empty (the default under the state dir).
pub(crate) fn configured_workspace(config: &Value) -> Option<&str> {
    WORKSPACE_KEYS
        .iter()
        .find_map(|keys| keys.iter().try_fold(config, |v, k| v.get(k))?.as_str())
        .filter(|text| !text.trim().is_empty())
}

/// The folder `config` makes the gateway work in, expanded like a backup's layout does
/// (`~` is `home`, a relative path is taken from the config file's folder); `None` for the
/// default under the state directory.
pub(crate) fn resolved_workspace(
    config: &Value,
    home: Option<&Path>,
    config_dir: &Path,
) -> Option<PathBuf> {
    configured_workspace(config).and_then(|raw| expand(raw, home, config_dir))
}

/// `text` with its workspace setting replaced by `workspace` (comments and layout kept).
pub(crate) fn set_workspace(text: &str, workspace: &Path) -> Result<String, RewriteError> {
    let wanted = workspace
        .to_str()
        .ok_or_else(|| RewriteError::NotUtf8(workspace.to_path_buf()))?;
    json5::from_str::<Value>(text).map_err(|e| RewriteError::Syntax(e.to_string()))?;
    let scanned = scan(text).map_err(|e| RewriteError::Syntax(e.to_string()))?;
    // serde_json's string literal is a valid JSON5 string literal.
    let literal = Value::String(wanted.to_string()).to_string();
    let mut edits: Vec<(std::ops::Range<usize>, String)> = WORKSPACE_KEYS
        .iter()
        .flat_map(|keys| scanned.at(keys))
        .map(|member: &Member| (member.value.clone(), literal.clone()))
        .collect();
    if edits.is_empty() {
        let insertion = match scanned.at(&["agent"]).find_map(|m| m.object_body) {
            Some(body) => (body, format!(" \"workspace\": {literal},")),
            None => (
                scanned.root_body,
                format!(" \"agent\": {{ \"workspace\": {literal} }},"),
            ),
        };
        edits.push((insertion.0..insertion.0, insertion.1));
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_string();
    for (range, replacement) in edits {
        out.replace_range(range, &replacement);
    }
    let reparsed: Value =
        json5::from_str(&out).map_err(|e| RewriteError::Unverified(e.to_string()))?;
    match configured_workspace(&reparsed) {
        Some(now) if now == wanted => Ok(out),
        other => Err(RewriteError::Unverified(format!(
            "it names {other:?}, expected {wanted:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_of(text: &str) -> Option<String> {
        let value: Value = json5::from_str(text).expect("valid JSON5");
        configured_workspace(&value).map(str::to_string)
    }

    #[test]
    fn both_settings_are_replaced_and_comments_survive() {
        let text = "// onboard wrote this\n{\n  agent: { workspace: '~/old' /* mine */ },\n  \
                    agents: { defaults: { workspace: \"/old/d\", maxSteps: 4 } },\n}\n";
        let out = set_workspace(text, Path::new("/new/ws")).expect("rewrite");
        assert_eq!(
            out,
            "// onboard wrote this\n{\n  agent: { workspace: \"/new/ws\" /* mine */ },\n  \
             agents: { defaults: { workspace: \"/new/ws\", maxSteps: 4 } },\n}\n"
        );
    }

    #[test]
    fn a_missing_setting_is_inserted_into_agent_or_the_root() {
        let with_agent = "{ agent: { model: 'a/b' } } // end";
        let out = set_workspace(with_agent, Path::new("/w")).expect("rewrite");
        assert_eq!(
            out,
            "{ agent: { \"workspace\": \"/w\", model: 'a/b' } } // end"
        );
        for text in ["{}", "{ gateway: { port: 1 } }", "/* c */ { }"] {
            let out = set_workspace(text, Path::new("/w x/\"q\"")).expect(text);
            assert_eq!(workspace_of(&out).as_deref(), Some("/w x/\"q\""), "{out}");
        }
    }

    #[test]
    fn the_gateway_order_decides_which_setting_counts() {
        assert_eq!(
            workspace_of(
                "{ agent: { workspace: '/a' }, agents: { defaults: { workspace: '/b' } } }"
            ),
            Some("/a".into())
        );
        assert_eq!(
            workspace_of("{ agents: { defaults: { workspace: '/b' } } }"),
            Some("/b".into())
        );
        assert_eq!(workspace_of("{ agent: { workspace: '  ' } }"), None);
        let value: Value = json5::from_str("{ agent: { workspace: 'ws' } }").expect("json5");
        assert_eq!(
            resolved_workspace(&value, None, Path::new("/home/x")),
            Some(PathBuf::from("/home/x/ws"))
        );
    }

    #[test]
    fn text_that_is_not_json5_is_refused() {
        assert!(matches!(
            set_workspace("{ agent: ", Path::new("/w")),
            Err(RewriteError::Syntax(_))
        ));
        // A config whose `agent` is not an object cannot get a workspace by insertion.
        assert!(matches!(
            set_workspace("{ agent: 3 }", Path::new("/w")),
            Err(RewriteError::Unverified(_))
        ));
    }
}
