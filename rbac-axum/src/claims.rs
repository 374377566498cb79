//! Reading roles and scopes out of a token's claims. Only exact, declared
//! names count; a claim of the wrong JSON type grants nothing.
//!
//! Verification reads the payload once with [`read_claims`]: a streaming
//! pass that keeps only what the checks and the decision need (borrowed
//! strings, numbers, bitsets) and builds no JSON tree. It gives the same
//! answers as looking the claims up in a `serde_json` map (the reference
//! below, [`ClaimMapping::granted`] and [`token_scopes`]): the last of
//! duplicate keys wins, values of the wrong type count as absent, and it
//! accepts exactly the documents `serde_json::Value` accepts (every value is
//! parsed, none skipped unread), so the map [`Principal::claims`] builds
//! later from the same bytes cannot fail.
//!
//! [`Principal::claims`]: crate::Principal::claims

use std::borrow::Cow;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use rbac_core::{Granted, RoleSet, Schema, ScopeSet};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::token_error::TokenError;

/// Where a claim lives in the token's JSON payload: a sequence of object
/// keys, each taken literally (a key may itself contain dots or slashes,
/// such as `https://example.com/roles`).
///
/// ```
/// use rbac_axum::ClaimPath;
///
/// let top = ClaimPath::from("https://example.com/roles"); // one key
/// let nested = ClaimPath::nested(["realm_access", "roles"]); // two keys
/// # let _ = (top, nested);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath(Vec<String>);

impl ClaimPath {
    /// A path of several keys, outermost first.
    pub fn nested<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(keys.into_iter().map(Into::into).collect())
    }

    /// The value at this path, if every step is an object holding the key.
    pub fn lookup<'v>(&self, claims: &'v Map<String, Value>) -> Option<&'v Value> {
        let (first, rest) = self.0.split_first()?;
        let mut value = claims.get(first)?;
        for key in rest {
            value = value.as_object()?.get(key)?;
        }
        Some(value)
    }
}

impl From<&str> for ClaimPath {
    fn from(key: &str) -> Self {
        Self(vec![key.to_owned()])
    }
}

impl From<String> for ClaimPath {
    fn from(key: String) -> Self {
        Self(vec![key])
    }
}

/// A user-provided function giving extra role names from a token's claims,
/// for claim layouts no [`ClaimPath`] describes. An error or a panic in it
/// refuses the request (500) and is logged.
pub type RoleMapper =
    Arc<dyn Fn(&Map<String, Value>) -> Result<Vec<String>, String> + Send + Sync + 'static>;

/// How roles and scopes are read from claims: presets for common identity
/// providers, or your own paths.
///
/// | preset | roles from | scopes from |
/// |---|---|---|
/// | [`default`](Self::default) | `roles` (array) | `scope` (string), `scp` (string or array) |
/// | [`keycloak`](Self::keycloak) | `realm_access.roles` and `resource_access.<client>.roles` | `scope` |
/// | [`auth0`](Self::auth0) | a namespaced claim such as `https://example.com/roles` | `scope`, and `permissions` (array) |
/// | [`okta`](Self::okta) | `groups` | `scp` (array) |
/// | [`entra_id`](Self::entra_id) | `roles` (app roles) | `scp` (string) |
///
/// Only arrays of strings name roles; only the exact, declared names count.
/// Roles under another client's `resource_access` entry grant nothing.
///
/// ```
/// use rbac_axum::{ClaimMapping, ClaimPath};
///
/// let keycloak = ClaimMapping::keycloak("orders-api");
/// let custom = ClaimMapping::default()
///     .roles_at(ClaimPath::nested(["app", "roles"]))
///     .also_roles_at("https://example.com/roles")
///     .also_scopes_at("permissions");
/// # let _ = (keycloak, custom);
/// ```
#[derive(Clone)]
pub struct ClaimMapping {
    pub(crate) roles: ClaimPath,
    more_roles: Vec<ClaimPath>,
    more_scopes: Vec<ClaimPath>,
    mapper: Option<RoleMapper>,
}

impl fmt::Debug for ClaimMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimMapping")
            .field("roles", &self.roles)
            .field("more_roles", &self.more_roles)
            .field("more_scopes", &self.more_scopes)
            .field("mapper", &self.mapper.is_some())
            .finish()
    }
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            roles: ClaimPath::from("roles"),
            more_roles: Vec::new(),
            more_scopes: Vec::new(),
            mapper: None,
        }
    }
}

impl ClaimMapping {
    /// Keycloak: realm roles (`realm_access.roles`) and this client's roles
    /// (`resource_access.<client_id>.roles`); other clients' roles are
    /// ignored.
    pub fn keycloak(client_id: &str) -> Self {
        Self::default()
            .roles_at(ClaimPath::nested(["realm_access", "roles"]))
            .also_roles_at(ClaimPath::nested(["resource_access", client_id, "roles"]))
    }

    /// Auth0: roles from the namespaced claim an Action adds (for example
    /// `https://example.com/roles`), and RBAC permissions (`permissions`)
    /// as scopes beside `scope`.
    pub fn auth0(roles_claim: &str) -> Self {
        Self::default().roles_at(roles_claim).also_scopes_at("permissions")
    }

    /// Okta: groups (`groups`) as roles; `scp` is an array of scopes.
    pub fn okta() -> Self {
        Self::default().roles_at("groups")
    }

    /// Microsoft Entra ID: app roles (`roles`); `scp` is a space-delimited
    /// string of delegated scopes.
    pub fn entra_id() -> Self {
        Self::default()
    }

    /// Reads roles from `path` instead of `roles`.
    #[must_use]
    pub fn roles_at(mut self, path: impl Into<ClaimPath>) -> Self {
        self.roles = path.into();
        self
    }

    /// Also reads roles from `path` (an array of strings).
    #[must_use]
    pub fn also_roles_at(mut self, path: impl Into<ClaimPath>) -> Self {
        self.more_roles.push(path.into());
        self
    }

    /// Also reads scopes from `path` (a space-delimited string, or an
    /// array of strings).
    #[must_use]
    pub fn also_scopes_at(mut self, path: impl Into<ClaimPath>) -> Self {
        self.more_scopes.push(path.into());
        self
    }

    /// Also takes the role names `mapper` returns for a token's claims.
    #[must_use]
    pub fn map_roles(
        mut self,
        mapper: impl Fn(&Map<String, Value>) -> Result<Vec<String>, String> + Send + Sync + 'static,
    ) -> Self {
        self.mapper = Some(Arc::new(mapper));
        self
    }

    /// Whether more than the one pass of [`read_claims`] is needed.
    pub(crate) fn needs_full_claims(&self) -> bool {
        !self.more_roles.is_empty() || !self.more_scopes.is_empty() || self.mapper.is_some()
    }

    /// Roles and scopes from the extra paths and the mapper, reading the
    /// verified payload in full.
    pub(crate) fn extra(&self, schema: &Schema, payload: &str) -> Result<Extra, TokenError> {
        let Ok(claims) = serde_json::from_str::<Map<String, Value>>(payload) else {
            return Err(TokenError::new("the token payload is not a JSON object"));
        };
        let role_index = |name: &str| schema.role_index(name);
        let mut roles = self
            .more_roles
            .iter()
            .filter_map(|path| path.lookup(&claims))
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(role_index)
            .fold(RoleSet::EMPTY, RoleSet::with);
        if let Some(mapper) = &self.mapper {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| mapper(&claims)));
            match outcome {
                Ok(Ok(names)) => {
                    roles =
                        names.iter().filter_map(|name| role_index(name)).fold(roles, RoleSet::with);
                }
                Ok(Err(reason)) => {
                    tracing::error!(%reason, "the claims mapper failed; refusing the request");
                    return Err(TokenError::server("the server could not map the token's claims"));
                }
                Err(_) => {
                    tracing::error!("the claims mapper panicked; refusing the request");
                    return Err(TokenError::server("the server could not map the token's claims"));
                }
            }
        }
        let mut raw_scopes: Vec<String> = Vec::new();
        for value in self.more_scopes.iter().filter_map(|path| path.lookup(&claims)) {
            match value {
                Value::String(text) => raw_scopes.extend(split_scopes(text).map(str::to_owned)),
                Value::Array(items) => raw_scopes.extend(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(str::to_owned),
                ),
                _ => {}
            }
        }
        let scopes = raw_scopes
            .iter()
            .filter_map(|name| schema.scope_index(name))
            .fold(ScopeSet::EMPTY, ScopeSet::with);
        Ok(Extra { roles, scopes, raw_scopes })
    }
}

/// What [`ClaimMapping::extra`] found.
pub(crate) struct Extra {
    pub(crate) roles: RoleSet,
    pub(crate) scopes: ScopeSet,
    pub(crate) raw_scopes: Vec<String>,
}

impl ClaimMapping {
    /// The declared rights the claims carry, roles closed under inheritance.
    /// The reference for [`read_claims`], which verification uses.
    #[cfg(test)]
    pub(crate) fn granted(&self, schema: &Schema, claims: &Map<String, Value>) -> Granted {
        let roles = match self.roles.lookup(claims) {
            // Only an array of strings names roles; non-strings are skipped.
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|name| schema.role_index(name))
                .fold(RoleSet::EMPTY, RoleSet::with),
            _ => RoleSet::EMPTY,
        };
        let scopes = token_scopes(claims)
            .filter_map(|name| schema.scope_index(name))
            .fold(ScopeSet::EMPTY, ScopeSet::with);
        Granted::new(schema.close(roles), scopes)
    }
}

/// Every scope a token carries: `scope` as a space-delimited string
/// (RFC 8693 / RFC 9068), and `scp` as a string or an array of strings.
/// Empty names are never produced.
pub(crate) fn token_scopes(claims: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let from_scope = claims.get("scope").and_then(Value::as_str).into_iter().flat_map(split_scopes);
    let from_scp = claims.get("scp").into_iter().flat_map(|value| {
        let (text, items) = match value {
            Value::String(text) => (Some(text.as_str()), None),
            Value::Array(items) => (None, Some(items.iter().filter_map(Value::as_str))),
            _ => (None, None),
        };
        text.into_iter()
            .flat_map(split_scopes)
            .chain(items.into_iter().flatten().filter(|s| !s.trim().is_empty()))
    });
    from_scope.chain(from_scp)
}

/// The scope names of a space-delimited `scope`/`scp` string (RFC 6749
/// §3.3); parts that are only whitespace (a tab, a vertical tab) are no
/// names, as in a `scp` array.
fn split_scopes(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').filter(|part| !part.trim().is_empty())
}

/// A numeric date claim (`exp`, `nbf`) as found in the payload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumericDate {
    /// A JSON number, in seconds.
    Seconds(f64),
    /// Present, but not a number.
    NotANumber,
}

/// What verification needs from a payload; see [`read_claims`].
#[derive(Debug, Default)]
pub(crate) struct Claims<'a> {
    /// `exp`, if present.
    pub(crate) exp: Option<NumericDate>,
    /// `nbf`, if present.
    pub(crate) nbf: Option<NumericDate>,
    /// `iss`, if it is a string.
    pub(crate) iss: Option<Cow<'a, str>>,
    /// `sub`, if it is a string.
    pub(crate) sub: Option<Cow<'a, str>>,
    /// Whether `aud` (a string, or an array of which string elements count)
    /// names an accepted audience.
    pub(crate) aud_accepted: bool,
    /// Declared roles named at the roles path (not yet closed).
    pub(crate) roles: RoleSet,
    scope: ScopeSet,
    scp: ScopeSet,
}

impl Claims<'_> {
    /// The declared rights, roles closed under inheritance.
    pub(crate) fn granted(&self, schema: &Schema) -> Granted {
        Granted::new(schema.close(self.roles), self.scope.union(self.scp))
    }
}

/// Reads `payload`, a JSON object, in one pass; see the module notes.
pub(crate) fn read_claims<'a>(
    payload: &'a str,
    mapping: &ClaimMapping,
    schema: &'static Schema,
    audiences: &[String],
) -> Result<Claims<'a>, serde_json::Error> {
    let context = Context { schema, audiences };
    let mut deserializer = serde_json::Deserializer::from_str(payload);
    let claims =
        (&mut deserializer).deserialize_map(ClaimsVisitor { context, roles: &mapping.roles.0 })?;
    deserializer.end()?;
    Ok(claims)
}

#[derive(Clone, Copy)]
struct Context<'c> {
    schema: &'static Schema,
    audiences: &'c [String],
}

/// The registered claims verification reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registered {
    Exp,
    Nbf,
    Iss,
    Sub,
    Aud,
    Scope,
    Scp,
    Other,
}

impl Registered {
    fn of(key: &str) -> Self {
        match key {
            "exp" => Self::Exp,
            "nbf" => Self::Nbf,
            "iss" => Self::Iss,
            "sub" => Self::Sub,
            "aud" => Self::Aud,
            "scope" => Self::Scope,
            "scp" => Self::Scp,
            _ => Self::Other,
        }
    }
}

struct ClaimsVisitor<'c> {
    context: Context<'c>,
    roles: &'c [String],
}

impl<'de> Visitor<'de> for ClaimsVisitor<'_> {
    type Value = Claims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims<'de>, A::Error> {
        let mut claims = Claims::default();
        let (roles_key, roles_rest) = match self.roles.split_first() {
            Some((first, rest)) => (Some(first.as_str()), rest),
            None => (None, &[][..]),
        };
        while let Some(key) = map.next_key_seed(KeySeed { roles_key })? {
            let on_roles_path = key.roles.then_some(roles_rest);
            let seed = ValueSeed { context: self.context, claim: key.claim, roles: on_roles_path };
            let read = map.next_value_seed(seed)?;
            // Every occurrence replaces the last: duplicate keys read as a
            // map would (the last one wins).
            let date = || read.number.map_or(NumericDate::NotANumber, NumericDate::Seconds);
            match key.claim {
                Registered::Exp => claims.exp = Some(date()),
                Registered::Nbf => claims.nbf = Some(date()),
                Registered::Iss => claims.iss = read.text,
                Registered::Sub => claims.sub = read.text,
                Registered::Aud => claims.aud_accepted = read.aud_accepted,
                Registered::Scope => claims.scope = read.scopes,
                Registered::Scp => claims.scp = read.scopes,
                Registered::Other => {}
            }
            if key.roles {
                claims.roles = read.roles;
            }
        }
        Ok(claims)
    }
}

/// A key: which registered claim it names and whether it is the next step
/// of the roles path. Keys are never copied.
struct Key {
    claim: Registered,
    roles: bool,
}

struct KeySeed<'c> {
    roles_key: Option<&'c str>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claim name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(Key { claim: Registered::of(key), roles: self.roles_key == Some(key) })
    }
}

/// What one value gave for the readings its key asked for.
#[derive(Default)]
struct Read<'a> {
    text: Option<Cow<'a, str>>,
    number: Option<f64>,
    aud_accepted: bool,
    scopes: ScopeSet,
    roles: RoleSet,
}

/// Reads one value as `claim` and, when `roles` is `Some(rest)`, as the
/// roles path with `rest` still to follow (`Some(&[])`: this value is the
/// roles array).
#[derive(Clone, Copy)]
struct ValueSeed<'c> {
    context: Context<'c>,
    claim: Registered,
    roles: Option<&'c [String]>,
}

impl ValueSeed<'_> {
    fn wants_text(&self) -> bool {
        matches!(self.claim, Registered::Iss | Registered::Sub)
    }

    fn read_str<'a>(&self, text: &str, read: &mut Read<'a>) {
        let Context { schema, audiences } = self.context;
        match self.claim {
            Registered::Aud => read.aud_accepted = audiences.iter().any(|a| a == text),
            Registered::Scope | Registered::Scp => {
                read.scopes = split_scopes(text)
                    .filter_map(|name| schema.scope_index(name))
                    .fold(ScopeSet::EMPTY, ScopeSet::with);
            }
            _ => {}
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Read<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Read<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Read<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Read<'de>, E> {
        Ok(Read::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Read<'de>, E> {
        Ok(Read::default())
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n as f64), ..Read::default() })
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n as f64), ..Read::default() })
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n), ..Read::default() })
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Read<'de>, E> {
        let mut read = Read::default();
        if self.wants_text() {
            read.text = Some(Cow::Borrowed(text));
        }
        self.read_str(text, &mut read);
        Ok(read)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Read<'de>, E> {
        // A string with escapes: copied only when it is kept.
        let mut read = Read::default();
        if self.wants_text() {
            read.text = Some(Cow::Owned(text.to_owned()));
        }
        self.read_str(text, &mut read);
        Ok(read)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read<'de>, A::Error> {
        let mut read = Read::default();
        let is_roles = self.roles.is_some_and(<[String]>::is_empty);
        while seq
            .next_element_seed(ElementSeed { value: self, is_roles, read: &mut read })?
            .is_some()
        {}
        Ok(read)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read<'de>, A::Error> {
        let mut read = Read::default();
        match self.roles.and_then(<[String]>::split_first) {
            Some((first, rest)) => {
                let key_seed = || KeySeed { roles_key: Some(first.as_str()) };
                while let Some(key) = map.next_key_seed(key_seed())? {
                    if key.roles {
                        let seed =
                            ValueSeed { roles: Some(rest), claim: Registered::Other, ..self };
                        read.roles = map.next_value_seed(seed)?.roles;
                    } else {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            None => while map.next_entry::<Skip, Skip>()?.is_some() {},
        }
        Ok(read)
    }
}

/// One element of an array value: a string counts as an audience (`aud`),
/// a scope (`scp`) or a role (the roles array); anything else is skipped.
struct ElementSeed<'c, 'r, 'a> {
    value: ValueSeed<'c>,
    is_roles: bool,
    read: &'r mut Read<'a>,
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        let Context { schema, audiences } = self.value.context;
        match self.value.claim {
            Registered::Aud => {
                self.read.aud_accepted |= audiences.iter().any(|a| a == text);
            }
            Registered::Scp if !text.trim().is_empty() => {
                if let Some(index) = schema.scope_index(text) {
                    self.read.scopes = self.read.scopes.with(index);
                }
            }
            _ => {}
        }
        if self.is_roles
            && let Some(index) = schema.role_index(text)
        {
            self.read.roles = self.read.roles.with(index);
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Skip::drain_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Skip::drain_map(map)
    }
}

/// A value read and thrown away. Unlike `serde::de::IgnoredAny` it goes
/// through `deserialize_any`, so numbers and strings are checked exactly as
/// `serde_json::Value` checks them (range, UTF-8, escapes).
struct Skip;

impl Skip {
    fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(())
    }

    fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(())
    }
}

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Skip, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        Skip::drain_seq(seq).map(|()| Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        Skip::drain_map(map).map(|()| Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static SCHEMA: Schema = Schema::new(
        &["admin", "editor", "viewer"],
        &[RoleSet::from_bits(0b111), RoleSet::from_bits(0b110), RoleSet::from_bits(0b100)],
        &["users:read", "users:write"],
        &[],
    );

    fn granted(claims: Value) -> Granted {
        let Value::Object(map) = claims else { panic!("test claims must be an object") };
        ClaimMapping::default().granted(&SCHEMA, &map)
    }

    #[test]
    fn roles_of_wrong_type_grant_nothing() {
        for roles in
            [json!(1), json!({"admin": true}), json!(null), json!([["admin"]]), json!("admin")]
        {
            assert!(granted(json!({ "roles": roles })).roles().is_empty(), "{roles}");
        }
    }

    #[test]
    fn non_string_role_elements_are_skipped() {
        let g = granted(json!({ "roles": [1, null, "editor", {"a": 1}] }));
        assert_eq!(SCHEMA.role_names(g.roles()).collect::<Vec<_>>(), ["editor", "viewer"]);
    }

    #[test]
    fn near_names_are_not_roles() {
        let g = granted(json!({ "roles": ["Admin", "admin2", " admin", "ADMIN"] }));
        assert!(g.roles().is_empty());
    }

    #[test]
    fn blank_scope_grants_nothing() {
        for scope in ["", "   "] {
            let Value::Object(map) = json!({ "scope": scope, "scp": [scope] }) else {
                unreachable!()
            };
            assert_eq!(token_scopes(&map).count(), 0, "{scope:?}");
        }
    }

    #[test]
    fn scope_and_scp_forms_all_parse() {
        assert_eq!(granted(json!({ "scope": "users:read  users:write" })).scopes().len(), 2);
        assert_eq!(granted(json!({ "scp": "users:read users:write" })).scopes().len(), 2);
        assert_eq!(granted(json!({ "scp": ["users:read", "users:write", 3] })).scopes().len(), 2);
    }

    #[test]
    fn keys_with_dots_and_slashes_are_literal() {
        let Value::Object(map) = json!({
            "https://example.com/roles": ["admin"],
            "https://example": { "com/roles": ["viewer"] },
        }) else {
            unreachable!()
        };
        let path = ClaimPath::from("https://example.com/roles");
        assert_eq!(path.lookup(&map), Some(&json!(["admin"])));
    }

    // ------------------------------------------------ read_claims vs map ---

    const AUDIENCES: &[&str] = &["api", "other-api"];

    /// What the checks see, by the reference: lookups in a `serde_json` map.
    fn by_map(payload: &[u8], mapping: &ClaimMapping) -> Option<String> {
        let map: Map<String, Value> = serde_json::from_slice(payload).ok()?;
        let date = |name: &str| {
            map.get(name).map(|v| v.as_f64().map_or(NumericDate::NotANumber, NumericDate::Seconds))
        };
        let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
        let accepted = |aud: &str| AUDIENCES.contains(&aud);
        let aud = match map.get("aud") {
            Some(Value::String(aud)) => accepted(aud),
            Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
            _ => false,
        };
        let granted = mapping.granted(&SCHEMA, &map);
        Some(format!(
            "{:?} {:?} {:?} {:?} {aud} {:?}",
            date("exp"),
            date("nbf"),
            text("iss"),
            text("sub"),
            granted
        ))
    }

    /// The same, by the streaming reader.
    fn by_reader(payload: &[u8], mapping: &ClaimMapping) -> Option<String> {
        let audiences: Vec<String> = AUDIENCES.iter().map(|a| (*a).to_owned()).collect();
        // As verification does: the payload as UTF-8 first.
        let payload = std::str::from_utf8(payload).ok()?;
        let claims = read_claims(payload, mapping, &SCHEMA, &audiences).ok()?;
        Some(format!(
            "{:?} {:?} {:?} {:?} {} {:?}",
            claims.exp,
            claims.nbf,
            claims.iss.as_deref(),
            claims.sub.as_deref(),
            claims.aud_accepted,
            claims.granted(&SCHEMA)
        ))
    }

    fn mappings() -> [ClaimMapping; 3] {
        [
            ClaimMapping::default(),
            ClaimMapping::default().roles_at(ClaimPath::nested(["realm_access", "roles"])),
            // A roles path through a registered claim reads both at once.
            ClaimMapping::default().roles_at("scp"),
        ]
    }

    fn assert_same(payload: &str) {
        for mapping in mappings() {
            assert_eq!(
                by_reader(payload.as_bytes(), &mapping),
                by_map(payload.as_bytes(), &mapping),
                "{payload} with {:?}",
                mapping.roles
            );
        }
    }

    #[test]
    fn reader_agrees_with_the_map_on_chosen_payloads() {
        for payload in [
            r#"{"exp":1,"nbf":2.5,"iss":"i","sub":"s","aud":"api","roles":["admin"],"scope":"users:read"}"#,
            r#"{"exp":"1","nbf":null,"iss":1,"sub":["s"],"aud":["x",1,"other-api"],"roles":"admin"}"#,
            r#"{"roles":["viewer"],"roles":["admin"],"exp":1,"exp":null,"aud":"api","aud":"x"}"#,
            r#"{"scope":"users:read users:write","scope":7,"scp":["users:write"," ",""],"scp":"users:read"}"#,
            r#"{"realm_access":{"roles":["admin"],"roles":["viewer"]},"realm_access":{"x":1}}"#,
            r#"{"realm_access":{"roles":["editor"]},"roles":["admin"]}"#,
            r#"{"realm_access":["roles"],"scp":["admin","users:read"]}"#,
            r#"{"\u0065xp":-1e300,"s\u0075b":"\u00e9\n","iss":"a\"b","r\u006fles":["\u0061dmin"]}"#,
            r#"{"exp":18446744073709551615,"nbf":-9223372036854775808,"x":{"y":[{"z":[]}]}}"#,
            r#"{"aud":[],"roles":[],"scope":"","scp":[]}"#,
            r#"  {}  "#,
        ] {
            assert_same(payload);
        }
    }

    #[test]
    fn reader_refuses_what_the_map_refuses() {
        let deep = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        for payload in [
            "[]",
            r#"["exp",1]"#,
            "1",
            "null",
            r#"{"exp":1}x"#,
            r#"{"exp":1,}"#,
            r#"{"x":1e400}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"x":"\q"}"#,
            "{\"x\":\"\u{1}\"}",
            &deep,
        ] {
            assert_same(payload);
            for mapping in mappings() {
                assert!(by_reader(payload.as_bytes(), &mapping).is_none(), "{payload}");
            }
        }
        // Invalid UTF-8 inside a claim nobody reads.
        let mut bytes = br#"{"exp":1,"x":"ab"}"#.to_vec();
        bytes[14] = 0xff;
        assert!(by_map(&bytes, &ClaimMapping::default()).is_none());
        assert!(by_reader(&bytes, &ClaimMapping::default()).is_none());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                (-1e300f64..1e300).prop_map(Value::from),
                prop::sample::select(vec![
                    "admin",
                    "editor",
                    "viewer",
                    "Admin",
                    "users:read",
                    "users:write",
                    "users:read users:write",
                    " users:read  admin ",
                    "api",
                    "other-api",
                    "",
                    " ",
                    "é\"\\",
                ])
                .prop_map(Value::from),
            ]
        }

        fn value() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::vec((key(), inner), 0..4)
                        .prop_map(|entries| { Value::Object(entries.into_iter().collect()) }),
                ]
            })
        }

        fn key() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "exp",
                "nbf",
                "iss",
                "sub",
                "aud",
                "scope",
                "scp",
                "roles",
                "realm_access",
                "x",
            ])
            .prop_map(str::to_owned)
        }

        proptest! {
            /// Objects written by hand, so that keys repeat.
            #[test]
            fn reader_agrees_with_the_map(entries in prop::collection::vec((key(), value()), 0..10)) {
                let body: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
                    .collect();
                assert_same(&format!("{{{}}}", body.join(",")));
            }
        }
    }
}
