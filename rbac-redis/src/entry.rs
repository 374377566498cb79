//! One revocation as a stream entry's fields, and back.
//!
//! An entry holds `v` (the format, `1`), `kind` (`token` or `subject`),
//! `iss`, `id` (the `jti` or the `sub`) and `at` (the token's `exp` or the
//! subject's cut-off, decimal seconds since the epoch). Other fields are
//! ignored, so that a later format may add some.

use rbac_axum::Revocation;
use redis::{Cmd, Value};

/// The format written, and the only one read.
const FORMAT: &str = "1";

/// Appends `revocation`'s fields to `cmd` (an `XADD` up to its id).
pub(crate) fn append_fields(cmd: &mut Cmd, revocation: Revocation<'_>) {
    let (kind, iss, id, at) = match revocation {
        Revocation::Token { iss, jti, exp } => ("token", iss, jti, exp),
        Revocation::Subject { iss, sub, cutoff } => ("subject", iss, sub, cutoff),
    };
    cmd.arg("v").arg(FORMAT).arg("kind").arg(kind).arg("iss").arg(iss).arg("id").arg(id);
    cmd.arg("at").arg(at);
}

/// A revocation copied out of the local store, to publish again once its
/// lock is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedRevocation {
    /// Whether it is a token (`id` is the `jti`) or a subject (the `sub`).
    is_token: bool,
    iss: Box<str>,
    id: Box<str>,
    /// The token's `exp` or the subject's cut-off.
    at: u64,
}

impl OwnedRevocation {
    /// A copy of `revocation`.
    pub(crate) fn new(revocation: Revocation<'_>) -> Self {
        match revocation {
            Revocation::Token { iss, jti, exp } => {
                Self { is_token: true, iss: iss.into(), id: jti.into(), at: exp }
            }
            Revocation::Subject { iss, sub, cutoff } => {
                Self { is_token: false, iss: iss.into(), id: sub.into(), at: cutoff }
            }
        }
    }

    /// The revocation, borrowed.
    pub(crate) fn as_revocation(&self) -> Revocation<'_> {
        let (iss, id, at) = (&*self.iss, &*self.id, self.at);
        if self.is_token {
            Revocation::Token { iss, jti: id, exp: at }
        } else {
            Revocation::Subject { iss, sub: id, cutoff: at }
        }
    }
}

/// Why an entry was skipped: never its values, which may name a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    /// The fields are not a list of name-value pairs.
    #[error("fields are not name-value pairs")]
    NotPairs,
    /// A field is missing, or is not UTF-8 text.
    #[error("field `{0}` missing or not text")]
    Missing(&'static str),
    /// `v` names a format this version does not read.
    #[error("unknown format")]
    UnknownFormat,
    /// `kind` is neither `token` nor `subject`.
    #[error("unknown kind")]
    UnknownKind,
    /// `at` is not a whole number of seconds.
    #[error("`at` is not a number")]
    BadTime,
}

/// The revocation an entry's fields hold, borrowed from them: a list
/// `[name, value, name, value, …]` as `XRANGE` and `XREAD` return them (or
/// a map, should a server send one).
pub(crate) fn decode(fields: &Value) -> Result<Revocation<'_>, Malformed> {
    match fields {
        Value::Array(list) if list.len() % 2 == 0 => {}
        Value::Map(_) => {}
        _ => return Err(Malformed::NotPairs),
    }
    let field = |name: &'static str| {
        // Like Redis's own readers: a repeated field's last value.
        let value = match fields {
            Value::Array(list) => {
                list.chunks_exact(2).rev().find(|pair| text(&pair[0]) == Some(name)).map(|p| &p[1])
            }
            Value::Map(map) => {
                map.iter().rev().find(|(key, _)| text(key) == Some(name)).map(|(_, value)| value)
            }
            _ => None,
        };
        value.and_then(text).ok_or(Malformed::Missing(name))
    };
    if field("v")? != FORMAT {
        return Err(Malformed::UnknownFormat);
    }
    let (kind, iss, id) = (field("kind")?, field("iss")?, field("id")?);
    let at = field("at")?.parse::<u64>().map_err(|_| Malformed::BadTime)?;
    match kind {
        "token" => Ok(Revocation::Token { iss, jti: id, exp: at }),
        "subject" => Ok(Revocation::Subject { iss, sub: id, cutoff: at }),
        _ => Err(Malformed::UnknownKind),
    }
}

/// A reply value as text, when it is UTF-8 text.
pub(crate) fn text(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://issuer.test";

    /// The fields `append_fields` writes, as Redis hands them back.
    fn written(revocation: Revocation<'_>) -> Value {
        let mut cmd = redis::cmd("XADD");
        append_fields(&mut cmd, revocation);
        Value::Array(
            cmd.args_iter()
                .skip(1) // The command's name.
                .map(|arg| match arg {
                    redis::Arg::Simple(bytes) => Value::BulkString(bytes.to_vec()),
                    _ => Value::Nil,
                })
                .collect(),
        )
    }

    fn pairs(pairs: &[(&str, &str)]) -> Value {
        Value::Array(
            pairs
                .iter()
                .flat_map(|(name, value)| [*name, *value])
                .map(|text| Value::BulkString(text.as_bytes().to_vec()))
                .collect(),
        )
    }

    #[test]
    fn what_is_written_reads_back() {
        for revocation in [
            Revocation::Token { iss: ISS, jti: "j-1", exp: 1_900_000_000 },
            Revocation::Subject { iss: ISS, sub: "user 1", cutoff: 1_800_000_001 },
        ] {
            assert_eq!(decode(&written(revocation)), Ok(revocation));
            assert_eq!(OwnedRevocation::new(revocation).as_revocation(), revocation);
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_simple_strings_read() {
        let fields = Value::Array(vec![
            Value::SimpleString("v".into()),
            Value::SimpleString("1".into()),
            Value::BulkString(b"kind".to_vec()),
            Value::BulkString(b"subject".to_vec()),
            Value::BulkString(b"later".to_vec()),
            Value::BulkString(vec![0xff]),
            Value::BulkString(b"iss".to_vec()),
            Value::BulkString(ISS.as_bytes().to_vec()),
            Value::BulkString(b"id".to_vec()),
            Value::BulkString(b"u".to_vec()),
            Value::BulkString(b"at".to_vec()),
            Value::BulkString(b"7".to_vec()),
        ]);
        assert_eq!(decode(&fields), Ok(Revocation::Subject { iss: ISS, sub: "u", cutoff: 7 }));
        let map = Value::Map(
            [("v", "1"), ("kind", "token"), ("iss", ISS), ("id", "j"), ("at", "9")]
                .iter()
                .map(|(name, value)| {
                    (
                        Value::SimpleString((*name).into()),
                        Value::BulkString(value.as_bytes().into()),
                    )
                })
                .collect(),
        );
        assert_eq!(decode(&map), Ok(Revocation::Token { iss: ISS, jti: "j", exp: 9 }));
    }

    #[test]
    fn malformed_entries_say_why() {
        let complete = [("v", "1"), ("kind", "token"), ("iss", ISS), ("id", "j"), ("at", "5")];
        assert!(decode(&pairs(&complete)).is_ok());
        for (missing, name) in [(0, "v"), (1, "kind"), (2, "iss"), (3, "id"), (4, "at")] {
            let mut fields = complete.to_vec();
            fields.remove(missing);
            assert_eq!(decode(&pairs(&fields)), Err(Malformed::Missing(name)));
        }
        let with = |index: usize, value: &'static str| {
            let mut fields = complete;
            fields[index].1 = value;
            decode(&pairs(&fields)).map(|_| ())
        };
        assert_eq!(with(0, "1"), Ok(()));
        assert_eq!(with(0, "2"), Err(Malformed::UnknownFormat));
        assert_eq!(with(1, "role"), Err(Malformed::UnknownKind));
        assert_eq!(with(4, "-1"), Err(Malformed::BadTime));
        assert_eq!(with(4, "soon"), Err(Malformed::BadTime));
        assert_eq!(decode(&Value::Nil), Err(Malformed::NotPairs));
        let odd = Value::Array(vec![Value::BulkString(b"v".to_vec())]);
        assert_eq!(decode(&odd), Err(Malformed::NotPairs));
        let not_text = Value::Array(vec![Value::BulkString(b"v".to_vec()), Value::Int(1)]);
        assert_eq!(decode(&not_text), Err(Malformed::Missing("v")));
    }
}
