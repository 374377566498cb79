//! How roles and scopes are read from a token's claims: [`ClaimPath`],
//! [`ClaimMapping`] with its identity-provider presets, and [`RoleMapper`].
//! Only exact, declared names count; a claim of the wrong JSON type grants
//! nothing, which [`shape`] logs at `debug`. Verification reads the `roles`
//! path in its one pass over the payload (`claims`); the extra paths and
//! the mapper read the payload in full, only for mappings that have them.

pub(crate) mod shape;

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use rbac_core::{RoleSet, Schema, ScopeSet};
use serde_json::{Map, Value};

use crate::scopes::{is_scope_name, split_scopes};
use crate::token_error::TokenError;
use shape::{ClaimName, ClaimReport, Expected, Json, Misfit};

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
    /// The keys, outermost first.
    pub fn keys(&self) -> &[String] {
        &self.0
    }
}

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
        self.walk(claims).ok().flatten()
    }

    /// The value at this path; `None` when a key is missing; the value on
    /// the way that is not an object when there is one.
    fn walk<'v>(&self, claims: &'v Map<String, Value>) -> Result<Option<&'v Value>, Misfit> {
        let Some((first, rest)) = self.0.split_first() else { return Ok(None) };
        let Some(mut value) = claims.get(first) else { return Ok(None) };
        for (depth, key) in rest.iter().enumerate() {
            let Value::Object(object) = value else {
                return Err(Misfit { found: Json::of(value), depth });
            };
            match object.get(key) {
                Some(next) => value = next,
                None => return Ok(None),
            }
        }
        Ok(Some(value))
    }

    /// The declared roles named at this path (an array of strings); logs
    /// why when it names none.
    fn roles(&self, claims: &Map<String, Value>, schema: &Schema) -> RoleSet {
        let mut roles = RoleSet::EMPTY;
        let mut report = ClaimReport::default();
        match self.walk(claims) {
            Err(misfit) => report.misfit = Some(misfit),
            Ok(None) => {}
            Ok(Some(Value::Array(items))) => {
                for item in items {
                    let Some(name) = item.as_str() else {
                        report.non_strings += 1;
                        continue;
                    };
                    report.names += 1;
                    if let Some(index) = schema.role_index(name) {
                        roles = roles.with(index);
                    }
                }
            }
            Ok(Some(other)) => report.misfit = Some(self.misfit_at_end(other)),
        }
        report.log(ClaimName::Path(&self.0), Expected::Roles, !roles.is_empty());
        roles
    }

    /// The scope names at this path (a space-delimited string, or an array
    /// of strings), added to `names`; logs why when it names no declared
    /// scope.
    fn scopes(&self, claims: &Map<String, Value>, schema: &Schema, names: &mut Vec<String>) {
        let mut report = ClaimReport::default();
        let before = names.len();
        match self.walk(claims) {
            Err(misfit) => report.misfit = Some(misfit),
            Ok(None) => {}
            Ok(Some(Value::String(text))) => names.extend(split_scopes(text).map(str::to_owned)),
            Ok(Some(Value::Array(items))) => {
                for item in items {
                    match item.as_str() {
                        Some(name) if is_scope_name(name) => names.push(name.to_owned()),
                        Some(_) => {}
                        None => report.non_strings += 1,
                    }
                }
            }
            Ok(Some(other)) => report.misfit = Some(self.misfit_at_end(other)),
        }
        let found = &names[before..];
        report.names = found.len();
        // A schema without scopes: no scope could have been granted.
        let granted = schema.scopes().is_empty()
            || found.iter().any(|name| schema.scope_index(name).is_some());
        report.log(ClaimName::Path(&self.0), Expected::Scopes, granted);
    }

    /// `value`, found at the end of this path, as a value of the wrong type.
    fn misfit_at_end(&self, value: &Value) -> Misfit {
        Misfit { found: Json::of(value), depth: self.0.len().saturating_sub(1) }
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
/// Roles under another client's `resource_access` entry grant nothing. A
/// role or scope claim of another JSON type, or naming no declared name,
/// grants nothing, and a `debug` log line says so: the claim's path, the
/// type found and the type expected, or how many names it ignored (never
/// the names, the token or other claims).
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

    /// Where the roles are read from first (`roles` by default; see
    /// [`roles_at`](Self::roles_at)).
    pub fn roles_path(&self) -> &ClaimPath {
        &self.roles
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
            .map(|path| path.roles(&claims, schema))
            .fold(RoleSet::EMPTY, RoleSet::union);
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
        for path in &self.more_scopes {
            path.scopes(&claims, schema, &mut raw_scopes);
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
