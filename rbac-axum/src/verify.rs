//! The verification pipeline: a token goes through named steps (split,
//! read the header, choose the issuer, pick keys, check the signature,
//! check the claims, build the principal), each reading its part once.
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
//!   verify with; the verified `iss` must then be that issuer;
//! * with revocation on, `jti`, `sub` and `iat` are required and the
//!   token's lifetime bounded at verification, and the store is consulted
//!   on every request, for cached tokens too (looked up again once its
//!   generation has changed).

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rbac_core::{Granted, Schema};
use serde::Deserialize;

use crate::cache::{Lookup, TokenCache, Validity};
use crate::claims::{Claims, NumericDate, read_claims};
use crate::header::{self, JoseHeader};
use crate::issuer::IssuerConfig;
use crate::key_source::CurrentKeys;
use crate::keys::Selection;
use crate::principal::{ClaimText, Identity, Principal};
use crate::recycle;
use crate::refusal::{AuthError, Rejection};
use crate::refusal_body::{BodyDescription, RenderBody};
use crate::resource_metadata::PublishedMetadata;
use crate::revocation::RevocationStore;
use crate::scopes::ScopeNames;
use crate::segment::decode_segment;
use crate::token_error::{Failure, TokenError};
use crate::window::Window;
use crate::window::now;

/// Everything an [`Authenticator`](crate::Authenticator) verifies with.
pub(crate) struct Verifier {
    /// Unique in the process: which verifier a principal in a request's
    /// extensions came from.
    pub(crate) id: u64,
    pub(crate) schema: &'static Schema,
    pub(crate) realm: Arc<str>,
    pub(crate) max_token_bytes: usize,
    pub(crate) issuers: Vec<IssuerConfig>,
    /// Verified tokens, when enabled (`cache_verified_tokens`).
    pub(crate) cache: Option<TokenCache>,
    /// The protected resource metadata served, when configured.
    pub(crate) resource_metadata: Option<PublishedMetadata>,
    /// The application's refusal body (`refusal_body`); `None`: the default.
    pub(crate) refusal_body: Option<RenderBody>,
    /// What that body is, when described (`refusal_body_described`).
    pub(crate) refusal_description: Option<BodyDescription>,
    /// Where revocations are looked up, when on (`revocation`).
    pub(crate) revocation: Option<Arc<dyn RevocationStore>>,
}

/// A token that passed every step, with what the verified-token cache
/// needs to know until when the result holds.
pub(crate) struct Verified<'v> {
    pub(crate) principal: Principal,
    window: Window,
    keys: CurrentKeys<'v>,
    /// The verifying key's place in `keys`.
    key: usize,
}

impl Verified<'_> {
    /// Until when the verification holds: its time window, and while its
    /// key stays in the issuer's key set.
    fn validity(&self) -> Validity {
        Validity { window: self.window, key: self.keys.set().liveness(self.key) }
    }
}

/// The three segments of a compact JWS, as sent.
struct Segments<'t> {
    header: &'t str,
    payload: &'t str,
    signature: &'t str,
    /// `header.payload`: what the signature covers.
    signed: &'t [u8],
}

/// Just `iss`, read before verification to choose among several issuers.
#[derive(Deserialize)]
struct UnverifiedIssuer<'a> {
    #[serde(borrow, default, deserialize_with = "header::borrowed")]
    iss: Option<Cow<'a, str>>,
}

/// Signatures up to this size (decoded: RSA-4096) are decoded on the stack.
const SIGNATURE_ON_STACK: usize = 512;

/// HMAC, ECDSA and Ed25519 signatures fit in this (decoded: HS512, ES384).
const SMALL_SIGNATURE: usize = 128;

impl Verifier {
    /// The principal of `token` at `now`: from the verified-token cache when
    /// it is enabled and holds the token, else verified now (and remembered
    /// there).
    pub(crate) fn verify_shared(&self, token: &str, now: u64) -> Result<Arc<Principal>, Failure> {
        let principal = match self.cache_lookup(token) {
            None => self.verify_into_spare(token, now)?,
            Some((cache, lookup)) => match cache.get(&lookup, now) {
                Some(principal) => principal,
                None => self.verify_and_cache(cache, lookup, token, now)?,
            },
        };
        self.admit(&principal)?;
        Ok(principal)
    }

    /// The principal of `token` at `now`, verified now into a principal of
    /// its own (never cached nor recycled): what `Authenticator::verify`
    /// gives without the cache.
    pub(crate) fn verify_owned(&self, token: &str, now: u64) -> Result<Principal, Failure> {
        let principal = self.verify_once(token, now, Vec::new())?.principal;
        self.admit(&principal)?;
        Ok(principal)
    }

    /// Fresh or cached, owned or shared, every accepted token passes here
    /// last (`verify_once` is private to this file, so there is no way
    /// round it): a check that must hold on each request, not only at
    /// verification, goes here.
    fn admit(&self, principal: &Principal) -> Result<(), TokenError> {
        if let Some(store) = &self.revocation {
            check_not_revoked(store.as_ref(), principal)?;
        }
        Ok(())
    }

    /// Verifies `token` now; when it names a `kid` no fetched key has (or no
    /// keys were fetched yet), fetches the issuer's key set once more (at
    /// most once per `min_refetch`, shared by concurrent requests) and tries
    /// again. The principal is shared with the verified-token cache when it
    /// is enabled.
    pub(crate) async fn verify_fresh(&self, token: &str) -> Result<Arc<Principal>, TokenError> {
        let failure = match self.verify_shared(token, now()) {
            Ok(principal) => return Ok(principal),
            Err(failure) => failure,
        };
        let (Failure::UnknownKid { issuer, generation }
        | Failure::NoKeysYet { issuer, generation }) = failure
        else {
            return Err(failure.into_error());
        };
        let Some(keys) = self.issuers.get(issuer).map(|i| &i.keys) else {
            return Err(failure.into_error());
        };
        // Boxed: the rare path, and otherwise its state would make every
        // verification's future (held in each request's) several times larger.
        if Box::pin(keys.refetch_after_miss(generation)).await {
            self.verify_shared(token, now()).map_err(Failure::into_error)
        } else {
            Err(failure.into_error())
        }
    }

    /// A refusal challenging for this verifier's realm.
    pub(crate) fn reject(&self, error: AuthError) -> Rejection {
        let metadata = self.resource_metadata.as_ref().map(|metadata| &metadata.url);
        Rejection::new(error, &self.realm, self.refusal_body.as_ref(), metadata)
    }

    /// The cache and where `token` would be in it, when the cache is on.
    /// Over-long tokens are refused by verification before any hashing.
    fn cache_lookup<'t>(&self, token: &'t str) -> Option<(&TokenCache, Lookup<'t>)> {
        let cache = self.cache.as_ref().filter(|_| token.len() <= self.max_token_bytes)?;
        Some((cache, cache.lookup(token)?))
    }

    /// Verifies `token` into a principal this thread built before, once its
    /// request is over (see `recycle`): no allocation in the steady state.
    fn verify_into_spare(&self, token: &str, now: u64) -> Result<Arc<Principal>, Failure> {
        let mut spare = recycle::take();
        let buffer = recycle::buffer_of(&mut spare);
        let verified = self.verify_once(token, now, buffer)?;
        let shared = recycle::into_shared(spare, verified.principal);
        recycle::keep(&shared);
        Ok(shared)
    }

    fn verify_and_cache(
        &self,
        cache: &TokenCache,
        lookup: Lookup<'_>,
        token: &str,
        now: u64,
    ) -> Result<Arc<Principal>, Failure> {
        let verified = self.verify_once(token, now, Vec::new())?;
        let validity = verified.validity();
        let principal = Arc::new(verified.principal);
        cache.insert(lookup, Arc::clone(&principal), validity);
        Ok(principal)
    }

    /// Verifies `token` at `now`, decoding the payload into `payload` (an
    /// empty buffer, reused). Every caller goes on to `admit`.
    fn verify_once(
        &self,
        token: &str,
        now: u64,
        payload: Vec<u8>,
    ) -> Result<Verified<'_>, Failure> {
        let segments = split(token, self.max_token_bytes)?;
        let (header, remembered) = header::header(segments.header)?;
        let payload = decode_payload(segments.payload, payload)?;
        let (index, issuer) = self.issuer_for(&payload)?;
        check_type(issuer, &header)?;
        let keys = issuer.keys.current(index)?;
        let key = check_signature(&keys, &header, &segments)?;
        if !remembered {
            header::remember(segments.header, &header);
        }
        // One pass over the payload for what the checks and the decision
        // need; the full claims are built later, only if asked for.
        let Ok(claims) =
            read_claims(&payload, issuer.mapping.roles.keys(), self.schema, &issuer.audiences)
        else {
            return Err(TokenError::new("the token payload is not a JSON object").into());
        };
        let window = check_claims(issuer, &claims, now)?;
        let issued_from = match &self.revocation {
            Some(store) => Some(check_revocable(issuer, store.as_ref(), &claims, &window, now)?),
            None => None,
        };
        // Accepted so far: say why a role or scope claim granted nothing.
        claims.log_ignored(issuer.mapping.roles.keys(), self.schema);
        let granted = claims.granted(self.schema);
        let identity = Identity {
            sub: ClaimText::of(claims.sub, &payload),
            iss: ClaimText::of(claims.iss, &payload),
            jti: ClaimText::of(claims.jti, &payload),
            // In the future (`check_claims` refused it otherwise); `as` saturates.
            exp: window.exp.ceil() as u64,
            issued_from,
        };
        let principal = self.build_principal(issuer, granted, identity, payload)?;
        Ok(Verified { principal, window, keys, key })
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

    /// The principal, with the rights of the issuer's extra claim paths and
    /// mapper when it has any (they read the verified payload in full), and
    /// its scopes within its roles' when the issuer says so.
    fn build_principal(
        &self,
        issuer: &IssuerConfig,
        mut granted: Granted,
        identity: Identity,
        payload: String,
    ) -> Result<Principal, TokenError> {
        let mut extra_scopes = Vec::new();
        if issuer.mapping.needs_full_claims() {
            let extra = issuer.mapping.extra(self.schema, &payload)?;
            granted = Granted::new(
                self.schema.close(granted.roles().union(extra.roles)),
                granted.scopes().union(extra.scopes),
            );
            extra_scopes = extra.raw_scopes;
        }
        let granted = limit_scopes(issuer, self.schema, granted);
        let limited = issuer.limit_scopes_to_roles;
        Ok(Principal::new(identity, granted, payload, extra_scopes, limited, self.schema))
    }
}

/// The scopes of `granted` that its roles may be granted, when the issuer
/// limits scopes to roles ([`Issuer::limit_scopes_to_roles`]); the others
/// are dropped and logged at `debug`. Allocates nothing.
///
/// [`Issuer::limit_scopes_to_roles`]: crate::Issuer::limit_scopes_to_roles
fn limit_scopes(issuer: &IssuerConfig, schema: &'static Schema, granted: Granted) -> Granted {
    if !issuer.limit_scopes_to_roles {
        return granted;
    }
    let ceiling = schema.grantable(granted.roles());
    let dropped = granted.scopes().difference(ceiling);
    if !dropped.is_empty() {
        let dropped = ScopeNames(schema, dropped);
        tracing::debug!(%dropped, "scopes dropped: the token's roles do not grant them");
    }
    granted.limit_scopes(ceiling)
}

/// A token of at most `max_bytes`, in three dot-separated segments.
fn split(token: &str, max_bytes: usize) -> Result<Segments<'_>, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::new("the token is longer than this server accepts"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::new(
            "the token is not a JWT: expected three base64url segments separated by dots",
        ));
    };
    let signed = &token.as_bytes()[..header.len() + 1 + payload.len()];
    Ok(Segments { header, payload, signature, signed })
}

/// The payload segment decoded into `buffer` (empty, reused; see
/// `recycle`), UTF-8 checked once here rather than string by string.
fn decode_payload(segment: &str, mut buffer: Vec<u8>) -> Result<String, TokenError> {
    URL_SAFE_NO_PAD
        .decode_vec(segment, &mut buffer)
        .map_err(|_| TokenError::new("the token payload is not base64url"))?;
    String::from_utf8(buffer).map_err(|_| TokenError::new("the token payload is not a JSON object"))
}

/// RFC 9068's `typ`, when the issuer requires it.
fn check_type(issuer: &IssuerConfig, header: &JoseHeader) -> Result<(), TokenError> {
    if issuer.require_at_jwt_typ && !header.at_jwt {
        return Err(TokenError::new("the token's `typ` must be `at+jwt` (RFC 9068)"));
    }
    Ok(())
}

/// The place in `keys` of the key whose signature the token carries,
/// among those of its algorithm (and `kid`).
fn check_signature(
    keys: &CurrentKeys<'_>,
    header: &JoseHeader,
    segments: &Segments<'_>,
) -> Result<usize, Failure> {
    let mut candidates = match keys.set().select(header.algorithm, header.kid.as_deref()) {
        Selection::Candidates(candidates) => candidates,
        Selection::UnknownKid => return Err(keys.unknown_kid()),
        Selection::AlgorithmNotAccepted => {
            return Err(
                TokenError::new("the token's algorithm is not accepted by this server").into()
            );
        }
    };
    // Signatures up to RSA-4096 are decoded on the stack, into a buffer only
    // as large as needed (it is zeroed first); longer ones on the heap.
    let (mut small, mut large);
    let mut heap = Vec::new();
    let estimate = base64::decoded_len_estimate(segments.signature.len());
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
        segments.signature,
        buffer,
        &mut heap,
        "the token signature is not base64url",
    )?;
    match candidates.find(|(_, key)| key.verifies(segments.signed, signature)) {
        Some((index, _)) => Ok(index),
        None => Err(TokenError::new("the token signature is invalid").into()),
    }
}

/// The registered claims; on success, the token's time window.
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

/// With revocation on: what the store is asked by must be there (`jti`,
/// `sub`, `iat`), the token must not outlive what the store remembers, and
/// its `iat` must not be ahead of this server's clock by more than the
/// leeway and the second a cut-off is rounded up by (an `iat` stamped far
/// ahead would pass every cut-off set before it). On success, the earliest second the token may have been issued at
/// (`iat` rounded down, less the leeway; see `TokenId::issued_from`).
fn check_revocable(
    issuer: &IssuerConfig,
    store: &dyn RevocationStore,
    claims: &Claims<'_>,
    window: &Window,
    now: u64,
) -> Result<u64, TokenError> {
    if claims.jti.as_deref().is_none_or(str::is_empty) {
        return Err(TokenError::new(
            "the token has no `jti` claim, which this server needs to check revocation",
        ));
    }
    if claims.sub.as_deref().is_none_or(str::is_empty) {
        return Err(TokenError::new(
            "the token has no `sub` claim, which this server needs to check revocation",
        ));
    }
    let iat = match claims.iat {
        None => {
            return Err(TokenError::new(
                "the token has no `iat` claim, which this server needs to check revocation",
            ));
        }
        Some(NumericDate::Seconds(iat)) if iat.is_finite() && iat >= 0.0 => iat,
        Some(_) => return Err(TokenError::new("the token's `iat` is not a number of seconds")),
    };
    if iat > now as f64 + window.leeway + 1.0 {
        return Err(TokenError::new("the token's `iat` is in the future"));
    }
    if window.exp - iat > store.max_token_lifetime().as_secs_f64() {
        return Err(TokenError::new(
            "the token lives longer (`exp` - `iat`) than this server can revoke",
        ));
    }
    // `iat` is a whole number of seconds from any usual issuer; a fraction
    // is dropped, which only refuses more.
    Ok((iat.floor() as u64).saturating_sub(issuer.leeway))
}

/// Refuses a revoked token; one whose identity cannot be read (which
/// verification prevents) is refused too.
fn check_not_revoked(store: &dyn RevocationStore, principal: &Principal) -> Result<(), TokenError> {
    // First, on every request: a store out of touch with its source may
    // miss a revocation, whatever it found before.
    if let Err(unavailable) = store.availability() {
        return Err(TokenError::unavailable(
            "revocations cannot be checked now; try again later",
            unavailable.retry_after,
        ));
    }
    // Read before the lookup: a revocation after it changes the generation,
    // and the next request looks again.
    let generation = store.generation();
    if generation.is_some_and(|generation| principal.unrevoked_at(generation)) {
        // Found unrevoked at this generation, and nothing revoked since.
        return Ok(());
    }
    match principal.revocation_id() {
        Some(token) if !store.is_revoked(token) => {
            if let Some(generation) = generation {
                principal.set_unrevoked_at(generation);
            }
            Ok(())
        }
        Some(_) => Err(TokenError::new("the token has been revoked")),
        None => Err(TokenError::new("the token cannot be checked for revocation")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Authenticator;
    use crate::window::now;
    use jsonwebtoken::{Algorithm, EncodingKey, Header as JwtHeader, encode};
    use rbac_core::RoleModel;
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

    fn authenticator(secret: &[u8]) -> Authenticator<Model> {
        Authenticator::<Model>::builder()
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
        let future = authenticator.inner.verify_fresh("not a token");
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

    #[test]
    fn issuer_and_token_id_are_read_without_revocation() {
        let inner = &authenticator(&secret(6)).inner;
        let claims = json!({ "exp": now() + 600, "iss": "https://a.test", "jti": "j\\1" });
        let first = inner.verify_shared(&token(&secret(6), &claims), now()).ok().expect("valid");
        assert_eq!((first.issuer(), first.token_id()), (Some("https://a.test"), Some("j\\1")));
        assert_eq!(first.expires_at(), claims["exp"].as_u64().expect("exp"));
        drop(first);
        // The next principal reuses the allocation, not the identity.
        let claims = json!({ "exp": now() + 600, "sub": "u-2" });
        let second = inner.verify_shared(&token(&secret(6), &claims), now()).ok().expect("valid");
        assert_eq!((second.issuer(), second.token_id()), (None, None));
        assert_eq!(second.subject(), Some("u-2"));
    }

    fn cached(secret: &[u8], leeway: u64) -> Authenticator<Model> {
        Authenticator::<Model>::builder()
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
    fn a_cached_token_is_refused_once_revoked() {
        use crate::revocation::InMemoryRevocations;
        let key = secret(8);
        let store = Arc::new(InMemoryRevocations::new(std::time::Duration::from_secs(3600)));
        let authenticator = Authenticator::<Model>::builder()
            .issuer("https://issuer.test")
            .hmac(Algorithm::HS256, key)
            .cache_verified_tokens(64)
            .revocation(store.clone())
            .build()
            .expect("a valid configuration");
        let inner = &authenticator.inner;
        let t = now();
        let claims = json!({ "iss": "https://issuer.test", "exp": t + 600, "iat": t, "sub": "u-1", "jti": "j-1" });
        let token = token(&key, &claims);
        let first = inner.verify_shared(&token, t).ok().expect("valid");
        assert_eq!((first.issuer(), first.token_id()), (Some("https://issuer.test"), Some("j-1")));
        let again = inner.verify_shared(&token, t).ok().expect("still valid");
        assert!(Arc::ptr_eq(&first, &again), "served from the cache");
        store.revoke_token("https://issuer.test", "j-1", t + 600);
        let refused = inner.verify_shared(&token, t).err().map(|f| f.into_error());
        assert_eq!(refused.map(|e| e.message().to_owned()).as_deref(), Some(REVOKED));
        assert_eq!(inner.cache.as_ref().map(|c| c.len()), Some(1), "still cached, still refused");
    }

    const REVOKED: &str = "the token has been revoked";

    /// A store that counts its lookups, its generation set by the test.
    struct Counting {
        lookups: std::sync::atomic::AtomicUsize,
        generation: std::sync::atomic::AtomicU64,
    }

    impl RevocationStore for Counting {
        fn is_revoked(&self, _: crate::revocation::TokenId<'_>) -> bool {
            self.lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            false
        }

        fn max_token_lifetime(&self) -> std::time::Duration {
            std::time::Duration::from_secs(3600)
        }

        fn generation(&self) -> Option<u64> {
            Some(self.generation.load(std::sync::atomic::Ordering::SeqCst))
        }
    }

    /// A caching authenticator whose store counts its lookups, starting at
    /// `generation`; a valid revocable token for it, and the time it was
    /// made at.
    fn counting(
        key: [u8; 32],
        generation: u64,
    ) -> (Arc<Counting>, Authenticator<Model>, String, u64) {
        let store = Arc::new(Counting { lookups: 0.into(), generation: generation.into() });
        let authenticator = Authenticator::<Model>::builder()
            .issuer("https://issuer.test")
            .hmac(Algorithm::HS256, key)
            .cache_verified_tokens(8)
            .revocation(store.clone())
            .build()
            .expect("a valid configuration");
        let t = now();
        let claims = json!({ "iss": "https://issuer.test", "exp": t + 600, "iat": t, "sub": "u", "jti": "j" });
        (store, authenticator, token(&key, &claims), t)
    }

    #[test]
    fn a_cached_token_is_looked_up_again_only_when_the_generation_changes() {
        use std::sync::atomic::Ordering::SeqCst;
        let (store, authenticator, token, t) = counting(secret(7), 5);
        for _ in 0..3 {
            assert!(authenticator.inner.verify_shared(&token, t).is_ok());
        }
        assert_eq!(store.lookups.load(SeqCst), 1, "found unrevoked at generation 5, once");
        store.generation.store(6, SeqCst);
        for _ in 0..3 {
            assert!(authenticator.inner.verify_shared(&token, t).is_ok());
        }
        assert_eq!(store.lookups.load(SeqCst), 2, "looked up again at generation 6, once");
    }

    #[test]
    fn no_generation_is_taken_for_never_checked() {
        use std::sync::atomic::Ordering::SeqCst;
        for generation in [0, u64::MAX - 1, u64::MAX] {
            let (store, authenticator, token, t) = counting(secret(10), generation);
            for _ in 0..3 {
                assert!(authenticator.inner.verify_shared(&token, t).is_ok());
            }
            // A generation that cannot be remembered is looked up each time.
            let expected = if generation == u64::MAX { 3 } else { 1 };
            assert_eq!(store.lookups.load(SeqCst), expected, "generation {generation}");
        }
    }

    #[tokio::test]
    async fn every_way_to_verify_checks_revocation() {
        use crate::revocation::InMemoryRevocations;
        let key = secret(9);
        let store = Arc::new(InMemoryRevocations::new(std::time::Duration::from_secs(3600)));
        let builder = || {
            let builder = Authenticator::<Model>::builder().issuer("https://issuer.test");
            builder.hmac(Algorithm::HS256, key)
        };
        let plain = builder().revocation(store.clone()).build().expect("valid");
        let cached = builder().revocation(store.clone()).cache_verified_tokens(8).build();
        let cached = cached.expect("valid");
        let t = now();
        let claims = json!({ "iss": "https://issuer.test", "exp": t + 600, "iat": t, "sub": "u", "jti": "j" });
        let token = token(&key, &claims);
        for authenticator in [&plain, &cached] {
            assert!(authenticator.verify(&token).is_ok());
            assert!(authenticator.verify_fresh(&token).await.is_ok());
        }
        store.revoke_token("https://issuer.test", "j", t + 600);
        for authenticator in [&plain, &cached] {
            let refused = authenticator.verify(&token).err();
            assert_eq!(refused.as_ref().map(TokenError::message), Some(REVOKED));
            let refused = authenticator.verify_fresh(&token).await.err();
            assert_eq!(refused.as_ref().map(TokenError::message), Some(REVOKED));
        }
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
