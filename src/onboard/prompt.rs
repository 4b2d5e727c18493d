//! Asking one question: the prompt, the default, the answer given as a flag, the check, and
//! asking again after a wrong answer.
//!
//! The same [`Prompter`] serves both modes, so that the wizard and `--non-interactive` share
//! every rule. Interactively, a flag's value is checked like a typed answer (a wrong one is
//! reported and the question asked), and the person at the terminal answers the rest; a wrong
//! answer is explained and the question repeated until it is right or input ends.
//! Non-interactively, the flag's value or else the default is taken, and a missing or wrong one
//! stops onboarding with a message naming the flag. Input and output go through a
//! [`Terminal`], so the wizard is testable with a script ([`ScriptedTerminal`]).

use super::OnboardError;

/// Where questions are shown and answers read.
pub(crate) trait Terminal {
    /// Shows `text` as is (prompts end without a newline).
    fn write(&mut self, text: &str);
    /// One line, without its line ending; `None` at the end of input.
    fn read_line(&mut self) -> std::io::Result<Option<String>>;
    /// One line typed without echo (for secrets); `None` at the end of input.
    fn read_hidden(&mut self) -> std::io::Result<Option<String>>;
}

/// One question.
#[derive(Debug, Clone)]
pub(crate) struct Question<'a> {
    /// What is asked, without the trailing colon.
    pub label: &'a str,
    /// The flag that answers it (`--port`), or how to provide it non-interactively.
    pub flag: &'a str,
    /// Taken when the answer is empty.
    pub default: Option<String>,
    /// The flag's value, when given.
    pub preset: Option<String>,
}

impl<'a> Question<'a> {
    pub(crate) fn new(label: &'a str, flag: &'a str) -> Self {
        Question {
            label,
            flag,
            default: None,
            preset: None,
        }
    }

    pub(crate) fn default(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    pub(crate) fn preset(mut self, value: Option<impl Into<String>>) -> Self {
        self.preset = value.map(Into::into);
        self
    }
}

/// One option of a multiple choice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice<T> {
    pub name: &'static str,
    pub value: T,
    pub help: &'static str,
}

/// Asks questions on a [`Terminal`], interactively or not.
pub(crate) struct Prompter<'t> {
    term: &'t mut dyn Terminal,
    interactive: bool,
}

impl<'t> Prompter<'t> {
    pub(crate) fn new(term: &'t mut dyn Terminal, interactive: bool) -> Self {
        Prompter { term, interactive }
    }

    /// Whether a person answers.
    pub(crate) fn interactive(&self) -> bool {
        self.interactive
    }

    /// Shows a line of information.
    pub(crate) fn say(&mut self, text: &str) {
        self.term.write(text);
        self.term.write("\n");
    }

    /// Starts a group of questions (interactive only: non-interactive output stays short).
    pub(crate) fn section(&mut self, title: &str) {
        if self.interactive {
            self.say(&format!("\n== {title}"));
        }
    }

    /// Shows a warning: something that works now but needs attention.
    pub(crate) fn warn(&mut self, text: &str) {
        self.say(&format!("  warning: {text}"));
    }

    /// Asks `question` until `check` accepts the answer.
    pub(crate) fn ask<T>(
        &mut self,
        question: &Question<'_>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, OnboardError> {
        if let Some(preset) = &question.preset {
            match check(preset.trim()) {
                Ok(value) => {
                    if self.interactive {
                        self.say(&format!(
                            "{}: {} (from {})",
                            question.label, preset, question.flag
                        ));
                    }
                    return Ok(value);
                }
                Err(message) if !self.interactive => {
                    return Err(OnboardError::Invalid {
                        origin: question.flag.to_string(),
                        message,
                    })
                }
                Err(message) => self.say(&format!("  ! {}: {message}", question.flag)),
            }
        }
        if !self.interactive {
            let Some(default) = &question.default else {
                return Err(OnboardError::Missing {
                    what: question.label.to_string(),
                    how: format!("pass {}", question.flag),
                });
            };
            return check(default).map_err(|message| OnboardError::Invalid {
                origin: question.flag.to_string(),
                message,
            });
        }
        loop {
            let prompt = match &question.default {
                Some(default) if !default.is_empty() => {
                    format!("{} [{default}]: ", question.label)
                }
                _ => format!("{}: ", question.label),
            };
            self.term.write(&prompt);
            let line = self.term.read_line().map_err(OnboardError::Terminal)?;
            let typed = line.ok_or(OnboardError::Aborted)?;
            let typed = typed.trim();
            let answer = match (&question.default, typed.is_empty()) {
                (Some(default), true) => default.as_str(),
                (None, true) => {
                    self.say("  ! an answer is needed here");
                    continue;
                }
                (_, false) => typed,
            };
            match check(answer) {
                Ok(value) => return Ok(value),
                Err(message) => self.say(&format!("  ! {message}")),
            }
        }
    }

    /// A yes/no question.
    pub(crate) fn confirm(&mut self, question: &Question<'_>) -> Result<bool, OnboardError> {
        self.ask(question, super::checks::yes_no)
    }

    /// A multiple choice: answered by number or by name.
    pub(crate) fn choose<T: Copy>(
        &mut self,
        question: &Question<'_>,
        choices: &[Choice<T>],
    ) -> Result<T, OnboardError> {
        if self.interactive && question.preset.is_none() {
            self.say(&format!("{}:", question.label));
            let width = choices.iter().map(|c| c.name.len()).max().unwrap_or(0);
            for (index, choice) in choices.iter().enumerate() {
                self.say(&format!(
                    "  {}) {:width$}  {}",
                    index + 1,
                    choice.name,
                    choice.help
                ));
            }
        }
        let names: Vec<&str> = choices.iter().map(|c| c.name).collect();
        self.ask(question, |text| {
            let by_number = text
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| choices.get(i));
            let by_name = choices.iter().find(|c| c.name.eq_ignore_ascii_case(text));
            by_number.or(by_name).map(|c| c.value).ok_or_else(|| {
                format!(
                    "choose 1 to {} or one of {} (got {text:?})",
                    choices.len(),
                    names.join(", ")
                )
            })
        })
    }

    /// A secret, typed without echo, until `check` accepts it; `None` when nobody can type it
    /// (non-interactive mode: the caller decides whether that is an error).
    pub(crate) fn secret<T>(
        &mut self,
        label: &str,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, OnboardError> {
        if !self.interactive {
            return Ok(None);
        }
        loop {
            self.term.write(&format!("{label} (input hidden): "));
            let line = self.term.read_hidden().map_err(OnboardError::Terminal)?;
            let typed = line.ok_or(OnboardError::Aborted)?;
            let typed = typed.trim();
            if typed.is_empty() {
                self.say("  ! an answer is needed here");
                continue;
            }
            match check(typed) {
                Ok(value) => return Ok(Some(value)),
                Err(message) => self.say(&format!("  ! {message}")),
            }
        }
    }
}

#[cfg(test)]
/// A [`Terminal`] fed from a list of lines, recording what was shown (for tests).
#[derive(Debug, Default)]
pub(crate) struct ScriptedTerminal {
    lines: std::collections::VecDeque<String>,
    /// Everything written so far.
    pub output: String,
    /// How many lines were read without echo.
    pub hidden_reads: usize,
}

#[cfg(test)]
impl ScriptedTerminal {
    pub(crate) fn new(lines: &[&str]) -> Self {
        ScriptedTerminal {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            ..ScriptedTerminal::default()
        }
    }

    /// Lines not consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.lines.len()
    }
}

#[cfg(test)]
impl Terminal for ScriptedTerminal {
    fn write(&mut self, text: &str) {
        self.output.push_str(text);
    }

    fn read_line(&mut self) -> std::io::Result<Option<String>> {
        let line = self.lines.pop_front();
        if let Some(line) = &line {
            self.output.push_str(line);
            self.output.push('\n');
        }
        Ok(line)
    }

    fn read_hidden(&mut self) -> std::io::Result<Option<String>> {
        self.hidden_reads += 1;
        let line = self.lines.pop_front();
        if line.is_some() {
            self.output.push('\n');
        }
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboard::checks;

    #[test]
    fn a_wrong_answer_is_explained_and_asked_again() {
        let mut term = ScriptedTerminal::new(&["abc", "", "8080"]);
        let port = Prompter::new(&mut term, true)
            .ask(&Question::new("Port", "--port"), checks::port)
            .expect("answered");
        assert_eq!(port, 8080);
        assert_eq!(term.output.matches("Port: ").count(), 3, "{}", term.output);
        assert!(
            term.output.contains("a port is a number"),
            "{}",
            term.output
        );
        assert!(
            term.output.contains("an answer is needed"),
            "{}",
            term.output
        );
    }

    #[test]
    fn defaults_presets_and_the_end_of_input() {
        let mut term = ScriptedTerminal::new(&[""]);
        let question = Question::new("Port", "--port").default("18789");
        let mut prompter = Prompter::new(&mut term, true);
        assert_eq!(
            prompter.ask(&question, checks::port).expect("default"),
            18789
        );
        assert!(matches!(
            prompter.ask(&question, checks::port),
            Err(OnboardError::Aborted)
        ));
        // A wrong flag is reported, then asked.
        let mut term = ScriptedTerminal::new(&["9000"]);
        let question = Question::new("Port", "--port").preset(Some("0"));
        let port = Prompter::new(&mut term, true).ask(&question, checks::port);
        assert_eq!(port.expect("asked"), 9000);
        assert!(term.output.contains("! --port: a port"), "{}", term.output);
    }

    #[test]
    fn non_interactive_takes_the_flag_or_the_default_and_names_the_flag() {
        let mut term = ScriptedTerminal::new(&[]);
        let mut prompter = Prompter::new(&mut term, false);
        let with_default = Question::new("Port", "--port").default("18789");
        assert_eq!(
            prompter.ask(&with_default, checks::port).expect("default"),
            18789
        );
        let flagged = with_default.clone().preset(Some("7000"));
        assert_eq!(prompter.ask(&flagged, checks::port).expect("flag"), 7000);
        let wrong = with_default.preset(Some("x"));
        match prompter.ask(&wrong, checks::port) {
            Err(OnboardError::Invalid { origin, .. }) => assert_eq!(origin, "--port"),
            other => panic!("{other:?}"),
        }
        let missing = Question::new("Model", "--model");
        assert!(matches!(
            prompter.ask(&missing, checks::port),
            Err(OnboardError::Missing { .. })
        ));
        assert_eq!(prompter.secret("Key", checks::api_key).expect("none"), None);
    }

    #[test]
    fn choices_by_number_or_name_and_hidden_secrets() {
        let choices = [
            Choice {
                name: "token",
                value: 1,
                help: "a token",
            },
            Choice {
                name: "password",
                value: 2,
                help: "a password",
            },
        ];
        let mut term = ScriptedTerminal::new(&["3", "Password", "short", "long-enough-key"]);
        let mut prompter = Prompter::new(&mut term, true);
        let question = Question::new("Auth", "--auth").default("token");
        assert_eq!(prompter.choose(&question, &choices).expect("chosen"), 2);
        let key = prompter.secret("Key", checks::api_key).expect("typed");
        assert_eq!(key.as_deref(), Some("long-enough-key"));
        assert_eq!(term.hidden_reads, 2);
        assert!(term.output.contains("1) token"), "{}", term.output);
        assert!(term.output.contains("choose 1 to 2"), "{}", term.output);
        assert!(!term.output.contains("long-enough-key"), "{}", term.output);
    }
}
