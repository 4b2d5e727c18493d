//! The whole question flow, driven by scripts: interactive answers (with wrong ones asked
//! again), flags and environment in non-interactive mode, key checks and busy ports.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use super::*;
use crate::channels::setup::Note;
use crate::config::{DmPolicy, Secret};
use crate::onboard::answers::{ProviderKind, SecretSource};
use crate::onboard::prompt::ScriptedTerminal;

/// What the flow sees of the world.
struct World {
    presets: Presets,
    env: HashMap<String, String>,
    stored: SecretsFile,
    busy_port: u16,
    workspace: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World {
            presets: Presets::default(),
            env: HashMap::new(),
            stored: SecretsFile::default(),
            busy_port: 18789,
            workspace: tempfile::tempdir().expect("dir"),
        }
    }

    fn run(
        &self,
        lines: &[&str],
        interactive: bool,
    ) -> (Result<Answers, OnboardError>, ScriptedTerminal) {
        let env = |name: &str| self.env.get(name).cloned();
        // "good-..." keys are accepted, other keys rejected; keyless servers are unreachable.
        let check = |probe: &KeyProbe| match &probe.key {
            Some(key) if key.starts_with("good-") => KeyCheck::Accepted,
            Some(_) => KeyCheck::Rejected("HTTP 401".into()),
            None => KeyCheck::Inconclusive("connection refused".into()),
        };
        let port_free = |port: u16| port != self.busy_port;
        let context = Context {
            presets: &self.presets,
            env: &env,
            stored: &self.stored,
            secrets_file: PathBuf::from("/h/state/secrets.env"),
            default_workspace: self.workspace.path().join("ws"),
            install_daemon: false,
            check_key: &check,
            port_free: &port_free,
        };
        let mut term = ScriptedTerminal::new(lines);
        let result = ask_all(&mut Prompter::new(&mut term, interactive), &context);
        assert_eq!(
            term.remaining(),
            0,
            "unread answers; output:\n{}",
            term.output
        );
        (result, term)
    }
}

fn stored(value: &str) -> SecretSource {
    SecretSource::Stored(Secret::new(value))
}

#[test]
fn an_interactive_run_asks_again_after_each_wrong_answer() {
    let world = World::new();
    let (answers, term) = world.run(
        &[
            "9",                                             // provider: out of range
            "1",                                             // anthropic
            "",                                              // model: default
            "bad-key-123",                                   // key (hidden)
            "",                             // check it: yes -> rejected, asked again
            "good-key-123",                 // accepted
            "password",                     // auth
            "n",                            // do not generate
            "short",                        // too short
            "a-long-password-1",            // ok
            "a-long-password-2",            // repeat differs
            "a-long-password-1",            // again
            "a-long-password-1",            // repeat
            "",                             // port 18789: busy
            "n",                            // do not keep it
            "18790",                        // free
            "y",                            // WhatsApp
            "+1 555",                       // phone number id: wrong
            "106540352242922",              // ok
            "EAAG-access-token-0123456789", // access token (hidden)
            "0123456789abcdef0123",         // app secret (hidden)
            "",                             // generate verify token: yes
            "pincer.example.com",           // public host
            "yes",                          // Telegram
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1", // bot token (hidden)
            "allowlist",                    // DM policy
            "15551234567",                  // WhatsApp allow list
            "111, abc",                     // Telegram allow list: wrong
            "111",                          // ok
            "",                             // workspace: default
            "sometimes",                    // sandbox: wrong
            "",                             // non-main
        ],
        true,
    );
    let answers = answers.unwrap_or_else(|e| panic!("{e}\n{}", term.output));
    let output = &term.output;
    for expected in [
        "choose 1 to 3",
        "the provider rejected the key",
        "at least 12 characters",
        "the two entries differ",
        "port 18789 is in use",
        "digits only",
        "\"abc\" is not valid",
        "choose 1 to 3 or one of non-main, all, off",
    ] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from\n{output}"
        );
    }
    for secret in [
        "good-key-123",
        "a-long-password-1",
        "EAAG-access-token",
        "AAHdqTcv",
    ] {
        assert!(!output.contains(secret), "{secret} echoed:\n{output}");
    }
    assert_eq!(answers.provider.model_ref(), "anthropic/claude-sonnet-4-5");
    let key = answers.provider.key.as_ref().expect("key");
    assert_eq!(
        (key.var.as_str(), &key.source),
        ("ANTHROPIC_API_KEY", &stored("good-key-123"))
    );
    match &answers.auth {
        AuthAnswer::Password { secret, generated } => {
            assert_eq!(secret.source, stored("a-long-password-1"));
            assert!(!generated);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(answers.port, 18790);
    let whatsapp = answers.channel("whatsapp").expect("whatsapp");
    assert_eq!(whatsapp.field("phoneNumberId"), Some("\"106540352242922\""));
    let generated =
        |note: &Note| matches!(note, Note::Reveal { text, .. } if text.contains("generated"));
    assert!(
        whatsapp.notes.iter().any(generated),
        "the verify token was generated: {:?}",
        whatsapp.notes
    );
    assert!(
        whatsapp
            .comment
            .contains("https://pincer.example.com/webhooks/whatsapp"),
        "the public host: {}",
        whatsapp.comment
    );
    assert_eq!(whatsapp.allow_from, ["15551234567"]);
    assert_eq!(
        answers.channel("telegram").expect("telegram").allow_from,
        ["111"]
    );
    assert_eq!(answers.dm_policy, DmPolicy::Allowlist);
    assert_eq!(answers.workspace, world.workspace.path().join("ws"));
    assert!(answers.workspace.is_dir(), "the workspace is created");
    assert_eq!(answers.sandbox, SandboxMode::NonMain);
}

#[test]
fn non_interactive_takes_flags_environment_and_defaults() {
    let mut world = World::new();
    world
        .env
        .insert("OPENAI_API_KEY".into(), "good-openai-key".into());
    world.presets = Presets {
        provider: Some(ProviderKind::OpenAi),
        store: Some(Store::File),
        port: Some(18800),
        auth: Some(AuthMode::Password),
        ..Presets::default()
    };
    let (answers, term) = world.run(&[], false);
    let answers = answers.unwrap_or_else(|e| panic!("{e}\n{}", term.output));
    assert_eq!(answers.provider.model_ref(), "openai/gpt-4o");
    assert_eq!(answers.provider.base_url, "https://api.openai.com/v1");
    assert_eq!(
        answers.provider.key.as_ref().map(|k| &k.source),
        Some(&stored("good-openai-key")),
        "--store-secrets file copies the key"
    );
    match &answers.auth {
        AuthAnswer::Password {
            secret,
            generated: true,
        } => {
            assert_eq!(secret.var, "PINCER_GATEWAY_PASSWORD");
        }
        other => panic!("a generated password expected, got {other:?}"),
    }
    assert_eq!(answers.port, 18800);
    assert_eq!(answers.channel("whatsapp"), None);
    assert_eq!(answers.sandbox, SandboxMode::NonMain);

    // Referenced rather than copied by default; a busy port is only a warning.
    world.presets = Presets {
        provider: Some(ProviderKind::OpenAi),
        ..Presets::default()
    };
    let (answers, term) = world.run(&[], false);
    let answers = answers.expect("answers");
    assert_eq!(
        answers.provider.key.as_ref().map(|k| &k.source),
        Some(&SecretSource::Environment)
    );
    assert!(
        term.output.contains("port 18789 is in use"),
        "{}",
        term.output
    );
}

#[test]
fn non_interactive_failures_name_what_to_set() {
    let mut world = World::new();
    world.presets = Presets {
        channel_flags: flags(&[
            ("whatsapp", "yes"),
            ("whatsapp-phone-number-id", "106540352242922"),
        ]),
        check_key: Some(false),
        ..Presets::default()
    };
    let (result, _) = world.run(&[], false);
    match result {
        Err(OnboardError::Missing { how, .. }) => {
            assert!(how.contains("PINCER_WHATSAPP_ACCESS_TOKEN"), "{how}")
        }
        other => panic!("{other:?}"),
    }

    world.presets = Presets {
        model: Some("two words".into()),
        ..Presets::default()
    };
    match world.run(&[], false).0 {
        Err(OnboardError::Invalid { origin, .. }) => assert_eq!(origin, "--model"),
        other => panic!("{other:?}"),
    }

    world.presets = Presets::default();
    world
        .env
        .insert("ANTHROPIC_API_KEY".into(), "revoked-key-123".into());
    assert!(matches!(
        world.run(&[], false).0,
        Err(OnboardError::KeyRejected(_))
    ));
    world.presets.check_key = Some(false);
    assert!(world.run(&[], false).0.is_ok(), "--skip-key-check");
}

#[test]
fn a_compatible_server_without_key_and_a_kept_stored_key() {
    let mut world = World::new();
    world.presets = Presets {
        provider: Some(ProviderKind::Compatible),
        base_url: Some("http://10.0.0.5:8000/v1/".into()),
        provider_id: Some("vllm".into()),
        model: Some("vllm/meta/llama-3".into()),
        ..Presets::default()
    };
    let (answers, term) = world.run(&[], false);
    let provider = answers.expect("answers").provider;
    assert_eq!(provider.model_ref(), "vllm/meta/llama-3");
    assert_eq!(provider.base_url, "http://10.0.0.5:8000/v1");
    assert_eq!(provider.key, None);
    assert!(
        term.output.contains("could not be checked"),
        "{}",
        term.output
    );

    // Interactively, a key stored by an earlier onboarding is offered for keeping.
    let mut world = World::new();
    world.busy_port = 1;
    world
        .stored
        .set("ANTHROPIC_API_KEY", Secret::new("good-stored-key"))
        .expect("set");
    let (answers, term) = world.run(&["", "", "", "n", "", "", "", "", "", ""], true);
    let answers = answers.unwrap_or_else(|e| panic!("{e}\n{}", term.output));
    assert_eq!(
        answers.provider.key.map(|k| k.source),
        Some(stored("good-stored-key"))
    );
    assert!(
        term.output.contains("keep the one stored in"),
        "{}",
        term.output
    );
}

/// Channel flag values by name, as `pincer onboard` parses them.
fn flags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}
