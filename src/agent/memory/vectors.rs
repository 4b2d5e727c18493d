//! The paragraphs' embeddings, one row per paragraph in one contiguous `f32` buffer, each row
//! scaled to unit length when stored so cosine similarity is a dot product. Search is brute
//! force: for 10,000 rows of 768 it is one pass over 30 MB, which the benchmark measures
//! (`memory.search_p99_ms`); an approximate index would buy nothing at a personal memory's size.

/// Unit vectors of one length; a row may be missing (not embedded yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vectors {
    dims: usize,
    data: Vec<f32>,
    present: Vec<bool>,
}

/// `vector` scaled to length 1 (all zeros stays zeros).
pub fn normalised(vector: &[f32]) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        vector.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; vector.len()]
    }
}

impl Vectors {
    /// `rows` missing rows of `dims` numbers.
    pub fn with_rows(dims: usize, rows: usize) -> Vectors {
        Vectors {
            dims,
            data: vec![0.0; dims * rows],
            present: vec![false; rows],
        }
    }

    /// Rebuilt from stored parts; `None` when their sizes disagree.
    pub(crate) fn from_parts(dims: usize, present: Vec<bool>, data: Vec<f32>) -> Option<Vectors> {
        (data.len() == dims.checked_mul(present.len())?).then_some(Vectors {
            dims,
            data,
            present,
        })
    }

    /// The row length (0 when no vector was ever stored).
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.present.len()
    }

    /// How many rows hold a vector.
    pub fn filled(&self) -> usize {
        self.present.iter().filter(|p| **p).count()
    }

    /// Whether row `row` holds a vector.
    pub fn has(&self, row: usize) -> bool {
        self.present.get(row).copied().unwrap_or(false)
    }

    /// Row `row`, when it holds a vector.
    pub fn get(&self, row: usize) -> Option<&[f32]> {
        self.has(row)
            .then(|| &self.data[row * self.dims..(row + 1) * self.dims])
    }

    /// Stores `vector` (normalised) as row `row`; false when the row does not exist or the length
    /// differs.
    pub fn set(&mut self, row: usize, vector: &[f32]) -> bool {
        if row >= self.rows() || vector.len() != self.dims {
            return false;
        }
        let unit = normalised(vector);
        self.data[row * self.dims..(row + 1) * self.dims].copy_from_slice(&unit);
        self.present[row] = true;
        true
    }

    /// The stored parts (presence and the flat buffer), for persistence.
    pub(crate) fn parts(&self) -> (&[bool], &[f32]) {
        (&self.present, &self.data)
    }

    /// The `limit` rows most similar to `query` (cosine > 0), best first: (row, similarity).
    pub fn nearest(&self, query: &[f32], limit: usize) -> Vec<(usize, f32)> {
        if query.len() != self.dims || self.dims == 0 || limit == 0 {
            return Vec::new();
        }
        let unit = normalised(query);
        let mut scored: Vec<(usize, f32)> = self
            .data
            .chunks_exact(self.dims)
            .zip(&self.present)
            .enumerate()
            .filter(|(_, (_, present))| **present)
            .map(|(row, (values, _))| (row, dot(values, &unit)))
            .filter(|&(_, similarity)| similarity > 0.0)
            .collect();
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, by_score);
            scored.truncate(limit);
        }
        scored.sort_by(by_score);
        scored
    }
}

/// The dot product, in eight lanes so the compiler vectorises it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, a), b) in lanes.iter_mut().zip(x).zip(y) {
            *lane += a * b;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_ranks_the_closest_rows_and_skips_missing_ones() {
        let mut vectors = Vectors::with_rows(3, 4);
        assert!(vectors.set(0, &[1.0, 0.0, 0.0]));
        assert!(vectors.set(1, &[1.0, 1.0, 0.0]));
        assert!(vectors.set(3, &[0.0, 0.0, 5.0]));
        assert!(!vectors.set(2, &[1.0]), "a wrong length is refused");
        assert!(!vectors.set(9, &[1.0, 0.0, 0.0]), "no such row");
        assert_eq!(vectors.filled(), 3);
        let nearest = vectors.nearest(&[2.0, 0.1, 0.0], 5);
        let rows: Vec<usize> = nearest.iter().map(|n| n.0).collect();
        assert_eq!(rows, [0, 1], "row 3 is orthogonal, row 2 missing");
        assert!((nearest[0].1 - 0.99875).abs() < 1e-3, "{nearest:?}");
        let half = 1.0 / 2f32.sqrt();
        assert!(
            (vectors.get(1).unwrap()[0] - half).abs() < 1e-6,
            "stored normalised"
        );
        assert_eq!(vectors.nearest(&[1.0, 0.0, 0.0], 1).len(), 1);
        assert!(
            vectors.nearest(&[1.0, 0.0], 5).is_empty(),
            "a wrong query length"
        );
    }

    #[test]
    fn the_unrolled_dot_product_matches_the_plain_one() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }
}
