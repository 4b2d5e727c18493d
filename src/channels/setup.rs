//! A channel's part of `pincer onboard`, as the channel layer sees it: the wizard behind the
//! narrow [`SetupAsk`] (implemented by `crate::onboard`, which sits above the channels), the
//! flags a channel adds to `pincer onboard` ([`SetupFlag`]), and what a channel's questions
//! decide ([`ChannelAnswer`]), which onboarding writes into the config without knowing the
//! channel.

use crate::config::Secret;

/// Where a secret lives once onboarding is done.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// Read from the environment variable when the gateway starts; nothing is stored.
    Environment,
    /// Written to the secrets file under the variable's name.
    Stored(Secret),
}

/// A credential, named by the environment variable that carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretAnswer {
    pub var: String,
    pub source: SecretSource,
}

impl SecretAnswer {
    /// A value to write into the secrets file.
    pub fn stored(var: &str, value: impl Into<String>) -> SecretAnswer {
        SecretAnswer {
            var: var.to_string(),
            source: SecretSource::Stored(Secret::new(value)),
        }
    }

    /// A reference to a variable of the environment.
    pub fn environment(var: &str) -> SecretAnswer {
        SecretAnswer {
            var: var.to_string(),
            source: SecretSource::Environment,
        }
    }

    /// Where it is, in the words of the config's comments.
    pub fn source_words(&self) -> &'static str {
        match self.source {
            SecretSource::Stored(_) => "stored in the secrets file",
            SecretSource::Environment => "read from the environment",
        }
    }
}

/// A flag a channel adds to `pincer onboard` (under "Answers"); its value presets the question
/// whose `flag` is `--<long>`.
#[derive(Debug, Clone, Copy)]
pub struct SetupFlag {
    /// `whatsapp-phone-number-id`, without the dashes.
    pub long: &'static str,
    /// `None`: a switch (its preset answer is "yes"); else the placeholder in `--help`.
    pub value_name: Option<&'static str>,
    /// The line of `--help`.
    pub help: &'static str,
}

/// One question of a channel.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// What is asked.
    pub label: &'a str,
    /// The flag that answers it (`--whatsapp`), or `-` when none does.
    pub flag: &'a str,
    /// The answer taken when none is given.
    pub default: Option<&'a str>,
}

/// Why a channel's questions stopped: the wizard's own error, carried through the channel.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SetupError(pub Box<dyn std::error::Error + Send + Sync>);

/// A check of typed text: the value to use, or what is wrong.
pub(crate) type Check = fn(&str) -> Result<String, String>;

/// The onboarding wizard, as a channel's questions use it. Interactively a wrong answer is
/// explained and asked again; non-interactively the flag or the default is taken, and a wrong or
/// missing one stops onboarding naming the flag.
pub trait SetupAsk {
    /// Whether a person answers (not `--non-interactive`).
    fn interactive(&self) -> bool;

    /// Shows a line of information.
    fn say(&mut self, text: &str);

    /// A yes/no question.
    fn confirm(&mut self, ask: Ask<'_>) -> Result<bool, SetupError>;

    /// A text answer, checked by `check`.
    fn ask(
        &mut self,
        ask: Ask<'_>,
        check: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<String, SetupError>;

    /// A credential from the environment (any of `vars`, the first being the one the config
    /// reads), the secrets file, or typed without echo; non-interactively it must be found.
    fn required_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: Check,
    ) -> Result<SecretAnswer, SetupError>;

    /// A credential from the environment or the secrets file, if there is one.
    fn found_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: Check,
    ) -> Result<Option<SecretAnswer>, SetupError>;

    /// A fresh random token (64 hexadecimal characters).
    fn random_token(&mut self) -> Result<String, SetupError>;
}

/// Something to tell once the config is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A line as it is.
    Text(String),
    /// `text` followed by the value of a secret just generated, shown once (it has to be typed
    /// into the platform's dashboard).
    Reveal { text: String, secret: Secret },
}

/// What a channel's questions decided.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelAnswer {
    /// The channel (`whatsapp`): its section under `channels`.
    pub channel: &'static str,
    /// The comment above its section: what it is, what to register, where its secrets are.
    pub comment: String,
    /// Its keys besides `enabled`, `dmPolicy` and `allowFrom`, as JSON5 literals.
    pub fields: Vec<(&'static str, String)>,
    /// Every credential it needs, whether stored or referenced.
    pub secrets: Vec<SecretAnswer>,
    /// How the summary names it (`WhatsApp (phone number id 1065...)`).
    pub summary: String,
    /// What to do once the config is written.
    pub notes: Vec<Note>,
    /// `allowFrom`, asked after the DM policy.
    pub allow_from: Vec<String>,
}

impl ChannelAnswer {
    /// The JSON5 literal of `key` among [`ChannelAnswer::fields`].
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// A JSON5 string literal.
pub(crate) fn string_literal(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// A comma-separated list of numeric ids (`+`, spaces and dashes dropped), each of `min` to `max`
/// digits; `what` says what the list holds when an item is wrong.
pub(crate) fn numeric_ids(
    text: &str,
    min: usize,
    max: usize,
    what: &str,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let digits: String = item
            .chars()
            .filter(|c| !matches!(c, '+' | ' ' | '-'))
            .collect();
        if digits.len() < min || digits.len() > max || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{item:?} is not valid: list {what}, separated by commas"
            ));
        }
        ids.push(digits);
    }
    Ok(ids)
}

/// A secret-looking token: at least `min` characters, no spaces (`what` names it in the
/// message).
pub(crate) fn token_like(text: &str, min: usize, what: &str) -> Result<String, String> {
    if text.len() < min {
        return Err(format!(
            "{what} has at least {min} characters (got {})",
            text.len()
        ));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{what} has no spaces; paste it again"));
    }
    Ok(text.to_string())
}

/// The public host that forwards HTTPS to the gateway (for a webhook URL); empty means "not
/// known yet". A pasted URL is reduced to its host.
pub(crate) fn public_host(text: &str) -> Result<Option<String>, String> {
    let host = text
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    if host.is_empty() {
        return Ok(None);
    }
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    let name_ok = name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_empty() || port.parse::<u16>().is_ok_and(|port| port > 0);
    if name_ok && port_ok {
        Ok(Some(host.to_ascii_lowercase()))
    } else {
        Err(format!(
            "a host name such as pincer.example.com or box.tailnet.ts.net, or leave it empty \
             (got {text:?})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_id_lists() {
        assert_eq!(public_host(""), Ok(None));
        assert_eq!(
            public_host("https://Pincer.Example.com/"),
            Ok(Some("pincer.example.com".into()))
        );
        assert_eq!(
            public_host("box.ts.net:8443"),
            Ok(Some("box.ts.net:8443".into()))
        );
        assert!(public_host("localhost").is_err());
        assert!(public_host("a..b").is_err());
        assert!(public_host("a.b:0").is_err() && public_host("a.b:x").is_err());
        assert_eq!(numeric_ids("", 1, 20, "ids"), Ok(Vec::new()));
        assert!(numeric_ids("alice", 1, 20, "ids").is_err());
    }
}
