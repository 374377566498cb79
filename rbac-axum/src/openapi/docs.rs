//! The document-wide part: [`ApiDocs`] adds the OAuth 2.0 security scheme
//! made from `roles!`, the refusal responses the operations refer to, and
//! each operation's requirement in its description; and serves the
//! document as JSON.

use std::marker::PhantomData;

use aide::openapi::{OpenApi, Operation, ReferenceOr, Response, SchemaObject, SecurityScheme};
use aide::transform::TransformOpenApi;
use indexmap::IndexMap;
use rbac_core::{RoleModel, RoleSet};
use serde_json::{Value, json};

use super::operation::{Entry, REFUSALS, SECURITY_SCHEME, operations_mut};
use crate::authenticator::Authenticator;
use crate::refusal_body::Refusal;

/// The document-wide part of an API's documentation, for `Role`
/// (`roles!`'s type): the OAuth 2.0 password flow its clients log in
/// with, and the body its refusals have.
///
/// Give [`apply`](Self::apply) to aide's `finish_api_with`, and serve
/// [`to_json`](Self::to_json)'s result.
///
/// ```
/// use aide::axum::{ApiRouter, routing::get};
/// use aide::openapi::OpenApi;
/// use axum::Json;
/// use rbac_axum::openapi::ApiDocs;
/// use rbac_axum::{Authenticator, jsonwebtoken::Algorithm, requires};
///
/// rbac_axum::roles! {
///     /// Manages users.
///     admin: viewer,
///     viewer => ["posts:read"],
///     scopes: [
///         /// Read every post.
///         "posts:read",
///     ],
/// }
///
/// #[requires(scope = "posts:read")]
/// async fn list_posts() -> &'static str {
///     "[]"
/// }
///
/// # fn main() -> Result<(), rbac_axum::ConfigError> {
/// let authenticator = Authenticator::<Role>::builder()
///     .hmac(Algorithm::HS256, b"at least 32 bytes of secret material")
///     .build()?;
/// let docs = ApiDocs::<Role>::password_flow("/token");
/// let mut api = OpenApi::default();
/// let app = ApiRouter::new()
///     .api_route("/posts", get(list_posts))
///     .finish_api_with(&mut api, |api| docs.apply(api.title("Posts")));
/// let document = docs.to_json(&api);
///
/// let operation = &document["paths"]["/posts"]["get"];
/// assert_eq!(operation["security"], serde_json::json!([{ "bearer": ["posts:read"] }]));
/// assert_eq!(operation["responses"]["403"]["$ref"], "#/components/responses/RbacForbidden");
/// let scheme = &document["components"]["securitySchemes"]["bearer"];
/// assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/token");
/// assert_eq!(scheme["flows"]["password"]["scopes"]["posts:read"], "Read every post.");
///
/// let app: axum::Router = app
///     .route("/openapi.json", axum::routing::get(move || async move { Json(document) }))
///     .with_state(authenticator);
/// # let _ = app; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ApiDocs<M> {
    /// Where clients log in: the password flow's token URL, or `None`
    /// (tokens come from elsewhere).
    token_url: Option<String>,
    body: RefusalBody,
    model: PhantomData<fn() -> M>,
}

/// The body of refusals, as documented.
#[derive(Debug, Clone)]
enum RefusalBody {
    /// [`Refusal::oauth_json`](crate::Refusal::oauth_json), the default.
    OAuthJson,
    /// [`Refusal::problem_json`](crate::Refusal::problem_json).
    ProblemJson,
    /// The application's own: its media type and JSON Schema.
    Own { media_type: String, schema: Value },
}

impl<M: RoleModel> ApiDocs<M> {
    /// Clients log in with the OAuth 2.0 password flow (RFC 6749 §4.3) at
    /// `token_url`, relative to the document or absolute: what Swagger UI's
    /// "Authorize" dialog asks for.
    pub fn password_flow(token_url: impl Into<String>) -> Self {
        Self { token_url: Some(token_url.into()), body: RefusalBody::OAuthJson, model: PhantomData }
    }

    /// Clients bring a bearer token obtained elsewhere (a resource server
    /// whose identity provider issues tokens by flows of its own): an HTTP
    /// `bearer` scheme, which Swagger UI asks a token of; the scopes are
    /// listed in its `x-rbac-scopes`, the roles in `x-rbac-roles`.
    pub fn bearer() -> Self {
        Self { token_url: None, body: RefusalBody::OAuthJson, model: PhantomData }
    }

    /// Refusals have the body `authenticator` answers them with: the
    /// default one, or the one its
    /// [`refusal_body_described`](crate::AuthenticatorBuilder::refusal_body_described)
    /// says.
    ///
    /// # Panics
    /// When `authenticator` renders refusals with a renderer given to
    /// [`refusal_body`](crate::AuthenticatorBuilder::refusal_body), which
    /// says nothing of its body: describe it, or declare it here with
    /// [`refusal_body`](Self::refusal_body).
    #[must_use]
    pub fn refusals_of(mut self, authenticator: &Authenticator<M>) -> Self {
        let own = authenticator.has_own_refusal_body();
        self.body = match (own, authenticator.refusal_body_description()) {
            (false, _) => RefusalBody::OAuthJson,
            (true, Some((media_type, schema))) => {
                RefusalBody::Own { media_type: media_type.to_owned(), schema: schema.clone() }
            }
            (true, None) => panic!(
                "the authenticator renders refusals with a body it does not describe: build it \
                 with `refusal_body_described(render, media_type, schema)`, or give the body to \
                 `ApiDocs::refusal_body(media_type, schema)`"
            ),
        };
        self
    }

    /// Refusals have RFC 9457 bodies: the authenticator was built with
    /// `refusal_body(Refusal::problem_json)`.
    #[must_use]
    pub fn problem_json(mut self) -> Self {
        self.body = RefusalBody::ProblemJson;
        self
    }

    /// Refusals have the application's own body, of `media_type`, that
    /// `schema` (a JSON Schema) describes: the authenticator's
    /// `refusal_body` renders it. [`apply`](Self::apply) panics when
    /// `schema` is not a JSON object (or `true`/`false`).
    #[must_use]
    pub fn refusal_body(mut self, media_type: impl Into<String>, schema: Value) -> Self {
        self.body = RefusalBody::Own { media_type: media_type.into(), schema };
        self
    }

    /// Adds to the document: the security scheme (the password flow with
    /// every declared scope, the roles in its `x-rbac-roles`), the refusal
    /// responses and body schema the operations refer to, and each guarded
    /// operation's requirement at the end of its description.
    pub fn apply<'a>(&self, mut api: TransformOpenApi<'a>) -> TransformOpenApi<'a> {
        let document = api.inner_mut();
        let components = document.components.get_or_insert_with(Default::default);
        components
            .security_schemes
            .insert(SECURITY_SCHEME.to_owned(), ReferenceOr::Item(self.scheme()));
        let (media_type, schema) = self.body();
        let schema = serde_json::from_value::<SchemaObject>(schema)
            .expect("the refusal body's schema is a JSON Schema (a JSON object)");
        components.schemas.insert("RbacRefusal".to_owned(), schema);
        for &(code, name, description) in REFUSALS {
            let response =
                serde_json::from_value::<Response>(refusal(code, description, &media_type))
                    .expect("a refusal response as built here is an OpenAPI response");
            components.responses.insert(name.to_owned(), ReferenceOr::Item(response));
        }
        for (_, item) in document.paths.iter_mut().flat_map(|paths| paths.paths.iter_mut()) {
            if let ReferenceOr::Item(item) = item {
                for operation in operations_mut(item) {
                    describe(operation);
                }
            }
        }
        api
    }

    /// The document as JSON, ready to serve: aide's serialization, less
    /// the `null`s OpenAPI does not allow (a flow's `refreshUrl`).
    pub fn to_json(&self, api: &OpenApi) -> Value {
        let mut document =
            serde_json::to_value(api).expect("an OpenAPI document serializes to JSON");
        if let Some(schemes) = document.pointer_mut("/components/securitySchemes") {
            drop_nulls(schemes);
        }
        document
    }

    fn scheme(&self) -> SecurityScheme {
        let schema = M::SCHEMA;
        let scopes: IndexMap<String, String> = schema
            .scopes()
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let description = schema.scope_description(index).unwrap_or(name);
                ((*name).to_owned(), description.to_owned())
            })
            .collect();
        let roles: serde_json::Map<String, Value> = schema
            .roles()
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let inherits: Vec<&str> = schema
                    .role_names(schema.implied(index).difference(RoleSet::single(index)))
                    .collect();
                let grantable: Vec<&str> =
                    schema.scope_names(schema.grantable(RoleSet::single(index))).collect();
                let mut role = json!({ "inherits": inherits, "grantable_scopes": grantable });
                if let Some(description) = schema.role_description(index) {
                    role["description"] = json!(description);
                }
                ((*name).to_owned(), role)
            })
            .collect();
        let scheme = match &self.token_url {
            Some(token_url) => json!({
                "type": "oauth2",
                "description": "A bearer token (RFC 6750) from the password flow. Its scopes \
                    are listed here; its roles (in `x-rbac-roles`) come with the user's account.",
                "flows": { "password": { "tokenUrl": token_url, "scopes": scopes } },
                "x-rbac-roles": roles,
            }),
            None => json!({
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A bearer token (RFC 6750) from the identity provider. Its \
                    scopes are in `x-rbac-scopes`, its roles in `x-rbac-roles`.",
                "x-rbac-scopes": scopes,
                "x-rbac-roles": roles,
            }),
        };
        serde_json::from_value(scheme).expect("the scheme as built here is an OpenAPI scheme")
    }

    /// The refusal body's media type and JSON Schema.
    fn body(&self) -> (String, Value) {
        let (media_type, schema) = match &self.body {
            RefusalBody::OAuthJson => Refusal::oauth_json_schema(),
            RefusalBody::ProblemJson => Refusal::problem_json_schema(),
            RefusalBody::Own { media_type, schema } => return (media_type.clone(), schema.clone()),
        };
        (media_type.to_owned(), schema)
    }
}

/// A refusal response: its challenge and its body.
fn refusal(code: u16, description: &str, media_type: &str) -> Value {
    let mut response = json!({
        "description": description,
        "content": { media_type: { "schema": { "$ref": "#/components/schemas/RbacRefusal" } } },
    });
    // A 500 has no challenge: the request was not at fault.
    if code != 500 {
        response["headers"] = json!({
            "WWW-Authenticate": {
                "description": format!(
                    "The Bearer challenge (RFC 6750 §3){}.",
                    if code == 401 { "" } else { " with its error code" }
                ),
                "required": true,
                "schema": { "type": "string" },
            }
        });
    }
    response
}

/// Ends a guarded operation's description with its requirement.
fn describe(operation: &mut Operation) {
    let entry = Entry::of(operation);
    if entry.requires.is_empty() {
        return;
    }
    let rules: Vec<String> = entry.requires.iter().map(|rule| format!("`{}`", rule.rule)).collect();
    let line = format!("**Requires:** {}.", rules.join(" and "));
    let description = operation.description.get_or_insert_with(String::new);
    if !description.contains(&line) {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&line);
    }
}

/// Removes every `null` member of the objects in `value`.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
