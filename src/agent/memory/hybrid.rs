//! Merging the keyword (BM25) and meaning (vector) rankings into one (`memory.search`).
//!
//! - `weighted` (default, OpenClaw's 0.7 / 0.3): each ranking's scores are divided by that
//!   ranking's best, so both run 0..1 whatever BM25's scale; a paragraph's score is
//!   `(vectorWeight * vector + textWeight * text) / (vectorWeight + textWeight)`, a missing
//!   signal counting 0.
//! - `rrf`: reciprocal rank fusion, `Σ weight / (k + rank)` over the rankings a paragraph is in;
//!   scale-free, robust when one ranking's scores are badly calibrated.
//!
//! Without vectors (no provider, or it failed) the caller does not merge: BM25 alone, raw scores.

use std::collections::HashMap;

use crate::config::{MemorySearchConfig, MergeMode};

/// One merged result: the paragraph's number, its merged score and the raw signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub row: usize,
    pub score: f64,
    /// The BM25 score, when the keywords matched.
    pub text: Option<f64>,
    /// The cosine similarity, when the paragraph was among the nearest.
    pub vector: Option<f64>,
}

/// `text` and `vector` (each best first) merged by `settings`, best first, at most `limit`.
pub fn merge(
    text: &[(usize, f64)],
    vector: &[(usize, f32)],
    settings: &MemorySearchConfig,
    limit: usize,
) -> Vec<Merged> {
    let mut merged: HashMap<usize, Merged> = HashMap::new();
    for &(row, score) in text {
        merged.entry(row).or_insert_with(|| blank(row)).text = Some(score);
    }
    for &(row, similarity) in vector {
        merged.entry(row).or_insert_with(|| blank(row)).vector = Some(f64::from(similarity));
    }
    let (vw, tw) = (settings.vector_weight, settings.text_weight);
    match settings.mode {
        MergeMode::Weighted => {
            let best_text = text.iter().map(|t| t.1).fold(0.0, f64::max);
            let best_vector = vector.iter().map(|v| f64::from(v.1)).fold(0.0, f64::max);
            let total = (vw + tw).max(f64::EPSILON);
            for item in merged.values_mut() {
                let t = item.text.map_or(0.0, |s| scaled(s, best_text));
                let v = item.vector.map_or(0.0, |s| scaled(s, best_vector));
                item.score = (vw * v + tw * t) / total;
            }
        }
        MergeMode::Rrf => {
            let k = f64::from(settings.rrf_k);
            for (rank, &(row, _)) in text.iter().enumerate() {
                if let Some(item) = merged.get_mut(&row) {
                    item.score += tw / (k + rank as f64 + 1.0);
                }
            }
            for (rank, &(row, _)) in vector.iter().enumerate() {
                if let Some(item) = merged.get_mut(&row) {
                    item.score += vw / (k + rank as f64 + 1.0);
                }
            }
        }
    }
    let mut out: Vec<Merged> = merged.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    out.truncate(limit);
    out
}

fn blank(row: usize) -> Merged {
    Merged {
        row,
        score: 0.0,
        text: None,
        vector: None,
    }
}

fn scaled(score: f64, best: f64) -> f64 {
    if best > 0.0 {
        (score / best).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: MergeMode) -> MemorySearchConfig {
        MemorySearchConfig {
            mode,
            ..MemorySearchConfig::default()
        }
    }

    #[test]
    fn weighted_lets_a_strong_meaning_beat_a_keyword_only_match() {
        // Row 1 has the keywords and a weak vector; row 2 only the meaning.
        let text = [(1, 4.0)];
        let vector = [(2, 0.9), (1, 0.3)];
        let merged = merge(&text, &vector, &settings(MergeMode::Weighted), 5);
        assert_eq!(merged[0].row, 2);
        assert!((merged[0].score - 0.7).abs() < 1e-6, "{merged:?}");
        assert!((merged[1].score - (0.7 * 0.3 / 0.9 + 0.3)).abs() < 1e-6);
        assert_eq!(merged[1].text, Some(4.0));
        assert_eq!(merged[0].text, None);
        let keywords_only = MemorySearchConfig {
            vector_weight: 0.0,
            text_weight: 1.0,
            ..MemorySearchConfig::default()
        };
        assert_eq!(merge(&text, &vector, &keywords_only, 5)[0].row, 1);
        assert_eq!(merge(&text, &vector, &keywords_only, 1).len(), 1);
    }

    #[test]
    fn rrf_sums_reciprocal_ranks() {
        let text = [(1, 9.0), (2, 1.0)];
        let vector = [(2, 0.9), (3, 0.8)];
        let merged = merge(&text, &vector, &settings(MergeMode::Rrf), 5);
        assert_eq!(merged[0].row, 2, "in both rankings: {merged:?}");
        let expected = 0.3 / 62.0 + 0.7 / 61.0;
        assert!((merged[0].score - expected).abs() < 1e-12);
        assert_eq!(merged.len(), 3);
    }
}
