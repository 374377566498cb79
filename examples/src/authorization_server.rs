//! `GET /.well-known/oauth-authorization-server`: this service described
//! as an OAuth 2.0 authorization server (RFC 8414), when it issues tokens.
//! Its issuer identifier is its public URL, which its tokens' `iss` names;
//! its token endpoint is the password grant of `token.rs`. The API's
//! protected resource metadata (RFC 9728, served by `rbac_axum`) names
//! this issuer as its authorization server, and this document names the
//! API back (`protected_resources`, RFC 9728 §4).
//!
//! Absent on purpose: `authorization_endpoint`, which no grant here uses
//! (RFC 8414 §2 requires it only then), and `jwks_uri`, since tokens are
//! signed with a secret only this service holds and clients never verify
//! them.

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::routing::get;
use serde::Serialize;

use crate::grants::schema;

/// Where the document is: the well-known path RFC 8414 §3 inserts after
/// the issuer's host, the issuer having no path.
pub(crate) const PATH: &str = "/.well-known/oauth-authorization-server";

/// The metadata members this service has values for (RFC 8414 §2).
#[derive(Debug, Serialize)]
struct ServerMetadata<'a> {
    issuer: &'a str,
    token_endpoint: String,
    grant_types_supported: [&'static str; 1],
    /// `none`: the password grant here takes no client credentials, as
    /// for a public client (RFC 7591 §2); left out, it would mean
    /// `client_secret_basic`.
    token_endpoint_auth_methods_supported: [&'static str; 1],
    /// Empty yet present: RFC 8414 §2 requires the member, and response
    /// types are those of an authorization endpoint, which the password
    /// grant does not use (RFC 7591 §2.1 pairs it with none). §3.2's
    /// "zero elements are omitted" would drop a required member; clients
    /// that check the document expect it.
    response_types_supported: [&'static str; 0],
    scopes_supported: &'static [&'static str],
    /// The API this service issues tokens for is the service itself: its
    /// resource identifier is the same public URL.
    protected_resources: [&'a str; 1],
}

/// The route serving the metadata of the authorization server `issuer`
/// (the service's public URL), rendered once.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(issuer: &str) -> Router<S> {
    let metadata = ServerMetadata {
        issuer,
        token_endpoint: format!("{issuer}/token"),
        grant_types_supported: ["password"],
        token_endpoint_auth_methods_supported: ["none"],
        response_types_supported: [],
        scopes_supported: schema().scopes(),
        protected_resources: [issuer],
    };
    // Strings and arrays of strings always serialize.
    let body = Bytes::from(serde_json::to_vec(&metadata).unwrap_or_default());
    let serve = move || {
        let body = body.clone();
        async move {
            // The same for every client, until the service is reconfigured.
            let headers = [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ];
            (headers, body)
        }
    };
    Router::new().route(PATH, get(serve))
}
