//! The handler's first argument, wrapped: `#[requires]` turns
//! `Path(id): Path<u64>` into `Guarded(Path(id), ..): Guarded<Path<u64>, _>`,
//! which runs the guard and then the wrapped extractor. The handler keeps
//! its number of arguments (axum takes at most 16, and `debug_handler`
//! calls the handler with as many as it was written with), its patterns
//! and its argument types, inside the wrapper; the check still runs before
//! any other extractor, and before a body extractor reads the body.

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::guard::{Requirement, check, prepare};
use crate::refusal::Rejection;
use crate::state::AuthState;

/// An extractor `T` behind the guard of requirement `R`; see the module.
#[derive(Debug)]
pub struct Guarded<T, R>(pub T, pub PhantomData<fn() -> R>);

/// Why a [`Guarded`] extractor refused: the guard, or the wrapped
/// extractor after the guard let the request through.
#[derive(Debug)]
pub enum GuardedRejection<E> {
    /// The guard refused (401, 403, 400, 500): the extractor never ran.
    Guard(Rejection),
    /// The wrapped extractor's own rejection.
    Extractor(E),
}

impl<E: IntoResponse> IntoResponse for GuardedRejection<E> {
    fn into_response(self) -> Response {
        match self {
            GuardedRejection::Guard(rejection) => rejection.into_response(),
            GuardedRejection::Extractor(rejection) => rejection.into_response(),
        }
    }
}

impl<T, R, S> FromRequestParts<S> for Guarded<T, R>
where
    T: FromRequestParts<S>,
    R: Requirement,
    S: AuthState<Model = R::Model>,
{
    type Rejection = GuardedRejection<T::Rejection>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (authenticator, requirement) = prepare::<R, S>(state);
        check(parts, &authenticator, requirement).await.map_err(GuardedRejection::Guard)?;
        let inner = T::from_request_parts(parts, state).await;
        inner.map(|inner| Guarded(inner, PhantomData)).map_err(GuardedRejection::Extractor)
    }
}

/// A body extractor as the only argument: the guard decides on the
/// request's head, and the body is read only when it lets the request
/// through.
impl<T, R, S> FromRequest<S> for Guarded<T, R>
where
    T: FromRequest<S>,
    R: Requirement,
    S: AuthState<Model = R::Model>,
{
    type Rejection = GuardedRejection<T::Rejection>;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let (authenticator, requirement) = prepare::<R, S>(state);
        check(&mut parts, &authenticator, requirement).await.map_err(GuardedRejection::Guard)?;
        let inner = T::from_request(Request::from_parts(parts, body), state).await;
        inner.map(|inner| Guarded(inner, PhantomData)).map_err(GuardedRejection::Extractor)
    }
}
