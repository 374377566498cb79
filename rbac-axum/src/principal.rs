//! Who made the request and what they may do: [`Principal`].

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rbac_core::{Granted, RoleModel, Schema};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::revocation::TokenId;
use crate::scopes::token_scopes;

/// A verified token's subject, rights and claims.
///
/// Verification reads only what the checks and the decision need; the
/// full claims (and the list of every scope) are built from the verified
/// payload the first time they are asked for.
#[derive(Clone)]
pub struct Principal {
    /// `sub`, `iss`, `jti`, and what a revocation check reads.
    identity: Identity,
    granted: Granted,
    /// The verified payload: a JSON object that `serde_json::Value` reads.
    payload: String,
    /// Scopes read from extra claim paths of the issuer's mapping.
    extra_scopes: Vec<String>,
    /// Whether the scopes are limited to the roles' (then `granted` holds
    /// the limited ones, and `scopes` lists only those).
    scopes_limited: bool,
    claims: OnceLock<Map<String, Value>>,
    scopes: OnceLock<Vec<String>>,
    /// The revocation store's generation this token was last found
    /// unrevoked at, if any.
    revocation_checked: CheckedAt,
    schema: &'static Schema,
}

/// Who a token is of, and which token it is: what logs, a logout and a
/// revocation check read.
#[derive(Clone, Default)]
pub(crate) struct Identity {
    /// `sub`.
    pub(crate) sub: ClaimText,
    /// `iss`.
    pub(crate) iss: ClaimText,
    /// `jti`.
    pub(crate) jti: ClaimText,
    /// `exp`, in whole seconds rounded up.
    pub(crate) exp: u64,
    /// `iat` in whole seconds less the issuer's leeway (see
    /// [`TokenId::issued_from`]), with revocation on; `None` otherwise.
    pub(crate) issued_from: Option<u64>,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("subject", &self.subject())
            .field("granted", &self.granted)
            .field("scopes", &self.scopes())
            .field("claims", self.claims())
            .field("schema", &self.schema)
            .finish()
    }
}

impl Principal {
    /// `payload` must be the verified payload the claims were read from.
    pub(crate) fn new(
        identity: Identity,
        granted: Granted,
        payload: String,
        extra_scopes: Vec<String>,
        scopes_limited: bool,
        schema: &'static Schema,
    ) -> Self {
        Self {
            identity,
            granted,
            payload,
            extra_scopes,
            scopes_limited,
            claims: OnceLock::new(),
            scopes: OnceLock::new(),
            revocation_checked: CheckedAt(AtomicU64::new(CheckedAt::NEVER)),
            schema,
        }
    }

    /// Whether this token was found unrevoked at the store's `generation`.
    pub(crate) fn unrevoked_at(&self, generation: u64) -> bool {
        self.revocation_checked.is(generation)
    }

    /// Remembers that the token was found unrevoked at `generation`.
    pub(crate) fn set_unrevoked_at(&self, generation: u64) {
        self.revocation_checked.set(generation);
    }

    /// Takes the payload's buffer for reuse, emptied; the principal must
    /// not be used again before it is overwritten.
    pub(crate) fn take_payload(&mut self) -> Vec<u8> {
        let mut buffer = std::mem::take(&mut self.payload).into_bytes();
        buffer.clear();
        buffer
    }

    /// The `sub` claim, if the token has one.
    pub fn subject(&self) -> Option<&str> {
        self.text(&self.identity.sub)
    }

    /// The `iss` claim, if the token has one.
    pub fn issuer(&self) -> Option<&str> {
        self.text(&self.identity.iss)
    }

    /// The `jti` claim (the token's id), if the token has one: with
    /// [`issuer`](Self::issuer), what
    /// [`InMemoryRevocations::revoke_token`](crate::InMemoryRevocations::revoke_token)
    /// takes to revoke this token (a logout).
    pub fn token_id(&self) -> Option<&str> {
        self.text(&self.identity.jti)
    }

    /// The `exp` claim in whole seconds since the epoch, rounded up (every
    /// accepted token has one): what
    /// [`InMemoryRevocations::revoke_token`](crate::InMemoryRevocations::revoke_token)
    /// keeps a revoked token until.
    pub fn expires_at(&self) -> u64 {
        self.identity.exp
    }

    /// The token's identity for a revocation check: `None` when it lacks
    /// `iss`, `jti`, `sub` or `iat` (and it is refused). Reads the verified
    /// payload in place: no parsing, no allocation.
    pub(crate) fn revocation_id(&self) -> Option<TokenId<'_>> {
        let Identity { iss, jti, issued_from, .. } = &self.identity;
        let iss = self.text(iss)?;
        Some(TokenId::new(iss, self.text(jti)?, self.subject()?, (*issued_from)?))
    }

    fn text<'p>(&'p self, text: &'p ClaimText) -> Option<&'p str> {
        match text {
            ClaimText::None => None,
            ClaimText::InPayload(range) => self.payload.get(range.clone()),
            ClaimText::Owned(text) => Some(text),
        }
    }

    /// The declared rights held (roles closed under inheritance).
    pub fn granted(&self) -> &Granted {
        &self.granted
    }

    /// Whether the principal has `role`, directly or by inheritance.
    pub fn has_role<R: RoleModel>(&self, role: R) -> bool {
        self.is_model::<R>() && self.granted.roles().contains(role.index())
    }

    /// Every role held, inheritance applied, in declaration order.
    pub fn roles<R: RoleModel>(&self) -> Vec<R> {
        if !self.is_model::<R>() {
            return Vec::new();
        }
        self.granted.roles().iter().filter_map(R::from_index).collect()
    }

    /// Names of the roles held, inheritance applied.
    pub fn role_names(&self) -> Vec<&'static str> {
        self.schema.role_names(self.granted.roles()).collect()
    }

    /// Every scope the token carries, declared or not; with
    /// [`limit_scopes_to_roles`](crate::Issuer::limit_scopes_to_roles),
    /// only those its roles may be granted (all declared).
    pub fn scopes(&self) -> &[String] {
        self.scopes.get_or_init(|| {
            let held = |name: &str| {
                !self.scopes_limited
                    || self
                        .schema
                        .scope_index(name)
                        .is_some_and(|index| self.granted.scopes().contains(index))
            };
            let mut scopes: Vec<String> =
                token_scopes(self.claims()).filter(|name| held(name)).map(str::to_owned).collect();
            for extra in self.extra_scopes.iter().filter(|name| held(name)) {
                if !scopes.contains(extra) {
                    scopes.push(extra.clone());
                }
            }
            scopes
        })
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().iter().any(|s| s == scope)
    }

    /// All claims of the token.
    pub fn claims(&self) -> &Map<String, Value> {
        // Verification has read the same bytes with the same parser and the
        // same acceptance (see `claims::read_claims`): this cannot fail, and
        // would give an empty map rather than panic if it did.
        self.claims.get_or_init(|| serde_json::from_str(&self.payload).unwrap_or_default())
    }

    /// The claims as your own type, for fields of your identity provider
    /// (tenant, email): read from the verified payload, without verifying or
    /// decoding the token again. See also the [`TokenClaims`](crate::TokenClaims) extractor.
    ///
    /// ```
    /// # use rbac_axum::{Authenticator, jsonwebtoken::{self, Algorithm, EncodingKey, Header}};
    /// # rbac_axum::roles! { viewer }
    /// #[derive(serde::Deserialize)]
    /// struct MyClaims { tenant: String }
    ///
    /// # let secret = [9u8; 32];
    /// # let authenticator = Authenticator::<Role>::builder().hmac(Algorithm::HS256, secret).build()?;
    /// # let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 60;
    /// # let token = jsonwebtoken::encode(&Header::default(), &serde_json::json!({"exp": exp, "tenant": "acme"}), &EncodingKey::from_secret(&secret)).unwrap();
    /// let principal = authenticator.verify(&token).expect("valid token");
    /// let mine: MyClaims = principal.claims_as()?;
    /// assert_eq!(mine.tenant, "acme");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    fn is_model<R: RoleModel>(&self) -> bool {
        // Compare schemas by identity of their declarations' contents.
        std::ptr::eq(self.schema, R::SCHEMA) || self.schema.roles() == R::SCHEMA.roles()
    }
}

/// A string claim of a [`Principal`] (`sub`, `iss`, `jti`): where it is in
/// the payload when it was read without unescaping (no copy), or a copy.
#[derive(Clone, Default)]
pub(crate) enum ClaimText {
    #[default]
    None,
    InPayload(std::ops::Range<usize>),
    Owned(String),
}

impl ClaimText {
    /// The claim as read from `payload` (borrowed from it when unescaped).
    pub(crate) fn of(sub: Option<std::borrow::Cow<'_, str>>, payload: &str) -> Self {
        use std::borrow::Cow;
        match sub {
            None => ClaimText::None,
            Some(Cow::Borrowed(sub)) => {
                let start = (sub.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
                let range = start..start.wrapping_add(sub.len());
                // The same text at that place of the payload: always, when
                // `sub` was borrowed from it.
                if payload.get(range.clone()) == Some(sub) {
                    ClaimText::InPayload(range)
                } else {
                    ClaimText::Owned(sub.to_owned())
                }
            }
            Some(Cow::Owned(sub)) => ClaimText::Owned(sub),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimText;
    use std::borrow::Cow;

    fn text(subject: &ClaimText, payload: &str) -> Option<String> {
        match subject {
            ClaimText::None => None,
            ClaimText::InPayload(range) => payload.get(range.clone()).map(str::to_owned),
            ClaimText::Owned(s) => Some(s.clone()),
        }
    }

    #[test]
    fn a_subject_borrowed_from_the_payload_is_not_copied() {
        let payload = r#"{"sub":"user-1","x":"u\"2"}"#.to_owned();
        let sub = &payload[8..14];
        let subject = ClaimText::of(Some(Cow::Borrowed(sub)), &payload);
        assert!(matches!(subject, ClaimText::InPayload(_)));
        assert_eq!(text(&subject, &payload).as_deref(), Some("user-1"));
        // Unescaped (owned), or borrowed from elsewhere: copied.
        let owned = ClaimText::of(Some(Cow::Owned("u\"2".to_owned())), &payload);
        assert_eq!(text(&owned, &payload).as_deref(), Some("u\"2"));
        let elsewhere = String::from("other");
        let foreign = ClaimText::of(Some(Cow::Borrowed(&elsewhere)), &payload);
        assert!(matches!(foreign, ClaimText::Owned(_)));
        assert_eq!(text(&foreign, &payload).as_deref(), Some("other"));
        assert!(matches!(ClaimText::of(None, &payload), ClaimText::None));
    }
}

/// A revocation store generation, kept on a shared principal; a clone
/// starts from the same one (it is the same token). Held as the generation
/// plus one, so that no generation a store may give (`u64::MAX` included)
/// is taken for "never checked" (zero): a generation that cannot be held
/// is never remembered, and the token is looked up each time.
#[derive(Debug)]
struct CheckedAt(AtomicU64);

impl CheckedAt {
    const NEVER: u64 = 0;

    fn is(&self, generation: u64) -> bool {
        let held = self.0.load(Ordering::Relaxed);
        held != Self::NEVER && generation.checked_add(1) == Some(held)
    }

    fn set(&self, generation: u64) {
        self.0.store(generation.checked_add(1).unwrap_or(Self::NEVER), Ordering::Relaxed);
    }
}

impl Clone for CheckedAt {
    fn clone(&self) -> Self {
        Self(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}
