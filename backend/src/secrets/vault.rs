//! Secrets at rest: each value sealed with XChaCha20-Poly1305 under a key
//! kept in the data directory (`secrets.key`, 32 random bytes, mode 0600),
//! bound to the assistant and name it belongs to so a row moved to another
//! assistant or name does not open. The database alone reveals nothing.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::Write;
use std::path::Path;

pub const KEY_FILE: &str = "secrets.key";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read or create the secrets key {path}: {source}")]
    Key {
        path: String,
        source: std::io::Error,
    },
    #[error("the secrets key {0} is not 32 bytes: restore it from a backup, or delete it and enter every secret again")]
    BadKey(String),
    #[error("a secret did not open: it was sealed under another key or changed since")]
    Tampered,
}

/// A value as stored: nonce then ciphertext.
pub type Sealed = Vec<u8>;

pub struct Vault {
    cipher: XChaCha20Poly1305,
    /// The key's SHA-256, for servers on one database to check they share it.
    fingerprint: String,
}

impl Vault {
    /// Opens the data directory's key, making one the first time.
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        let path = data_dir.join(KEY_FILE);
        let shown = path.display().to_string();
        let key = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = XChaCha20Poly1305::generate_key(&mut OsRng).to_vec();
                write_new_key(&path, &key).map_err(|source| VaultError::Key {
                    path: shown.clone(),
                    source,
                })?;
                // Another server may have made one a moment ago: use what is there.
                std::fs::read(&path).map_err(|source| VaultError::Key {
                    path: shown.clone(),
                    source,
                })?
            }
            Err(source) => {
                return Err(VaultError::Key {
                    path: shown,
                    source,
                })
            }
        };
        let cipher =
            XChaCha20Poly1305::new_from_slice(&key).map_err(|_| VaultError::BadKey(shown))?;
        let fingerprint = {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(&key);
            digest.iter().map(|byte| format!("{byte:02x}")).collect()
        };
        Ok(Vault {
            cipher,
            fingerprint,
        })
    }

    /// A one-way fingerprint of the key (never the key).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn seal(&self, owner: &str, value: &str) -> Sealed {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: value.as_bytes(),
            aad: owner.as_bytes(),
        };
        // Encryption into memory cannot fail for these sizes.
        let ciphertext = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut sealed = nonce.to_vec();
        sealed.extend(ciphertext);
        sealed
    }

    pub fn open_sealed(&self, owner: &str, sealed: &[u8]) -> Result<String, VaultError> {
        if sealed.len() < NONCE_LEN {
            return Err(VaultError::Tampered);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        String::from_utf8(plain).map_err(|_| VaultError::Tampered)
    }
}

fn write_new_key(path: &Path, key: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(error) => return Err(error),
    };
    file.write_all(key)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_sealed_value_opens_only_for_its_owner_and_key() {
        let dir = tempfile::tempdir().expect("dir");
        let vault = Vault::open(dir.path()).expect("vault");
        let sealed = vault.seal("asst_1/ANTHROPIC_API_KEY", "sk-ant-123");
        assert!(!String::from_utf8_lossy(&sealed).contains("sk-ant-123"));
        assert_eq!(
            vault
                .open_sealed("asst_1/ANTHROPIC_API_KEY", &sealed)
                .expect("opens"),
            "sk-ant-123"
        );
        assert!(
            vault
                .open_sealed("asst_2/ANTHROPIC_API_KEY", &sealed)
                .is_err(),
            "bound to its owner"
        );
        let mut changed = sealed.clone();
        if let Some(last) = changed.last_mut() {
            *last ^= 1;
        }
        assert!(vault
            .open_sealed("asst_1/ANTHROPIC_API_KEY", &changed)
            .is_err());
        assert!(vault
            .open_sealed("asst_1/ANTHROPIC_API_KEY", b"short")
            .is_err());
        // Two seals of one value differ (fresh nonces).
        assert_ne!(sealed, vault.seal("asst_1/ANTHROPIC_API_KEY", "sk-ant-123"));

        // The same key after a restart; another directory's key does not open it.
        let again = Vault::open(dir.path()).expect("again");
        assert_eq!(
            again
                .open_sealed("asst_1/ANTHROPIC_API_KEY", &sealed)
                .expect("opens"),
            "sk-ant-123"
        );
        let other = tempfile::tempdir().expect("other");
        let stranger = Vault::open(other.path()).expect("stranger");
        assert!(stranger
            .open_sealed("asst_1/ANTHROPIC_API_KEY", &sealed)
            .is_err());
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_damaged_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join(KEY_FILE), b"too short").expect("write");
        let error = Vault::open(dir.path()).err().expect("refused");
        assert!(error.to_string().contains("is not 32 bytes"), "{error}");
    }
}
