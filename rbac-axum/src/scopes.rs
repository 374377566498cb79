//! Scope names as tokens carry them (`scope`, `scp`): one rule for what
//! counts as a name, used by every reader of scopes.

use std::fmt;

use rbac_core::{Schema, ScopeSet};
use serde_json::{Map, Value};

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
            .chain(items.into_iter().flatten().filter(|s| is_scope_name(s)))
    });
    from_scope.chain(from_scp)
}

/// The scope names of a space-delimited `scope`/`scp` string (RFC 6749
/// §3.3); see [`is_scope_name`] for the parts that are no names.
pub(crate) fn split_scopes(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').filter(|part| is_scope_name(part))
}

/// Whether a part of a scope string, or an element of a scope array, names
/// a scope: empty and whitespace-only parts (a tab, a vertical tab) never
/// do, wherever they are found.
pub(crate) fn is_scope_name(part: &str) -> bool {
    !part.trim().is_empty()
}

/// Declared scopes, displayed as a `scope` claim writes them: names
/// separated by a space, in declaration order.
pub(crate) struct ScopeNames(pub(crate) &'static Schema, pub(crate) ScopeSet);

impl fmt::Display for ScopeNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.scope_names(self.1).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}
