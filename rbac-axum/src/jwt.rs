//! JWT access-token validation: a verification path that reads each part of
//! the token once and uses `jsonwebtoken`'s crypto (aws-lc-rs) for the
//! signature. Configuration lives in [`crate::config`].
//!
//! What is enforced, and where the RFCs or `jsonwebtoken`'s defaults differ:
//! * the algorithm comes from the configured key, never from the token; the
//!   header's `alg` must name it exactly (`"hs256"`, `"none"` are refused);
//! * keys named inside a token (`jwk`, `jku`, `x5u`, `x5c`) are ignored, and
//!   `kid` is only a lookup key among configured (or fetched) keys;
//! * a `crit` header is refused (no extension is understood);
//! * `exp` is required, must be a number and is refused on or after expiry
//!   (RFC 7519 §4.1.4), `nbf` is checked when present, `iss` and `aud` are
//!   required when configured; all with the configured leeway;
//! * with several issuers, the unverified `iss` only chooses whose keys to
//!   verify with; the verified `iss` must then be that issuer.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rbac_core::{RoleModel, Schema};
use serde::Deserialize;

use crate::cache::{TokenCache, Validity};
use crate::claims::{Claims, NumericDate, read_claims};
use crate::config::{AuthenticatorBuilder, IssuerConfig, Keys};
use crate::header;
use crate::keys::{KeySet, Selection};
use crate::principal::{Principal, Subject};
use crate::recycle;

/// Validates bearer JWTs and maps them to a [`Principal`] for one role model.
/// Cheap to clone (an `Arc`); put it in the router state and implement
/// `FromRef` for it, or use it as the state itself.
///
/// ```
/// use rbac_axum::{Authenticator, jsonwebtoken::Algorithm};
///
/// rbac_axum::roles! { admin: viewer, viewer }
///
/// let authenticator = Authenticator::builder::<Role>()
///     .hmac(Algorithm::HS256, b"a development secret of 32+ bytes!!")
///     .issuer("https://issuer.example")
///     .audience("my-api")
///     .build()?;
/// # Ok::<(), rbac_axum::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Authenticator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) model: TypeId,
    pub(crate) model_name: &'static str,
    pub(crate) schema: &'static Schema,
    pub(crate) realm: Arc<str>,
    pub(crate) max_token_bytes: usize,
    pub(crate) issuers: Vec<IssuerConfig>,
    /// Verified tokens, when enabled (`cache_verified_tokens`).
    pub(crate) cache: Option<TokenCache>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Authenticator")
            .field("model", &inner.model_name)
            .field("realm", &inner.realm)
            .field("issuers", &inner.issuers)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Starts a configuration for the roles declared by `roles!` (`R` is the
    /// generated `Role` type). Defaults: realm `api`, no leeway, tokens up to
    /// 8 KiB, roles from the `roles` claim, `sub` optional, any `typ`.
    pub fn builder<R: RoleModel>() -> AuthenticatorBuilder {
        AuthenticatorBuilder::new::<R>()
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The declared roles and scopes this authenticator maps tokens to.
    pub fn schema(&self) -> &'static Schema {
        self.inner.schema
    }

    /// Validates `token` (the bearer value, without the scheme) with the
    /// keys known now, and maps it to a principal. Never fetches: use
    /// [`verify_fresh`](Self::verify_fresh) where a token may name a key
    /// the provider has just published. With the verified-token cache
    /// ([`AuthenticatorBuilder::cache_verified_tokens`]), a token verified
    /// before and still valid is answered from it.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        match &self.inner.cache {
            None => self
                .inner
                .verify_once(token, now(), false, Vec::new())
                .map(|(principal, _)| principal),
            Some(_) => self.inner.verify_shared(token, now()).map(Arc::unwrap_or_clone),
        }
        .map_err(Failure::into_error)
    }

    /// Validates `token` like [`verify`](Self::verify); when it names a
    /// `kid` no fetched key has (or no keys were fetched yet), fetches the
    /// issuer's key set once more (at most once per `min_refetch`, shared by
    /// concurrent requests) and tries again.
    pub async fn verify_fresh(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_fresh_shared(token).await.map(Arc::unwrap_or_clone)
    }

    /// [`verify_fresh`](Self::verify_fresh), sharing the principal with the
    /// verified-token cache when it is enabled.
    pub(crate) async fn verify_fresh_shared(
        &self,
        token: &str,
    ) -> Result<Arc<Principal>, TokenError> {
        let failure = match self.inner.verify_shared(token, now()) {
            Ok(principal) => return Ok(principal),
            Err(failure) => failure,
        };
        let (Failure::UnknownKid { issuer, generation }
        | Failure::NoKeysYet { issuer, generation }) = failure
        else {
            return Err(failure.into_error());
        };
        let Some(Keys::Remote(remote)) = self.inner.issuers.get(issuer).map(|i| &i.keys) else {
            return Err(failure.into_error());
        };
        // Boxed: the rare path, and otherwise its state would make every
        // verification's future (held in each request's) several times larger.
        match Box::pin(remote.refresh_after_miss(generation)).await {
            Some(_) => self.inner.verify_shared(token, now()).map_err(Failure::into_error),
            None => Err(failure.into_error()),
        }
    }

    /// Waits until every remote issuer has a key set, or `timeout` passes;
    /// returns whether all have one. Static keys are always ready. Requests
    /// before that are refused (500), never let through.
    pub async fn wait_for_keys(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let ready = self.inner.issuers.iter().all(|issuer| match &issuer.keys {
                Keys::Static(_) => true,
                Keys::Remote(remote) => remote.snapshot().1.is_some(),
            });
            if ready {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// How many key-set fetches have been attempted, over all issuers (for
    /// metrics and tests).
    pub fn key_fetches(&self) -> u64 {
        self.inner
            .issuers
            .iter()
            .map(|issuer| match &issuer.keys {
                Keys::Static(_) => 0,
                Keys::Remote(remote) => remote.fetch_count(),
            })
            .sum()
    }

    /// A refusal challenging for this authenticator's realm, for handlers
    /// that refuse after the guard (a resource check, a deleted account).
    ///
    /// ```
    /// # use rbac_axum::{AuthError, Authenticator, jsonwebtoken::Algorithm};
    /// # rbac_axum::roles! { viewer }
    /// # let authenticator = Authenticator::builder::<Role>().hmac(Algorithm::HS256, [1u8; 32]).build()?;
    /// let refusal = authenticator.reject(AuthError::InvalidToken("the account was deleted".into()));
    /// assert_eq!(refusal.error.status(), 401);
    /// # Ok::<(), rbac_axum::ConfigError>(())
    /// ```
    pub fn reject(&self, error: crate::AuthError) -> crate::Rejection {
        crate::Rejection { error, realm: Arc::clone(&self.inner.realm) }
    }

    pub(crate) fn is_for(&self, model: TypeId) -> bool {
        self.inner.model == model
    }
}

/// Why a token was not accepted. The messages never include the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    message: Cow<'static, str>,
    kind: TokenErrorKind,
}

/// Whose fault a [`TokenError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The token is not acceptable (401 `invalid_token`).
    Invalid,
    /// The server cannot decide now: no keys were fetched yet, or a
    /// user-provided claims mapper failed (500).
    Server,
}

impl TokenError {
    pub(crate) fn new(message: &'static str) -> Self {
        Self { message: Cow::Borrowed(message), kind: TokenErrorKind::Invalid }
    }

    pub(crate) fn server(message: impl Into<Cow<'static, str>>) -> Self {
        Self { message: message.into(), kind: TokenErrorKind::Server }
    }

    /// The reason, in words a client developer can act on.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the token or the server is at fault.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }

    pub(crate) fn into_message(self) -> Cow<'static, str> {
        self.message
    }
}

/// A failed verification, with what a fetch might cure.
pub(crate) enum Failure {
    Token(TokenError),
    /// The issuer's fetched keys have the algorithm but not the `kid`.
    UnknownKid {
        issuer: usize,
        generation: u64,
    },
    /// The issuer's keys were never fetched successfully.
    NoKeysYet {
        issuer: usize,
        generation: u64,
    },
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Failure::Token(error)
    }
}

impl Failure {
    fn into_error(self) -> TokenError {
        match self {
            Failure::Token(error) => error,
            Failure::UnknownKid { .. } => {
                TokenError::new("no key of this server matches the token's `kid`")
            }
            Failure::NoKeysYet { .. } => TokenError::server(
                "the server has no keys from its identity provider yet; try again later",
            ),
        }
    }
}

/// Just `iss`, read before verification to choose among several issuers.
#[derive(Deserialize)]
struct UnverifiedIssuer<'a> {
    #[serde(borrow, default, deserialize_with = "header::borrowed")]
    iss: Option<Cow<'a, str>>,
}

/// Decodes a base64url segment into `stack` when it fits, else into `heap`.
pub(crate) fn decode_segment<'b>(
    segment: &str,
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
    error: &'static str,
) -> Result<&'b [u8], TokenError> {
    if base64::decoded_len_estimate(segment.len()) <= stack.len() {
        let len = URL_SAFE_NO_PAD.decode_slice(segment, &mut *stack);
        Ok(&stack[..len.map_err(|_| TokenError::new(error))?])
    } else {
        URL_SAFE_NO_PAD.decode_vec(segment, &mut *heap).map_err(|_| TokenError::new(error))?;
        Ok(heap)
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Signatures up to this size (decoded: RSA-4096) are decoded on the stack.
const SIGNATURE_ON_STACK: usize = 512;

/// HMAC, ECDSA and Ed25519 signatures fit in this (decoded: HS512, ES384).
const SMALL_SIGNATURE: usize = 128;

impl Inner {
    /// Verifies `token`, or finds it in the verified-token cache when that
    /// is enabled (and remembers it there once verified).
    pub(crate) fn verify_shared(&self, token: &str, now: u64) -> Result<Arc<Principal>, Failure> {
        // Over-long tokens are refused by `verify_once` before any hashing.
        let cached = self.cache.as_ref().filter(|_| token.len() <= self.max_token_bytes);
        let Some((cache, lookup)) = cached.and_then(|c| Some((c, c.lookup(token)?))) else {
            // Without the cache, the principal is built into one this
            // thread built before, once its request is over.
            let mut spare = recycle::take();
            let buffer = recycle::buffer_of(&mut spare);
            let (principal, _) = self.verify_once(token, now, false, buffer)?;
            let shared = recycle::into_shared(spare, principal);
            recycle::keep(&shared);
            return Ok(shared);
        };
        if let Some(principal) = cache.get(&lookup, now) {
            return Ok(principal);
        }
        let (principal, validity) = self.verify_once(token, now, true, Vec::new())?;
        let principal = Arc::new(principal);
        if let Some(validity) = validity {
            cache.insert(lookup, Arc::clone(&principal), validity);
        }
        Ok(principal)
    }

    /// Verifies `token` at `now`, decoding the payload into `payload` (an
    /// empty buffer); with `validity`, also says until when the result holds
    /// (for the verified-token cache).
    pub(crate) fn verify_once(
        &self,
        token: &str,
        now: u64,
        validity: bool,
        mut payload: Vec<u8>,
    ) -> Result<(Principal, Option<Validity>), Failure> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::new("the token is longer than this server accepts").into());
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::new(
                "the token is not a JWT: expected three base64url segments separated by dots",
            )
            .into());
        };
        let (header, remembered) = header::header(header_b64)?;
        let algorithm = header.algorithm;
        // Into `payload`'s buffer (reused, see `recycle`), which is empty.
        URL_SAFE_NO_PAD
            .decode_vec(payload_b64, &mut payload)
            .map_err(|_| TokenError::new("the token payload is not base64url"))?;
        // UTF-8 is checked once here rather than string by string.
        let Ok(payload) = String::from_utf8(payload) else {
            return Err(TokenError::new("the token payload is not a JSON object").into());
        };

        let (index, issuer) = self.issuer_for(&payload)?;
        if issuer.require_at_jwt_typ && !header.at_jwt {
            return Err(TokenError::new("the token's `typ` must be `at+jwt` (RFC 9068)").into());
        }

        // The issuer's keys: configured, or the last fetched set.
        let fetched: Arc<KeySet>;
        let keys: &KeySet = match &issuer.keys {
            Keys::Static(set) => set,
            Keys::Remote(remote) => match remote.snapshot() {
                (_, Some(set)) => {
                    fetched = set;
                    &fetched
                }
                (generation, None) => return Err(Failure::NoKeysYet { issuer: index, generation }),
            },
        };
        let mut candidates = match keys.select(algorithm, header.kid.as_deref()) {
            Selection::Candidates(candidates) => candidates,
            Selection::UnknownKid => {
                return Err(match &issuer.keys {
                    Keys::Remote(remote) => {
                        Failure::UnknownKid { issuer: index, generation: remote.snapshot().0 }
                    }
                    Keys::Static(_) => {
                        TokenError::new("no key of this server matches the token's `kid`").into()
                    }
                });
            }
            Selection::AlgorithmNotAccepted => {
                return Err(TokenError::new(
                    "the token's algorithm is not accepted by this server",
                )
                .into());
            }
        };
        // Signatures up to RSA-4096 are decoded on the stack, into a buffer
        // only as large as needed (it is zeroed first); longer ones on the
        // heap.
        let (mut small, mut large);
        let mut heap = Vec::new();
        let estimate = base64::decoded_len_estimate(signature_b64.len());
        let buffer: &mut [u8] = if estimate <= SMALL_SIGNATURE {
            small = [0u8; SMALL_SIGNATURE];
            &mut small
        } else if estimate <= SIGNATURE_ON_STACK {
            large = [0u8; SIGNATURE_ON_STACK];
            &mut large
        } else {
            &mut []
        };
        let signature = decode_segment(
            signature_b64,
            buffer,
            &mut heap,
            "the token signature is not base64url",
        )?;
        let message = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
        let Some(key) = candidates.find(|key| key.verifies(message, signature)) else {
            return Err(TokenError::new("the token signature is invalid").into());
        };
        if !remembered {
            header::remember(header_b64, &header);
        }

        // One pass over the payload for what the checks and the decision
        // need; the full claims are built later, only if asked for.
        let Ok(claims) = read_claims(&payload, &issuer.mapping, self.schema, &issuer.audiences)
        else {
            return Err(TokenError::new("the token payload is not a JSON object").into());
        };
        let window = check_claims(issuer, &claims, now)?;
        let validity = validity.then(|| Validity { window, key: key.liveness() });

        let mut granted = claims.granted(self.schema);
        let subject = Subject::of(claims.sub, &payload);
        let extra_scopes = if issuer.mapping.needs_full_claims() {
            let extra = issuer.mapping.extra(self.schema, &payload)?;
            granted = rbac_core::Granted::new(
                self.schema.close(granted.roles().union(extra.roles)),
                granted.scopes().union(extra.scopes),
            );
            extra.raw_scopes
        } else {
            Vec::new()
        };
        Ok((Principal::new(subject, granted, payload, extra_scopes, self.schema), validity))
    }

    /// The issuer whose keys verify this token: the only one, or the one
    /// whose string equals the payload's (still unverified) `iss`.
    fn issuer_for(&self, payload: &str) -> Result<(usize, &IssuerConfig), TokenError> {
        if let [only] = self.issuers.as_slice() {
            return Ok((0, only));
        }
        let iss = serde_json::from_str::<UnverifiedIssuer<'_>>(payload).ok().and_then(|u| u.iss);
        let Some(iss) = iss else {
            return Err(TokenError::new("the token has no `iss` claim"));
        };
        self.issuers
            .iter()
            .enumerate()
            .find(|(_, issuer)| issuer.issuer.as_deref() == Some(iss.as_ref()))
            .ok_or_else(|| TokenError::new("the token's issuer (`iss`) is not accepted"))
    }
}

/// The times a token is accepted in (RFC 7519 §4.1.4, §4.1.5), widened by
/// the issuer's leeway; verification and the verified-token cache both
/// decide with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// `exp`, in seconds.
    pub(crate) exp: f64,
    /// `nbf`, if the token has one.
    pub(crate) nbf: Option<f64>,
    /// The issuer's leeway, in seconds.
    pub(crate) leeway: f64,
}

impl Window {
    /// Not accepted "on or after" the expiry.
    pub(crate) fn expired(&self, now: f64) -> bool {
        now >= self.exp + self.leeway
    }

    /// Not accepted before `nbf`.
    pub(crate) fn early(&self, now: f64) -> bool {
        self.nbf.is_some_and(|nbf| now + self.leeway < nbf)
    }
}

/// Checks the registered claims; on success, the token's time window.
fn check_claims(
    issuer: &IssuerConfig,
    claims: &Claims<'_>,
    now: u64,
) -> Result<Window, TokenError> {
    let now = now as f64;
    let exp = match claims.exp {
        None => return Err(TokenError::new("the token has no `exp` claim")),
        Some(NumericDate::NotANumber) => {
            return Err(TokenError::new("the token's `exp` is not a number of seconds"));
        }
        Some(NumericDate::Seconds(exp)) => exp,
    };
    let mut window = Window { exp, nbf: None, leeway: issuer.leeway as f64 };
    if window.expired(now) {
        return Err(TokenError::new("the token has expired"));
    }
    window.nbf = match claims.nbf {
        None => None,
        Some(NumericDate::NotANumber) => {
            return Err(TokenError::new("the token's `nbf` is not a number of seconds"));
        }
        Some(NumericDate::Seconds(nbf)) => Some(nbf),
    };
    if window.early(now) {
        return Err(TokenError::new("the token is not valid yet (`nbf`)"));
    }
    if let Some(expected) = &issuer.issuer {
        match claims.iss.as_deref() {
            Some(iss) if iss == expected => {}
            Some(_) => return Err(TokenError::new("the token's issuer (`iss`) is not accepted")),
            None => return Err(TokenError::new("the token has no `iss` claim")),
        }
    }
    if !issuer.audiences.is_empty() && !claims.aud_accepted {
        return Err(TokenError::new("the token's audience (`aud`) is not accepted"));
    }
    if issuer.require_subject && claims.sub.as_deref().is_none_or(str::is_empty) {
        return Err(TokenError::new("the token has no `sub` claim"));
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header as JwtHeader, encode};
    use rbac_core::{RoleSet, ScopeSet};
    use serde_json::json;

    static SCHEMA: Schema = Schema::new(
        &["admin", "viewer"],
        &[RoleSet::from_bits(0b11), RoleSet::from_bits(0b10)],
        &["posts:read"],
        &[ScopeSet::from_bits(0b1), ScopeSet::from_bits(0b1)],
    );

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Model;

    impl RoleModel for Model {
        const SCHEMA: &'static Schema = &SCHEMA;

        fn index(self) -> usize {
            0
        }

        fn from_index(_: usize) -> Option<Self> {
            None
        }
    }

    fn secret(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn authenticator(secret: &[u8]) -> Authenticator {
        Authenticator::builder::<Model>()
            .hmac(Algorithm::HS256, secret)
            .build()
            .expect("a valid configuration")
    }

    fn token(secret: &[u8], claims: &serde_json::Value) -> String {
        encode(&JwtHeader::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
            .expect("encode a test token")
    }

    fn claims() -> serde_json::Value {
        json!({ "exp": now() + 600, "sub": "u\"1", "roles": ["viewer"] })
    }

    #[test]
    fn a_key_verifies_only_its_own_tokens() {
        let (a, b) = (authenticator(&secret(1)), authenticator(&secret(2)));
        let (for_a, for_b) = (token(&secret(1), &claims()), token(&secret(2), &claims()));
        assert!(a.verify(&for_a).is_ok());
        assert!(b.verify(&for_b).is_ok());
        assert!(a.verify(&for_b).is_err(), "b's token must not verify with a's key");
        assert!(b.verify(&for_a).is_err(), "a's token must not verify with b's key");
    }

    #[test]
    fn signatures_of_every_length_are_decoded_and_checked() {
        let authenticator = authenticator(&secret(7));
        let valid = token(&secret(7), &claims());
        let message = valid.rsplit_once('.').map(|(m, _)| m).unwrap_or_default();
        assert!(authenticator.verify(&valid).is_ok());
        // Stack buffers of 128 and 512 bytes, then the heap (RSA-8192 size).
        for decoded in [32_usize, 100, 129, 300, 512, 513, 1024] {
            let forged = format!("{message}.{}", "A".repeat((decoded * 4).div_ceil(3)));
            let error = authenticator.verify(&forged).err().map(|e| e.message().to_owned());
            assert_eq!(error.as_deref(), Some("the token signature is invalid"), "{decoded}");
        }
    }

    #[test]
    fn a_verification_future_stays_small() {
        // The refetch after an unknown `kid` is boxed; inline, its state
        // made this future 848 bytes, carried by every request's future.
        let authenticator = authenticator(&secret(6));
        let future = authenticator.verify_fresh_shared("not a token");
        let size = std::mem::size_of_val(&future);
        assert!(size <= 256, "{size} bytes");
    }

    fn subject_token(secret: &[u8], subject: &str) -> String {
        token(secret, &json!({ "exp": now() + 600, "sub": subject, "roles": ["viewer"] }))
    }

    #[test]
    fn a_principal_still_held_is_never_reused() {
        let inner = &authenticator(&secret(3)).inner;
        let first = inner.verify_shared(&subject_token(&secret(3), "first"), now()).ok();
        let first = first.expect("valid");
        let mut held = vec![first];
        // More verifications than a thread keeps, all still held.
        for n in 0..20 {
            let subject = format!("user-{n}");
            let next = inner.verify_shared(&subject_token(&secret(3), &subject), now()).ok();
            let next = next.expect("valid");
            assert_eq!(next.subject(), Some(subject.as_str()));
            assert!(held.iter().all(|h| !Arc::ptr_eq(h, &next)), "a held principal was reused");
            held.push(next);
        }
        assert_eq!(held[0].subject(), Some("first"), "a held principal was overwritten");
        assert_eq!(held[0].claims()["sub"], "first");
    }

    #[test]
    fn a_released_principal_is_reused_with_the_new_tokens_claims() {
        let inner = &authenticator(&secret(4)).inner;
        let first = inner.verify_shared(&subject_token(&secret(4), "first"), now()).ok();
        let first = first.expect("valid");
        let address = Arc::as_ptr(&first);
        drop(first);
        let second = inner.verify_shared(&subject_token(&secret(4), "second"), now()).ok();
        let second = second.expect("valid");
        assert_eq!(Arc::as_ptr(&second), address, "the released principal's allocation");
        assert_eq!(second.subject(), Some("second"));
        assert_eq!(second.claims()["sub"], "second");
        assert!(second.scopes().is_empty());
        // A failed verification leaves nothing behind to be served.
        drop(second);
        assert!(inner.verify_shared(&subject_token(&secret(5), "forged"), now()).is_err());
        let third = inner.verify_shared(&subject_token(&secret(4), "third"), now()).ok();
        assert_eq!(third.expect("valid").claims()["sub"], "third");
    }

    fn cached(secret: &[u8], leeway: u64) -> Authenticator {
        Authenticator::builder::<Model>()
            .hmac(Algorithm::HS256, secret)
            .leeway(std::time::Duration::from_secs(leeway))
            .cache_verified_tokens(64)
            .build()
            .expect("a valid configuration")
    }

    #[test]
    fn the_token_cache_serves_a_token_until_it_expires() {
        let key = secret(4);
        let inner = &cached(&key, 5).inner;
        let t = now();
        let mut claims = claims();
        claims["exp"] = json!(t + 100);
        claims["nbf"] = json!(t - 10);
        let token = token(&key, &claims);
        let first = inner.verify_shared(&token, t).ok().expect("valid");
        let again = inner.verify_shared(&token, t + 50).ok().expect("still valid");
        assert!(Arc::ptr_eq(&first, &again), "served from the cache");
        // The leeway as verification applies it, then refused on `exp + leeway`.
        assert!(inner.verify_shared(&token, t + 104).is_ok());
        assert!(inner.verify_shared(&token, t + 105).is_err(), "expired despite the cache");
        // Before `nbf - leeway` (a clock set back): refused too.
        let early = inner.verify_shared(&token, t - 16);
        assert!(early.is_err(), "not valid yet despite the cache");
    }

    #[test]
    fn the_token_cache_never_serves_another_token() {
        let key = secret(5);
        let authenticator = cached(&key, 0);
        let inner = &authenticator.inner;
        let token = token(&key, &claims());
        let cached = inner.verify_shared(&token, now()).ok().expect("valid");
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x02, 0x20] {
                let mut other = bytes.to_vec();
                other[i] ^= flip;
                let Ok(other) = String::from_utf8(other) else { continue };
                if let Ok(principal) = inner.verify_shared(&other, now()) {
                    let hit = Arc::ptr_eq(&principal, &cached);
                    panic!("byte {i} ^ {flip:#x} accepted (from the cache: {hit})");
                }
            }
        }
        for other in [&token[..token.len() - 1], &format!("{token}A"), &format!("{token}.")] {
            assert!(inner.verify_shared(other, now()).is_err(), "{other}");
        }
        // The cached token itself still hits.
        let again = inner.verify_shared(&token, now()).ok().expect("valid");
        assert!(Arc::ptr_eq(&cached, &again));
        // And the public API answers the same as without the cache.
        assert_eq!(authenticator.verify(&token).expect("valid").subject(), Some("u\"1"));
    }

    #[test]
    fn failed_verifications_are_not_cached() {
        let key = secret(6);
        let inner = &cached(&key, 0).inner;
        let mut claims = claims();
        claims["exp"] = json!(now() - 1);
        let expired = token(&key, &claims);
        assert!(inner.verify_shared(&expired, now()).is_err());
        let forged = token(&secret(7), &self::claims());
        assert!(inner.verify_shared(&forged, now()).is_err());
        assert_eq!(inner.cache.as_ref().map(|c| c.len()), Some(0));
    }

    #[test]
    fn the_principal_still_has_every_claim_and_scope() {
        let mut claims = claims();
        claims["scope"] = json!("posts:read undeclared");
        claims["scp"] = json!(["other"]);
        claims["extra"] = json!({ "nested": [1, 2.5, null] });
        let key = secret(3);
        let principal = authenticator(&key).verify(&token(&key, &claims)).expect("valid");
        assert_eq!(principal.subject(), Some("u\"1"));
        assert_eq!(principal.role_names(), ["viewer"]);
        assert_eq!(principal.scopes(), ["posts:read", "undeclared", "other"]);
        assert!(principal.has_scope("undeclared") && !principal.has_scope("posts"));
        assert_eq!(serde_json::Value::Object(principal.claims().clone()), claims);
        assert!(format!("{principal:?}").contains("nested"));
    }
}
