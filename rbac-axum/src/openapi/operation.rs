//! What an operation's guard says of it: aide's `OperationInput` for the
//! guard of `#[requires]`, for [`Auth`] and [`TokenClaims`], and the same
//! for a router's `require!` ([`ApiRequire`](super::ApiRequire)). Each
//! writes the operation's `security`, its 400/401/403 responses and its
//! `x-rbac` entry, which the policy inventory reads back.

use aide::OperationInput;
use aide::generate::GenContext;
use aide::openapi::{Operation, PathItem, ReferenceOr, Responses, SecurityRequirement, StatusCode};
use aide::transform::TransformOperation;
use rbac_core::{RoleModel, ScopeAlternatives};
use serde::{Deserialize, Serialize};

use super::registry;
use crate::extract::{Auth, TokenClaims};
use crate::guard::{Guard, Requirement};
use crate::guarded::Guarded;

/// The operation's extension this module writes.
pub(crate) const EXTENSION: &str = "x-rbac";

/// The name of the security scheme in the document's components.
pub const SECURITY_SCHEME: &str = "bearer";

/// The refusal responses in the document's components: status, name,
/// description.
pub(crate) const REFUSALS: &[(u16, &str, &str)] = &[
    (400, "RbacBadRequest", "A malformed request: `invalid_request` (RFC 6750 §3.1)."),
    (401, "RbacUnauthorized", "No bearer token, or one that is not acceptable: `invalid_token`."),
    (
        403,
        "RbacForbidden",
        "A valid token without the rights this operation needs: `insufficient_scope`.",
    ),
    (
        500,
        "RbacServerError",
        "The server cannot decide now (the identity provider's keys are not fetched yet, a claims \
         mapper failed): `server_error`.",
    ),
];

/// Every operation of a path item.
pub(crate) fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// What `x-rbac` holds: who may call the operation.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Marked public on purpose ([`public`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) public: bool,
    /// A valid bearer token is needed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) authenticated: bool,
    /// Requirements that must all hold, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) requires: Vec<Rule>,
    /// Whether `security` says exactly which tokens pass (`exact`), only
    /// what they need at least (`at least`: roles and `not(…)` are not
    /// OAuth scopes), or that a token is read when sent (`optional`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security: Option<String>,
}

/// One requirement as written, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rule {
    /// In the words of `#[requires]`.
    pub(crate) rule: String,
    /// The handler (or `module::require!` for a router's).
    pub(crate) handler: String,
    /// The role model's type, whose names the rule uses.
    pub(crate) model: String,
}

impl Rule {
    /// Its key in the registry of documented requirements.
    pub(crate) fn key(&self) -> registry::Key<'_> {
        registry::Key { model: &self.model, handler: &self.handler, rule: &self.rule }
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Entry {
    /// The entry of `operation`, empty if none (or unreadable: written by
    /// someone else).
    pub(crate) fn of(operation: &Operation) -> Entry {
        operation
            .extensions
            .get(EXTENSION)
            .and_then(|value| serde_json::from_value(value.clone()).ok())
            .unwrap_or_default()
    }

    fn write(&self, operation: &mut Operation) {
        if let Ok(value) = serde_json::to_value(self) {
            operation.extensions.insert(EXTENSION.to_owned(), value);
        }
    }
}

impl<R: Requirement> OperationInput for Guard<R> {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        document::<R>(operation);
    }
}

impl<T: OperationInput, R: Requirement> OperationInput for Guarded<T, R> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        document::<R>(operation);
        T::operation_input(ctx, operation);
    }
}

impl OperationInput for Auth {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        authenticated(operation);
    }
}

impl<T> OperationInput for TokenClaims<T> {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        authenticated(operation);
    }
}

/// Marks an operation public on purpose, for the policy inventory's
/// deny-by-default check: `get_with(handler, rbac_axum::openapi::public)`.
///
/// ```
/// use aide::axum::{ApiRouter, routing::get_with};
///
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// let app: ApiRouter = ApiRouter::new().api_route("/health", get_with(health, rbac_axum::openapi::public));
/// # let _ = app;
/// ```
pub fn public(mut operation: TransformOperation<'_>) -> TransformOperation<'_> {
    let operation_mut = operation.inner_mut();
    let mut entry = Entry::of(operation_mut);
    entry.public = true;
    if entry.requires.is_empty() && entry.authenticated {
        // An `Option<Auth>`: a token is taken when sent, not needed.
        optional_token(operation_mut, &mut entry);
    }
    entry.write(operation_mut);
    operation
}

/// `security` for an operation that serves anonymous callers and reads a
/// token when one is sent: no requirement (`{}`), or the scheme.
fn optional_token(operation: &mut Operation, entry: &mut Entry) {
    operation.security = vec![SecurityRequirement::new(), requirement(Vec::new())];
    entry.security = Some("optional".to_owned());
}

/// Documents that a valid bearer token is needed: the scheme without
/// scopes, unless a requirement already says more, and 400/401.
fn authenticated(operation: &mut Operation) {
    let mut entry = Entry::of(operation);
    entry.authenticated = true;
    if entry.requires.is_empty() {
        if entry.public {
            optional_token(operation, &mut entry);
        } else {
            operation.security = vec![requirement(Vec::new())];
            entry.security = Some("exact".to_owned());
        }
    }
    entry.write(operation);
    refusals(operation, &[400, 401, 500]);
}

/// Documents `R` on `operation`, with any requirement already on it: they
/// must all hold.
pub(crate) fn document<R: Requirement>(operation: &mut Operation) {
    let rule = Rule {
        rule: registry::register::<R>(),
        handler: R::HANDLER.to_owned(),
        model: registry::model_name::<R::Model>().to_owned(),
    };
    let mut entry = Entry::of(operation);
    entry.authenticated = true;
    if !entry.requires.contains(&rule) {
        entry.requires.push(rule);
    }
    let schema = <R::Model as RoleModel>::SCHEMA;
    let alternatives = entry
        .requires
        .iter()
        .filter_map(|rule| registry::find(&rule.key()))
        .map(|registered| registered.expr.scope_alternatives())
        .reduce(ScopeAlternatives::both);
    if let Some(alternatives) = alternatives {
        operation.security = alternatives
            .sets()
            .iter()
            .map(|&scopes| requirement(schema.scope_names(scopes).map(str::to_owned).collect()))
            .collect();
        let exactness = if alternatives.is_exact() { "exact" } else { "at least" };
        entry.security = Some(exactness.to_owned());
    }
    entry.write(operation);
    refusals(operation, &[400, 401, 403, 500]);
}

/// One alternative of `security`: this scheme with `scopes`.
fn requirement(scopes: Vec<String>) -> SecurityRequirement {
    [(SECURITY_SCHEME.to_owned(), scopes)].into_iter().collect()
}

/// Refers the responses `codes` to the shared refusal components, unless
/// the operation documents them itself.
fn refusals(operation: &mut Operation, codes: &[u16]) {
    let responses = operation.responses.get_or_insert_with(Responses::default);
    for &code in codes {
        let Some(&(_, name, _)) = REFUSALS.iter().find(|(status, _, _)| *status == code) else {
            continue;
        };
        responses.responses.entry(StatusCode::Code(code)).or_insert_with(|| {
            ReferenceOr::Reference {
                reference: format!("#/components/responses/{name}"),
                summary: None,
                description: None,
            }
        });
    }
}
