//! This server's VAPID key (RFC 8292): made at first start, kept in the
//! data directory (readable by Tandem alone), so subscriptions survive
//! restarts. Push services check every push against it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::path::Path;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};

pub const FILE: &str = "push-vapid.key";

#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("cannot read or write the push key {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the push key {path} is not a P-256 key; move it away to make a new one (devices then subscribe again)")]
    Corrupt { path: std::path::PathBuf },
}

pub struct Vapid {
    pub key: ES256KeyPair,
    /// The public key as browsers take it (`applicationServerKey`).
    pub public_key: String,
}

impl Vapid {
    pub fn open(data_dir: &Path) -> Result<Vapid, VapidError> {
        let path = data_dir.join(FILE);
        let io = |source| VapidError::Io {
            path: path.clone(),
            source,
        };
        let key = match std::fs::read_to_string(&path) {
            Ok(text) => URL_SAFE_NO_PAD
                .decode(text.trim())
                .ok()
                .and_then(|raw| ES256KeyPair::from_bytes(&raw).ok())
                .ok_or_else(|| VapidError::Corrupt { path: path.clone() })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = ES256KeyPair::generate();
                write_private(&path, &URL_SAFE_NO_PAD.encode(key.to_bytes())).map_err(io)?;
                key
            }
            Err(error) => return Err(io(error)),
        };
        let public_key =
            URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        Ok(Vapid { key, public_key })
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = Vapid::open(dir.path()).unwrap();
        let again = Vapid::open(dir.path()).unwrap();
        assert_eq!(first.public_key, again.public_key);
        // An uncompressed P-256 point: 65 bytes.
        assert_eq!(URL_SAFE_NO_PAD.decode(&first.public_key).unwrap().len(), 65);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        std::fs::write(dir.path().join(FILE), "not a key").unwrap();
        let error = Vapid::open(dir.path()).err().unwrap();
        assert!(error.to_string().contains("not a P-256 key"), "{error}");
    }
}
