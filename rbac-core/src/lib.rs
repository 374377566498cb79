//! The authorization model and decision behind `rbac-axum`, with no I/O and no
//! web types: a reader can learn the whole semantics from this crate alone.
//!
//! * A [`Schema`] lists the declared roles (with their transitive
//!   inheritance) and the declared scopes. The `roles!` macro of `rbac-axum`
//!   generates one as a `static`.
//! * A principal's rights are a [`Granted`]: two bitsets, roles already closed
//!   under the hierarchy.
//! * A handler's requirement is an [`Expr`] tree of role and scope atoms under
//!   `all`, `any` and `not`; [`Expr::evaluate`] decides without allocating and
//!   says what was missing in a [`Denial`].
//!
//! ```
//! use rbac_core::{Expr, Granted, RoleSet, Schema, ScopeSet};
//!
//! // admin ⊇ editor ⊇ viewer; index 0 = admin, 1 = editor, 2 = viewer.
//! static SCHEMA: Schema = Schema::new(
//!     &["admin", "editor", "viewer"],
//!     &[RoleSet::from_bits(0b111), RoleSet::from_bits(0b110), RoleSet::from_bits(0b100)],
//!     &["posts:read", "posts:write"],
//!     &[ScopeSet::from_bits(0b11), ScopeSet::from_bits(0b11), ScopeSet::from_bits(0b01)],
//! );
//!
//! let granted = SCHEMA.grant(["editor"], ["posts:read"]);
//! assert!(granted.roles().contains(2)); // editor inherits viewer
//!
//! // all(role = "viewer", scope = "posts:write")
//! const NEED: Expr = Expr::All(&[Expr::Role(2), Expr::Scope(1)]);
//! let denial = NEED.evaluate(&granted).unwrap_err();
//! assert_eq!(denial.missing_scopes().iter().collect::<Vec<_>>(), [1]);
//! ```

#![no_std]

mod bits;
mod coverage;
mod decision;
mod expr;
mod schema;
mod scope_alternatives;
pub mod suggest;
mod written;

pub use bits::{Bits, MAX_NAMES, RoleSet, RoleTag, ScopeSet, ScopeTag};
pub use coverage::{Coverage, MAX_DECIDED_ATOMS};
pub use decision::{Denial, Granted};
pub use expr::Expr;
pub use schema::{RoleModel, Schema, UnknownRole, is_scope_token};
pub use scope_alternatives::{MAX_SCOPE_ALTERNATIVES, ScopeAlternatives};
pub use written::Written;
