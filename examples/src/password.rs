//! Password hashing with Argon2id (the `argon2` crate's defaults: OWASP's
//! 19 MiB, 2 passes, 1 lane), stored as PHC strings.
//!
//! Hashing is deliberately slow and memory-hungry, so its memory is
//! bounded by design: a fixed number of worker threads each own one
//! Argon2 buffer, allocated at their first job and reused for every hash
//! after it (Argon2's first pass overwrites every block, so nothing leaks
//! from one hash into the next). Jobs wait in a bounded queue; when it is
//! full the caller gets [`PasswordError::Busy`] at once (503 with
//! `Retry-After`) instead of a place in a queue without end. Whatever the
//! load, hashing holds at most workers × 19 MiB.
//!
//! Checking a user that does not exist verifies against a dummy hash with
//! the same parameters, so "no such user" and "wrong password" take the
//! same time; the hash comparison itself is constant-time.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{mpsc, oneshot};

/// Hashing or verification could not run (never "wrong password", which is
/// `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PasswordError {
    /// Argon2 failed.
    #[error("password hashing failed: {0}")]
    Argon2(argon2::Error),
    /// A stored hash cannot be read or is not one this service writes.
    #[error("a stored password hash is unusable: {0}")]
    Stored(String),
    /// The system's random number generator failed.
    #[error("the random number generator failed")]
    Random,
    /// A worker thread could not be started.
    #[error("a password hashing thread could not be started: {0}")]
    Thread(std::io::Error),
    /// The worker running the job stopped before answering.
    #[error("the password hashing worker did not complete the job")]
    Task,
    /// Every worker is busy and the queue is full: try again after the
    /// given time.
    #[error("password hashing is at capacity")]
    Busy {
        /// About how long the queue takes to drain.
        retry_after: Duration,
    },
}

/// How many workers hash and how many jobs may wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HashingCapacity {
    /// Worker threads, each holding one Argon2 buffer once used.
    pub(crate) workers: usize,
    /// Jobs waiting for a worker, beyond those being hashed.
    pub(crate) queue: usize,
}

/// A job for a worker: it is handed the worker's Argon2 memory.
type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

/// Hashes and verifies passwords on the workers; cheap to clone. The
/// workers stop when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Passwords {
    jobs: mpsc::Sender<Job>,
    dummy_hash: Arc<str>,
    retry_after: Duration,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").field("free_queue", &self.jobs.capacity()).finish()
    }
}

impl Passwords {
    /// Starts the workers and prepares the dummy hash. Blocking: it runs one
    /// Argon2 hash on the calling thread, whose time sets the `Retry-After`
    /// answered when the queue is full.
    pub(crate) fn start(capacity: HashingCapacity) -> Result<Passwords, PasswordError> {
        let workers = capacity.workers.max(1);
        let mut random = [0u8; 32];
        aws_lc_rs::rand::fill(&mut random).map_err(|_| PasswordError::Random)?;
        let started = Instant::now();
        let dummy_hash = hash_blocking(&random)?;
        let one_hash = started.elapsed();
        // A full queue drains in about (queue + workers) / workers hashes.
        let drain = one_hash
            .saturating_mul(u32::try_from(capacity.queue / workers + 1).unwrap_or(u32::MAX));
        let retry_after = drain.max(Duration::from_secs(1));

        let (jobs, queue) = mpsc::channel::<Job>(capacity.queue.max(1));
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..workers {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&queue))
                .map_err(PasswordError::Thread)?;
        }
        Ok(Passwords { jobs, dummy_hash: dummy_hash.into(), retry_after })
    }

    /// The PHC string for `password`, with a fresh random salt.
    pub(crate) async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move |memory| hash_with(password.as_bytes(), memory)).await
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
        self.run(move |memory| {
            let known = stored.is_some();
            let hash = stored.as_deref().unwrap_or(&dummy);
            let matches = verify_with(password.as_bytes(), hash, memory)?;
            Ok(matches && known)
        })
        .await
    }

    /// Queues `work` for a worker, or answers [`PasswordError::Busy`] at
    /// once when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // A caller gone while its job waited (the client closed the
            // connection) gets no hash: nobody would read the answer.
            if reply.is_closed() {
                return;
            }
            let _ = reply.send(work(memory));
        });
        self.jobs.try_send(job).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => {
                PasswordError::Busy { retry_after: self.retry_after }
            }
            mpsc::error::TrySendError::Closed(_) => PasswordError::Task,
        })?;
        answer.await.map_err(|_| PasswordError::Task)?
    }
}

/// A worker: takes jobs until every sender is gone, with one Argon2 buffer
/// allocated at its first job.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // The lock is held while waiting, so one idle worker waits on the
        // queue and the others on the lock; each job goes to one worker.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).blocking_recv();
        let Some(job) = job else { return };
        if memory.is_empty() {
            memory = vec![Block::new(); Params::default().block_count()];
        }
        // A panicking job drops its reply (the caller sees `Task`); the
        // worker and its buffer stay.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a password hashing job panicked");
        }
    }
}

/// Hashes `password` on the current thread, with memory of its own; for
/// start-up work (the dummy hash, the demo users).
pub(crate) fn hash_blocking(password: &[u8]) -> Result<String, PasswordError> {
    let mut memory = vec![Block::new(); Params::default().block_count()];
    hash_with(password, &mut memory)
}

/// Hashes `password` with a fresh salt into a PHC string, in `memory`.
fn hash_with(password: &[u8], memory: &mut [Block]) -> Result<String, PasswordError> {
    let params = Params::default();
    let mut salt = [0u8; Salt::RECOMMENDED_LENGTH];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| PasswordError::Random)?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut output, memory)
        .map_err(PasswordError::Argon2)?;
    let written =
        |error: argon2::password_hash::phc::Error| PasswordError::Stored(error.to_string());
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|error: argon2::password_hash::Error| {
            PasswordError::Stored(error.to_string())
        })?,
        salt: Some(Salt::new(&salt).map_err(written)?),
        hash: Some(Output::new(&output).map_err(written)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` hashes to the PHC string `stored`, in `memory`; the
/// comparison is constant-time.
fn verify_with(password: &[u8], stored: &str, memory: &mut [Block]) -> Result<bool, PasswordError> {
    let unusable = |what: String| PasswordError::Stored(what);
    let parsed = PasswordHash::new(stored).map_err(|error| unusable(error.to_string()))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str())
        .map_err(|error| unusable(error.to_string()))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|error| unusable(error.to_string()))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|error| unusable(error.to_string()))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(unusable("it has no salt or no hash".to_owned()));
    };
    if params.block_count() > memory.len() {
        // Only hashes written with other parameters than this service's.
        return Err(unusable(format!(
            "it needs {} KiB of memory; the workers hold {} KiB",
            params.block_count(),
            memory.len()
        )));
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt.as_ref(), &mut computed, memory)
        .map_err(PasswordError::Argon2)?;
    let computed = Output::new(&computed).map_err(|error| unusable(error.to_string()))?;
    // `Output`'s equality is constant-time.
    Ok(computed == *expected)
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    const CAPACITY: HashingCapacity = HashingCapacity { workers: 2, queue: 8 };

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = Passwords::start(CAPACITY).expect("started");
        let hash = passwords.hash("correct horse".to_owned()).await.expect("hashed");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify("correct horse".into(), Some(hash.clone())).await.expect("ran"));
        assert!(!passwords.verify("correct horsE".into(), Some(hash)).await.expect("ran"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let passwords = Passwords::start(CAPACITY).expect("started");
        assert!(!passwords.verify(String::new(), None).await.expect("ran"));
    }

    /// Hashes written with reused memory are the crate's own PHC strings,
    /// both ways: stored hashes from before stay valid.
    #[test]
    fn hashes_agree_with_the_argon2_crates_own() {
        let mut memory = vec![Block::new(); Params::default().block_count()];
        let ours = hash_with(b"pw", &mut memory).expect("hashed");
        assert!(Argon2::default().verify_password(b"pw", ours.as_str()).is_ok());
        assert!(Argon2::default().verify_password(b"pX", ours.as_str()).is_err());

        let theirs = Argon2::default().hash_password(b"pw").expect("hashed").to_string();
        // The buffer holds the previous hash's blocks: reuse must not matter.
        assert!(verify_with(b"pw", &theirs, &mut memory).expect("ran"));
        assert!(!verify_with(b"pX", &theirs, &mut memory).expect("ran"));
    }

    #[test]
    fn a_stored_hash_needing_more_memory_is_an_error() {
        let mut memory = vec![Block::new(); Params::default().block_count()];
        let params = Params::new(32 * 1024, 1, 1, None).expect("params");
        let bigger = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"pw")
            .expect("hashed")
            .to_string();
        assert!(matches!(verify_with(b"pw", &bigger, &mut memory), Err(PasswordError::Stored(_))));
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_at_once() {
        let passwords =
            Passwords::start(HashingCapacity { workers: 1, queue: 2 }).expect("started");
        let mut jobs = Vec::new();
        for _ in 0..12 {
            let passwords = passwords.clone();
            jobs.push(tokio::spawn(async move { passwords.verify("pw".into(), None).await }));
        }
        let mut busy = 0;
        let mut done = 0;
        for job in jobs {
            match job.await.expect("joined") {
                Ok(false) => done += 1,
                Err(PasswordError::Busy { retry_after }) => {
                    assert!(retry_after >= Duration::from_secs(1));
                    busy += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // One being hashed and two queued at most, at any time; the rest
        // were refused without waiting.
        assert!(done >= 1 && busy >= 1, "done {done}, busy {busy}");
        assert_eq!(done + busy, 12);
    }
}
