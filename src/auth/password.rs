//! argon2id password hashes (PHC strings).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::error::{ServiceError, ServiceResult};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;

pub fn validate(password: &str) -> ServiceResult<()> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("the password must have at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("the password may have at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// Hashes with argon2id and the crate's recommended parameters.
pub fn hash(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same work as a real verification, so "no such user" takes as long as
/// "wrong password".
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("dummy-password-for-timing").ok()) {
        let _ = verify(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_and_verifies() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("x", "not a phc string"));
    }

    #[test]
    fn length_limits() {
        assert!(validate("short").is_err());
        assert!(validate("long enough").is_ok());
        assert!(validate(&"x".repeat(300)).is_err());
    }
}
