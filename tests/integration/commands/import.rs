//! `pincer import openclaw` against the real binary, on a copy of the OpenClaw home in
//! `tests/fixtures/openclaw-home`: the dry run writes nothing, `--json`'s shape, then the gateway
//! starts on what was imported, an imported conversation continues with its history (over the
//! HTTP API and from WhatsApp), an approved sender is still approved, a second import refuses
//! without `--force` and keeps a backup with it, and onboarding imports when told to. A hostile
//! home is `import_hostile.rs`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::support::channels::{post_text, APP_SECRET, PNID, VERIFY_TOKEN, WA_TOKEN};
use crate::support::*;
use pincer_emulators::graph::GraphApi;
use pincer_emulators::telegram::BotApi;
use pincer_emulators::Emulator;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const GATEWAY_TOKEN: &str = "fixture-gateway-token-0123456789abcdef";
const BOT_TOKEN: &str = "123456:fixture-telegram-token";

pub(super) fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openclaw-home")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create");
    for entry in fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A user's home with the fixture as its `~/.openclaw`, the OpenAI provider pointed at
/// `provider` (when given); and an empty Pincer home.
pub(super) fn homes(provider: Option<&Emulator>) -> (tempfile::TempDir, tempfile::TempDir) {
    let user = tempfile::tempdir().expect("user home");
    let openclaw = user.path().join(".openclaw");
    copy_dir(&fixture(), &openclaw);
    if let Some(provider) = provider {
        let config = openclaw.join("openclaw.json");
        let text = fs::read_to_string(&config).expect("config");
        fs::write(
            &config,
            text.replace("https://api.openai.com/v1", &provider.base_url()),
        )
        .expect("write config");
    }
    (user, tempfile::tempdir().expect("pincer home"))
}

/// `pincer import openclaw ARGS` with `PINCER_HOME=pincer` and `HOME=user`.
pub(super) fn import(user: &Path, pincer_home: &Path, args: &[&str]) -> Output {
    let child = pincer(pincer_home)
        .env("HOME", user)
        .args(["import", "openclaw"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pincer import");
    wait_with_timeout(child, Duration::from_secs(60))
}

pub(super) fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "import failed ({:?}):\n{}{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Every file under `dir`, relative.
pub(super) fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(
                files_under(&path)
                    .into_iter()
                    .map(|f| format!("{}/{f}", entry.file_name().to_string_lossy())),
            );
        } else {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

/// The imported config as JSON (its leading `//` lines dropped).
fn imported_config(pincer_home: &Path) -> Value {
    let text = fs::read_to_string(pincer_home.join("pincer.json5")).expect("imported config");
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn a_dry_run_lists_the_plan_and_writes_nothing() {
    let (user, pincer_home) = homes(None);
    let out = succeeded(&import(user.path(), pincer_home.path(), &["--dry-run"]));
    for expected in [
        "Would import (dry run: nothing written)",
        "pincer.json5",
        "OPENAI_API_KEY <- models.providers.openai.apiKey",
        "ANTHROPIC_API_KEY <- auth-profiles.json anthropic:default",
        "PINCER_GATEWAY_TOKEN <- gateway.auth.token",
        "workspace/SOUL.md",
        "workspace/HEARTBEAT.md",
        "workspace/memory/2026-11-30.md",
        "agent:main:whatsapp:direct:15557770002 <- agent:main:whatsapp:direct:+15557770002",
        "agent:main:main <- agent:main:main (6 messages, 2 turns)",
        "whatsapp approved senders",
        "cron job \"Morning brief\": not imported: recreate it with `pincer cron add`",
        "channels.discord: Pincer has no discord channel",
        "channels.whatsapp.groups: Pincer has no group support yet",
        "session agent:main:whatsapp:group:120363041234567890@g.us",
    ] {
        assert!(out.contains(expected), "{expected:?} missing from:\n{out}");
    }
    for secret in ["sk-openai-fixture-0000", GATEWAY_TOKEN, BOT_TOKEN] {
        assert!(!out.contains(secret), "the plan shows a secret: {out}");
    }
    assert_eq!(
        files_under(pincer_home.path()),
        Vec::<String>::new(),
        "a dry run writes nothing"
    );
}

#[test]
fn json_gives_the_plan_as_data() {
    let (user, pincer_home) = homes(None);
    let dir = user.path().join(".openclaw");
    let out = succeeded(&import(
        user.path(),
        pincer_home.path(),
        &[dir.to_str().expect("utf-8"), "--dry-run", "--json"],
    ));
    let plan: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(plan["source"], dir.to_str().expect("utf-8"));
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["applied"], false);
    assert!(
        plan["configFile"]
            .as_str()
            .is_some_and(|p| p.ends_with("pincer.json5")),
        "{plan:#}"
    );
    let items = plan["items"].as_array().expect("items");
    for item in items {
        for field in ["kind", "from", "to", "action"] {
            assert!(item[field].is_string(), "{field} of {item}");
        }
        let fresh = if item["kind"] == "pairing" {
            "merge"
        } else {
            "create"
        };
        assert_eq!(item["action"], fresh, "{item}");
    }
    let kinds: std::collections::BTreeSet<&str> =
        items.iter().filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["config", "pairing", "secret", "session", "workspace"].into(),
        "{plan:#}"
    );
    let session = items
        .iter()
        .find(|i| i["kind"] == "session" && i["from"] == "agent:main:whatsapp:direct:+15557770002")
        .expect("the WhatsApp session");
    assert_eq!(session["to"], "agent:main:whatsapp:direct:15557770002");
    let skipped = plan["notImported"].as_array().expect("notImported");
    assert!(
        skipped.iter().any(|s| s["what"] == "cron"
            && s["reason"]
                .as_str()
                .is_some_and(|r| r.contains("pincer cron add"))),
        "{plan:#}"
    );
    assert_eq!(plan["problems"], json!([]));
    assert!(!out.contains("sk-openai-fixture-0000"), "{out}");
}

#[test]
fn the_gateway_runs_on_the_import_and_conversations_and_approvals_carry_over() {
    let provider = Emulator::openai();
    let graph = GraphApi::start(WA_TOKEN);
    let bot = BotApi::start(BOT_TOKEN);
    let (user, pincer_home) = homes(Some(&provider));
    // No DIR: found as ~/.openclaw.
    let out = succeeded(&import(user.path(), pincer_home.path(), &[]));
    assert!(out.contains("Imported from"), "{out}");

    // Keys live in the secrets file (0600), never in the config.
    let config_text = fs::read_to_string(pincer_home.path().join("pincer.json5")).expect("config");
    for secret in [
        "sk-openai-fixture-0000",
        "sk-ant-fixture-0000",
        GATEWAY_TOKEN,
        BOT_TOKEN,
    ] {
        assert!(
            !config_text.contains(secret),
            "{secret} in the config:\n{config_text}"
        );
    }
    let secrets_file = pincer_home.path().join("state/secrets.env");
    let secrets = fs::read_to_string(&secrets_file).expect("secrets.env");
    for line in [
        "OPENAI_API_KEY=sk-openai-fixture-0000",
        "ANTHROPIC_API_KEY=sk-ant-fixture-0000",
        &format!("PINCER_GATEWAY_TOKEN={GATEWAY_TOKEN}"),
        &format!("PINCER_TELEGRAM_BOT_TOKEN={BOT_TOKEN}"),
    ] {
        assert!(
            secrets.lines().any(|l| l == line),
            "{line} missing from secrets.env"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&secrets_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let workspace = pincer_home.path().join("state/agents/main/workspace");
    assert_eq!(
        fs::read_to_string(workspace.join("MEMORY.md")).expect("MEMORY.md"),
        fs::read_to_string(fixture().join("workspace/MEMORY.md")).expect("fixture")
    );
    assert!(workspace.join("skills/weather/SKILL.md").is_file());

    let config = imported_config(pincer_home.path());
    assert_eq!(
        config["agents"]["defaults"]["model"],
        json!({ "primary": "openai/gpt-4o", "fallbacks": ["anthropic/claude-sonnet-4-5", "local/llama3"] })
    );
    assert_eq!(config["session"]["dmScope"], "per-channel-peer");
    assert_eq!(
        config["channels"]["whatsapp"]["enabled"], false,
        "{config:#}"
    );

    // What the owner adds after the import: the Cloud API credentials OpenClaw never had; and
    // both channels pointed at their emulators.
    let mut config = config;
    let whatsapp = config["channels"]["whatsapp"]
        .as_object_mut()
        .expect("whatsapp");
    for (key, value) in [
        ("enabled", json!(true)),
        ("phoneNumberId", json!(PNID)),
        ("accessToken", json!(WA_TOKEN)),
        ("appSecret", json!(APP_SECRET)),
        ("verifyToken", json!(VERIFY_TOKEN)),
        ("apiBaseUrl", json!(graph.base_url())),
    ] {
        whatsapp.insert(key.into(), value);
    }
    config["channels"]["telegram"]["apiBaseUrl"] = json!(bot.base_url());
    config["channels"]["telegram"]["pollTimeoutSeconds"] = json!(1);
    config["gateway"]["port"] = json!(0);
    fs::write(
        pincer_home.path().join("pincer.json5"),
        serde_json::to_string_pretty(&config).expect("json"),
    )
    .expect("write config");

    let gateway = Gateway::start_in(pincer_home, &[]);

    // The main session continues: the model sees the imported turns, not the abandoned branch.
    let bearer = format!("Bearer {GATEWAY_TOKEN}");
    let response = http_post(
        gateway.addr,
        "/v1/chat/completions",
        &[
            ("Authorization", bearer.as_str()),
            ("x-pincer-session-key", "agent:main:main"),
        ],
        &json!({ "model": "pincer", "messages": [{ "role": "user", "content": "And on Friday?" }] }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let request = provider.requests().last().cloned().expect("a model call");
    for old in [
        "What is on my list for Thursday?",
        "Booked the dentist for Thursday 10:00.",
        "The dentist, Thursday at 10:00.",
        "Your sister is Alex (birthday 12 March).",
        "And on Friday?",
    ] {
        assert!(
            request.raw.contains(old),
            "{old:?} not in the prompt: {}",
            request.raw
        );
    }
    assert!(
        !request.raw.contains("Alx."),
        "the abandoned branch reached the prompt"
    );

    // Jo, approved on WhatsApp in OpenClaw: answered, in the imported conversation.
    assert_eq!(
        post_text(&gateway, "15557770002", "wamid.IMP1", "See you Friday!"),
        200
    );
    assert!(
        graph.wait_for_sends(1, WAIT),
        "the approved sender got no answer"
    );
    assert_eq!(
        graph.sends()[0].body,
        "echo: See you Friday!",
        "not a pairing code"
    );
    let request = provider.requests().last().cloned().expect("a model call");
    assert!(
        request.raw.contains("Is the book club still on Friday?"),
        "the WhatsApp history is not in the prompt: {}",
        request.raw
    );

    // A sender whose OpenClaw request was still pending gets a fresh code instead.
    assert_eq!(
        post_text(&gateway, "15559990003", "wamid.IMP2", "hello?"),
        200
    );
    assert!(graph.wait_for_sends(2, WAIT));
    assert!(
        graph.sends()[1].body.contains("Pairing code: "),
        "{}",
        graph.sends()[1].body
    );

    // The approved Telegram sender too.
    bot.push_message(444_555_666, 444_555_666, "ping");
    assert!(
        bot.wait_for_sent(1, WAIT),
        "the approved Telegram sender got no answer"
    );
    assert_eq!(bot.sent()[0].text, "echo: ping");
}

#[test]
fn a_second_import_refuses_and_force_keeps_a_backup() {
    let (user, pincer_home) = homes(None);
    succeeded(&import(user.path(), pincer_home.path(), &[]));
    let config_file = pincer_home.path().join("pincer.json5");
    let soul = pincer_home
        .path()
        .join("state/agents/main/workspace/SOUL.md");
    let mine_config = format!(
        "{}// my edit\n",
        fs::read_to_string(&config_file).expect("config")
    );
    fs::write(&config_file, &mine_config).expect("edit config");
    fs::write(&soul, "my own soul\n").expect("edit soul");

    let refused = import(user.path(), pincer_home.path(), &[]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}{}",
        stdout(&refused),
        stderr(&refused)
    );
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert!(stdout(&refused).contains("EXISTS"), "{}", stdout(&refused));
    assert_eq!(
        fs::read_to_string(&config_file).expect("config"),
        mine_config
    );
    assert_eq!(fs::read_to_string(&soul).expect("soul"), "my own soul\n");

    let forced = succeeded(&import(user.path(), pincer_home.path(), &["--force"]));
    let backup = forced
        .lines()
        .find_map(|line| line.strip_prefix("What was replaced is kept in "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no backup named in:\n{forced}"));
    assert!(
        backup.starts_with(pincer_home.path().join("state")),
        "{}",
        backup.display()
    );
    assert_eq!(
        fs::read_to_string(backup.join("config/pincer.json5")).expect("config backup"),
        mine_config
    );
    assert_eq!(
        fs::read_to_string(backup.join("workspace/SOUL.md")).expect("soul backup"),
        "my own soul\n"
    );
    assert_eq!(
        fs::read_to_string(&soul).expect("soul"),
        fs::read_to_string(fixture().join("workspace/SOUL.md")).expect("fixture")
    );
    assert!(
        files_under(&backup)
            .iter()
            .filter(|f| f.starts_with("sessions/"))
            .count()
            == 2,
        "both replaced transcripts are kept: {:?}",
        files_under(&backup)
    );
    // The sessions were replaced, not doubled.
    let index: Value = serde_json::from_slice(
        &fs::read(
            pincer_home
                .path()
                .join("state/agents/main/sessions/sessions.json"),
        )
        .expect("index"),
    )
    .expect("index json");
    let main = &index["sessions"]["agent:main:main"];
    assert_eq!(main["messages"], 6, "{index:#}");
    assert_eq!(
        index["sessions"].as_object().map(|m| m.len()),
        Some(2),
        "{index:#}"
    );
}

#[test]
fn onboard_imports_instead_of_asking_when_told_to() {
    let (user, pincer_home) = homes(None);
    let child = pincer(pincer_home.path())
        .env("HOME", user.path())
        .args(["onboard", "--non-interactive", "--import-openclaw"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pincer onboard");
    let out = succeeded(&wait_with_timeout(child, Duration::from_secs(60)));
    assert!(out.contains("Imported from"), "{out}");
    assert_eq!(
        imported_config(pincer_home.path())["agents"]["defaults"]["model"]["primary"],
        "openai/gpt-4o"
    );
    let approved = fs::read_to_string(
        pincer_home
            .path()
            .join("state/credentials/whatsapp-allowFrom.json"),
    )
    .expect("approvals");
    assert!(approved.contains("15557770002"), "{approved}");
}
