//! The rendered config loads as the gateway loads it, says what was chosen, and holds no secret.

use std::path::{Path, PathBuf};

use super::*;
use crate::channels::whatsapp::setup::WhatsAppSetup;
use crate::channels::{telegram, whatsapp};
use crate::config::{self, AuthMode, Secret};
use crate::onboard::answers::ProviderAnswer;

fn places() -> Places<'static> {
    Places {
        secrets_file: Path::new("/h/state/secrets.env"),
        token_file: Path::new("/h/state/gateway.token"),
    }
}

fn base() -> Answers {
    Answers {
        provider: ProviderAnswer {
            kind: ProviderKind::Anthropic,
            id: "anthropic".into(),
            base_url: "https://api.anthropic.com".into(),
            model: "claude-sonnet-4-5".into(),
            key: Some(SecretAnswer::stored(
                "ANTHROPIC_API_KEY",
                "sk-ant-secret-value",
            )),
        },
        auth: AuthAnswer::Token,
        port: 18789,
        channels: Vec::new(),
        dm_policy: DmPolicy::Pairing,
        workspace: PathBuf::from("/home/u/pincer \"work\""),
        sandbox: SandboxMode::NonMain,
    }
}

/// Parses, applies `secrets` as the environment, validates.
fn load(text: &str, secrets: &[(&str, &str)]) -> config::Config {
    let mut parsed = config::parse_str(text, Path::new("onboard.json5"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let env = |name: &str| {
        secrets
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    config::apply_overrides(&mut parsed, &env).expect("overrides");
    let problems = config::validate(&parsed);
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    parsed
}

#[test]
fn the_default_answers_load_and_say_what_was_chosen() {
    let text = config_text(&base(), places(), "2025-01-01T00:00:00Z");
    assert!(!text.contains("sk-ant-secret-value"), "{text}");
    assert!(
        text.contains("Stored there by onboarding: ANTHROPIC_API_KEY."),
        "{text}"
    );
    assert!(text.contains("/h/state/gateway.token"), "{text}");
    let config = load(&text, &[]);
    assert_eq!(config.agent.model, "anthropic/claude-sonnet-4-5");
    assert_eq!(
        config.agent.workspace.as_deref(),
        Some("/home/u/pincer \"work\"")
    );
    assert_eq!(config.gateway.port, 18789);
    assert_eq!(config.gateway.auth.mode, AuthMode::Token);
    let provider = &config.models.providers["anthropic"];
    assert_eq!(provider.api_key_env.as_deref(), Some("ANTHROPIC_API_KEY"));
    assert_eq!(provider.api_key, None);
    assert!(!config.channels.whatsapp.enabled && !config.channels.telegram.enabled);
    assert_eq!(config.agents.defaults.sandbox.mode, SandboxMode::NonMain);
    assert!(crate::ops::audit_config::check(&config).is_empty());
}

#[test]
fn password_auth_channels_and_a_keyless_server() {
    let mut answers = base();
    answers.provider = ProviderAnswer {
        kind: ProviderKind::Compatible,
        id: "lm-studio".into(),
        base_url: "http://127.0.0.1:1234/v1".into(),
        model: "qwen3:8b".into(),
        key: None,
    };
    answers.auth = AuthAnswer::Password {
        secret: SecretAnswer::environment("PINCER_GATEWAY_PASSWORD"),
        generated: false,
    };
    let mut whatsapp = whatsapp::setup::answer(WhatsAppSetup {
        phone_number_id: "106540352242922".into(),
        access_token: SecretAnswer::stored("PINCER_WHATSAPP_ACCESS_TOKEN", "EAAG-secret"),
        app_secret: SecretAnswer::stored("PINCER_WHATSAPP_APP_SECRET", "app-secret-value"),
        verify_token: SecretAnswer::stored("PINCER_WHATSAPP_VERIFY_TOKEN", "verify-value"),
        verify_token_generated: true,
        public_host: Some("pincer.example.com".into()),
    });
    whatsapp.allow_from = vec!["15551234567".into()];
    answers.channels = vec![
        whatsapp,
        telegram::setup::answer(SecretAnswer::environment("TELEGRAM_BOT_TOKEN")),
    ];
    answers.dm_policy = DmPolicy::Allowlist;
    answers.sandbox = SandboxMode::All;
    let text = config_text(&answers, places(), "now");
    for secret in ["EAAG-secret", "app-secret-value", "verify-value"] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
    assert!(
        text.contains("https://pincer.example.com/webhooks/whatsapp"),
        "{text}"
    );
    assert!(text.contains("\"lm-studio\": {"), "{text}");
    assert!(
        text.contains(
            "Expected in the gateway's environment: PINCER_GATEWAY_PASSWORD, TELEGRAM_BOT_TOKEN."
        ),
        "{text}"
    );
    let config = load(
        &text,
        &[
            ("PINCER_GATEWAY_PASSWORD", "a-long-password"),
            ("TELEGRAM_BOT_TOKEN", "123456:x"),
        ],
    );
    assert_eq!(config.agent.model, "lm-studio/qwen3:8b");
    assert_eq!(config.gateway.auth.mode, AuthMode::Password);
    assert_eq!(
        config.gateway.auth.password,
        Some(Secret::new("a-long-password"))
    );
    assert!(config.models.providers["lm-studio"].api_key_env.is_none());
    let whatsapp = &config.channels.whatsapp;
    assert!(whatsapp.enabled);
    assert_eq!(whatsapp.phone_number_id, "106540352242922");
    assert_eq!(whatsapp.dm_policy, DmPolicy::Allowlist);
    assert_eq!(whatsapp.allow_from, ["15551234567"]);
    assert!(config.channels.telegram.enabled);
    assert_eq!(config.agents.defaults.sandbox.mode, SandboxMode::All);
    let summary = summary(&answers).join("\n");
    assert!(
        summary.contains("WhatsApp (phone number id 106540352242922), Telegram"),
        "{summary}"
    );
}
