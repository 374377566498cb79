//! Why a role or scope claim granted nothing, told at `debug` level: a
//! value of the wrong JSON type (on the claim's path or at its end), names
//! none of which is declared, array elements that are not strings. Readers
//! count these as they go, in a [`ClaimReport`] (no allocation); it is
//! logged once the token is otherwise accepted, naming the claim but never
//! its values, the token, or other claims.

use std::fmt;

use serde_json::Value;

/// A JSON value's type, as a log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Json {
    String,
    Number,
    Boolean,
    Null,
    Array,
    Object,
}

impl Json {
    pub(crate) fn of(value: &Value) -> Self {
        match value {
            Value::String(_) => Self::String,
            Value::Number(_) => Self::Number,
            Value::Bool(_) => Self::Boolean,
            Value::Null => Self::Null,
            Value::Array(_) => Self::Array,
            Value::Object(_) => Self::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Null => "null",
            Self::Array => "array",
            Self::Object => "object",
        }
    }
}

/// What a value must be to grant anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A roles claim: an array of role names.
    Roles,
    /// `scope` (RFC 8693 §4.2, RFC 9068 §2.2.3): one space-delimited string.
    Scope,
    /// `scp` and extra scope paths: a space-delimited string or an array.
    Scopes,
    /// A step of a claim path before its last key.
    Object,
}

impl Expected {
    /// Whether a value of type `found` can grant anything here.
    pub(crate) fn fits(self, found: Json) -> bool {
        match self {
            Self::Roles => found == Json::Array,
            Self::Scope => found == Json::String,
            Self::Scopes => matches!(found, Json::String | Json::Array),
            Self::Object => found == Json::Object,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Roles => "an array of strings",
            Self::Scope => "a space-delimited string",
            Self::Scopes => "a space-delimited string or an array of strings",
            Self::Object => "an object",
        }
    }
}

/// A value of the wrong type: its type, and the place in the claim's path
/// of the key it is the value of (the last one: the claim itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub(crate) found: Json,
    pub(crate) depth: usize,
}

/// A claim as its configured path names it: `realm_access.roles`, `scope`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ClaimName<'a> {
    /// A configured path, its keys joined by dots.
    Path(&'a [String]),
    /// A registered claim.
    Registered(&'static str),
}

impl<'a> ClaimName<'a> {
    fn len(self) -> usize {
        match self {
            Self::Path(keys) => keys.len(),
            Self::Registered(_) => 1,
        }
    }

    /// The key at `depth` of the path.
    fn key(self, depth: usize) -> &'a str {
        match self {
            Self::Path(keys) => keys.get(depth).map_or("", String::as_str),
            Self::Registered(name) => name,
        }
    }
}

impl fmt::Display for ClaimName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(keys) => {
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Ok(())
            }
            Self::Registered(name) => f.write_str(name),
        }
    }
}

/// What reading one role or scope claim found that grants nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ClaimReport {
    /// A value of the wrong type on the claim's path or at its end.
    pub(crate) misfit: Option<Misfit>,
    /// Names read (strings of a roles array, parts of a scope string).
    pub(crate) names: usize,
    /// Elements of the claim's array that are not strings.
    pub(crate) non_strings: usize,
}

impl ClaimReport {
    /// Logs, at `debug`, why `claim` (read as `expected`) granted nothing
    /// or less than it names; nothing when it is as expected. `granted` is
    /// whether it granted any declared role or scope.
    pub(crate) fn log(&self, claim: ClaimName<'_>, expected: Expected, granted: bool) {
        if let Some(Misfit { found, depth }) = self.misfit {
            let found = found.name();
            if depth + 1 < claim.len() {
                let at = claim.key(depth);
                let expected = Expected::Object.describe();
                tracing::debug!(
                    claim = %claim, at, found, expected,
                    "claim ignored: a value on its path is not an object"
                );
            } else {
                let expected = expected.describe();
                tracing::debug!(claim = %claim, found, expected, "claim ignored: wrong JSON type");
            }
        }
        if self.names > 0 && !granted {
            let ignored = self.names;
            if expected == Expected::Roles {
                tracing::debug!(claim = %claim, ignored, "claim ignored: it names no declared role");
            } else {
                tracing::debug!(claim = %claim, ignored, "claim ignored: it names no declared scope");
            }
        }
        if self.non_strings > 0 {
            let ignored = self.non_strings;
            tracing::debug!(claim = %claim, ignored, "claim values ignored: not strings");
        }
    }
}
