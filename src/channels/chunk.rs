//! Splitting a reply into messages a platform accepts (WhatsApp and Telegram: 4096 characters).
//!
//! Cuts go at the last paragraph break that fits, else a line break, else the end of a sentence,
//! else a space, and only as a last resort inside a word; a cut never splits a character. The
//! pieces, joined with the whitespace that was cut, give back the text.

/// Splits `text` into pieces of at most `limit` characters (Unicode scalar values).
pub(crate) fn split(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((fit_end, _)) = rest.char_indices().nth(limit) else {
            pieces.push(rest.to_string());
            break;
        };
        let window = &rest[..fit_end];
        let cut = best_cut(window).unwrap_or(fit_end);
        let (head, tail) = rest.split_at(cut);
        let head = head.trim_end();
        if head.is_empty() {
            // Only whitespace before the cut: take the hard limit instead.
            pieces.push(window.to_string());
            rest = rest[fit_end..].trim_start();
        } else {
            pieces.push(head.to_string());
            rest = tail.trim_start();
        }
    }
    pieces
}

/// The byte offset just after the best break inside `window`, if any.
fn best_cut(window: &str) -> Option<usize> {
    // Do not cut so early that a piece ends up tiny: breaks in the first third are ignored.
    let floor = window.len() / 3;
    let after = |found: Option<usize>, len: usize| found.map(|i| i + len).filter(|i| *i > floor);
    after(window.rfind("\n\n"), 2)
        .or_else(|| after(window.rfind('\n'), 1))
        .or_else(|| {
            [". ", "! ", "? ", "。", ".\n"]
                .iter()
                .filter_map(|end| window.rfind(end).map(|i| i + end.len()))
                .max()
                .filter(|i| *i > floor)
        })
        .or_else(|| after(window.rfind(' '), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split("hello", 4096), vec!["hello"]);
        assert!(split("   ", 10).is_empty());
    }

    #[test]
    fn prefers_paragraphs_then_sentences_then_words() {
        let text = format!("{}\n\n{}", "a".repeat(60), "b".repeat(60));
        assert_eq!(split(&text, 100), vec!["a".repeat(60), "b".repeat(60)]);
        let text = "One sentence here. Another sentence follows and goes on.";
        assert_eq!(
            split(text, 30),
            vec![
                "One sentence here.",
                "Another sentence follows and",
                "goes on."
            ]
        );
    }

    #[test]
    fn every_piece_fits_and_nothing_is_lost() {
        let word = "héllo wörld, ünïcode 🦀 text. ";
        let text = word.repeat(400);
        for limit in [1, 7, 100, 4096] {
            let pieces = split(&text, limit);
            assert!(pieces.iter().all(|p| chars(p) <= limit && !p.is_empty()));
            let squashed: String = text.split_whitespace().collect();
            let rejoined: String = pieces.concat().split_whitespace().collect();
            assert_eq!(squashed, rejoined, "limit {limit}");
        }
    }

    #[test]
    fn a_long_word_is_cut_hard() {
        let pieces = split(&"x".repeat(10_000), 4096);
        assert_eq!(
            pieces.iter().map(|p| chars(p)).collect::<Vec<_>>(),
            vec![4096, 4096, 1808]
        );
    }
}
