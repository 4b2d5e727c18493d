//! The config onboarding writes: [`Answers`] as JSON5 text with a comment on every choice, and
//! the summary shown before it is written.
//!
//! Only what onboarding decided is written; every other key keeps its default, which the header
//! says, pointing at `config/pincer.example.json5` for the full list. Secrets are never written
//! here: the comments name the variables that hold them (in the environment or the secrets
//! file). String values go through `serde_json`, so any text is a valid JSON5 literal.

use std::path::Path;

use super::answers::{Answers, AuthAnswer, ProviderKind, SecretAnswer, SecretSource};
use super::flow::sandbox_name;
use crate::config::{DmPolicy, ProviderApi, SandboxMode};

/// Where the files named in comments are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Places<'a> {
    pub secrets_file: &'a Path,
    pub token_file: &'a Path,
}

/// The config file's text.
pub(crate) fn config_text(answers: &Answers, places: Places<'_>, written_at: &str) -> String {
    let mut out = Json5::default();
    header(&mut out, answers, places, written_at);
    out.line("{");
    out.depth += 1;
    agent(&mut out, answers);
    gateway(&mut out, answers, places);
    models(&mut out, answers);
    channels(&mut out, answers);
    out.comment(match answers.sandbox {
        SandboxMode::NonMain => {
            "Tools of sessions started by other people (chats, groups) run sandboxed; your own\n\
             main session is trusted (\"non-main\", the recommended setting)."
        }
        SandboxMode::All => {
            "Every session runs tools sandboxed, your own main session too (\"all\")."
        }
        SandboxMode::Off => {
            "No sandbox (\"off\"): messages from other people run tools with your rights.\n\
             `pincer security audit` warns about this; \"non-main\" is the recommended setting."
        }
    });
    out.open("agents");
    out.open("defaults");
    out.open("sandbox");
    out.field("mode", &string(sandbox_name(answers.sandbox)));
    out.close();
    out.close();
    out.close();
    out.depth -= 1;
    out.line("}");
    out.text
}

fn header(out: &mut Json5, answers: &Answers, places: Places<'_>, written_at: &str) {
    out.comment(&format!(
        "Pincer configuration, written by `pincer onboard` on {written_at}.\n\
         \n\
         JSON5: comments, trailing commas and unquoted keys are fine. Keys not written here keep\n\
         their defaults; config/pincer.example.json5 in Pincer's source lists every key. Check a\n\
         change with `pincer config validate`; run `pincer onboard` again to start over (the old\n\
         file is kept as <name>.bak-<time>).\n\
         \n\
         Secrets are not in this file. They are read from the environment and then from\n\
         {} (mode 0600, NAME=value lines); a variable set in the\n\
         environment wins.",
        places.secrets_file.display()
    ));
    let stored: Vec<&str> = answers.stored_secrets().iter().map(|(n, _)| *n).collect();
    let referenced: Vec<&str> = answers
        .secrets()
        .into_iter()
        .filter(|s| s.source == SecretSource::Environment)
        .map(|s| s.var.as_str())
        .collect();
    if !stored.is_empty() {
        out.comment(&format!(
            "Stored there by onboarding: {}.",
            stored.join(", ")
        ));
    }
    if !referenced.is_empty() {
        out.comment(&format!(
            "Expected in the gateway's environment: {}.",
            referenced.join(", ")
        ));
    }
}

fn agent(out: &mut Json5, answers: &Answers) {
    out.comment(
        "The main agent: the model that answers (\"provider/model\") and its working folder.",
    );
    out.open("agent");
    out.field("model", &string(&answers.provider.model_ref()));
    out.field(
        "workspace",
        &string(&answers.workspace.display().to_string()),
    );
    out.close();
    out.blank();
}

fn gateway(out: &mut Json5, answers: &Answers, places: Places<'_>) {
    out.comment(
        "The one listener for the HTTP API, the control UI and the channel webhooks. \"loopback\":\n\
         only this machine can connect; publish it with Tailscale Serve or a reverse proxy rather\n\
         than binding it to the network (\"lan\" needs TLS and auth, see `pincer security audit`).",
    );
    out.open("gateway");
    out.field("port", &answers.port.to_string());
    out.field("bind", &string("loopback"));
    out.open("auth");
    match &answers.auth {
        AuthAnswer::Token => out.comment(&format!(
            "\"token\": clients send `Authorization: Bearer <token>`. The token is 256 random bits in\n\
             {} (mode 0600), where the pincer CLI reads it.",
            places.token_file.display()
        )),
        AuthAnswer::Password { secret, .. } => out.comment(&format!(
            "\"password\": clients send the password as their bearer credential. It is {}\n\
             ({}).",
            secret.var,
            source_words(secret)
        )),
    }
    out.field(
        "mode",
        &string(match answers.auth {
            AuthAnswer::Token => "token",
            AuthAnswer::Password { .. } => "password",
        }),
    );
    out.close();
    out.close();
    out.blank();
}

fn models(out: &mut Json5, answers: &Answers) {
    let provider = &answers.provider;
    out.open("models");
    out.open("providers");
    let what = match provider.kind {
        ProviderKind::Anthropic => "Anthropic's Messages API".to_string(),
        ProviderKind::OpenAi => "OpenAI's Chat Completions API".to_string(),
        ProviderKind::Compatible => {
            "An OpenAI-compatible server (Ollama, vLLM, llama.cpp, ...)".to_string()
        }
    };
    match &provider.key {
        Some(key) => out.comment(&format!(
            "{what}; its API key is {} ({}).",
            key.var,
            source_words(key)
        )),
        None => out.comment(&format!("{what}; it needs no API key.")),
    }
    out.open(&provider.id);
    let api = match provider.kind.api() {
        ProviderApi::AnthropicMessages => "anthropic-messages",
        ProviderApi::OpenaiCompletions => "openai-completions",
    };
    out.field("api", &string(api));
    out.field("baseUrl", &string(&provider.base_url));
    if let Some(key) = &provider.key {
        out.field("apiKeyEnv", &string(&key.var));
    }
    out.close();
    out.close();
    out.close();
    out.blank();
}

fn channels(out: &mut Json5, answers: &Answers) {
    if answers.channels.is_empty() {
        let names: Vec<&str> = crate::channels::registry::PLUGINS
            .iter()
            .map(|plugin| plugin.labels().platform)
            .collect();
        let (last, others) = names.split_last().unwrap_or((&"a channel", &[]));
        let some = if others.is_empty() {
            String::new()
        } else {
            format!("{} or", others.join(", "))
        };
        out.comment(&format!(
            "No chat channel is set up. Run `pincer onboard` again to add {some}\n\
             {last}, or see channels.* in config/pincer.example.json5."
        ));
        out.blank();
        return;
    }
    out.open("channels");
    let policy = dm_policy_words(answers.dm_policy);
    for channel in &answers.channels {
        out.comment(&channel.comment);
        out.open(channel.channel);
        out.field("enabled", "true");
        for (key, value) in &channel.fields {
            out.field(key, value);
        }
        out.comment(&policy);
        out.field("dmPolicy", &string(answers.dm_policy.as_str()));
        out.field("allowFrom", &list(&channel.allow_from));
        out.close();
    }
    out.close();
    out.blank();
}

fn dm_policy_words(policy: DmPolicy) -> String {
    match policy {
        DmPolicy::Pairing => "Strangers get a pairing code; approve it with `pincer pairing approve <channel> <CODE>`.",
        DmPolicy::Allowlist => "Only the senders in allowFrom (and approved pairings) reach the assistant.",
        DmPolicy::Open => "Anyone reaches the assistant.",
        DmPolicy::Disabled => "Direct messages are ignored.",
    }
    .to_string()
}

fn source_words(secret: &SecretAnswer) -> &'static str {
    secret.source_words()
}

/// The summary shown before anything is written.
pub(crate) fn summary(answers: &Answers) -> Vec<String> {
    let provider = &answers.provider;
    let key = match &provider.key {
        None => "no API key".to_string(),
        Some(key) => format!("API key {}, {}", key.var, source_words(key)),
    };
    let mut lines = vec![
        format!(
            "model      {} at {} ({key})",
            provider.model_ref(),
            provider.base_url
        ),
        format!(
            "gateway    127.0.0.1:{}, auth {}",
            answers.port,
            match answers.auth {
                AuthAnswer::Token => "token (generated)",
                AuthAnswer::Password { .. } => "password",
            }
        ),
    ];
    let channels: Vec<&str> = answers
        .channels
        .iter()
        .map(|channel| channel.summary.as_str())
        .collect();
    lines.push(if channels.is_empty() {
        "channels   none".to_string()
    } else {
        format!(
            "channels   {}; DM policy {}",
            channels.join(", "),
            answers.dm_policy.as_str()
        )
    });
    lines.push(format!("workspace  {}", answers.workspace.display()));
    lines.push(format!("sandbox    {}", sandbox_name(answers.sandbox)));
    lines
}

/// A JSON5 string literal.
fn string(text: &str) -> String {
    crate::channels::setup::string_literal(text)
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| string(item)).collect();
    format!("[{}]", quoted.join(", "))
}

/// An indenting writer of JSON5 lines.
#[derive(Default)]
struct Json5 {
    text: String,
    depth: usize,
}

impl Json5 {
    fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn comment(&mut self, text: &str) {
        for line in text.lines() {
            if line.is_empty() {
                self.line("//");
            } else {
                self.line(&format!("// {line}"));
            }
        }
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn open(&mut self, key: &str) {
        self.line(&format!("{}: {{", key_name(key)));
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.line("},");
    }

    fn field(&mut self, key: &str, value: &str) {
        self.line(&format!("{}: {value},", key_name(key)));
    }
}

/// Keys that are identifiers stay bare; others (a provider id with `-`) are quoted.
fn key_name(key: &str) -> String {
    let bare = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if bare {
        key.to_string()
    } else {
        string(key)
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
