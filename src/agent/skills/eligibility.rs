//! Whether a skill's requirements are met here, and if not, which one is not.
//!
//! Checked in this order, the first unmet one being the reason: `skills.entries.<name>.enabled`,
//! `os`, `requires.bins` (each an executable file in a `PATH` folder), `requires.anyBins`,
//! `requires.env` (set and non-empty in the gateway's environment, or given by
//! `skills.entries.<name>.env`, or the `primaryEnv` variable filled by its `apiKey`),
//! `requires.config` (each dotted config path present and truthy: not `false`, `0`, `""`, `null`,
//! an empty list or object). `always: true` skips the requirements (not `enabled`).

use std::ffi::OsString;
use std::path::Path;

use serde_json::Value;

use super::{OpenClawMeta, SkillState};
use crate::config::SkillEntry;

/// What the checks look at: tests give their own.
pub struct Probe<'a> {
    /// `PATH`.
    pub path: Option<OsString>,
    /// A variable of the gateway's environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// OpenClaw's name of this platform (`linux`, `darwin`, `win32`).
    pub os: &'static str,
    /// The config as JSON (credentials masked: only truthiness is read).
    pub config: &'a Value,
}

/// This platform in OpenClaw's (Node's `process.platform`) words.
pub fn platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

/// The state of a skill named `name` with metadata `meta`, given its config entry.
pub fn check(
    name: &str,
    meta: &OpenClawMeta,
    entry: Option<&SkillEntry>,
    probe: &Probe<'_>,
) -> SkillState {
    if entry.is_some_and(|entry| !entry.enabled) {
        return SkillState::Disabled;
    }
    if meta.always {
        return SkillState::Eligible;
    }
    match unmet(name, meta, entry, probe) {
        Some(reason) => SkillState::Ineligible(reason),
        None => SkillState::Eligible,
    }
}

fn unmet(
    name: &str,
    meta: &OpenClawMeta,
    entry: Option<&SkillEntry>,
    probe: &Probe<'_>,
) -> Option<String> {
    if !meta.os.is_empty() && !meta.os.iter().any(|os| os == probe.os) {
        return Some(format!(
            "only for {} (this is {})",
            meta.os.join(", "),
            probe.os
        ));
    }
    let missing: Vec<&str> = meta
        .requires
        .bins
        .iter()
        .filter(|bin| !on_path(bin, probe.path.as_ref()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Some(format!("missing on PATH: {}", missing.join(", ")));
    }
    let any = &meta.requires.any_bins;
    if !any.is_empty() && !any.iter().any(|bin| on_path(bin, probe.path.as_ref())) {
        return Some(format!("none of these on PATH: {}", any.join(", ")));
    }
    let missing: Vec<&str> = meta
        .requires
        .env
        .iter()
        .filter(|var| !env_given(var, meta, entry, probe))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "missing environment: {} (set it for the gateway, or in skills.entries.{name}.env / apiKey)",
            missing.join(", ")
        ));
    }
    let unset: Vec<&str> = meta
        .requires
        .config
        .iter()
        .filter(|path| !truthy(lookup(probe.config, path)))
        .map(String::as_str)
        .collect();
    if !unset.is_empty() {
        return Some(format!("config not set: {}", unset.join(", ")));
    }
    None
}

/// Whether `bin` is an executable file in one of the `PATH` folders (a name with a `/` is
/// never looked up: a skill names commands, not paths).
pub fn on_path(bin: &str, path: Option<&OsString>) -> bool {
    if bin.is_empty() || bin.contains('/') || bin.contains('\0') {
        return false;
    }
    let Some(path) = path else { return false };
    std::env::split_paths(path).any(|dir| executable(&dir.join(bin)))
}

fn executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn env_given(
    var: &str,
    meta: &OpenClawMeta,
    entry: Option<&SkillEntry>,
    probe: &Probe<'_>,
) -> bool {
    let configured = entry.is_some_and(|entry| {
        entry.env.get(var).is_some_and(|value| !value.is_empty())
            || (meta.primary_env.as_deref() == Some(var) && entry.api_key.is_some())
    });
    configured || (probe.env)(var).is_some_and(|value| !value.is_empty())
}

/// The value at a dotted path (`browser.enabled`, `channels.telegram.botToken`).
fn lookup<'a>(config: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(config, |node, key| node.as_object()?.get(key))
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use serde_json::json;

    fn meta(value: Value) -> OpenClawMeta {
        super::super::metadata::from_front_matter(Some(&json!({ "openclaw": value }))).unwrap()
    }

    fn with_bin(dir: &Path, name: &str) {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join(name);
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn each_requirement_gives_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        with_bin(dir.path(), "present");
        std::fs::write(dir.path().join("not-executable"), "x").unwrap();
        let env = |name: &str| (name == "HAVE").then(|| "1".to_string());
        let config = json!({"browser": {"enabled": true, "off": false}});
        let probe = Probe {
            path: Some(dir.path().as_os_str().to_os_string()),
            env: &env,
            os: "linux",
            config: &config,
        };
        let state = |m: Value| check("s", &meta(m), None, &probe);
        assert_eq!(state(json!({})), SkillState::Eligible);
        assert_eq!(
            state(json!({"requires": {"bins": ["present", "gone", "not-executable"]}})),
            SkillState::Ineligible("missing on PATH: gone, not-executable".into())
        );
        assert_eq!(
            state(json!({"requires": {"anyBins": ["gone", "present"]}})),
            SkillState::Eligible
        );
        assert!(
            matches!(state(json!({"requires": {"anyBins": ["gone"]}})), SkillState::Ineligible(r) if r.contains("none of"))
        );
        assert_eq!(
            state(json!({"requires": {"env": ["HAVE"]}})),
            SkillState::Eligible
        );
        assert!(
            matches!(state(json!({"requires": {"env": ["NOPE"]}})), SkillState::Ineligible(r) if r.contains("NOPE"))
        );
        assert_eq!(
            state(json!({"requires": {"config": ["browser.enabled"]}})),
            SkillState::Eligible
        );
        assert_eq!(
            state(json!({"requires": {"config": ["browser.off", "x.y"]}})),
            SkillState::Ineligible("config not set: browser.off, x.y".into())
        );
        assert!(
            matches!(state(json!({"os": ["darwin"]})), SkillState::Ineligible(r) if r.contains("darwin"))
        );
        assert_eq!(
            state(json!({"always": true, "requires": {"bins": ["gone"]}})),
            SkillState::Eligible
        );
        assert!(!on_path("../present", probe.path.as_ref()));
    }

    #[test]
    fn the_entry_enables_and_provides_env() {
        let env = |_: &str| None;
        let config = json!({});
        let probe = Probe {
            path: None,
            env: &env,
            os: "linux",
            config: &config,
        };
        let needs = meta(json!({"primaryEnv": "KEY", "requires": {"env": ["KEY", "REGION"]}}));
        let mut entry = SkillEntry::default();
        assert!(matches!(
            check("s", &needs, Some(&entry), &probe),
            SkillState::Ineligible(_)
        ));
        entry.api_key = Some(Secret::new("k"));
        entry.env.insert("REGION".into(), Secret::new("eu"));
        assert_eq!(
            check("s", &needs, Some(&entry), &probe),
            SkillState::Eligible
        );
        entry.enabled = false;
        assert_eq!(
            check("s", &needs, Some(&entry), &probe),
            SkillState::Disabled
        );
    }
}
