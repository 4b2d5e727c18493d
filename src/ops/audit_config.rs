//! The security audit's config rules (see [`super::audit`] for the types and the file checks).
//!
//! Each rule reads the effective config and returns its findings. They include the seed's four
//! checks (auth off, short password, sandbox mode, channel DM policies) and the exposure rules
//! Pincer adds (bind, Tailscale Funnel, TLS, rate limits, tools allowed in sandboxes). Rules do
//! not assume the config passed validation, so a file can be audited without being started.

use std::path::Path;

use super::audit::{Finding, Severity};
use crate::config::channels::conversation::GroupPolicy;
use crate::config::{AuthMode, Bind, Config, DmPolicy, SandboxMode, TailscaleMode};

/// The seed's minimum password length.
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;
/// Bearer tokens are typed by nobody, so they can be long: 24 characters is the floor.
pub(crate) const MIN_TOKEN_CHARS: usize = 24;
/// More failed logins per window than this makes online guessing noticeably cheaper.
pub(crate) const LOOSE_MAX_ATTEMPTS: u32 = 20;
/// Tools that must not be allowed in sandboxed (non-main) sessions: the seed's denylist.
pub(crate) const DANGEROUS_TOOLS: [&str; 4] = ["exec", "browser", "nodes", "gateway"];

/// Every config finding, unsorted.
pub(crate) fn check(config: &Config) -> Vec<Finding> {
    let mut findings = Vec::new();
    auth(config, &mut findings);
    exposure(config, &mut findings);
    sandbox(config, &mut findings);
    channels(config, &mut findings);
    unrunnable_channels(config, &mut findings);
    findings
}

/// The finding for a token of `length` characters stored in (or configured as) `origin`.
pub(crate) fn token_length(length: usize, origin: &Path) -> Option<Finding> {
    (length < MIN_TOKEN_CHARS).then(|| {
        Finding::new(
            "gateway.token_short",
            Severity::Warning,
            "The gateway token is short",
            format!(
                "The token ({}) has {length} characters; fewer than {MIN_TOKEN_CHARS} can be \
                 guessed far more easily than the generated 64.",
                origin.display()
            ),
            "Remove gateway.auth.token (and the token file) to have the gateway generate a \
             256-bit token, or set one of at least 24 random characters.",
        )
    })
}

fn auth(config: &Config, findings: &mut Vec<Finding>) {
    let auth = &config.gateway.auth;
    if auth.mode == AuthMode::None {
        findings.push(Finding::new(
            "gateway.auth_none",
            Severity::Critical,
            "Gateway authentication is disabled",
            "gateway.auth.mode is \"none\": every local process and every web page open in a \
             browser on this machine can drive the agent and its tools.",
            "Set gateway.auth.mode to \"token\" (the default: a generated token) or \"password\".",
        ));
    }
    if let Some(password) = &auth.password {
        let length = password.expose().chars().count();
        if length < MIN_PASSWORD_CHARS {
            findings.push(Finding::new(
                "gateway.password_short",
                Severity::Warning,
                "The gateway password is too short",
                format!(
                    "gateway.auth.password has {length} characters (minimum {MIN_PASSWORD_CHARS})."
                ),
                "Use a strong password with at least 12 characters, e.g. from \
                 `pincer config template --secure`, or set it with PINCER_GATEWAY_PASSWORD.",
            ));
        }
    }
    if let Some(token) = &auth.token {
        findings.extend(token_length(
            token.expose().chars().count(),
            Path::new("gateway.auth.token"),
        ));
    }
    let attempts = auth.rate_limit.max_attempts;
    if attempts > LOOSE_MAX_ATTEMPTS {
        findings.push(Finding::new(
            "gateway.auth_rate_limit_loose",
            Severity::Info,
            "Failed logins are throttled loosely",
            format!(
                "gateway.auth.rateLimit.maxAttempts is {attempts}: a client may fail that many \
                 times per window before it is locked out."
            ),
            "Keep gateway.auth.rateLimit.maxAttempts at 10 (the default) or lower.",
        ));
    }
}

fn exposure(config: &Config, findings: &mut Vec<Finding>) {
    let gateway = &config.gateway;
    let exposed = gateway.bind != Bind::Loopback;
    if exposed {
        let (name, reach) = match gateway.bind {
            Bind::Lan => ("lan", "every network this machine is on"),
            _ => ("tailnet", "every device of your tailnet"),
        };
        let (severity, description) = if gateway.auth.mode == AuthMode::None {
            (
                Severity::Critical,
                format!(
                    "gateway.bind is \"{name}\" with gateway.auth.mode \"none\": anyone on {reach} \
                     can drive the agent. (The gateway refuses to start like this.)"
                ),
            )
        } else {
            (
                Severity::Warning,
                format!("gateway.bind is \"{name}\": the gateway is reachable from {reach}."),
            )
        };
        findings.push(Finding::new(
            "gateway.bind_exposed",
            severity,
            "The gateway listens beyond this machine",
            description,
            "Keep gateway.bind \"loopback\" and publish the gateway with Tailscale Serve or a \
             reverse proxy; otherwise keep strong auth and TLS on.",
        ));
    }
    if gateway.tailscale.mode == TailscaleMode::Funnel {
        findings.push(Finding::new(
            "gateway.tailscale_funnel",
            Severity::Warning,
            "The gateway is published on the internet",
            "gateway.tailscale.mode is \"funnel\": anyone on the internet can reach the login; \
             only the password stands between them and the agent.",
            "Use \"serve\" (tailnet only) unless public access is really needed; keep a long \
             password.",
        ));
    }
    if gateway.bind == Bind::Lan && !gateway.ssl.enabled {
        findings.push(Finding::new(
            "gateway.tls_off",
            Severity::Warning,
            "Credentials cross the network in clear text",
            "gateway.bind is \"lan\" and gateway.ssl.enabled is false: the token or password \
             can be sniffed on the local network.",
            "Set gateway.ssl { enabled: true, certPath, keyPath }, or terminate TLS in a \
             reverse proxy and bind to loopback.",
        ));
    }
    if gateway.fault_injection {
        findings.push(Finding::new(
            "gateway.fault_injection_on",
            Severity::Warning,
            "Actors can be crashed on request",
            "gateway.faultInjection is true: POST /admin/actors/{id}/panic makes any actor panic \
             for whoever holds the admin credential. It is meant for chaos tests and drills.",
            "Set gateway.faultInjection to false outside tests.",
        ));
    }
    if exposed && !gateway.rate_limiting.enabled {
        findings.push(Finding::new(
            "gateway.rate_limiting_off",
            Severity::Info,
            "Request rate limiting is off on an exposed gateway",
            "gateway.rateLimiting.enabled is false while the gateway listens beyond loopback.",
            "Set gateway.rateLimiting.enabled to true (see `pincer config suggest --production`).",
        ));
    }
}

fn sandbox(config: &Config, findings: &mut Vec<Finding>) {
    let sandbox = &config.agents.defaults.sandbox;
    match sandbox.mode {
        SandboxMode::NonMain => {}
        SandboxMode::Off => findings.push(Finding::new(
            "agents.sandbox_mode",
            Severity::Warning,
            "Sandboxing is off",
            "agents.defaults.sandbox.mode is \"off\": sessions started by other people (groups, \
             channels) run tools with your rights.",
            "Set agents.defaults.sandbox.mode to \"non-main\" for better security.",
        )),
        SandboxMode::All => findings.push(Finding::new(
            "agents.sandbox_mode",
            Severity::Info,
            "Your main session is sandboxed too",
            "agents.defaults.sandbox.mode is \"all\": stricter than the recommended \"non-main\", \
             so your own session cannot use unsandboxed tools.",
            "Keep it if intended; \"non-main\" is the recommended balance.",
        )),
    }
    // The gateway's own policy decides, so groups (`group:runtime`) and `tools.deny` count.
    let policy = crate::agent::tools::policy::ToolPolicy::from_config(config);
    let allowed: Vec<&str> = DANGEROUS_TOOLS
        .into_iter()
        .filter(|tool| policy.decide(tool, true).allowed)
        .collect();
    if !allowed.is_empty() {
        findings.push(Finding::new(
            "agents.sandbox_allowlist_dangerous",
            Severity::Warning,
            "Dangerous tools are allowed in sandboxed sessions",
            format!(
                "agents.defaults.sandbox.allowlist allows {} to non-main sessions, whose \
                 messages come from other people.",
                allowed.join(", ")
            ),
            "Remove them from the allowlist and add them to agents.defaults.sandbox.denylist.",
        ));
    }
}

/// One channel's DM policy, for the audit.
struct Dm<'a> {
    key: &'static str,
    label: &'static str,
    policy: DmPolicy,
    allow_from: &'a [String],
    policy_id: &'static str,
    open_id: &'static str,
}

fn channels(config: &Config, findings: &mut Vec<Finding>) {
    for plugin in crate::channels::registry::PLUGINS {
        let labels = plugin.labels();
        let Some(section) = config.channels.section(labels.channel) else {
            continue;
        };
        let common = section.common();
        let ids = plugin.check_ids();
        dm_policy(
            Dm {
                key: labels.channel,
                label: labels.platform,
                policy: common.dm_policy,
                allow_from: common.allow_from,
                policy_id: ids.dm_policy,
                open_id: ids.dm_open,
            },
            findings,
        );
        let enabled = section.enabled();
        if enabled && common.conversation.group_policy == GroupPolicy::Open {
            findings.push(Finding::new(
                ids.groups_open,
                Severity::Warning,
                format!("Any {} group can reach the agent", labels.platform),
                format!(
                    "channels.{}.groupPolicy is \"open\": whoever adds the bot to a group lets \
                     its members talk to the agent (when they mention it), without pairing.",
                    labels.channel
                ),
                format!(
                    "Set channels.{}.groupPolicy to \"allowlist\" and list the groups you want \
                     under channels.{}.groups.",
                    labels.channel, labels.channel
                ),
            ));
        }
    }
}

/// An enabled channel without its credentials: not an opening, but the audit is where a user
/// asks whether the gateway is what its config says, and the channel is silently down.
fn unrunnable_channels(config: &Config, findings: &mut Vec<Finding>) {
    for channel in crate::config::channels::unrunnable(&config.channels) {
        let name = channel.channel;
        let keys: Vec<&str> = channel.missing.iter().map(|(key, _)| *key).collect();
        findings.push(Finding::new(
            "channels.not_configured",
            Severity::Warning,
            format!("The {name} channel is enabled but cannot run"),
            format!(
                "channels.{name}.enabled is true but {} not set (in the config, the environment \
                 or the secrets file): the channel stays down and the gateway reports not ready.",
                keys.join(", ") + if keys.len() == 1 { " is" } else { " are" }
            ),
            format!(
                "{}; a service reads the variables from the secrets file (`pincer onboard \
                 --store-secrets file`), not from your shell. Or set channels.{name}.enabled to \
                 false.",
                capitalized(&channel.what_to_set())
            ),
        ));
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn dm_policy(dm: Dm<'_>, findings: &mut Vec<Finding>) {
    let anyone = dm.allow_from.iter().any(|n| n.trim() == "*");
    let policy = match dm.policy {
        DmPolicy::Pairing | DmPolicy::Disabled => return,
        DmPolicy::Allowlist => "allowlist",
        DmPolicy::Open => "open",
    };
    let (key, label) = (dm.key, dm.label);
    findings.push(Finding::new(
        dm.policy_id,
        Severity::Warning,
        format!("{label} DM policy is not set to pairing"),
        format!(
            "channels.{key}.dmPolicy is \"{policy}\": unknown senders are not asked to pair \
             first."
        ),
        format!("Set channels.{key}.dmPolicy to \"pairing\" to prevent spam and prompt injection."),
    ));
    if dm.policy == DmPolicy::Open || anyone {
        let (severity, who) = if anyone {
            (Severity::Critical, "anyone (allowFrom contains \"*\")")
        } else {
            (Severity::Warning, "any sender")
        };
        findings.push(Finding::new(
            dm.open_id,
            severity,
            format!("Anyone can message the agent on {label}"),
            format!("{label} direct messages from {who} reach the agent and its tools."),
            format!(
                "Use dmPolicy \"pairing\" (or \"allowlist\" with explicit ids) and remove \"*\" \
                 from channels.{key}.allowFrom."
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_str, Secret};

    fn ids(config: &Config) -> Vec<&'static str> {
        check(config).into_iter().map(|f| f.check_id).collect()
    }

    #[test]
    fn an_open_group_policy_on_an_enabled_channel_is_a_warning() {
        let mut config = Config::default();
        config.channels.telegram.enabled = true;
        config.channels.telegram.bot_token = Some(Secret::new("1:x"));
        assert!(!ids(&config).contains(&"channels.telegram_groups_open"));
        config.channels.telegram.group_policy = GroupPolicy::Open;
        assert_eq!(
            severity_of(&config, "channels.telegram_groups_open"),
            Severity::Warning
        );
        config.channels.telegram.enabled = false;
        assert!(!ids(&config).contains(&"channels.telegram_groups_open"));
    }

    fn severity_of(config: &Config, id: &str) -> Severity {
        check(config)
            .into_iter()
            .find(|f| f.check_id == id)
            .map(|f| f.severity)
            .unwrap_or_else(|| panic!("{id} not found"))
    }

    #[test]
    fn the_defaults_raise_nothing() {
        assert!(check(&Config::default()).is_empty());
    }

    /// The seed's insecure examples, as a file a user could write.
    #[test]
    fn the_seeds_insecure_examples_are_all_reported() {
        let text = r#"{
          gateway: { auth: { mode: "none", password: "short" } },
          agents: { defaults: { sandbox: { mode: "off" } } },
          channels: { whatsapp: { dmPolicy: "open", allowFrom: ["*"] } },
        }"#;
        let config = parse_str(text, Path::new("insecure.json5")).expect("parses");
        let found = ids(&config);
        for id in [
            "gateway.auth_none",
            "gateway.password_short",
            "agents.sandbox_mode",
            "channels.whatsapp_dm_policy",
            "channels.whatsapp_dm_open",
        ] {
            assert!(found.contains(&id), "{id} missing from {found:?}");
        }
        assert_eq!(
            severity_of(&config, "gateway.auth_none"),
            Severity::Critical
        );
        assert_eq!(
            severity_of(&config, "gateway.password_short"),
            Severity::Warning
        );
        assert_eq!(
            severity_of(&config, "agents.sandbox_mode"),
            Severity::Warning
        );
        assert_eq!(
            severity_of(&config, "channels.whatsapp_dm_open"),
            Severity::Critical
        );
    }

    #[test]
    fn password_and_token_lengths() {
        let mut config = Config::default();
        config.gateway.auth.mode = AuthMode::Password;
        config.gateway.auth.password = Some(Secret::new("elevenchars"));
        assert_eq!(ids(&config), ["gateway.password_short"]);
        config.gateway.auth.password = Some(Secret::new("twelve-chars"));
        assert!(ids(&config).is_empty());
        config.gateway.auth.mode = AuthMode::Token;
        config.gateway.auth.token = Some(Secret::new("x".repeat(23)));
        assert_eq!(ids(&config), ["gateway.token_short"]);
        config.gateway.auth.token = Some(Secret::new("x".repeat(24)));
        assert!(ids(&config).is_empty());
    }

    #[test]
    fn open_dms_without_a_wildcard_are_a_warning() {
        let mut config = Config::default();
        config.channels.whatsapp.dm_policy = DmPolicy::Open;
        assert_eq!(
            severity_of(&config, "channels.whatsapp_dm_open"),
            Severity::Warning
        );
        config.channels.whatsapp.dm_policy = DmPolicy::Allowlist;
        config.channels.whatsapp.allow_from = vec!["+1234567890".into()];
        assert_eq!(ids(&config), ["channels.whatsapp_dm_policy"]);
        config.channels.whatsapp.dm_policy = DmPolicy::Disabled;
        assert!(ids(&config).is_empty());
    }

    #[test]
    fn exposure_rules() {
        let mut config = Config::default();
        config.gateway.bind = Bind::Lan;
        assert_eq!(
            ids(&config),
            [
                "gateway.bind_exposed",
                "gateway.tls_off",
                "gateway.rate_limiting_off"
            ]
        );
        assert_eq!(
            severity_of(&config, "gateway.bind_exposed"),
            Severity::Warning
        );
        config.gateway.auth.mode = AuthMode::None;
        assert_eq!(
            severity_of(&config, "gateway.bind_exposed"),
            Severity::Critical
        );

        let mut config = Config::default();
        config.gateway.bind = Bind::Tailnet;
        config.gateway.rate_limiting.enabled = true;
        assert_eq!(ids(&config), ["gateway.bind_exposed"]);

        let mut config = Config::default();
        config.gateway.tailscale.mode = TailscaleMode::Funnel;
        config.gateway.auth.rate_limit.max_attempts = 21;
        assert_eq!(
            ids(&config),
            ["gateway.auth_rate_limit_loose", "gateway.tailscale_funnel"]
        );
    }

    #[test]
    fn dangerous_tools_in_the_sandbox_allowlist() {
        let mut config = Config::default();
        config.agents.defaults.sandbox.allowlist =
            vec!["read".into(), "exec".into(), "browser".into()];
        config.agents.defaults.sandbox.denylist = vec!["browser".into()];
        let findings = check(&config);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].check_id, "agents.sandbox_allowlist_dangerous");
        assert!(findings[0].description.contains("exec"));
        assert!(!findings[0].description.contains("browser"));

        // Groups count, and a global deny wins.
        config.agents.defaults.sandbox.allowlist = vec!["group:runtime".into()];
        assert_eq!(check(&config).len(), 1);
        config.tools.deny = vec!["exec".into()];
        assert!(check(&config).is_empty());
    }

    #[test]
    fn sandboxing_everything_is_only_info() {
        let mut config = Config::default();
        config.agents.defaults.sandbox.mode = SandboxMode::All;
        assert_eq!(severity_of(&config, "agents.sandbox_mode"), Severity::Info);
    }

    #[test]
    fn an_enabled_channel_without_credentials_is_a_warning_naming_the_keys() {
        let config = parse_str(
            "{ channels: { whatsapp: { enabled: true, phoneNumberId: '1', appSecret: 'a', \
             verifyToken: 'v' }, telegram: { enabled: true, botToken: 'b' } } }",
            Path::new("t.json5"),
        )
        .unwrap();
        let found: Vec<Finding> = check(&config)
            .into_iter()
            .filter(|f| f.check_id == "channels.not_configured")
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Warning);
        let text = format!("{:?}", found[0]);
        assert!(text.contains("channels.whatsapp.accessToken"), "{text}");
        assert!(text.contains("PINCER_WHATSAPP_ACCESS_TOKEN"), "{text}");
        assert!(!ids(&Config::default()).contains(&"channels.not_configured"));
    }

    #[test]
    fn fault_injection_is_a_warning() {
        let mut config = Config::default();
        assert!(!check(&config)
            .iter()
            .any(|f| f.check_id == "gateway.fault_injection_on"));
        config.gateway.fault_injection = true;
        let finding = check(&config)
            .into_iter()
            .find(|f| f.check_id == "gateway.fault_injection_on")
            .expect("reported");
        assert_eq!(finding.severity, Severity::Warning);
    }
}
