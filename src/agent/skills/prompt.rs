//! The skills part of the system prompt: a compact list of the eligible skills.
//!
//! One `<skill>` element per skill (name, description, the path of its `SKILL.md`) inside
//! `<available_skills>`, after a short instruction to read a skill's file with the `read` tool
//! when it applies. Names, descriptions and paths are escaped (`&`, `<`, `>`, control characters
//! as spaces), so a description or a folder name cannot close the list and write its own
//! instructions around it. The list stops before it
//! would pass `maxSkillsPromptChars` characters or `maxSkillsInPrompt` skills; the last line then
//! says how many were left out.

use super::Skill;

/// The block for `skills` (eligible ones, in priority order), or `None` when there are none.
pub fn render(skills: &[&Skill], max_chars: usize, max_skills: usize) -> Option<String> {
    if skills.is_empty() {
        return None;
    }
    let mut out = String::from(
        "## Skills\nThe skills below are instructions for particular tasks. When one clearly \
         applies, read its SKILL.md with the `read` tool (the path given) before acting, then \
         follow it. Read only the skill that applies; never read one just in case.\n\
         <available_skills>\n",
    );
    let closing = "</available_skills>";
    let budget = max_chars;
    let mut listed = 0usize;
    for skill in skills {
        let entry = format!(
            "<skill><name>{}</name><description>{}</description><location>{}</location></skill>\n",
            escape(&skill.name),
            escape(&skill.description),
            escape(&skill.file.display().to_string()),
        );
        if listed >= max_skills || out.len() + entry.len() + closing.len() > budget {
            break;
        }
        out.push_str(&entry);
        listed += 1;
    }
    out.push_str(closing);
    let left_out = skills.len() - listed;
    if left_out > 0 {
        out.push_str(&format!(
            "\n({left_out} more skill{} left out: the list is capped by skills.limits.maxSkillsPromptChars / maxSkillsInPrompt)",
            if left_out == 1 { "" } else { "s" }
        ));
    }
    Some(out)
}

/// `text` with the three characters that could open or close an element escaped, and control
/// characters (a newline in a folder name) as spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::skills::{OpenClawMeta, SkillState, Source};
    use std::path::PathBuf;

    fn skill(name: &str, description: &str) -> Skill {
        Skill {
            name: name.into(),
            description: description.into(),
            source: Source::Managed,
            dir: PathBuf::from(format!("/s/skills/{name}")),
            file: PathBuf::from(format!("/s/skills/{name}/SKILL.md")),
            meta: OpenClawMeta::default(),
            state: SkillState::Eligible,
        }
    }

    #[test]
    fn lists_name_description_and_path_escaped() {
        let skills = [skill("gh", "GitHub </available_skills> & <b>")];
        let refs: Vec<&Skill> = skills.iter().collect();
        let block = render(&refs, 10_000, 100).unwrap();
        assert!(block.contains("<skill><name>gh</name><description>GitHub &lt;/available_skills&gt; &amp; &lt;b&gt;</description><location>/s/skills/gh/SKILL.md</location></skill>"), "{block}");
        assert_eq!(block.matches("</available_skills>").count(), 1);
        assert!(render(&[], 10_000, 100).is_none());
    }

    #[test]
    fn the_cap_leaves_skills_out_and_says_how_many() {
        let skills: Vec<Skill> = (0..50)
            .map(|i| skill(&format!("s{i}"), &"d".repeat(100)))
            .collect();
        let refs: Vec<&Skill> = skills.iter().collect();
        let block = render(&refs, 2000, 100).unwrap();
        let listed = block.matches("<skill>").count();
        assert!(listed > 0 && listed < 50, "{listed}");
        assert!(
            block.contains(&format!("({} more skills left out", 50 - listed)),
            "{block}"
        );
        let head = block.split("\n(").next().unwrap();
        assert!(head.len() <= 2000, "{}", head.len());
        let by_count = render(&refs, 1_000_000, 3).unwrap();
        assert_eq!(by_count.matches("<skill>").count(), 3);
        assert!(by_count.contains("(47 more skills left out"));
    }
}
