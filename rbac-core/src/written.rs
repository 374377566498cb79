//! A requirement in the words of `#[requires]`: what docs, logs and the
//! policy inventory show.

use core::fmt;

use crate::expr::Expr;
use crate::schema::Schema;

/// [`Expr::written`]: displays a requirement as `#[requires]` takes it.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    expr: &'a Expr,
    schema: &'a Schema,
}

impl Expr {
    /// `self` as `#[requires(…)]` would take it, with the names of
    /// `schema`: `role = "admin", any(scope = "a", not(role = "b"))`. The
    /// parts of a requirement that holds when all of them do are listed
    /// without `all(…)` at the top, as several attributes or arguments
    /// are written.
    ///
    /// ```
    /// use rbac_core::{Expr, RoleSet, Schema, ScopeSet};
    ///
    /// static SCHEMA: Schema = Schema::new(
    ///     &["admin"],
    ///     &[RoleSet::from_bits(0b1)],
    ///     &["users:read"],
    ///     &[ScopeSet::from_bits(0b1)],
    /// );
    /// const NEED: Expr = Expr::Any(&[Expr::Role(0), Expr::Scope(0)]);
    /// assert_eq!(NEED.written(&SCHEMA).to_string(), r#"any(role = "admin", scope = "users:read")"#);
    /// ```
    pub fn written<'a>(&'a self, schema: &'a Schema) -> Written<'a> {
        Written { expr: self, schema }
    }
}

impl fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.expr {
            Expr::All(parts) if !parts.is_empty() => self.list(f, parts),
            _ => self.part(f, self.expr),
        }
    }
}

impl Written<'_> {
    fn part(&self, f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
        match *expr {
            Expr::Role(index) => self.atom(f, "role", self.schema.roles(), index),
            Expr::Scope(index) => self.atom(f, "scope", self.schema.scopes(), index),
            Expr::All(parts) => self.call(f, "all", parts),
            Expr::Any(parts) => self.call(f, "any", parts),
            Expr::Not(inner) => {
                f.write_str("not(")?;
                self.part(f, inner)?;
                f.write_str(")")
            }
        }
    }

    fn call(&self, f: &mut fmt::Formatter<'_>, name: &str, parts: &[Expr]) -> fmt::Result {
        write!(f, "{name}(")?;
        self.list(f, parts)?;
        f.write_str(")")
    }

    fn list(&self, f: &mut fmt::Formatter<'_>, parts: &[Expr]) -> fmt::Result {
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            self.part(f, part)?;
        }
        Ok(())
    }

    /// `kind = "name"`; an index the schema does not declare (which
    /// `#[requires]` never writes) shows as `kind #index`.
    fn atom(
        &self,
        f: &mut fmt::Formatter<'_>,
        kind: &str,
        names: &[&str],
        index: u8,
    ) -> fmt::Result {
        match names.get(usize::from(index)) {
            Some(name) => write!(f, "{kind} = {name:?}"),
            None => write!(f, "{kind} #{index}"),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;
    use crate::bits::{RoleSet, ScopeSet};

    static SCHEMA: Schema = Schema::new(
        &["admin", "viewer"],
        &[RoleSet::from_bits(0b11), RoleSet::from_bits(0b10)],
        &["posts:read"],
        &[ScopeSet::from_bits(0b1), ScopeSet::from_bits(0b1)],
    );

    #[test]
    fn nested_parts_are_written_as_calls() {
        const NEED: Expr = Expr::All(&[
            Expr::Role(1),
            Expr::Any(&[Expr::Scope(0), Expr::All(&[Expr::Role(0), Expr::Not(&Expr::Role(1))])]),
        ]);
        assert_eq!(
            NEED.written(&SCHEMA).to_string(),
            r#"role = "viewer", any(scope = "posts:read", all(role = "admin", not(role = "viewer")))"#
        );
    }

    #[test]
    fn an_undeclared_index_is_shown_as_such() {
        assert_eq!(Expr::Role(9).written(&SCHEMA).to_string(), "role #9");
        assert_eq!(Expr::All(&[]).written(&SCHEMA).to_string(), "all()");
    }
}
