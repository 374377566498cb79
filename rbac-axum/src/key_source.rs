//! An issuer's keys as verification sees them: configured once, or fetched
//! and refreshed in the background. Verification asks for the keys of now
//! and never matches on where they come from.

use std::sync::Arc;

use crate::keys::KeySet;
use crate::remote::RemoteKeys;
use crate::token_error::{Failure, TokenError, UNKNOWN_KID};

/// Where an issuer's keys live.
pub(crate) enum Keys {
    /// Configured once.
    Static(KeySet),
    /// Fetched, refreshed in the background.
    Remote(Arc<RemoteKeys<KeySet>>),
}

impl Keys {
    /// The keys to verify with now: the configured set, or the last fetched
    /// one; refused (with what a fetch might cure) when none was fetched yet.
    pub(crate) fn current(&self, issuer: usize) -> Result<CurrentKeys<'_>, Failure> {
        match self {
            Keys::Static(set) => Ok(CurrentKeys::Configured(set)),
            Keys::Remote(remote) => match remote.snapshot() {
                (generation, Some(set)) => Ok(CurrentKeys::Fetched { set, generation, issuer }),
                (generation, None) => Err(Failure::NoKeysYet { issuer, generation }),
            },
        }
    }

    /// Fetches the key set again after a token named a key the set of
    /// `generation` lacks (rate-limited, shared by concurrent callers);
    /// whether there is a newer set to try. Configured keys never change.
    pub(crate) async fn refetch_after_miss(&self, generation: u64) -> bool {
        match self {
            Keys::Static(_) => false,
            Keys::Remote(remote) => remote.refresh_after_miss(generation).await.is_some(),
        }
    }

    /// Whether tokens can be verified: configured keys always, fetched ones
    /// once a set has arrived.
    pub(crate) fn is_ready(&self) -> bool {
        match self {
            Keys::Static(_) => true,
            Keys::Remote(remote) => remote.snapshot().1.is_some(),
        }
    }

    /// Key-set fetches attempted so far (none for configured keys).
    pub(crate) fn fetch_count(&self) -> u64 {
        match self {
            Keys::Static(_) => 0,
            Keys::Remote(remote) => remote.fetch_count(),
        }
    }

    /// For logs and `Debug`: how many keys, or how often fetched.
    pub(crate) fn describe(&self) -> String {
        match self {
            Keys::Static(set) => format!("{} static", set.len()),
            Keys::Remote(remote) => format!("remote ({} fetches)", remote.fetch_count()),
        }
    }
}

/// An issuer's key set at one moment of verification.
pub(crate) enum CurrentKeys<'k> {
    Configured(&'k KeySet),
    Fetched { set: Arc<KeySet>, generation: u64, issuer: usize },
}

impl CurrentKeys<'_> {
    pub(crate) fn set(&self) -> &KeySet {
        match self {
            CurrentKeys::Configured(set) => set,
            CurrentKeys::Fetched { set, .. } => set,
        }
    }

    /// The failure for a token whose `kid` this set lacks: final for
    /// configured keys, curable by a fetch for fetched ones.
    pub(crate) fn unknown_kid(&self) -> Failure {
        match self {
            CurrentKeys::Configured(_) => Failure::Token(TokenError::new(UNKNOWN_KID)),
            CurrentKeys::Fetched { generation, issuer, .. } => {
                Failure::UnknownKid { issuer: *issuer, generation: *generation }
            }
        }
    }
}
