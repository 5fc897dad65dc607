//! Recovery codes: ten single-use codes shown once at enrolment, kept only as salted
//! hashes; and reading what a person typed into the code box.

use rand::RngCore;

use crate::auth::{random_secret, secret_hash, totp};
use crate::error::{ServiceError, ServiceResult};

/// Codes made at enrolment.
pub const COUNT: usize = 10;
/// Characters per code: 12 of 32 symbols are 60 random bits, too many to guess
/// through a rate-limited login or to search from a leaked hash.
const LEN: usize = 12;
/// Crockford's base32 in lower case: no i, l, o or u to misread.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// What a person typed into the code box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, normalised (lower case, no separators).
    Recovery(String),
}

/// Reads a code, forgiving spaces, dashes and case; anything else is a clear 400.
pub fn parse(input: &str) -> ServiceResult<Code> {
    let s: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if s.len() == totp::DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Code::Totp(s));
    }
    if s.len() == LEN && s.bytes().all(|b| ALPHABET.contains(&b)) {
        return Ok(Code::Recovery(s));
    }
    Err(ServiceError::invalid(
        "code",
        "a code is the 6 digits your authenticator app shows, or a recovery code such as abcd-efgh-jkmn",
    ))
}

/// A new salt and ten codes as shown to the person (`abcd-efgh-jkmn`).
pub fn generate() -> (String, Vec<String>) {
    let mut codes = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let mut bytes = [0u8; LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        // 256 is a multiple of 32: the low five bits are uniform.
        let raw: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect();
        codes.push(format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12]));
    }
    (random_secret(), codes)
}

/// The stored hash of a code (shown or normalised form alike).
pub fn hash(salt: &str, code: &str) -> String {
    let normal: String = code.chars().filter(|c| *c != '-').collect();
    secret_hash(&format!("{salt}:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_people_type() {
        assert_eq!(parse(" 123 456 ").unwrap(), Code::Totp("123456".into()));
        assert_eq!(
            parse("ABCD-efgh-JKMN").unwrap(),
            Code::Recovery("abcdefghjkmn".into())
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "abcd-efgh-jkm",
            "abcd-efgh-jkml",
            "１２３４５６",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ten_distinct_codes_that_parse_and_hash_alike() {
        let (salt, codes) = generate();
        assert_eq!(codes.len(), COUNT);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        for c in &codes {
            let Code::Recovery(normal) = parse(c).unwrap() else {
                panic!("{c} is not a recovery code");
            };
            assert_eq!(hash(&salt, c), hash(&salt, &normal));
        }
        assert_ne!(hash("a", &codes[0]), hash("b", &codes[0]));
    }
}
