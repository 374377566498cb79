//! Password hashing with Argon2id (the `argon2` crate's defaults: OWASP's
//! 19 MiB, 2 passes, 1 lane), stored as PHC strings.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the
//! blocking pool and at most one hash per core runs at a time: a flood of
//! login attempts queues instead of exhausting memory. Checking a user that
//! does not exist verifies against a dummy hash with the same parameters,
//! so "no such user" and "wrong password" take the same time.

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

/// Hashing or verification could not run (never "wrong password", which is
/// `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordError {
    /// Argon2 failed (out of memory, RNG failure, a corrupt stored hash).
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    /// The blocking task did not complete.
    #[error("the password hashing task did not complete")]
    Task,
}

/// Hashes and verifies passwords; cheap to clone.
#[derive(Clone)]
pub(crate) struct Passwords {
    permits: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").field("permits", &self.permits.available_permits()).finish()
    }
}

impl Passwords {
    /// Prepares the dummy hash; blocking (one Argon2 run).
    pub(crate) fn new() -> Result<Passwords, PasswordError> {
        let mut random = [0u8; 32];
        aws_lc_rs::rand::fill(&mut random)
            .map_err(|_| PasswordError::Hash(argon2::password_hash::Error::RngFailure))?;
        let dummy_hash = hash_blocking(&random)?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Passwords { permits: Arc::new(Semaphore::new(cores)), dummy_hash: dummy_hash.into() })
    }

    /// The PHC string for `password`, with a fresh random salt.
    pub(crate) async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move || hash_blocking(password.as_bytes())).await
    }

    /// Whether `password` matches `stored`; with `stored` `None` (no such
    /// user) it checks against the dummy hash and answers `false`, taking
    /// the same time as a wrong password would.
    pub(crate) async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let dummy = Arc::clone(&self.dummy_hash);
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.as_deref().unwrap_or(&dummy);
            let matches = verify_blocking(password.as_bytes(), hash)?;
            Ok(matches && known)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::Task)?;
        tokio::task::spawn_blocking(work).await.map_err(|_| PasswordError::Task)?
    }
}

/// Hashes `password` on the current thread.
pub(crate) fn hash_blocking(password: &[u8]) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(PasswordError::Hash)
}

fn verify_blocking(password: &[u8], hash: &str) -> Result<bool, PasswordError> {
    match Argon2::default().verify_password(password, hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(error) => Err(PasswordError::Hash(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = Passwords::new().expect("dummy hash");
        let hash = passwords.hash("correct horse".to_owned()).await.expect("hashed");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(passwords.verify("correct horse".into(), Some(hash.clone())).await.expect("ran"));
        assert!(!passwords.verify("correct horsE".into(), Some(hash)).await.expect("ran"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let passwords = Passwords::new().expect("dummy hash");
        assert!(!passwords.verify(String::new(), None).await.expect("ran"));
    }
}
