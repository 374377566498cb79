//! [`TestToken`]: a token for a [`TestAuth`](crate::TestAuth), by roles and scopes, and the
//! usual ways a token goes wrong, without knowing JOSE.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use rbac_axum::RoleModel;
use serde_json::{Map, Value, json};

use crate::issuer::TestIssuer;
use crate::key::SigningKey;
use crate::scope::Scope;

/// A token being written for a [`TestAuth`](crate::TestAuth); [`sign`](Self::sign) it.
///
/// By default it passes the issuer's checks: its `iss` and first audience,
/// subject `test-user`, issued now, valid for five minutes, a fresh `jti`,
/// `typ` `at+jwt` where required, signed with the key the authenticator
/// trusts. Roles go where the issuer's claim mapping reads them first
/// (`roles`, `realm_access.roles`, …), scopes into `scope`.
///
/// The methods below the roles and scopes make the token wrong in one way
/// each, for tests of what a client that sends it gets:
///
/// ```
/// # use rbac_axum::Authenticator;
/// # use rbac_axum_test::TestAuth;
/// # rbac_axum::roles! { admin, viewer }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let production = Authenticator::<Role>::builder()
///     .issuer("https://sso.example.com")
///     .audience("api")
///     .jwks_url("https://sso.example.com/keys");
/// let auth = TestAuth::new(production)?;
/// let authenticator = auth.authenticator();
/// for token in [
///     auth.token().role(Role::Admin).expired().sign(),
///     auth.token().role(Role::Admin).not_yet_valid().sign(),
///     auth.token().role(Role::Admin).audience("another-api").sign(),
///     auth.token().role(Role::Admin).issuer("https://evil.example").sign(),
///     auth.token().role(Role::Admin).unknown_key().sign(),
///     auth.token().role(Role::Admin).tampered().sign(),
///     auth.token().role(Role::Admin).alg_none().sign(),
/// ] {
///     assert!(authenticator.verify(&token).is_err());
/// }
/// # Ok(()) }
/// ```
///
/// A token can be cloned, to spoil copies of one in different ways
/// (`base.clone().expired()`).
///
/// Roles go to the first path the mapping reads only: roles a custom
/// [`map_roles`](rbac_axum::ClaimMapping::map_roles) mapper reads elsewhere,
/// or roles of an extra path, are written with [`claim`](Self::claim).
#[must_use = "a token does nothing until signed"]
#[derive(Clone)]
pub struct TestToken<'a, R: RoleModel> {
    issuer: &'a TestIssuer,
    roles: Vec<R>,
    scopes: Vec<&'static str>,
    claims: Map<String, Value>,
    signature: Signature,
}

/// How the token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Trusted,
    UnknownKey,
    Tampered,
    None,
}

impl<R: RoleModel> std::fmt::Debug for TestToken<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestToken")
            .field("roles", &self.roles)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// A random-enough token id: unique in the process and across runs.
fn token_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system's random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How far outside the validity window the bad-time tokens are: well past
/// any leeway.
const OUTSIDE: u64 = 120;

impl<'a, R: RoleModel> TestToken<'a, R> {
    pub(crate) fn new(issuer: &'a TestIssuer) -> Self {
        let now = now();
        let mut claims = Map::new();
        if let Some(iss) = &issuer.iss {
            claims.insert("iss".into(), json!(iss));
        }
        if let Some(audience) = &issuer.audience {
            claims.insert("aud".into(), json!(audience));
        }
        claims.insert("sub".into(), json!("test-user"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        claims.insert("jti".into(), json!(token_id()));
        Self {
            issuer,
            roles: Vec::new(),
            scopes: Vec::new(),
            claims,
            signature: Signature::Trusted,
        }
    }

    /// Adds a role (inherited ones need not be listed: the authenticator
    /// adds them, as for any token).
    pub fn role(mut self, role: R) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds several roles.
    pub fn roles(mut self, roles: impl IntoIterator<Item = R>) -> Self {
        self.roles.extend(roles);
        self
    }

    /// Adds a scope, made with [`scope!`](crate::scope).
    pub fn scope(mut self, scope: Scope<R>) -> Self {
        self.scopes.push(scope.name());
        self
    }

    /// Sets `sub`.
    pub fn subject(self, subject: &str) -> Self {
        self.claim("sub", json!(subject))
    }

    /// Sets any claim, replacing what is there (`roles` and `scope` are
    /// written last, from [`role`](Self::role) and [`scope`](Self::scope),
    /// when any was added).
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim (`sub`, `aud`, `jti`…), for a token without it.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Valid from now for `lifetime` (default five minutes).
    pub fn valid_for(self, lifetime: Duration) -> Self {
        let now = now();
        self.claim("iat", json!(now)).claim("exp", json!(now.saturating_add(lifetime.as_secs())))
    }

    /// Expired two minutes past the issuer's leeway.
    pub fn expired(self) -> Self {
        let exp = now().saturating_sub(self.issuer.leeway.saturating_add(OUTSIDE));
        self.claim("iat", json!(exp.saturating_sub(300))).claim("exp", json!(exp))
    }

    /// Not valid before two minutes past the issuer's leeway from now.
    pub fn not_yet_valid(self) -> Self {
        let nbf = now().saturating_add(self.issuer.leeway).saturating_add(OUTSIDE);
        self.claim("nbf", json!(nbf)).claim("exp", json!(nbf.saturating_add(300)))
    }

    /// For another audience than the authenticator's: refused only where
    /// production checks `aud` (an issuer with an `audience`).
    pub fn audience(self, audience: &str) -> Self {
        self.claim("aud", json!(audience))
    }

    /// From another issuer than the authenticator's: refused only where
    /// production checks `iss` (an issuer with a name).
    pub fn issuer(self, iss: &str) -> Self {
        self.claim("iss", json!(iss))
    }

    /// Signed with a key made for this token alone, under a `kid` no
    /// issuer publishes. An authenticator with fetched keys refetches them
    /// for an unknown `kid` (at most once per `min_refetch`), so such a
    /// token counts in a [`LocalProvider`](crate::LocalProvider)'s
    /// fetches.
    ///
    /// This, [`tampered`](Self::tampered) and [`alg_none`](Self::alg_none)
    /// choose how the token is signed: the last one called wins.
    pub fn unknown_key(mut self) -> Self {
        self.signature = Signature::UnknownKey;
        self
    }

    /// Signed with the trusted key, then a bit of the signature flipped.
    pub fn tampered(mut self) -> Self {
        self.signature = Signature::Tampered;
        self
    }

    /// Unsigned: header `"alg": "none"` and an empty signature.
    pub fn alg_none(mut self) -> Self {
        self.signature = Signature::None;
        self
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> Map<String, Value> {
        let mut claims = self.claims.clone();
        let schema = R::SCHEMA;
        if !self.roles.is_empty() {
            let names: Vec<&str> =
                self.roles.iter().map(|role| schema.roles()[role.index()]).collect();
            insert_at(&mut claims, self.issuer.roles_at.keys(), json!(names));
        }
        if !self.scopes.is_empty() {
            claims.insert("scope".into(), json!(self.scopes.join(" ")));
        }
        claims
    }

    /// The compact JWT.
    pub fn sign(self) -> String {
        let claims = self.claims();
        let typ = if self.issuer.at_jwt_typ { "at+jwt" } else { "JWT" };
        if self.signature == Signature::None {
            let header = json!({ "alg": "none", "typ": typ });
            return format!("{}.{}.", encode_json(&header), encode_json(&Value::Object(claims)));
        }
        let key = match self.signature {
            // A key made for this token alone: its `kid` is new too.
            Signature::UnknownKey => SigningKey::generate(),
            _ => self.issuer.keys.current(),
        };
        let mut header = Header::new(SigningKey::ALGORITHM);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid().to_owned());
        crate::install_crypto_provider();
        let token = jsonwebtoken::encode(&header, &claims, key.encoding())
            .expect("jsonwebtoken signs with a generated ES256 key");
        if self.signature == Signature::Tampered { flip_signature_bit(&token) } else { token }
    }

    /// `Bearer <token>`, the `Authorization` header's value.
    pub fn bearer(self) -> String {
        format!("Bearer {}", self.sign())
    }
}

/// Puts `value` at `path` (outermost key first), making the objects on the
/// way.
fn insert_at(claims: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut object = claims;
    for key in parents {
        let entry = object.entry(key.clone()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        object = entry.as_object_mut().expect("made an object just above");
    }
    object.insert(last.clone(), value);
}

fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The token with the first bit of its signature flipped.
fn flip_signature_bit(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWS has three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("jsonwebtoken writes base64url");
    bytes[0] ^= 0x80;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}
