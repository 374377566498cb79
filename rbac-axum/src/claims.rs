//! Reading roles and scopes out of a token's claims. Only exact, declared
//! names count; a claim of the wrong JSON type grants nothing.

use rbac_core::{Granted, RoleSet, Schema, ScopeSet};
use serde_json::{Map, Value};

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

/// How roles and scopes are read from claims.
#[derive(Debug, Clone)]
pub(crate) struct ClaimMapping {
    pub(crate) roles: ClaimPath,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self { roles: ClaimPath::from("roles") }
    }
}

impl ClaimMapping {
    /// The declared rights the claims carry, roles closed under inheritance.
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

fn split_scopes(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').filter(|part| !part.is_empty())
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
}
