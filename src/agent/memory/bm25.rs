//! BM25 over the paragraphs' lower-cased words (k1 = 1.2, b = 0.75), the ranking memory search
//! has always used, kept as an inverted index (word → the paragraphs holding it and how often)
//! so a query costs its words' posting lists, not a pass over every paragraph.

use std::collections::HashMap;

use super::chunks::words;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// The inverted index of a set of paragraphs, numbered in the order they were given.
#[derive(Debug, Default, Clone)]
pub struct Bm25 {
    postings: HashMap<String, Vec<(u32, u32)>>,
    lengths: Vec<u32>,
    average: f64,
}

impl Bm25 {
    /// The index of `texts`.
    pub fn build<'a>(texts: impl IntoIterator<Item = &'a str>) -> Bm25 {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (number, text) in texts.into_iter().enumerate() {
            let number = u32::try_from(number).unwrap_or(u32::MAX);
            let mut counts: HashMap<String, u32> = HashMap::new();
            let mut length = 0u32;
            for word in words(text) {
                *counts.entry(word).or_default() += 1;
                length += 1;
            }
            for (word, count) in counts {
                postings.entry(word).or_default().push((number, count));
            }
            lengths.push(length);
        }
        let total: u64 = lengths.iter().map(|&l| u64::from(l)).sum();
        let average = total as f64 / lengths.len().max(1) as f64;
        Bm25 {
            postings,
            lengths,
            average,
        }
    }

    /// How many paragraphs are indexed.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether no paragraph is indexed.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The paragraphs matching `query`, best first, at most `limit`: (number, score > 0).
    pub fn rank(&self, query: &str, limit: usize) -> Vec<(usize, f64)> {
        let mut terms: Vec<String> = words(query).collect();
        terms.sort();
        terms.dedup();
        let count = self.lengths.len().max(1) as f64;
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for term in &terms {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let df = list.len() as f64;
            let idf = ((count - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(number, tf) in list {
                let tf = f64::from(tf);
                let length = self
                    .lengths
                    .get(number as usize)
                    .map_or(0.0, |&l| f64::from(l))
                    / self.average.max(1.0);
                *scores.entry(number).or_default() +=
                    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length));
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores
            .into_iter()
            .filter(|&(_, score)| score > 0.0)
            .map(|(number, score)| (number as usize, score))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::super::chunks::chunks;
    use super::*;

    #[test]
    fn paragraphs_rank_by_keywords_as_before() {
        let note = "# Family\nAnna's birthday is on 3 May.\nShe likes tulips.\n\n# Work\nThe \
                    quarterly report is due in May.\n\nBuy coffee beans.\n";
        let all = chunks("MEMORY.md", note);
        let index = Bm25::build(all.iter().map(|c| c.text.as_str()));
        let ranked = index.rank("Anna birthday", 5);
        assert_eq!(ranked.len(), 1);
        assert!(all[ranked[0].0].text.contains("tulips"));
        let may = index.rank("may report", 5);
        assert_eq!(may.len(), 2);
        assert!(
            all[may[0].0].text.contains("quarterly"),
            "two terms beat one"
        );
        assert!(index.rank("nothing matches", 5).is_empty());
        assert_eq!(index.rank("may", 1).len(), 1, "the limit holds");
    }

    #[test]
    fn the_scores_are_the_textbook_ones() {
        // Two paragraphs, "a b" and "a": "b" is in one of two (idf ln(1 + 1.5/1.5) = ln 2),
        // tf 1, length 2 over an average of 1.5.
        let index = Bm25::build(["aa bb", "aa"]);
        let ranked = index.rank("bb", 5);
        let length = 2.0 / 1.5;
        let expected = 2f64.ln() * 2.2 / (1.0 + 1.2 * (0.25 + 0.75 * length));
        assert_eq!(ranked.len(), 1);
        assert!((ranked[0].1 - expected).abs() < 1e-12, "{ranked:?}");
    }
}
