//! The crate's compact binary encoding: the one place that uses bincode.
//!
//! Values go through serde with bincode's `standard` configuration (little-endian, variable-length
//! integers). Decoding is bounded ([`MAX_BYTES`]), so a corrupt length prefix cannot make it
//! allocate gigabytes, rejects trailing bytes, and returns an error, never a panic, on any input:
//! callers such as the channel journal feed it bytes read back from disk after a crash.
//! [`encode`] refuses values larger than that bound, so whatever it produced can be decoded again.
//!
//! The encoding is not self-describing: a type's serde layout (field order, enum variant order) is
//! its wire format. Change it only by appending enum variants.

use bincode::config::{self, Configuration, Limit};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest encoded value, in bytes (16 MiB): the bound on what [`decode`] may allocate and on
/// what [`encode`] produces.
pub(crate) const MAX_BYTES: usize = 16 * 1024 * 1024;

type Bounded = Configuration<config::LittleEndian, config::Varint, Limit<MAX_BYTES>>;

fn bounded() -> Bounded {
    config::standard().with_limit::<MAX_BYTES>()
}

/// Why a value could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode value: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    #[error("cannot decode value: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    #[error("encoded value of {len} bytes exceeds the limit of {MAX_BYTES} bytes")]
    TooLarge { len: usize },
    #[error("{trailing} unexpected bytes after the encoded value")]
    TrailingBytes { trailing: usize },
}

/// Encodes `value`; fails if serde does, or if the result is larger than [`MAX_BYTES`] (it could
/// not be decoded again).
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let bytes = bincode::serde::encode_to_vec(value, config::standard())?;
    if bytes.len() > MAX_BYTES {
        return Err(CodecError::TooLarge { len: bytes.len() });
    }
    Ok(bytes)
}

/// Decodes one value that must span all of `bytes`. Never panics and never allocates more than
/// about [`MAX_BYTES`], whatever the input.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (value, read) = bincode::serde::decode_from_slice(bytes, bounded())?;
    if read != bytes.len() {
        return Err(CodecError::TrailingBytes {
            trailing: bytes.len().saturating_sub(read),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Empty,
        Named {
            name: String,
            tags: Vec<String>,
            size: Option<u64>,
        },
        Pair(i32, Vec<u8>),
    }

    fn samples() -> Vec<Shape> {
        vec![
            Shape::Empty,
            Shape::Named {
                name: "héllo".into(),
                tags: vec!["a".into(), String::new()],
                size: Some(u64::MAX),
            },
            Shape::Named {
                name: String::new(),
                tags: vec![],
                size: None,
            },
            Shape::Pair(-7, vec![0, 1, 255]),
        ]
    }

    #[test]
    fn values_round_trip() {
        for value in samples() {
            let bytes = encode(&value).unwrap();
            assert_eq!(decode::<Shape>(&bytes).unwrap(), value);
        }
        let bytes = encode(&("x".to_string(), 42u32)).unwrap();
        assert_eq!(
            decode::<(String, u32)>(&bytes).unwrap(),
            ("x".to_string(), 42)
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = encode(&Shape::Empty).unwrap();
        bytes.push(0);
        assert!(matches!(
            decode::<Shape>(&bytes),
            Err(CodecError::TrailingBytes { trailing: 1 })
        ));
    }

    #[test]
    fn truncated_and_invalid_input_is_an_error() {
        let bytes = encode(&samples()[1]).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode::<Shape>(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        // Variant index 9 does not exist.
        assert!(decode::<Shape>(&[9]).is_err());
        // A string whose bytes are not UTF-8.
        assert!(decode::<String>(&[2, 0xff, 0xfe]).is_err());
    }

    #[test]
    fn a_huge_length_prefix_does_not_allocate() {
        // Varint tag 253 = u64 follows: a length of u64::MAX / 2 for a Vec<u8> and for a String.
        let mut bytes = vec![253];
        bytes.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(decode::<Vec<u8>>(&bytes).is_err());
        assert!(decode::<String>(&bytes).is_err());
        assert!(decode::<Vec<String>>(&bytes).is_err());
    }

    #[test]
    fn oversized_values_are_refused_by_encode() {
        let big = vec![0u8; MAX_BYTES + 1];
        assert!(matches!(encode(&big), Err(CodecError::TooLarge { .. })));
    }

    /// Xorshift64: deterministic pseudo-random bytes without a dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let valid: Vec<Vec<u8>> = samples().iter().map(|s| encode(s).unwrap()).collect();
        for round in 0..20_000 {
            let bytes: Vec<u8> = if round % 2 == 0 {
                let len = (rng.next() % 64) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            } else {
                // Valid encodings with a few bytes flipped: reaches deeper into the decoder.
                let mut bytes = valid[round % valid.len()].clone();
                for _ in 0..=(rng.next() % 3) {
                    let at = (rng.next() as usize) % bytes.len();
                    bytes[at] = rng.next() as u8;
                }
                bytes
            };
            let _ = decode::<Shape>(&bytes);
            let _ = decode::<Vec<String>>(&bytes);
            let _ = decode::<(u64, Option<String>, Vec<u8>)>(&bytes);
        }
    }
}
