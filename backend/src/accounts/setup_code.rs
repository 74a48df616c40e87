//! The one-time code that makes the first admin from another machine.
//! Until an account exists, anyone who reaches the server could claim it;
//! the code is printed only on the server's console, so the one who started
//! Tandem (or a page on their own machine, at a loopback name) makes the
//! first admin, nobody else.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// No 0/O or 1/I/L: the code is read off a console and typed.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupCode(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupRefusal {
    #[error("setup_code: from another machine, or at a name other than localhost, the first admin needs the setup code Tandem printed on its console when it started")]
    CodeNeeded,
    #[error("setup_code: that is not the setup code Tandem printed on its console")]
    WrongCode,
}

impl SetupCode {
    /// Three groups of four, about 59 bits: guessing is also held back by
    /// the login rate limit.
    pub fn new() -> SetupCode {
        let mut bytes = [0u8; 12];
        OsRng.fill_bytes(&mut bytes);
        let chars: Vec<char> = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        SetupCode(groups.join("-"))
    }

    pub fn shown(&self) -> &str {
        &self.0
    }

    /// Compares digests, so the time taken says nothing of how much of the
    /// code was right. Case, spaces and dashes do not matter.
    fn matches(&self, given: &str) -> bool {
        let normal = |s: &str| -> Vec<u8> {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase() as u8)
                .collect()
        };
        Sha256::digest(normal(given)) == Sha256::digest(normal(&self.0))
    }

    /// Whether this request may make the first admin: from loopback at a
    /// loopback name, or with the code.
    pub fn admits(
        &self,
        from_loopback: bool,
        host: Option<&str>,
        given: Option<&str>,
    ) -> Result<(), SetupRefusal> {
        if let Some(given) = given.filter(|g| !g.trim().is_empty()) {
            return if self.matches(given) {
                Ok(())
            } else {
                Err(SetupRefusal::WrongCode)
            };
        }
        if Self::local(from_loopback, host) {
            Ok(())
        } else {
            Err(SetupRefusal::CodeNeeded)
        }
    }

    /// Whether a request needs no code.
    pub fn local(from_loopback: bool, host: Option<&str>) -> bool {
        from_loopback && host.is_some_and(super::hosts::is_loopback_host)
    }
}

impl Default for SetupCode {
    fn default() -> Self {
        SetupCode::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_or_a_local_page_makes_the_first_admin() {
        let code = SetupCode::new();
        assert_eq!(code.shown().len(), 14, "{}", code.shown());
        assert_ne!(code, SetupCode::new());
        assert_eq!(code.admits(true, Some("127.0.0.1:8080"), None), Ok(()));
        assert_eq!(code.admits(true, Some("localhost:8080"), None), Ok(()));
        // A rebinding page: loopback peer, its own name.
        assert_eq!(
            code.admits(true, Some("rebind.example:8080"), None),
            Err(SetupRefusal::CodeNeeded)
        );
        assert_eq!(
            code.admits(false, Some("127.0.0.1"), None),
            Err(SetupRefusal::CodeNeeded)
        );
        assert_eq!(
            code.admits(false, Some("tandem.example.com"), Some("nope")),
            Err(SetupRefusal::WrongCode)
        );
        let typed = code.shown().to_lowercase().replace('-', " ");
        assert_eq!(
            code.admits(false, Some("tandem.example.com"), Some(&typed)),
            Ok(())
        );
    }
}
