//! Finding (building once) the `mcp-emu` binary, and waiting for a server's actor.
//!
//! `env!("CARGO_BIN_EXE_...")` only names binaries of the package under test, and `mcp-emu`
//! belongs to `pincer-emulators`, so the first test that needs it runs `cargo build -p
//! pincer-emulators --bin mcp-emu` into the same target directory (a no-op when it is fresh),
//! which works from a clean clone under `cargo test --workspace`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::Gateway;

/// The path of a built `mcp-emu`.
pub fn mcp_emu() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            // <target>/debug/deps/integration-<hash>
            let exe = std::env::current_exe().expect("test binary path");
            let profile_dir = exe
                .parent()
                .and_then(|deps| deps.parent())
                .expect("profile dir");
            let target_dir = profile_dir.parent().expect("target dir");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
            let status = Command::new(cargo)
                .args([
                    "build",
                    "-p",
                    "pincer-emulators",
                    "--bin",
                    "mcp-emu",
                    "--target-dir",
                ])
                .arg(target_dir)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build for mcp-emu");
            assert!(status.success(), "building mcp-emu failed");
            let path = profile_dir.join("mcp-emu");
            assert!(path.exists(), "{} missing", path.display());
            path
        })
        .clone()
}

/// Waits (up to 20 s) until `/admin/actors` shows `/gateway/mcp/<name>` running and `check`
/// accepts it; returns the actor.
pub fn wait_for_server(gateway: &Gateway, name: &str, check: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/gateway/mcp/{name}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let actors = gateway.get_authed("/admin/actors?flat=1").body;
        let actor = actors["actors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["path"] == path.as_str())
            .cloned();
        if let Some(actor) = actor.filter(|a| a["state"] == "running" && check(a)) {
            return actor;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never reached the wanted state: {actors:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The actor's status line.
pub fn status(actor: &Value) -> &str {
    actor["status"].as_str().unwrap_or_default()
}
