//! Skills end to end, against the real binary and the OpenAI emulator (which records every
//! request, so the tests read the system prompt the model got):
//! - `prompt`: an eligible skill is listed in the system prompt and an ineligible one (a missing
//!   binary) is not; a skill added while the gateway runs is in the next turn's prompt; sandboxed
//!   sessions get no list; the poller is visible in `/admin/actors`; `skills.status` over HTTP;
//! - `env`: a skill's env reaches `exec` only in the run that read its SKILL.md, never the gateway;
//! - `install`: `pincer skills install` of a good archive (file and URL), `list`/`check` offline and
//!   through the gateway, and hostile archives (traversal, symlink escape) refused;
//! - `ui`: the Control UI's Skills view in headless Chromium, descriptions shown as text.

mod env;
mod install;
mod prompt;
mod ui;

use std::path::Path;

use crate::support::Gateway;
use pincer_emulators::Emulator;
use serde_json::Value;

/// A config whose model is `openai/m` on `emulator`, skills polled every 250 ms, and `skills`
/// (JSON5 of `skills.entries`) as the per-skill settings.
pub(super) fn config(emulator: &Emulator, entries: &str) -> String {
    format!(
        "{{ skills: {{ load: {{ pollIntervalMs: 250 }}, entries: {{ {entries} }} }}, \
         agents: {{ defaults: {{ model: 'openai/m', streamIdleSeconds: 5 }} }}, \
         models: {{ providers: {{ openai: {{ api: 'openai-completions', baseUrl: '{}', apiKey: 'k' }} }} }} }}",
        emulator.base_url()
    )
}

/// Writes `<root>/<folder>/SKILL.md` with `front` as its front matter.
pub(super) fn write_skill(root: &Path, folder: &str, front: &str) {
    std::fs::create_dir_all(root.join(folder)).expect("skill folder");
    std::fs::write(
        root.join(folder).join("SKILL.md"),
        format!("---\n{front}\n---\n# {folder}\n\nInstructions for {folder}.\n"),
    )
    .expect("SKILL.md");
}

/// `home/state/skills` (managed) and the default workspace's `skills`.
pub(super) fn roots(home: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let state = home.join("state");
    (
        state.join("skills"),
        state
            .join("agents")
            .join("main")
            .join("workspace")
            .join("skills"),
    )
}

/// The system prompt of a chat-completions request the emulator received.
pub(super) fn system_of(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["role"] == "system")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// `GET /admin/skills` until `check` holds (at most 10 s).
pub(super) fn wait_for_skills(
    gateway: &Gateway,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = gateway.get_authed("/admin/skills");
        assert_eq!(answer.status, 200, "{}", answer.text);
        if check(&answer.body) {
            return answer.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: {}",
            answer.body
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
