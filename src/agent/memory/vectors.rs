//! The paragraphs' embeddings, one row per paragraph in one contiguous `f32` buffer, each row
//! scaled to unit length when stored so cosine similarity is a dot product.
//!
//! Search is brute force in two passes. A scan of every row is bound by memory bandwidth (10,000
//! rows of 768 `f32`s are 30 MB, more than any cache), so each row also has an 8-bit copy
//! (`i8` with one scale per row, a quarter of the bytes): the first pass scores every row on the
//! 8-bit copies, the second rescores the best few (four times the results asked for, at least
//! 64) exactly on the `f32`s, so the similarities returned are exact and the shortlist only has
//! to contain the true best, which quantisation error (under 1% of a unit vector's components)
//! does not disturb. The benchmark measures it (`memory.search_p99_ms`); an approximate index
//! (HNSW) would buy nothing at a personal memory's size.

/// Unit vectors of one length; a row may be missing (not embedded yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vectors {
    dims: usize,
    data: Vec<f32>,
    present: Vec<bool>,
    /// `data` in 8 bits: row values divided by the row's scale, rounded.
    quantized: Vec<i8>,
    scales: Vec<f32>,
}

/// The smallest shortlist rescored exactly.
const MIN_SHORTLIST: usize = 64;

/// `unit` in 8 bits and the scale that turns it back.
fn quantize(unit: &[f32], out: &mut [i8]) -> f32 {
    let max = unit.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max <= 0.0 || !max.is_finite() {
        out.iter_mut().for_each(|q| *q = 0);
        return 0.0;
    }
    let scale = max / 127.0;
    for (q, x) in out.iter_mut().zip(unit) {
        *q = (x / scale).round().clamp(-127.0, 127.0) as i8;
    }
    scale
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
            quantized: vec![0; dims * rows],
            scales: vec![0.0; rows],
        }
    }

    /// Rebuilt from stored parts; `None` when their sizes disagree.
    pub(crate) fn from_parts(dims: usize, present: Vec<bool>, data: Vec<f32>) -> Option<Vectors> {
        if data.len() != dims.checked_mul(present.len())? {
            return None;
        }
        let rows = present.len();
        let mut vectors = Vectors {
            dims,
            quantized: vec![0; data.len()],
            scales: vec![0.0; rows],
            data,
            present,
        };
        for row in 0..rows {
            vectors.requantize(row);
        }
        Some(vectors)
    }

    fn requantize(&mut self, row: usize) {
        let span = row * self.dims..(row + 1) * self.dims;
        self.scales[row] = quantize(&self.data[span.clone()], &mut self.quantized[span]);
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
        self.requantize(row);
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
        let mut coarse = vec![0i8; self.dims];
        let query_scale = quantize(&unit, &mut coarse);
        let by_score = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        let mut shortlist: Vec<(usize, f32)> = self
            .quantized
            .chunks_exact(self.dims)
            .zip(self.present.iter().zip(&self.scales))
            .enumerate()
            .filter(|(_, (_, (present, _)))| **present)
            .map(|(row, (values, (_, scale)))| {
                (row, dot_i8(values, &coarse) as f32 * scale * query_scale)
            })
            .collect();
        let keep = (limit * 4).max(MIN_SHORTLIST);
        if shortlist.len() > keep {
            shortlist.select_nth_unstable_by(keep - 1, by_score);
            shortlist.truncate(keep);
        }
        let mut exact: Vec<(usize, f32)> = shortlist
            .into_iter()
            .map(|(row, _)| {
                let values = &self.data[row * self.dims..(row + 1) * self.dims];
                (row, dot(values, &unit))
            })
            .filter(|&(_, similarity)| similarity > 0.0)
            .collect();
        exact.sort_by(by_score);
        exact.truncate(limit);
        exact
    }
}

/// The dot product of two 8-bit rows, in sixteen lanes so the compiler vectorises it.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, a), b) in lanes.iter_mut().zip(x).zip(y) {
            *lane += i32::from(*a) * i32::from(*b);
        }
    }
    lanes.iter().sum::<i32>() + tail
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
    fn the_shortlist_of_eight_bit_rows_keeps_the_exact_best() {
        // Pseudo-random rows: the two-pass answer must equal a plain exact ranking.
        let (dims, rows) = (48, 2_000);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f32 / 1000.0 - 1.0
        };
        let mut vectors = Vectors::with_rows(dims, rows);
        let mut plain = Vec::new();
        for row in 0..rows {
            let v: Vec<f32> = (0..dims).map(|_| next()).collect();
            vectors.set(row, &v);
            plain.push(normalised(&v));
        }
        for _ in 0..20 {
            let query: Vec<f32> = (0..dims).map(|_| next()).collect();
            let unit = normalised(&query);
            let mut expected: Vec<(usize, f32)> = plain
                .iter()
                .enumerate()
                .map(|(row, v)| (row, v.iter().zip(&unit).map(|(a, b)| a * b).sum::<f32>()))
                .filter(|p| p.1 > 0.0)
                .collect();
            expected.sort_by(|a, b| b.1.total_cmp(&a.1));
            let got = vectors.nearest(&query, 10);
            let got_rows: Vec<usize> = got.iter().map(|g| g.0).collect();
            let expected_rows: Vec<usize> = expected.iter().take(10).map(|e| e.0).collect();
            assert_eq!(got_rows, expected_rows);
            assert!(
                (got[0].1 - expected[0].1).abs() < 1e-4,
                "exact similarities"
            );
        }
        let restored = Vectors::from_parts(dims, vectors.present.clone(), vectors.data.clone());
        assert_eq!(
            restored.as_ref(),
            Some(&vectors),
            "the 8-bit copy is rebuilt on load"
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
