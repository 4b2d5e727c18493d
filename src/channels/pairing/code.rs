//! Pairing codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I), drawn from the
//! OS CSPRNG, so a stranger cannot guess a pending code and approve themselves.

/// 32 symbols: A-Z without I and O, and 2-9.
pub(crate) const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Code length.
pub(crate) const LENGTH: usize = 8;

/// A fresh random code. 32 divides 256, so `byte % 32` is unbiased.
pub(crate) fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; LENGTH];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

/// The canonical form of what an owner typed: trimmed, upper case, dashes and spaces removed
/// (codes are often read out or copied as `ABCD-EFGH`).
pub(crate) fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_differ() {
        let codes: Vec<String> = (0..200).map(|_| generate().unwrap()).collect();
        for code in &codes {
            assert_eq!(code.len(), LENGTH);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
    }

    #[test]
    fn normalize_accepts_what_people_type() {
        assert_eq!(normalize(" abcd-efgh "), "ABCDEFGH");
        assert_eq!(normalize("ab cd ef gh"), "ABCDEFGH");
    }
}
