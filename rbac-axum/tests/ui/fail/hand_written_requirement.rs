//! The guard refuses to build for a requirement every token meets, even
//! when its `Requirement` is written by hand instead of by `#[requires]`.

use axum::Router;
use axum::routing::get;
use rbac_axum::__private::{Expr, Guard, Requirement};

rbac_axum::roles! { admin, scopes: ["posts:read"] }

struct Anything;

impl Requirement for Anything {
    type Model = Role;
    const HANDLER: &'static str = "handler";
    const EXPR: Expr = Expr::All(&[]);
}

async fn handler(_: Guard<Anything>) -> &'static str {
    "ok"
}

fn main() {
    let authenticator = rbac_axum::Authenticator::<Role>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, [7u8; 32])
        .build()
        .unwrap();
    let _app: Router = Router::new().route("/", get(handler)).with_state(authenticator);
}
