//! OpenAPI documentation from the requirements themselves, with
//! [aide](https://docs.rs/aide) (feature `openapi`).
//!
//! Route handlers with aide's `ApiRouter::api_route` and nothing more is
//! needed: the guard of each `#[requires]` documents its operation.
//!
//! * `security`: the scopes a token needs, as OpenAPI's alternatives ("any
//!   of these, each needing all of its scopes"), under one OAuth 2.0
//!   scheme. Roles are not OAuth scopes, and `not(…)` cannot be said in
//!   `security`: a requirement naming them lists what a token needs at
//!   least, and says so in `x-rbac`.
//! * `x-rbac`: the whole requirement as written, and its handler; the
//!   operation's description ends with it too.
//! * The 400, 401 and 403 responses, with their `WWW-Authenticate`
//!   challenge and the refusal body's schema.
//!
//! An [`Auth`](crate::Auth) or [`TokenClaims`](crate::TokenClaims)
//! argument documents "any valid token". aide documents an `Option` as its
//! content, so an `Option<Auth>` is documented as `Auth` is until marked
//! [`public`]: then its `security` says a token is optional, and the
//! inventory lets anonymous callers in. Unmarked, the deny-by-default check
//! takes it for a guarded route. A router's `require!` is documented when
//! put on with [`ApiRequire::api_require`].
//!
//! `"security": "exact"` is exact for the requirement: with an issuer that
//! [limits scopes to roles](crate::Issuer::limit_scopes_to_roles), a token
//! must also hold a role that may be granted the scopes it shows.
//!
//! [`ApiDocs::apply`] must run on the document (the operations refer to
//! the scheme and responses it adds), and the document is served as
//! [`ApiDocs::to_json`] gives it: aide's own serialization writes a
//! `refreshUrl: null` that OpenAPI 3.1 does not allow.
//!
//! [`ApiDocs`] adds what belongs to the whole document: the security
//! scheme (the OAuth 2.0 password flow, so that Swagger UI's "Authorize"
//! logs in with a username and a password; every scope with its doc
//! comment; the roles in `x-rbac-roles`) and the shared refusal responses.
//! [`Inventory`] lists every documented route with who may call it: a
//! role × route matrix, and a deny-by-default check for tests.
//!
//! aide 0.15 generates schemas with schemars 0.9: derive
//! `schemars::JsonSchema` from that version on the types of documented
//! bodies.

mod docs;
mod inventory;
mod operation;
mod registry;
mod require;

pub use docs::ApiDocs;
pub use inventory::{Access, Inventory, Matrix, Route, UnguardedRoutes};
pub use operation::{SECURITY_SCHEME, public};
pub use require::ApiRequire;
