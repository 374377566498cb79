//! Requirements on a whole router: what `require!` makes, a tower layer for
//! axum's `route_layer` that authenticates each request once and decides
//! the requirement before any of the matched handler's extractors run.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::guard::{Requirement, check, prepare};
use crate::state::AuthState;

/// A requirement for every route of a router, made by
/// [`require!`](crate::require); give it the router's state with
/// [`with_state`](Self::with_state) to get the layer.
#[must_use = "a requirement protects nothing until layered on a router"]
pub struct Require<R> {
    requirement: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Require<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Require")
    }
}

impl<R: Requirement> Require<R> {
    /// For generated code: `require!` makes it.
    pub(crate) const fn new() -> Self {
        Self { requirement: PhantomData }
    }

    /// The layer, deciding the requirement with `state`'s authenticator
    /// (`route_layer` gives a layer no state, as with axum's
    /// `from_extractor_with_state`).
    pub fn with_state<S>(self, state: &S) -> RequireLayer<R, S>
    where
        S: AuthState<Model = R::Model> + Clone,
    {
        RequireLayer { state: state.clone(), requirement: PhantomData }
    }
}

/// The layer of a [`require!`](crate::require) requirement: put it on a
/// router with `route_layer`, so that it runs for the routes that match
/// (other paths keep their 404 and 405 answers).
#[must_use = "a layer protects nothing until put on a router"]
pub struct RequireLayer<R, S> {
    state: S,
    requirement: PhantomData<fn() -> R>,
}

impl<R, S: Clone> Clone for RequireLayer<R, S> {
    fn clone(&self) -> Self {
        Self { state: self.state.clone(), requirement: PhantomData }
    }
}

impl<R, S> std::fmt::Debug for RequireLayer<R, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequireLayer")
    }
}

impl<R, S: Clone, I> Layer<I> for RequireLayer<R, S> {
    type Service = RequireService<R, S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        RequireService { inner, state: self.state.clone(), requirement: PhantomData }
    }
}

/// The service [`RequireLayer`] wraps a route in.
pub struct RequireService<R, S, I> {
    inner: I,
    state: S,
    requirement: PhantomData<fn() -> R>,
}

impl<R, S: Clone, I: Clone> Clone for RequireService<R, S, I> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), state: self.state.clone(), requirement: PhantomData }
    }
}

impl<R, S, I> std::fmt::Debug for RequireService<R, S, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequireService")
    }
}

impl<R, S, I> Service<Request<Body>> for RequireService<R, S, I>
where
    R: Requirement,
    S: AuthState<Model = R::Model> + Clone + Send + Sync + 'static,
    I: Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    I::Response: IntoResponse,
    I::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The service polled ready is the one that serves this request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let (verifier, requirement) = prepare::<R, S>(&self.state);
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if let Err(rejection) = check(&mut parts, &verifier, requirement).await {
                return Ok(rejection.into_response());
            }
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(response.into_response())
        })
    }
}
