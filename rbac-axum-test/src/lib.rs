//! Testing toolkit for `rbac-axum`: test your handlers without an identity
//! provider, with the configuration production uses.
//!
//! * [`TestAuth`] takes production's [`AuthenticatorBuilder`] and swaps
//!   only its keys, so issuer, audiences, claim mapping and leeway are
//!   production's; it writes tokens by role ([`TestToken::role`], with the
//!   `Role` type `roles!` generates) and scope ([`scope!`], checked when the
//!   test compiles), and the usual bad ones: expired, not yet valid, wrong
//!   audience or issuer, unknown key, tampered signature, `alg: none`.
//! * [`LocalProvider`] is an OpenID provider on `127.0.0.1`, started in
//!   the test with one call: discovery document and JWK Set, key rotation,
//!   faults switched from the test (down, slow, 5xx, garbage JSON), and a
//!   count of fetches.
//!
//! A dev-dependency: keep it in `[dev-dependencies]`, never beside
//! `rbac-axum` in `[dependencies]`, so no production build contains it.
//!
//! [`AuthenticatorBuilder`]: rbac_axum::AuthenticatorBuilder

mod auth;
mod issuer;
mod key;
mod provider;
mod scope;
mod token;

pub use auth::TestAuth;
pub use provider::{Fault, LocalProvider};
pub use scope::Scope;
pub use token::TestToken;

/// `jsonwebtoken::encode` needs a crypto provider installed; the one
/// rbac-axum installs, if none is yet.
fn install_crypto_provider() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
}
