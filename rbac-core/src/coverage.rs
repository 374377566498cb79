//! Which tokens a requirement lets through, decided once at compile time so
//! that a requirement which protects nothing (it holds for every token) or
//! guards nothing reachable (it holds for none) cannot be written.
//!
//! The question is asked over everything a verified token can carry under a
//! [`Schema`]: any set of roles, closed under inheritance, and any set of
//! declared scopes, independently of the roles. Only the atoms the
//! requirement mentions matter, so it is enough to try every combination of
//! them that such a token can produce.

use crate::bits::{MAX_NAMES, RoleSet, ScopeSet};
use crate::expr::Expr;
use crate::schema::Schema;

/// The most distinct roles and scopes a requirement containing `not(…)` may
/// mention: its coverage is decided by trying every combination of them
/// (2^12 at most). Each combination of roles is checked against the
/// distinct closures of the schema's roles cut down to the mentioned ones,
/// not against every declared role, so the cost does not grow with the
/// schema (a test keeps a 128-role schema within `const` evaluation's
/// limits).
/// Requirements without `not(…)` have no limit: they are monotone, and two
/// tokens decide them.
pub const MAX_DECIDED_ATOMS: u32 = 12;

/// What [`Expr::coverage`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Some tokens pass and some are refused: the requirement guards.
    Some,
    /// Every verified token passes, one with no role and no scope included:
    /// the requirement protects nothing.
    Every,
    /// No token can pass: whatever it guards is unreachable.
    None,
    /// An `all()` or `any()` with nothing in it, somewhere in the tree.
    Empty,
    /// An atom whose index the schema does not declare (the name was not
    /// found; the build reports that separately).
    Undeclared,
    /// The requirement contains `not(…)` and mentions more than
    /// [`MAX_DECIDED_ATOMS`] distinct roles and scopes.
    TooLarge,
}

impl Expr {
    /// Which tokens `self` lets through under `schema`. Usable in `const`
    /// evaluation; `#[requires]` refuses to compile anything but
    /// [`Coverage::Some`].
    ///
    /// ```
    /// use rbac_core::{Coverage, Expr, RoleSet, Schema};
    ///
    /// // admin (0) inherits viewer (1).
    /// static SCHEMA: Schema = Schema::new(
    ///     &["admin", "viewer"],
    ///     &[RoleSet::from_bits(0b11), RoleSet::from_bits(0b10)],
    ///     &[],
    ///     &[],
    /// );
    /// const VIEWER_OR_NOT_ADMIN: Expr = Expr::Any(&[Expr::Role(1), Expr::Not(&Expr::Role(0))]);
    /// const ADMIN_NOT_VIEWER: Expr = Expr::All(&[Expr::Role(0), Expr::Not(&Expr::Role(1))]);
    ///
    /// assert_eq!(Expr::Role(0).coverage(&SCHEMA), Coverage::Some);
    /// // Every admin is a viewer: the first holds for every token,
    /// // the second for none.
    /// assert_eq!(VIEWER_OR_NOT_ADMIN.coverage(&SCHEMA), Coverage::Every);
    /// assert_eq!(ADMIN_NOT_VIEWER.coverage(&SCHEMA), Coverage::None);
    /// ```
    pub const fn coverage(&self, schema: &Schema) -> Coverage {
        let Shape { roles, scopes, negates, empty_list, undeclared } = Shape::of(self, schema);
        if undeclared {
            return Coverage::Undeclared;
        }
        if empty_list {
            return Coverage::Empty;
        }
        if !negates {
            // Monotone: the empty token passes iff every token does, the
            // token holding every mentioned atom fails iff every token does.
            return verdict(holds(self, 0, 0), !holds(self, roles, scopes));
        }
        if roles.count_ones() + scopes.count_ones() > MAX_DECIDED_ATOMS {
            return Coverage::TooLarge;
        }
        let closures = Closures::within(roles, schema);
        let mut passes = false;
        let mut fails = false;
        let mut held_roles = roles;
        loop {
            if closures.reach(held_roles) {
                let mut held_scopes = scopes;
                loop {
                    if holds(self, held_roles, held_scopes) {
                        passes = true;
                    } else {
                        fails = true;
                    }
                    if passes && fails {
                        return Coverage::Some;
                    }
                    if held_scopes == 0 {
                        break;
                    }
                    held_scopes = (held_scopes - 1) & scopes;
                }
            }
            if held_roles == 0 {
                break;
            }
            held_roles = (held_roles - 1) & roles;
        }
        verdict(!fails, !passes)
    }
}

const fn verdict(always: bool, never: bool) -> Coverage {
    match (always, never) {
        (true, _) => Coverage::Every,
        (false, true) => Coverage::None,
        (false, false) => Coverage::Some,
    }
}

/// The closures of the schema's roles, each cut down to the mentioned
/// roles: distinct and not empty, so at most one per combination that can
/// matter, however many roles the schema declares.
struct Closures {
    sets: [u128; MAX_NAMES],
    len: usize,
}

impl Closures {
    const fn within(mentioned: u128, schema: &Schema) -> Self {
        let mut closures = Closures { sets: [0; MAX_NAMES], len: 0 };
        let mut role = 0;
        while role < schema.roles().len() && role < MAX_NAMES {
            let set = schema.implied(role).bits() & mentioned;
            let mut known = set == 0;
            let mut i = 0;
            while i < closures.len && !known {
                known = closures.sets[i] == set;
                i += 1;
            }
            if !known {
                closures.sets[closures.len] = set;
                closures.len += 1;
            }
            role += 1;
        }
        closures
    }

    /// Whether some token's roles, closed under inheritance, meet the
    /// mentioned roles in exactly `held`. A closed set is a union of single
    /// roles' closures, so `held` is reachable exactly when the closures that
    /// fit inside it cover it.
    const fn reach(&self, held: u128) -> bool {
        let mut covered = 0u128;
        let mut i = 0;
        while i < self.len {
            if self.sets[i] & !held == 0 {
                covered |= self.sets[i];
            }
            i += 1;
        }
        covered == held
    }
}

/// The plain meaning of `expr` for closed role bits and scope bits.
const fn holds(expr: &Expr, roles: u128, scopes: u128) -> bool {
    match *expr {
        Expr::Role(index) => RoleSet::from_bits(roles).contains(index as usize),
        Expr::Scope(index) => ScopeSet::from_bits(scopes).contains(index as usize),
        Expr::All(parts) => {
            let mut i = 0;
            while i < parts.len() {
                if !holds(&parts[i], roles, scopes) {
                    return false;
                }
                i += 1;
            }
            true
        }
        Expr::Any(parts) => {
            let mut i = 0;
            while i < parts.len() {
                if holds(&parts[i], roles, scopes) {
                    return true;
                }
                i += 1;
            }
            false
        }
        Expr::Not(inner) => !holds(inner, roles, scopes),
    }
}

/// What one walk over a requirement finds.
struct Shape {
    /// The role bits and scope bits it mentions.
    roles: u128,
    scopes: u128,
    /// A `not(…)` somewhere.
    negates: bool,
    /// An `all()` or `any()` with nothing in it, somewhere.
    empty_list: bool,
    /// An atom whose index the schema does not declare.
    undeclared: bool,
}

impl Shape {
    const NONE: Shape =
        Shape { roles: 0, scopes: 0, negates: false, empty_list: false, undeclared: false };

    const fn of(expr: &Expr, schema: &Schema) -> Shape {
        match *expr {
            Expr::Role(index) => Shape {
                roles: RoleSet::single(index as usize).bits(),
                undeclared: index as usize >= schema.roles().len(),
                ..Shape::NONE
            },
            Expr::Scope(index) => Shape {
                scopes: ScopeSet::single(index as usize).bits(),
                undeclared: index as usize >= schema.scopes().len(),
                ..Shape::NONE
            },
            Expr::All(parts) | Expr::Any(parts) => {
                let mut shape = Shape { empty_list: parts.is_empty(), ..Shape::NONE };
                let mut i = 0;
                while i < parts.len() {
                    shape = shape.union(Shape::of(&parts[i], schema));
                    i += 1;
                }
                shape
            }
            Expr::Not(inner) => Shape { negates: true, ..Shape::of(inner, schema) },
        }
    }

    const fn union(self, other: Shape) -> Shape {
        Shape {
            roles: self.roles | other.roles,
            scopes: self.scopes | other.scopes,
            negates: self.negates || other.negates,
            empty_list: self.empty_list || other.empty_list,
            undeclared: self.undeclared || other.undeclared,
        }
    }
}
