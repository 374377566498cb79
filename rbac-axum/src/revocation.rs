//! Revocation before expiry: the [`RevocationStore`] verification asks on
//! every request (see
//! [`AuthenticatorBuilder::revocation`](crate::AuthenticatorBuilder::revocation)),
//! and [`InMemoryRevocations`], a store for one instance and for tests.
//!
//! A store answers from memory: the request path takes the token's
//! identity as borrowed strings and integers, and a store must neither
//! allocate nor wait on I/O to answer. A networked store (shared by several
//! instances) keeps a local copy that it refreshes in the background and
//! answers from that copy.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use foldhash::fast::RandomState;

/// The maps of revocations: hashed with foldhash, seeded per map at
/// random. Their keys come from signed tokens and from the application,
/// never from an unauthenticated request, and foldhash hashes a `jti` in
/// a third of SipHash's time.
type Map<V> = HashMap<Box<str>, V, RandomState>;

/// The identity of a verified token, as a revocation check sees it.
///
/// Only tokens that passed every other check are asked about, so every
/// field comes from a signed token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenId<'a> {
    /// `iss` (revocation needs each issuer's, so every token has one).
    pub iss: &'a str,
    /// `jti`.
    pub jti: &'a str,
    /// `sub`.
    pub sub: &'a str,
    /// The earliest second the token may have been issued at: its `iat`
    /// (rounded down to a whole second) less the issuer's leeway. A
    /// subject's cut-off refuses the token when this is before it.
    pub issued_from: u64,
}

impl<'a> TokenId<'a> {
    /// A token's identity: for stores' own tests, and for code that asks a
    /// store itself.
    pub fn new(iss: &'a str, jti: &'a str, sub: &'a str, issued_from: u64) -> Self {
        Self { iss, jti, sub, issued_from }
    }
}

/// Where revocations are looked up; set with
/// [`AuthenticatorBuilder::revocation`](crate::AuthenticatorBuilder::revocation).
///
/// A token is revoked when its (`iss`, `jti`) was revoked, or when its
/// (`iss`, `sub`) has a cut-off later than [`TokenId::issued_from`] (every
/// token of that subject issued before the cut-off: "log out everywhere",
/// a role change).
///
/// [`is_revoked`](Self::is_revoked) is asked about every valid token a
/// request carries, tokens served from the verified-token cache included
/// (a cached token is asked about again whenever the store's
/// [`generation`](Self::generation) has changed since it was last found
/// unrevoked): it must answer from memory, without I/O, without blocking
/// for long and without allocating. A store shared by several instances (Redis, a
/// database) keeps a local copy, refreshed in the background, and answers
/// from it; how stale that copy may be is the delay before a revocation
/// takes effect.
///
/// ```
/// use std::time::Duration;
/// use rbac_axum::{RevocationStore, TokenId};
///
/// /// Refuses every token of one subject: a store needs only the check.
/// struct Banned(&'static str);
///
/// impl RevocationStore for Banned {
///     fn is_revoked(&self, token: TokenId<'_>) -> bool {
///         token.sub == self.0
///     }
///
///     fn max_token_lifetime(&self) -> Duration {
///         Duration::from_secs(3600)
///     }
/// }
///
/// let store = Banned("mallory");
/// assert!(store.is_revoked(TokenId::new("https://sso.example.com", "t-1", "mallory", 0)));
/// assert!(!store.is_revoked(TokenId::new("https://sso.example.com", "t-2", "alice", 0)));
/// ```
pub trait RevocationStore: Send + Sync + 'static {
    /// Whether `token` is revoked. Answers from memory: no I/O, no
    /// allocation.
    fn is_revoked(&self, token: TokenId<'_>) -> bool;

    /// The longest lifetime (`exp` − `iat`) of a token this store can
    /// refuse: it may forget a subject's cut-off once that long (and the
    /// leeway, twice) has passed since it, when every token it refused has
    /// expired. Verification refuses tokens that live longer.
    fn max_token_lifetime(&self) -> Duration;

    /// The longest leeway of an issuer whose tokens this store can refuse:
    /// it remembers a revoked token this long after its `exp` (a token is
    /// accepted until `exp` + leeway). [`build`](crate::AuthenticatorBuilder::build)
    /// refuses an issuer with a longer leeway. None by default.
    fn max_leeway(&self) -> Duration {
        Duration::ZERO
    }

    /// A number that changes each time what this store refuses may have
    /// grown, or `None` (the default): unknown. Verification remembers on a
    /// cached token the generation it was last found unrevoked at, and
    /// skips [`is_revoked`](Self::is_revoked) while it is unchanged. It must
    /// change after a revocation is visible to `is_revoked`, never before,
    /// and never return to an earlier value while the store is in use (a
    /// counter that restarts would let a token found unrevoked at the old
    /// value skip a later revocation). A store whose answers change without
    /// a write (cut-offs scheduled for later) returns `None`. `u64::MAX` is
    /// never remembered: a token is then looked up on every request.
    fn generation(&self) -> Option<u64> {
        None
    }

    /// Whether the store can vouch for its answers now. A store whose
    /// local copy follows a shared source answers
    /// [`RevocationsUnavailable`] once it has been out of touch with it
    /// longer than it may be (or before its first load): every token is
    /// then refused with 503 and `Retry-After`, since a revocation made
    /// meanwhile could be missing. Asked on every request, before
    /// [`is_revoked`](Self::is_revoked) and whatever the
    /// [`generation`](Self::generation): like `is_revoked`, it answers from
    /// memory. Available by default.
    fn availability(&self) -> Result<(), RevocationsUnavailable> {
        Ok(())
    }
}

/// A revocation store that cannot vouch for its answers now: every token is
/// refused with 503 and `Retry-After` until it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationsUnavailable {
    /// About when it may be available again; sent as `Retry-After`.
    pub retry_after: Duration,
}

/// One entry of an [`InMemoryRevocations`], as
/// [`for_each`](InMemoryRevocations::for_each) lists them and
/// [`merge`](InMemoryRevocations::merge) takes them: what a store shared by
/// several instances sends and receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation<'a> {
    /// The token of issuer `iss` with this `jti`, which expires at `exp`.
    Token {
        /// `iss`.
        iss: &'a str,
        /// `jti`.
        jti: &'a str,
        /// The token's `exp`: the entry is kept until then (and the leeway).
        exp: u64,
    },
    /// Every token of issuer `iss` and subject `sub` issued before
    /// `cutoff` (see [`InMemoryRevocations::revoke_subject`]).
    Subject {
        /// `iss`.
        iss: &'a str,
        /// `sub`.
        sub: &'a str,
        /// The cut-off, in seconds since the epoch.
        cutoff: u64,
    },
}

/// Revocations held in this process: for a single instance, and for tests.
///
/// * [`revoke_token`](Self::revoke_token) refuses one token, by its `iss`
///   and `jti`, remembered until its `exp` (and the leeway after it);
/// * [`revoke_subject`](Self::revoke_subject) refuses every token of a
///   subject issued up to now, by `iss` and `sub`;
/// * [`purge`](Self::purge) forgets what can no longer matter: tokens past
///   `exp` + leeway, cut-offs older than the maximum token lifetime (+
///   twice the leeway). Call it now and then (a timer); lookups never
///   purge.
///
/// The check takes a read lock and looks the token up in two small maps
/// keyed by issuer, then by `jti` or `sub` (strings compared as given);
/// nothing is allocated. While nothing is revoked, it takes no lock.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use rbac_axum::{Authenticator, InMemoryRevocations, jsonwebtoken::Algorithm};
///
/// rbac_axum::roles! { admin, viewer }
///
/// # fn main() -> Result<(), rbac_axum::ConfigError> {
/// // Tokens of this issuer live at most an hour.
/// let revocations = Arc::new(InMemoryRevocations::new(Duration::from_secs(3600)));
/// let authenticator = Authenticator::<Role>::builder()
///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
///     .issuer("https://sso.example.com")
///     .revocation(revocations.clone())
///     .build()?;
///
/// // One token (a logout): by `iss` and `jti`, kept until its `exp`.
/// revocations.revoke_token("https://sso.example.com", "0b6f3c2e", 1_900_000_000);
/// // Every token of a subject issued so far (a role change).
/// let cutoff = revocations.revoke_subject("https://sso.example.com", "user-1", SystemTime::now());
/// // Tokens issued from second `cutoff` on pass: the issuer waits until
/// // then, reads the user's roles, and stamps that time as `iat`.
/// assert!(cutoff > 0);
/// revocations.purge(SystemTime::now());
/// # let _ = authenticator; Ok(()) }
/// ```
pub struct InMemoryRevocations {
    entries: RwLock<Map<IssuerEntries>>,
    /// Whether anything is held: until then no lock is taken.
    any: AtomicBool,
    /// Changed by every write, after it: see [`RevocationStore::generation`].
    generation: AtomicU64,
    max_token_lifetime: Duration,
    leeway: Duration,
}

impl std::fmt::Debug for InMemoryRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: no `jti` or subject in logs.
        f.debug_struct("InMemoryRevocations")
            .field("entries", &self.len())
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("leeway", &self.leeway)
            .finish()
    }
}

/// One issuer's revocations.
#[derive(Default)]
struct IssuerEntries {
    /// `jti` → the token's `exp`.
    tokens: Map<u64>,
    /// `sub` → the cut-off: tokens issued before this second are refused.
    subjects: Map<u64>,
}

/// One issuer's entries a purge found expired.
struct Expired {
    iss: Box<str>,
    tokens: Vec<Box<str>>,
    subjects: Vec<Box<str>>,
}

/// The keys of `map` whose time `is_gone`.
fn keys_where(map: &Map<u64>, is_gone: impl Fn(u64) -> bool) -> Vec<Box<str>> {
    map.iter().filter(|(_, time)| is_gone(**time)).map(|(key, _)| key.clone()).collect()
}

impl InMemoryRevocations {
    /// An empty store for tokens that live at most `max_token_lifetime`
    /// (`exp` − `iat`); verification refuses tokens that live longer while
    /// this store is in use.
    pub fn new(max_token_lifetime: Duration) -> Self {
        Self {
            entries: RwLock::new(Map::default()),
            any: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            max_token_lifetime,
            leeway: Duration::ZERO,
        }
    }

    /// Keeps entries `leeway` longer, for issuers with a leeway of up to
    /// this (default none): an issuer with a longer one is refused at
    /// [`build`](crate::AuthenticatorBuilder::build).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Refuses the token of issuer `iss` with this `jti`, from now until
    /// it expires at `exp` (seconds since the epoch, the token's own
    /// `exp`). Revoking it again with another `exp` keeps the later one.
    pub fn revoke_token(&self, iss: &str, jti: &str, exp: u64) {
        self.write(|entries| {
            let tokens = &mut entries.entry(iss.into()).or_default().tokens;
            let kept = tokens.entry(jti.into()).or_insert(exp);
            *kept = (*kept).max(exp);
        });
    }

    /// Refuses every token of issuer `iss` and subject `sub` issued at or
    /// before `at`, and returns the cut-off: the whole second after `at`.
    ///
    /// `iat` counts whole seconds, so a token issued in the same second as
    /// the revocation cannot be told from one issued just before it: both
    /// are refused. A token passes when its `iat`, less the issuer's
    /// leeway, is at or after the cut-off. An issuer stamps `iat` no later
    /// than the moment it read the token's claims (a token read before a
    /// second change in the same second must not pass it): for a fresh
    /// token right after a role change, it waits until the returned
    /// cut-off (plus its leeway), then reads and stamps. A later cut-off
    /// for the same subject replaces an earlier one; an earlier one is
    /// ignored.
    pub fn revoke_subject(&self, iss: &str, sub: &str, at: SystemTime) -> u64 {
        let cutoff = seconds(at).saturating_add(1);
        self.write(|entries| {
            let subjects = &mut entries.entry(iss.into()).or_default().subjects;
            let kept = subjects.entry(sub.into()).or_insert(cutoff);
            *kept = (*kept).max(cutoff);
        });
        cutoff
    }

    /// Adds `entry` as it is (a cut-off as the cut-off, not a time to
    /// derive one from); what is held already only moves later: a token's
    /// `exp` and a subject's cut-off keep the later of the two. Merging
    /// the same entry twice, or in any order, gives the same store.
    /// Returns whether the store changed; when it did not (an entry held
    /// already, as after a reload), its generation stays, and tokens in
    /// the verified-token cache are not looked up again for nothing.
    pub fn merge(&self, entry: Revocation<'_>) -> bool {
        let (iss, key, time, token) = match entry {
            Revocation::Token { iss, jti, exp } => (iss, jti, exp, true),
            Revocation::Subject { iss, sub, cutoff } => (iss, sub, cutoff, false),
        };
        let held = {
            let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            entries.get(iss).and_then(|issuer| {
                let map = if token { &issuer.tokens } else { &issuer.subjects };
                map.get(key).copied()
            })
        };
        if held.is_some_and(|held| held >= time) {
            return false;
        }
        self.write(|entries| {
            let (map, key, time) = match entry {
                Revocation::Token { iss, jti, exp } => {
                    (&mut entries.entry(iss.into()).or_default().tokens, jti, exp)
                }
                Revocation::Subject { iss, sub, cutoff } => {
                    (&mut entries.entry(iss.into()).or_default().subjects, sub, cutoff)
                }
            };
            let kept = map.entry(key.into()).or_insert(time);
            *kept = (*kept).max(time);
        });
        true
    }

    /// Calls `visit` with every entry held, under the read lock (lookups
    /// go on; writes wait until it returns): for publishing them again.
    pub fn for_each(&self, mut visit: impl FnMut(Revocation<'_>)) {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (iss, issuer) in entries.iter() {
            for (jti, &exp) in &issuer.tokens {
                visit(Revocation::Token { iss, jti, exp });
            }
            for (sub, &cutoff) in &issuer.subjects {
                visit(Revocation::Subject { iss, sub, cutoff });
            }
        }
    }

    /// The cut-off held for subject `sub` of issuer `iss`, if any: tokens
    /// issued before this second (less the issuer's leeway) are refused.
    /// An issuer about to stamp a fresh token for `sub` waits until then
    /// (see [`revoke_subject`](Self::revoke_subject)).
    pub fn subject_cutoff(&self, iss: &str, sub: &str) -> Option<u64> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(iss)?.subjects.get(sub).copied()
    }

    /// Forgets what can no longer refuse a token at `now`: revoked tokens
    /// whose `exp` + leeway has passed, and cut-offs older than the maximum
    /// token lifetime + twice the leeway, each a second later than that
    /// (times with fractions are kept in whole seconds). Returns how many
    /// entries were dropped.
    ///
    /// Why twice: a cut-off `C` refuses tokens with `iat` < `C` + leeway,
    /// which expire before `C` + leeway + lifetime and are accepted by time
    /// until another leeway after that.
    pub fn purge(&self, now: SystemTime) -> usize {
        // One second more than the whole seconds kept: `exp`, `iat` and
        // the lifetime may have fractions, which whole seconds round down.
        let now = seconds(now).saturating_sub(1);
        let leeway = self.leeway.as_secs();
        let lifetime = (self.max_token_lifetime.as_secs_f64().ceil() as u64).saturating_add(leeway);
        let token_gone = |exp: u64| exp.saturating_add(leeway) <= now;
        let cutoff_gone =
            |cutoff: u64| cutoff.saturating_add(lifetime).saturating_add(leeway) <= now;
        // What to drop is found under the read lock, which lookups share;
        // the write lock, which stops them, is held only to remove it.
        let expired: Vec<Expired> = {
            let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            entries
                .iter()
                .map(|(iss, issuer)| Expired {
                    iss: iss.clone(),
                    tokens: keys_where(&issuer.tokens, token_gone),
                    subjects: keys_where(&issuer.subjects, cutoff_gone),
                })
                .filter(|expired| !expired.tokens.is_empty() || !expired.subjects.is_empty())
                .collect()
        };
        if expired.is_empty() {
            return 0;
        }
        let mut dropped = 0;
        self.write(|entries| {
            for Expired { iss, tokens, subjects } in &expired {
                let Some(issuer) = entries.get_mut(iss) else { continue };
                // Checked again: a revocation may have moved one later since.
                for jti in tokens {
                    if issuer.tokens.get(jti).is_some_and(|&exp| token_gone(exp)) {
                        issuer.tokens.remove(jti);
                        dropped += 1;
                    }
                }
                for sub in subjects {
                    if issuer.subjects.get(sub).is_some_and(|&cutoff| cutoff_gone(cutoff)) {
                        issuer.subjects.remove(sub);
                        dropped += 1;
                    }
                }
                if issuer.tokens.is_empty() && issuer.subjects.is_empty() {
                    entries.remove(iss);
                }
            }
        });
        dropped
    }

    /// How many revoked tokens and subject cut-offs are held.
    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.values().map(|issuer| issuer.tokens.len() + issuer.subjects.len()).sum()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn write(&self, change: impl FnOnce(&mut Map<IssuerEntries>)) {
        // A panic elsewhere while holding the lock leaves the maps whole
        // (each change is one insert or retain): keep using them.
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut entries);
        // After a purge that emptied the store, lookups take no lock again.
        self.any.store(!entries.is_empty(), Ordering::Release);
        // Still under the lock: whoever reads the new generation sees the
        // change when it takes the lock to look.
        self.generation.fetch_add(1, Ordering::Release);
    }
}

impl RevocationStore for InMemoryRevocations {
    fn is_revoked(&self, token: TokenId<'_>) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(issuer) = entries.get(token.iss) else {
            return false;
        };
        issuer.tokens.contains_key(token.jti)
            || issuer.subjects.get(token.sub).is_some_and(|&cutoff| token.issued_from < cutoff)
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::Acquire))
    }

    fn max_token_lifetime(&self) -> Duration {
        self.max_token_lifetime
    }

    fn max_leeway(&self) -> Duration {
        self.leeway
    }
}

/// Whole seconds since the epoch (0 before it).
fn seconds(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://issuer.test";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn merging_keeps_the_later_time_and_lists_every_entry() {
        let store = InMemoryRevocations::new(Duration::from_secs(600));
        assert!(store.merge(Revocation::Subject { iss: ISS, sub: "u", cutoff: 1_001 }));
        assert!(store.merge(Revocation::Token { iss: ISS, jti: "t", exp: 2_000 }));
        // Held already, or later: nothing changes, not even the generation.
        let generation = store.generation();
        assert!(!store.merge(Revocation::Subject { iss: ISS, sub: "u", cutoff: 900 }));
        assert!(!store.merge(Revocation::Token { iss: ISS, jti: "t", exp: 1_500 }));
        assert!(!store.merge(Revocation::Token { iss: ISS, jti: "t", exp: 2_000 }));
        assert_eq!(store.generation(), generation);
        assert!(store.merge(Revocation::Token { iss: ISS, jti: "t", exp: 2_001 }));
        assert_ne!(store.generation(), generation);
        assert_eq!(store.subject_cutoff(ISS, "u"), Some(1_001), "a cut-off never moves back");
        assert!(store.is_revoked(TokenId::new(ISS, "a", "u", 1_000)));
        assert!(!store.is_revoked(TokenId::new(ISS, "a", "u", 1_001)));

        let mut listed = Vec::new();
        store.for_each(|entry| listed.push(format!("{entry:?}")));
        listed.sort();
        assert_eq!(
            listed,
            [
                format!("{:?}", Revocation::Subject { iss: ISS, sub: "u", cutoff: 1_001 }),
                format!("{:?}", Revocation::Token { iss: ISS, jti: "t", exp: 2_001 }),
            ]
        );
    }

    #[test]
    fn a_revoked_token_is_refused_for_its_issuer_only() {
        let store = InMemoryRevocations::new(Duration::from_secs(600));
        assert!(!store.is_revoked(TokenId::new(ISS, "t-1", "u", 0)));
        store.revoke_token(ISS, "t-1", 2_000);
        assert!(store.is_revoked(TokenId::new(ISS, "t-1", "u", 0)));
        assert!(!store.is_revoked(TokenId::new("https://other.test", "t-1", "u", 0)));
        assert!(!store.is_revoked(TokenId::new(ISS, "t-2", "u", 0)));
        assert!(!store.is_revoked(TokenId::new(ISS, "T-1", "u", 0)));
    }

    #[test]
    fn a_cutoff_refuses_tokens_issued_up_to_its_second() {
        let store = InMemoryRevocations::new(Duration::from_secs(600));
        let revoked_at = at(1_000) + Duration::from_millis(999);
        let cutoff = store.revoke_subject(ISS, "u", revoked_at);
        assert_eq!(cutoff, 1_001);
        assert!(store.is_revoked(TokenId::new(ISS, "a", "u", 999)));
        assert!(store.is_revoked(TokenId::new(ISS, "a", "u", 1_000)), "the same second");
        assert!(!store.is_revoked(TokenId::new(ISS, "a", "u", 1_001)));
        assert!(!store.is_revoked(TokenId::new(ISS, "a", "other", 1)));
        // An earlier cut-off does not move it back.
        store.revoke_subject(ISS, "u", at(10));
        assert!(store.is_revoked(TokenId::new(ISS, "a", "u", 1_000)));
        assert_eq!(store.subject_cutoff(ISS, "u"), Some(1_001));
        assert_eq!(store.subject_cutoff(ISS, "other"), None);
        assert_eq!(store.subject_cutoff("https://other.test", "u"), None);
    }

    #[test]
    fn purge_forgets_what_can_no_longer_refuse_a_token() {
        let store =
            InMemoryRevocations::new(Duration::from_secs(100)).with_leeway(Duration::from_secs(5));
        store.revoke_token(ISS, "t-1", 1_000);
        store.revoke_token(ISS, "t-2", 2_000);
        store.revoke_subject(ISS, "u", at(999)); // cut-off 1_000
        // (Each kept a second more than whole seconds say: `exp` may have
        // had a fraction.)
        assert_eq!(store.purge(at(1_005)), 0, "within the leeway after exp");
        // An `exp` of 1_000.9 (given as 1_000) is accepted until 1_005.9.
        let fraction = Duration::from_millis(950);
        assert_eq!(store.purge(at(1_005) + fraction), 0, "a fraction later");
        assert_eq!(store.purge(at(1_006)), 1);
        assert!(!store.is_revoked(TokenId::new(ISS, "t-1", "x", 0)));
        assert!(store.is_revoked(TokenId::new(ISS, "t-2", "x", 0)));
        // A token with `iat` 1_004 (within the leeway), `exp` 1_104, is
        // accepted until 1_109 (1_110 with fractions).
        assert_eq!(store.purge(at(1_110)), 0, "a token the cut-off refuses may live");
        assert_eq!(store.purge(at(1_111)), 1);
        assert_eq!(store.len(), 1);
        assert_eq!(store.purge(at(2_006)), 1);
        assert!(store.is_empty());
    }
}
