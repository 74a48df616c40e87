//! Random 256-bit secrets (cookies, API tokens, share links), shown to
//! their holder once and stored only as a SHA-256 digest.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new secret: `prefix` and 43 URL-safe characters.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps. A plain digest is enough: the secret has 256
/// random bits, so there is nothing to guess offline.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_digests_stable() {
        let a = new_secret("tdm_");
        let b = new_secret("tdm_");
        assert_ne!(a, b);
        assert!(a.starts_with("tdm_") && a.len() == 4 + 43, "{a}");
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert!(!digest(&a).contains(&a[4..]));
    }
}
