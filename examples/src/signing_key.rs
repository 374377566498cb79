//! The HS256 token-signing key: 64 random bytes from the operating system's
//! CSPRNG (through aws-lc-rs), generated on first start, kept beside the
//! database with mode 0600 and reused afterwards, so tokens survive a
//! restart. Never a secret in the source.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::private_file;

/// Bytes of key material: twice the 32 that RFC 7518 §3.2 requires for
/// HS256, which costs nothing.
pub(crate) const KEY_LEN: usize = 64;

/// The file name inside the data directory.
pub(crate) const FILE_NAME: &str = "signing-key.bin";

/// The key's bytes; `Debug` never prints them.
pub(crate) struct SigningKey(Vec<u8>);

impl SigningKey {
    /// The raw key material.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// Why the key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    /// Reading or writing the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The file exists but does not hold a key.
    #[error(
        "{} holds {len} bytes, not a {KEY_LEN}-byte key; delete it to generate a new one (tokens issued so far become invalid)",
        path.display()
    )]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// Loads the key from `dir`, creating it on first start.
pub(crate) fn load_or_create(dir: &Path) -> Result<SigningKey, KeyError> {
    let path = dir.join(FILE_NAME);
    let io_error = |source| KeyError::Io { path: path.clone(), source };
    if !path.exists() {
        let mut key = vec![0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| KeyError::Random)?;
        if private_file::create_new(&path, &key).map_err(io_error)? {
            tracing::info!(path = %path.display(), "generated a new token-signing key");
            return Ok(SigningKey(key));
        }
        // Another process created it first: use theirs.
    }
    let key = private_file::read(&path).map_err(io_error)?;
    if key.len() != KEY_LEN {
        return Err(KeyError::Malformed { path, len: key.len() });
    }
    Ok(SigningKey(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_random_and_reused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let first = load_or_create(dir.path()).expect("created");
        let again = load_or_create(dir.path()).expect("loaded");
        assert_eq!(first.bytes(), again.bytes());
        assert_eq!(first.bytes().len(), KEY_LEN);

        let other = tempfile::tempdir().expect("temporary directory");
        let fresh = load_or_create(other.path()).expect("created");
        assert_ne!(first.bytes(), fresh.bytes(), "two data directories share a key");
    }

    #[test]
    fn a_truncated_key_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        private_file::create_new(&dir.path().join(FILE_NAME), b"short").expect("written");
        assert!(matches!(load_or_create(dir.path()), Err(KeyError::Malformed { len: 5, .. })));
    }
}
