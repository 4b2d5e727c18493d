//! The chat-channel questions of onboarding: each channel of the registry asks its own
//! (`crate::channels::<name>::setup`, through [`SetupAsk`], which the flow implements here), then
//! who may message the agent through them (the DM policy) and each one's `allowFrom`. Part of
//! [`super::flow`].
//!
//! Channel credentials are taken from the environment or typed without echo; in
//! non-interactive mode an enabled channel whose credentials are not in the environment stops
//! onboarding with the variable to set.

use super::answers::SecretAnswer;
use super::flow::Flow;
use super::prompt::{Choice, Question};
use super::OnboardError;
use crate::channels::registry::PLUGINS;
use crate::channels::setup::{Ask, ChannelAnswer, Check, SetupAsk, SetupError};
use crate::config::DmPolicy;

impl Flow<'_, '_> {
    /// Every channel's questions, and the DM policy of the channels set up.
    pub(super) fn channels(&mut self) -> Result<(Vec<ChannelAnswer>, DmPolicy), OnboardError> {
        let pre = self.ctx.presets;
        let mut answers = Vec::new();
        for plugin in PLUGINS {
            if let Some(answer) = plugin.setup(self).map_err(onboard_error)? {
                answers.push((plugin, answer));
            }
        }
        if answers.is_empty() {
            return Ok((Vec::new(), pre.dm_policy.unwrap_or_default()));
        }
        let policy = self.p.choose(
            &Question::new("Who may message the assistant directly", "--dm-policy")
                .default("pairing")
                .preset(pre.dm_policy.map(DmPolicy::as_str)),
            &[
                Choice {
                    name: "pairing",
                    value: DmPolicy::Pairing,
                    help: "strangers get a code; you approve it with `pincer pairing approve` \
                           (recommended)",
                },
                Choice {
                    name: "allowlist",
                    value: DmPolicy::Allowlist,
                    help: "only the numbers / ids you list now (and approved pairings)",
                },
                Choice {
                    name: "disabled",
                    value: DmPolicy::Disabled,
                    help: "ignore direct messages",
                },
            ],
        )?;
        let ask_lists = policy == DmPolicy::Allowlist;
        for (plugin, answer) in &mut answers {
            let ask = plugin.allow_from_question();
            if ask_lists || self.preset(ask.flag).is_some() {
                answer.allow_from = self
                    .p
                    .ask(&self.question(ask), |text| plugin.allow_list(text))?;
            }
        }
        Ok((answers.into_iter().map(|(_, a)| a).collect(), policy))
    }

    /// The value of a channel's flag (`--whatsapp-phone-number-id`), if it was given.
    fn preset(&self, flag: &str) -> Option<String> {
        let name = flag.strip_prefix("--")?;
        self.ctx.presets.channel_flags.get(name).cloned()
    }

    fn question<'q>(&self, ask: Ask<'q>) -> Question<'q> {
        let mut question = Question::new(ask.label, ask.flag).preset(self.preset(ask.flag));
        if let Some(default) = ask.default {
            question = question.default(default);
        }
        question
    }

    /// A credential from the environment, the secrets file, or typed; non-interactively it must
    /// be in the environment (or the file).
    fn required_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: Check,
    ) -> Result<SecretAnswer, OnboardError> {
        if let Some(found) = self.found_credential(vars, label, check)? {
            return Ok(found);
        }
        match self.p.secret(label, check)? {
            Some(typed) => Ok(SecretAnswer::stored(vars[0], typed)),
            None => Err(OnboardError::Missing {
                what: label.to_string(),
                how: format!("set {} in the environment", vars[0]),
            }),
        }
    }
}

impl SetupAsk for Flow<'_, '_> {
    fn interactive(&self) -> bool {
        self.p.interactive()
    }

    fn say(&mut self, text: &str) {
        self.p.say(text);
    }

    fn confirm(&mut self, ask: Ask<'_>) -> Result<bool, SetupError> {
        let question = self.question(ask);
        self.p.confirm(&question).map_err(setup_error)
    }

    fn ask(
        &mut self,
        ask: Ask<'_>,
        check: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<String, SetupError> {
        let question = self.question(ask);
        self.p.ask(&question, check).map_err(setup_error)
    }

    fn required_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: Check,
    ) -> Result<SecretAnswer, SetupError> {
        Flow::required_credential(self, vars, label, check).map_err(setup_error)
    }

    fn found_credential(
        &mut self,
        vars: &[&str],
        label: &str,
        check: Check,
    ) -> Result<Option<SecretAnswer>, SetupError> {
        Flow::found_credential(self, vars, label, check).map_err(setup_error)
    }

    fn random_token(&mut self) -> Result<String, SetupError> {
        crate::config::credentials::generate_token()
            .map_err(|e| setup_error(OnboardError::Random(e.to_string())))
    }
}

fn setup_error(error: OnboardError) -> SetupError {
    SetupError(Box::new(error))
}

/// The wizard's error back from a channel's questions (they only ever carry the wizard's own).
fn onboard_error(error: SetupError) -> OnboardError {
    match error.0.downcast::<OnboardError>() {
        Ok(error) => *error,
        Err(other) => OnboardError::Invalid {
            origin: "a channel's questions".to_string(),
            message: other.to_string(),
        },
    }
}
