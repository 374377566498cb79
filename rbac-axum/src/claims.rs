//! The claims reader: what verification takes from a token's payload, in
//! one pass. Only exact, declared names count; a claim of the wrong JSON
//! type grants nothing.
//!
//! Verification reads the payload once with [`read_claims`]: a streaming
//! pass that keeps only what the checks and the decision need (borrowed
//! strings, numbers, bitsets) and builds no JSON tree. It gives the same
//! answers as looking the claims up in a `serde_json` map (the reference
//! model of `tests/claims_reader.rs` checks this through the public API):
//! the last of duplicate keys wins, values of the wrong type count as
//! absent, and it accepts exactly the documents `serde_json::Value` accepts
//! (every value is parsed, none skipped unread), so the map
//! [`Principal::claims`] builds later from the same bytes cannot fail.
//!
//! On the way it counts, for the roles path, `scope` and `scp`, what made
//! them grant nothing (a value of the wrong type, undeclared names), for
//! [`Claims::log_ignored`] to tell at `debug`.
//!
//! [`Principal::claims`]: crate::Principal::claims

use std::borrow::Cow;
use std::fmt;

use rbac_core::{Granted, RoleSet, Schema, ScopeSet};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::mapping::shape::{ClaimName, ClaimReport, Expected, Json, Misfit};
use crate::scopes::{is_scope_name, split_scopes};

/// A numeric date claim (`exp`, `nbf`, `iat`) as found in the payload.
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
    /// `jti`, if it is a string.
    pub(crate) jti: Option<Cow<'a, str>>,
    /// `iat`, if present.
    pub(crate) iat: Option<NumericDate>,
    /// Whether `aud` (a string, or an array of which string elements count)
    /// names an accepted audience.
    pub(crate) aud_accepted: bool,
    /// The roles path (its declared roles not yet closed).
    roles: Named<RoleSet>,
    /// `scope`, if it is a string.
    scope: Named<ScopeSet>,
    /// `scp`, if it is a string or an array.
    scp: Named<ScopeSet>,
}

/// What a role or scope claim names: the declared names (roles or scopes),
/// and what else it held, which grants nothing.
#[derive(Debug, Default, Clone, Copy)]
struct Named<S> {
    declared: S,
    report: ClaimReport,
}

impl Claims<'_> {
    /// The declared rights, roles closed under inheritance.
    pub(crate) fn granted(&self, schema: &Schema) -> Granted {
        let scopes = self.scope.declared.union(self.scp.declared);
        Granted::new(schema.close(self.roles.declared), scopes)
    }

    /// Logs at `debug` why the roles claim (at `roles_path`), `scope` or
    /// `scp` granted nothing, for those that did not; see `mapping::shape`.
    /// A scope claim of a schema without scopes is not news: every OpenID
    /// token carries `openid`.
    pub(crate) fn log_ignored(&self, roles_path: &[String], schema: &Schema) {
        let Self { roles, scope, scp, .. } = self;
        let granted = !roles.declared.is_empty();
        roles.report.log(ClaimName::Path(roles_path), Expected::Roles, granted);
        let no_scopes = schema.scopes().is_empty();
        let granted = no_scopes || !scope.declared.is_empty();
        scope.report.log(ClaimName::Registered("scope"), Expected::Scope, granted);
        let granted = no_scopes || !scp.declared.is_empty();
        scp.report.log(ClaimName::Registered("scp"), Expected::Scopes, granted);
    }
}

/// Reads `payload`, a JSON object, in one pass; see the module notes.
pub(crate) fn read_claims<'a>(
    payload: &'a str,
    roles_path: &[String],
    schema: &'static Schema,
    audiences: &[String],
) -> Result<Claims<'a>, serde_json::Error> {
    let context = Context { schema, audiences, roles_len: roles_path.len() };
    let mut deserializer = serde_json::Deserializer::from_str(payload);
    let claims =
        (&mut deserializer).deserialize_map(ClaimsVisitor { context, roles: roles_path })?;
    deserializer.end()?;
    Ok(claims)
}

#[derive(Clone, Copy)]
struct Context<'c> {
    schema: &'static Schema,
    audiences: &'c [String],
    /// How many keys the roles path has.
    roles_len: usize,
}

/// The registered claims verification reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registered {
    Exp,
    Nbf,
    Iss,
    Sub,
    Jti,
    Iat,
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
            "jti" => Self::Jti,
            "iat" => Self::Iat,
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
                Registered::Jti => claims.jti = read.text,
                Registered::Iat => claims.iat = Some(date()),
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
    /// As `scope` or `scp`.
    scopes: Named<ScopeSet>,
    /// As the roles path.
    roles: Named<RoleSet>,
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
        matches!(self.claim, Registered::Iss | Registered::Sub | Registered::Jti)
    }

    /// The reading of a value of type `found`, as yet empty but for what
    /// the type alone says: that it cannot be the roles path's next step,
    /// or `scope`/`scp`, when it cannot.
    fn read<'a>(&self, found: Json) -> Read<'a> {
        let mut read = Read::default();
        if let Some(rest) = self.roles {
            let expected = if rest.is_empty() { Expected::Roles } else { Expected::Object };
            if !expected.fits(found) {
                let depth = self.context.roles_len.saturating_sub(rest.len() + 1);
                read.roles.report.misfit = Some(Misfit { found, depth });
            }
        }
        let expected = match self.claim {
            Registered::Scope => Expected::Scope,
            Registered::Scp => Expected::Scopes,
            _ => return read,
        };
        if !expected.fits(found) {
            read.scopes.report.misfit = Some(Misfit { found, depth: 0 });
        }
        read
    }

    fn read_str<'a>(&self, text: &str, read: &mut Read<'a>) {
        let Context { schema, audiences, .. } = self.context;
        match self.claim {
            Registered::Aud => read.aud_accepted = audiences.iter().any(|a| a == text),
            Registered::Scope | Registered::Scp => {
                for name in split_scopes(text) {
                    read.scopes.report.names += 1;
                    if let Some(index) = schema.scope_index(name) {
                        read.scopes.declared = read.scopes.declared.with(index);
                    }
                }
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
        Ok(self.read(Json::Boolean))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Read<'de>, E> {
        Ok(self.read(Json::Null))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n as f64), ..self.read(Json::Number) })
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n as f64), ..self.read(Json::Number) })
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Read<'de>, E> {
        Ok(Read { number: Some(n), ..self.read(Json::Number) })
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Read<'de>, E> {
        let mut read = self.read(Json::String);
        if self.wants_text() {
            read.text = Some(Cow::Borrowed(text));
        }
        self.read_str(text, &mut read);
        Ok(read)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Read<'de>, E> {
        // A string with escapes: copied only when it is kept.
        let mut read = self.read(Json::String);
        if self.wants_text() {
            read.text = Some(Cow::Owned(text.to_owned()));
        }
        self.read_str(text, &mut read);
        Ok(read)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read<'de>, A::Error> {
        let mut read = self.read(Json::Array);
        let is_roles = self.roles.is_some_and(<[String]>::is_empty);
        while seq
            .next_element_seed(ElementSeed { value: self, is_roles, read: &mut read })?
            .is_some()
        {}
        Ok(read)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read<'de>, A::Error> {
        let mut read = self.read(Json::Object);
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
/// a scope (`scp`) or a role (the roles array); anything else is skipped
/// (and counted, for `scp` and the roles array).
struct ElementSeed<'c, 'r, 'a> {
    value: ValueSeed<'c>,
    is_roles: bool,
    read: &'r mut Read<'a>,
}

impl ElementSeed<'_, '_, '_> {
    fn not_a_string(self) {
        if self.value.claim == Registered::Scp {
            self.read.scopes.report.non_strings += 1;
        }
        if self.is_roles {
            self.read.roles.report.non_strings += 1;
        }
    }
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
        let Context { schema, audiences, .. } = self.value.context;
        match self.value.claim {
            Registered::Aud => {
                self.read.aud_accepted |= audiences.iter().any(|a| a == text);
            }
            Registered::Scp if is_scope_name(text) => {
                self.read.scopes.report.names += 1;
                if let Some(index) = schema.scope_index(text) {
                    self.read.scopes.declared = self.read.scopes.declared.with(index);
                }
            }
            _ => {}
        }
        if self.is_roles {
            self.read.roles.report.names += 1;
            if let Some(index) = schema.role_index(text) {
                self.read.roles.declared = self.read.roles.declared.with(index);
            }
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.not_a_string();
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.not_a_string();
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.not_a_string();
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.not_a_string();
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.not_a_string();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.not_a_string();
        Skip::drain_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.not_a_string();
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

    static SCHEMA: Schema = Schema::new(&[], &[], &[], &[]);

    fn read(payload: &str) -> Claims<'_> {
        read_claims(payload, &[], &SCHEMA, &[]).expect("a JSON object")
    }

    #[test]
    fn jti_is_borrowed_and_iat_read_as_a_date() {
        let payload = r#"{"jti":"j-1","iat":1700000000,"sub":"u"}"#;
        let claims = read(payload);
        assert!(matches!(claims.jti, Some(Cow::Borrowed("j-1"))), "not copied");
        assert_eq!(claims.iat, Some(NumericDate::Seconds(1_700_000_000.0)));
        // Escaped: copied; the last of duplicates wins; wrong types count
        // as absent (`jti`) or not a number (`iat`).
        let claims = read(r#"{"jti":"a","jti":"b\"c","iat":"now"}"#);
        assert_eq!(claims.jti.as_deref(), Some("b\"c"));
        assert_eq!(claims.iat, Some(NumericDate::NotANumber));
        let claims = read(r#"{"jti":7}"#);
        assert!(claims.jti.is_none() && claims.iat.is_none());
    }
}
