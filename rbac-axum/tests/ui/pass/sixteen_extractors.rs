//! A handler with axum's most arguments, sixteen: the guard wraps the
//! first instead of taking a slot of its own.

#![deny(warnings)]

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, Uri, Version};
use axum::routing::get;
use rbac_axum::{Auth, Authenticator, requires};

rbac_axum::roles! { admin: viewer, viewer }

#[requires(role = "viewer")]
#[allow(clippy::too_many_arguments)]
async fn sixteen(
    auth: Auth,
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    query: RawQuery,
    State(a): State<Authenticator<Role>>,
    State(b): State<Authenticator<Role>>,
    State(c): State<Authenticator<Role>>,
    State(d): State<Authenticator<Role>>,
    State(e): State<Authenticator<Role>>,
    State(f): State<Authenticator<Role>>,
    State(g): State<Authenticator<Role>>,
    State(h): State<Authenticator<Role>>,
    State(i): State<Authenticator<Role>>,
    body: String,
) -> String {
    let realms = [a, b, c, d, e, f, g, h, i].map(|x| x.realm().len()).iter().sum::<usize>();
    format!("{:?} {method} {uri} {version:?} {} {} {realms} {body}", auth.subject(), headers.len(), query.0.unwrap_or_default())
}

fn main() {
    let authenticator = Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .expect("valid configuration");
    let _app: Router = Router::new().route("/", get(sixteen)).with_state(authenticator);
}
