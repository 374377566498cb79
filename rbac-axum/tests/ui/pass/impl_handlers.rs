//! Handlers in an `impl` block, routed as `get(Api::show)`: `#[handlers]`
//! on the block expands the methods' `#[requires]`, also in a generic
//! block, and leaves the other methods alone.

use std::marker::PhantomData;

use axum::{Router, extract::Path, http::StatusCode, routing::get};
use rbac_axum::{Auth, Authenticator, handlers, requires};

rbac_axum::roles! { admin: viewer, viewer }

pub struct Posts;

#[handlers]
impl Posts {
    #[requires(role = "viewer")]
    pub async fn show(Path(id): Path<u64>) -> String {
        Self::title(id)
    }

    #[requires(role = "viewer")]
    #[requires(not(role = "admin"))]
    async fn viewers_only() -> StatusCode {
        StatusCode::OK
    }

    #[rbac_axum::requires(role = "admin")]
    async fn delete(auth: Auth) -> StatusCode {
        let _ = auth.subject();
        StatusCode::NO_CONTENT
    }

    fn title(id: u64) -> String {
        format!("post {id}")
    }
}

pub struct Store<T>(PhantomData<T>);

#[handlers]
impl<T: Send + 'static> Store<T> {
    #[requires(role = "admin")]
    async fn wipe() -> StatusCode {
        StatusCode::NO_CONTENT
    }
}

pub struct Versioned<V>(PhantomData<V>);
pub struct V1;
pub struct V2;

// Two blocks of one type, with methods of one name: their items differ.
#[handlers]
impl Versioned<V1> {
    #[requires(role = "viewer")]
    async fn list() -> &'static str {
        "v1"
    }
}

#[handlers]
impl Versioned<V2> {
    #[requires(role = "admin")]
    async fn list() -> &'static str {
        "v2"
    }

    // One of two definitions under exclusive `#[cfg]`s: so are its items.
    #[cfg(debug_assertions)]
    #[requires(role = "admin")]
    async fn build() -> &'static str {
        "debug"
    }

    #[cfg(not(debug_assertions))]
    #[requires(role = "admin")]
    async fn build() -> &'static str {
        "release"
    }
}

fn main() {
    let _: Router<Authenticator<Role>> = Router::new()
        .route("/posts/{id}", get(Posts::show).delete(Posts::delete))
        .route("/viewers", get(Posts::viewers_only))
        .route("/store", get(Store::<u8>::wipe))
        .route("/v1", get(Versioned::<V1>::list))
        .route("/v2", get(Versioned::<V2>::list))
        .route("/build", get(Versioned::<V2>::build));
}
