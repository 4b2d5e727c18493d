//! The heartbeat's rules, apart from the scheduler that fires it (a built-in job `heartbeat` of
//! `/gateway/cron`): the turn's message (the prompt and the workspace's `HEARTBEAT.md`), when a
//! `HEARTBEAT.md` is effectively empty (no turn: no model call for nothing), active hours, and
//! OpenClaw's acknowledgement rule: an answer with `HEARTBEAT_OK` at its start or end and at
//! most 300 other characters is not delivered.

use std::path::Path;

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;

use crate::config::cron::{minute_of_day, ActiveHours};

/// The token a heartbeat answers when nothing needs attention.
pub const HEARTBEAT_OK: &str = "HEARTBEAT_OK";
/// The most other text an acknowledgement may carry and still be dropped (OpenClaw's 300).
pub const ACK_MAX_CHARS: usize = 300;
/// The built-in instruction, after OpenClaw's.
pub const DEFAULT_PROMPT: &str = "This is a heartbeat: a scheduled check, not a message from the \
    owner. Follow HEARTBEAT.md (below) strictly; do not repeat old tasks from earlier chats. If \
    nothing needs the owner's attention, reply HEARTBEAT_OK and nothing else.";
/// The job id of the heartbeat in the scheduler (its runs file is `runs/heartbeat.jsonl`).
pub const JOB_ID: &str = "heartbeat";

/// Whether `reply` is an acknowledgement, which is dropped.
pub fn is_acknowledgement(reply: &str) -> bool {
    let text = reply.trim();
    let stripped = text
        .trim_matches(|c: char| matches!(c, '*' | '_' | '`' | '.' | '!'))
        .trim();
    let rest = if let Some(rest) = stripped.strip_prefix(HEARTBEAT_OK) {
        rest
    } else if let Some(rest) = stripped.strip_suffix(HEARTBEAT_OK) {
        rest
    } else {
        return false;
    };
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '_' | '`'));
    rest.chars().count() <= ACK_MAX_CHARS
}

/// Whether a `HEARTBEAT.md` holds no task: only blank lines, Markdown headings, empty list
/// items and HTML comments (OpenClaw's template is such a file, so a fresh workspace costs no
/// model call).
pub fn is_effectively_empty(text: &str) -> bool {
    let mut in_comment = false;
    for line in text.lines() {
        let mut line = line.trim();
        loop {
            if in_comment {
                match line.find("-->") {
                    Some(end) => {
                        in_comment = false;
                        line = line[end + 3..].trim();
                    }
                    None => {
                        line = "";
                        break;
                    }
                }
            } else if let Some(start) = line.find("<!--") {
                if !line[..start].trim().is_empty() {
                    return false;
                }
                in_comment = true;
                line = line[start + 4..].trim();
            } else {
                break;
            }
        }
        let content = line.trim_start_matches('#').trim();
        let bare = line.starts_with('#')
            || content.is_empty()
            || matches!(content, "-" | "*" | "- [ ]" | "* [ ]" | "+");
        if !bare {
            return false;
        }
    }
    true
}

/// The heartbeat turn's message, or none when there is nothing to check (no `HEARTBEAT.md`,
/// or one effectively empty).
pub fn message(workspace: &Path, prompt: Option<&str>) -> Option<String> {
    let text = std::fs::read_to_string(workspace.join("HEARTBEAT.md")).ok()?;
    if is_effectively_empty(&text) {
        return None;
    }
    let prompt = prompt.unwrap_or(DEFAULT_PROMPT);
    Some(format!("{prompt}\n\nHEARTBEAT.md:\n{}", text.trim()))
}

/// Whether `at_ms` is within the active hours (always, without them).
pub fn within(hours: Option<&ActiveHours>, at_ms: u64) -> bool {
    let Some(hours) = hours else {
        return true;
    };
    let (Some(start), Some(end)) = (minute_of_day(&hours.start), minute_of_day(&hours.end)) else {
        return true;
    };
    let zone: Tz = hours
        .timezone
        .as_deref()
        .and_then(|name| name.parse().ok())
        .unwrap_or(Tz::UTC);
    let Some(local) = i64::try_from(at_ms)
        .ok()
        .and_then(|ms| zone.timestamp_millis_opt(ms).single())
    else {
        return true;
    };
    let minute = local.hour() * 60 + local.minute();
    if start <= end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_are_dropped_and_real_answers_are_not() {
        assert!(is_acknowledgement("HEARTBEAT_OK"));
        assert!(is_acknowledgement("  **HEARTBEAT_OK**  "));
        assert!(is_acknowledgement("All quiet. HEARTBEAT_OK"));
        assert!(is_acknowledgement(
            "HEARTBEAT_OK - nothing new in the inbox"
        ));
        assert!(!is_acknowledgement("Your flight leaves in 2 hours."));
        assert!(!is_acknowledgement(
            "I checked: HEARTBEAT_OK is what I'd say, but the server is down"
        ));
        let long = format!("HEARTBEAT_OK {}", "x".repeat(ACK_MAX_CHARS + 1));
        assert!(!is_acknowledgement(&long));
        let just = format!("HEARTBEAT_OK {}", "x".repeat(ACK_MAX_CHARS));
        assert!(is_acknowledgement(&just));
    }

    #[test]
    fn an_empty_template_is_empty_and_a_task_is_not() {
        assert!(is_effectively_empty(""));
        assert!(is_effectively_empty(
            "# Keep this file empty\n\n<!-- add tasks\nbelow -->\n## Tasks\n- \n"
        ));
        assert!(!is_effectively_empty("# Tasks\n- check the inbox\n"));
        assert!(!is_effectively_empty("<!-- x --> remind me to stretch"));
    }

    #[test]
    fn the_message_needs_a_file_with_a_task() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(message(dir.path(), None), None);
        std::fs::write(dir.path().join("HEARTBEAT.md"), "# nothing\n").unwrap();
        assert_eq!(message(dir.path(), None), None);
        std::fs::write(dir.path().join("HEARTBEAT.md"), "- water the plants\n").unwrap();
        let text = message(dir.path(), Some("Check.")).unwrap();
        assert!(text.starts_with("Check.") && text.ends_with("- water the plants"));
    }

    #[test]
    fn active_hours_in_a_zone_and_across_midnight() {
        let hours = |start: &str, end: &str, tz: Option<&str>| ActiveHours {
            start: start.into(),
            end: end.into(),
            timezone: tz.map(String::from),
        };
        // 2026-07-01T06:30:00Z is 08:30 in Paris (summer time).
        let t = 1_782_887_400_000;
        assert!(within(
            Some(&hours("08:00", "22:00", Some("Europe/Paris"))),
            t
        ));
        assert!(!within(Some(&hours("08:00", "22:00", None)), t));
        assert!(within(Some(&hours("22:00", "07:00", None)), t));
        assert!(!within(Some(&hours("22:00", "06:00", None)), t));
        assert!(within(None, t));
        assert!(within(Some(&hours("00:00", "24:00", None)), t));
    }
}
