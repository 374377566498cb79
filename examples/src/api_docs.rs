//! The service's OpenAPI document and Swagger UI: what aide needs to know
//! of the service's own extractors and errors, and the document-wide part
//! (`rbac_axum::openapi::ApiDocs`). The operations' security, `x-rbac`
//! and refusals come from `#[requires]` itself.

use std::sync::OnceLock;

use aide::generate::GenContext;
use aide::openapi::{OpenApi, Operation, Parameter, ReferenceOr};
use aide::transform::{TransformOpenApi, TransformOperation};
use aide::{OperationInput, OperationOutput};
use axum::Json;
use axum::body::Bytes;
use rbac_axum::openapi::ApiDocs;
use schemars::JsonSchema;
use serde_json::json;

use crate::Role;
use crate::error::ApiError;
use crate::extract::{Id, JsonBody};
use crate::token_issuer::IssuedToken;

/// Where the document is served.
pub(crate) const DOCUMENT_PATH: &str = "/openapi.json";

/// Where Swagger UI is served.
pub(crate) const UI_PATH: &str = "/docs";

/// The document-wide part: clients log in at `/token` with the password
/// flow when this service issues tokens, and bring the external issuer's
/// otherwise; refusals have the default OAuth 2.0 error body.
pub(crate) fn api_docs(issues_tokens: bool) -> ApiDocs<Role> {
    if issues_tokens { ApiDocs::password_flow("/token") } else { ApiDocs::bearer() }
}

/// The document's title and description, then `docs`' part.
pub(crate) fn finish<'a>(
    docs: &ApiDocs<Role>,
    issues_tokens: bool,
    api: TransformOpenApi<'a>,
) -> TransformOpenApi<'a> {
    let how = if issues_tokens {
        "Click **Authorize** and log in (the demo users are alice, bob and carol; their \
         passwords are `<name>-demo`)."
    } else {
        "Tokens come from the trusted identity provider: click **Authorize** and paste one."
    };
    let api = api.title("rbac-example").version(env!("CARGO_PKG_VERSION"));
    docs.apply(
        api.description(&format!("Users and posts behind role and scope requirements. {how}")),
    )
}

/// The Swagger UI page (built once: it holds the UI's scripts, 1.6 MB).
pub(crate) fn swagger_page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        aide::swagger::Swagger::new(DOCUMENT_PATH).with_title("rbac-example").html()
    })
}

/// The document as served: JSON.
pub(crate) fn document_bytes(docs: &ApiDocs<Role>, api: &OpenApi) -> Bytes {
    Bytes::from(serde_json::to_vec(&docs.to_json(api)).unwrap_or_default())
}

impl<T: JsonSchema> OperationInput for JsonBody<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Json::<T>::operation_input(ctx, operation);
    }
}

impl OperationInput for Id {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        let parameter = json!({
            "in": "path",
            "name": "id",
            "required": true,
            "description": "A positive integer.",
            "schema": { "type": "integer", "format": "int64", "minimum": 1 },
        });
        if let Ok(parameter) = serde_json::from_value::<Parameter>(parameter) {
            operation.parameters.push(ReferenceOr::Item(parameter));
        }
    }
}

/// Handlers' own errors (404, 409, 500 and the 400s of their extractors)
/// are not listed: the operations document the guard's refusals, and what
/// they return on success.
impl OperationOutput for ApiError {
    type Inner = ();
}

/// An OAuth 2.0 error response (RFC 6749 §5.2), as `/token` answers.
#[derive(JsonSchema)]
#[allow(dead_code)] // documented, never built: the handlers write it as JSON
struct OAuthErrorBody {
    /// The error code.
    error: String,
    /// What went wrong, for the client's developer.
    error_description: String,
}

/// `POST /token`: the password grant (RFC 6749 §4.3), public.
pub(crate) fn token_operation(operation: TransformOperation<'_>) -> TransformOperation<'_> {
    let mut operation = rbac_axum::openapi::public(operation)
        .summary("Log in: the OAuth 2.0 password grant")
        .description(
            "Exchanges a username and password for a bearer token (RFC 6749 §4.3). Without \
             `scope`, the token carries every scope the user's roles may be granted.",
        )
        .response::<200, Json<IssuedToken>>()
        .response_with::<400, Json<OAuthErrorBody>, _>(|response| {
            response.description(
                "The request is refused (RFC 6749 §5.2): `invalid_request`, `invalid_grant` (a \
                 wrong username or password), `invalid_scope`, `unsupported_grant_type`.",
            )
        })
        .response_with::<429, Json<OAuthErrorBody>, _>(|response| {
            response.description(
                "`too_many_failed_logins`: too many failed logins for this username or from \
                 this address; try again after `Retry-After` seconds.",
            )
        })
        .response_with::<503, Json<OAuthErrorBody>, _>(|response| {
            response.description(
                "`temporarily_unavailable`: every password hashing thread is busy and the \
                 queue is full; try again after `Retry-After` seconds.",
            )
        });
    let body = json!({
        "required": true,
        "content": { "application/x-www-form-urlencoded": { "schema": {
            "type": "object",
            "required": ["grant_type", "username", "password"],
            "properties": {
                "grant_type": { "type": "string", "enum": ["password"] },
                "username": { "type": "string" },
                "password": { "type": "string", "format": "password" },
                "scope": { "type": "string", "description": "Space-separated scopes." },
            },
        } } },
    });
    if let Ok(body) = serde_json::from_value(body) {
        operation.inner_mut().request_body = Some(ReferenceOr::Item(body));
    }
    operation
}
