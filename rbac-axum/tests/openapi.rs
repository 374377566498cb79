//! OpenAPI documentation from the requirements (feature `openapi`): what
//! each kind of requirement puts in `security` and `x-rbac`, how a
//! router's `require!` stacks with a handler's, the refusal body the
//! document declares, and the policy inventory's deny-by-default check
//! failing on an unguarded route. (More than eight alternatives is
//! `rbac-core`'s unit test: four scopes never make that many.)

mod app;
mod support;

pub(crate) use app::Role;

use aide::axum::ApiRouter;
use aide::axum::routing::{get, get_with};
use aide::openapi::OpenApi;
use axum::extract::State;
use rbac_axum::openapi::{ApiDocs, ApiRequire as _, Inventory, public};
use rbac_axum::{Auth, requires};
use serde_json::{Value, json};

use support::{AppState, hmac_builder};

#[requires(not(role = "viewer"), scope = "posts:read")]
async fn not_viewers(State(_): State<AppState>) -> &'static str {
    "not for viewers"
}

#[requires(any(
    all(
        any(scope = "users:read", scope = "users:write"),
        any(scope = "posts:read", scope = "posts:write")
    ),
    all(
        any(scope = "users:read", scope = "posts:write"),
        any(scope = "users:write", scope = "posts:read")
    ),
    all(scope = "users:read", scope = "posts:read", scope = "posts:write"),
    all(role = "admin", scope = "users:write", scope = "posts:write"),
))]
async fn many_ways(State(_): State<AppState>) -> &'static str {
    "many"
}

#[requires(scope = "posts:write")]
async fn write_posts(State(_): State<AppState>) -> &'static str {
    "written"
}

async fn whoami(auth: Auth) -> String {
    auth.subject().unwrap_or_default().to_owned()
}

async fn health() -> &'static str {
    "ok"
}

async fn debug_dump() -> &'static str {
    "internals"
}

fn state() -> AppState {
    AppState::new(hmac_builder::<Role>().build().expect("valid test configuration"))
}

/// The document of `router`, with `docs`' document-wide part.
fn document(router: ApiRouter<AppState>, docs: &ApiDocs<Role>) -> (OpenApi, Value) {
    let mut api = OpenApi::default();
    let _ = router.finish_api_with(&mut api, |api| docs.apply(api));
    let json = docs.to_json(&api);
    (api, json)
}

#[test]
fn requirements_scopes_cannot_say_are_at_least_and_in_words() {
    let router = ApiRouter::new()
        .api_route("/not-viewers", get(not_viewers))
        .api_route("/many", get(many_ways))
        .api_route("/whoami", get(whoami));
    let (_, json) = document(router, &ApiDocs::password_flow("/token"));

    let operation = &json["paths"]["/not-viewers"]["get"];
    assert_eq!(operation["security"], json!([{ "bearer": ["posts:read"] }]));
    assert_eq!(operation["x-rbac"]["security"], "at least");
    assert_eq!(
        operation["x-rbac"]["requires"][0]["rule"],
        r#"not(role = "viewer"), scope = "posts:read""#
    );

    // Every minimal set of scopes, in the order written; the admin's
    // branch needs a set already listed, and a role: at least.
    let operation = &json["paths"]["/many"]["get"];
    let pair = |a: &str, b: &str| json!({ "bearer": [a, b] });
    let expected = json!([
        pair("users:read", "posts:read"),
        pair("users:read", "posts:write"),
        pair("users:write", "posts:read"),
        pair("users:write", "posts:write"),
        pair("users:read", "users:write"),
        pair("posts:read", "posts:write"),
    ]);
    assert_eq!(operation["security"], expected);
    assert_eq!(operation["x-rbac"]["security"], "at least");

    // `Auth` alone: any valid token, exactly; 400 and 401, never 403.
    let operation = &json["paths"]["/whoami"]["get"];
    assert_eq!(operation["security"], json!([{ "bearer": [] }]));
    assert_eq!(operation["x-rbac"]["security"], "exact");
    assert!(operation["responses"].get("403").is_none(), "{operation}");
    assert_eq!(operation["responses"]["401"]["$ref"], "#/components/responses/RbacUnauthorized");
}

#[test]
fn a_routers_requirement_stacks_with_the_handlers() {
    let state = state();
    let router = ApiRouter::new()
        .api_route("/posts", get(write_posts))
        .api_route("/health", get_with(health, public))
        .api_require(
            rbac_axum::require!(any(scope = "users:read", scope = "users:write"))
                .with_state(&state),
        );
    let (api, json) = document(router, &ApiDocs::password_flow("/token"));

    let operation = &json["paths"]["/posts"]["get"];
    assert_eq!(
        operation["security"],
        json!([{ "bearer": ["users:read", "posts:write"] }, { "bearer": ["users:write", "posts:write"] }])
    );
    assert_eq!(operation["x-rbac"]["security"], "exact");
    let rules: Vec<&str> = operation["x-rbac"]["requires"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|rule| rule["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        [r#"scope = "posts:write""#, r#"any(scope = "users:read", scope = "users:write")"#]
    );
    // The layer covers every route before it, the public one too: it is
    // documented as guarded, since it is.
    assert_eq!(
        json["paths"]["/health"]["get"]["x-rbac"]["requires"][0]["handler"],
        "openapi::require!"
    );

    let matrix = Inventory::of(&api).matrix::<Role>();
    assert_eq!(matrix.allows("GET", "/posts", "admin"), Some(true), "{matrix}");
    assert_eq!(
        matrix.allows("GET", "/posts", "editor"),
        Some(false),
        "editors may not read users:\n{matrix}"
    );
}

#[test]
fn the_document_declares_the_refusal_body_in_use() {
    let router = ApiRouter::new().api_route("/posts", get(write_posts));
    let (_, json) = document(router.clone(), &ApiDocs::password_flow("/token").problem_json());
    let response = &json["components"]["responses"]["RbacForbidden"];
    assert!(response["content"]["application/problem+json"].is_object(), "{response}");
    assert_eq!(response["headers"]["WWW-Authenticate"]["required"], true, "{response}");
    // A 500 has no challenge.
    let response = &json["components"]["responses"]["RbacServerError"];
    assert!(response["content"]["application/problem+json"].is_object(), "{response}");
    assert!(response.get("headers").is_none(), "{response}");
    assert_eq!(
        json["paths"]["/posts"]["get"]["responses"]["500"]["$ref"],
        "#/components/responses/RbacServerError"
    );
    assert_eq!(
        json["components"]["schemas"]["RbacRefusal"]["required"],
        json!(["type", "title", "status", "detail"])
    );

    let own = json!({ "type": "object", "required": ["code"], "properties": { "code": { "type": "string" } } });
    let (_, json) = document(
        router,
        &ApiDocs::password_flow("/token").refusal_body("application/vnd.acme+json", own.clone()),
    );
    let response = &json["components"]["responses"]["RbacUnauthorized"];
    assert!(response["content"]["application/vnd.acme+json"].is_object(), "{response}");
    assert_eq!(json["components"]["schemas"]["RbacRefusal"], own);
}

#[test]
fn deny_by_default_fails_on_an_unguarded_route_and_names_it() {
    let router = ApiRouter::new()
        .api_route("/posts", get(write_posts))
        .api_route("/health", get_with(health, public))
        .api_route("/debug", get(debug_dump));
    let (api, _) = document(router, &ApiDocs::password_flow("/token"));
    let inventory = Inventory::of(&api);
    let unguarded = inventory.check_deny_by_default().expect_err("/debug is unguarded");
    assert_eq!(unguarded.0, ["GET /debug"]);
    assert!(unguarded.to_string().contains("GET /debug"), "{unguarded}");
    let matrix = inventory.matrix::<Role>();
    assert_eq!(
        matrix.allows("GET", "/debug", "anonymous"),
        Some(true),
        "an unguarded route lets anyone in"
    );
    assert_eq!(matrix.allows("GET", "/health", "anonymous"), Some(true));
    assert_eq!(matrix.allows("GET", "/posts", "anonymous"), Some(false));
    assert_eq!(matrix.allows("GET", "/posts", "editor"), Some(true));
    assert_eq!(
        matrix.allows("GET", "/posts", "viewer"),
        Some(false),
        "viewers may not be granted posts:write"
    );
}

#[test]
fn routes_added_without_documentation_are_not_in_the_inventory() {
    let state = state();
    // The shared routes, each with its own `#[requires]`, added as plain
    // axum routes: the limit the inventory's docs state.
    let router: ApiRouter = ApiRouter::new()
        .api_route("/posts", get(write_posts))
        .with_state(state.clone())
        .merge(app::routes(state, []));
    let mut api = OpenApi::default();
    let _ = router.finish_api(&mut api);
    let inventory = Inventory::of(&api);
    let listed: Vec<String> = inventory
        .routes()
        .iter()
        .map(|route| format!("{} {}", route.method(), route.path()))
        .collect();
    assert_eq!(listed, ["GET /posts"]);
}

rbac_axum::roles! {
    type = OtherRole,
    viewer,
    admin: viewer => ["posts:read"],
    scopes: ["posts:write", "posts:read"],
}

async fn ok() -> &'static str {
    "ok"
}

#[test]
fn requirements_of_two_role_models_are_told_apart() {
    // The same handler name (`openapi::require!`) and the same rule in
    // words, over two models that number their roles and scopes apart.
    let ours = state();
    let theirs = rbac_axum::Authenticator::<OtherRole>::builder()
        .hmac(rbac_axum::jsonwebtoken::Algorithm::HS256, support::SECRET)
        .build()
        .expect("valid test configuration");
    let (ours_api, ours_json) = document(
        ApiRouter::new().api_route("/x", get(ok)).api_require(
            rbac_axum::require!(role = "admin", scope = "posts:read").with_state(&ours),
        ),
        &ApiDocs::password_flow("/token"),
    );
    let mut theirs_api = OpenApi::default();
    let _ = ApiRouter::<rbac_axum::Authenticator<OtherRole>>::new()
        .api_route("/x", get(ok))
        .api_require(
            rbac_axum::require!(role = "admin", scope = "posts:read", model = crate::OtherRole)
                .with_state(&theirs),
        )
        .finish_api(&mut theirs_api);
    let theirs_json = serde_json::to_value(&theirs_api).expect("JSON");

    for json in [&ours_json, &theirs_json] {
        assert_eq!(json["paths"]["/x"]["get"]["security"], json!([{ "bearer": ["posts:read"] }]));
    }
    let ours = Inventory::of(&ours_api).matrix::<Role>();
    assert_eq!(ours.allows("GET", "/x", "admin"), Some(true), "{ours}");
    assert_eq!(ours.allows("GET", "/x", "viewer"), Some(false), "{ours}");
    let theirs = Inventory::of(&theirs_api).matrix::<OtherRole>();
    assert_eq!(theirs.allows("GET", "/x", "admin"), Some(true), "{theirs}");
    assert_eq!(theirs.allows("GET", "/x", "viewer"), Some(false), "{theirs}");
    // A matrix of one model cannot decide the other's rules.
    let mixed = Inventory::of(&theirs_api).matrix::<Role>();
    assert_eq!(mixed.allows("GET", "/x", "admin"), None, "{mixed}");
}

async fn front_page(auth: Option<Auth>) -> String {
    auth.and_then(|auth| auth.subject().map(str::to_owned)).unwrap_or_default()
}

#[test]
fn optional_authentication_marked_public_is_optional_and_open() {
    let router = ApiRouter::new()
        .api_route("/front", get_with(front_page, public))
        .api_route("/whoami", get(whoami));
    let (api, json) = document(router, &ApiDocs::password_flow("/token"));
    let operation = &json["paths"]["/front"]["get"];
    assert_eq!(operation["security"], json!([{}, { "bearer": [] }]));
    assert_eq!(operation["x-rbac"]["security"], "optional");
    let matrix = Inventory::of(&api).matrix::<Role>();
    assert_eq!(matrix.allows("GET", "/front", "anonymous"), Some(true), "{matrix}");
    assert_eq!(matrix.allows("GET", "/whoami", "anonymous"), Some(false), "{matrix}");
}

#[test]
fn a_resource_server_documents_a_bearer_scheme() {
    let router = ApiRouter::new().api_route("/posts", get(write_posts));
    let (_, json) = document(router, &ApiDocs::bearer());
    let scheme = &json["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert!(scheme["x-rbac-scopes"]["posts:write"].is_string(), "{scheme}");
    assert!(scheme.get("flows").is_none(), "{scheme}");
}

/// `body`'s members are among `schema`'s properties, and its required
/// members are there.
fn conforms(body: &Value, schema: &Value) {
    let properties = schema["properties"].as_object().expect("properties");
    for (member, _) in body.as_object().expect("an object") {
        assert!(properties.contains_key(member), "{member} is not in {schema}");
    }
    for required in schema["required"].as_array().expect("required") {
        let required = required.as_str().expect("a name");
        assert!(body.get(required).is_some(), "{required} is missing from {body}");
    }
}

#[tokio::test]
async fn the_authenticators_described_body_is_documented_and_what_it_sends() {
    use axum::response::IntoResponse as _;
    let (media_type, schema) = rbac_axum::Refusal::problem_json_schema();
    let authenticator = hmac_builder::<Role>()
        .refusal_body_described(rbac_axum::Refusal::problem_json, media_type, schema.clone())
        .build()
        .expect("valid test configuration");
    let docs = ApiDocs::password_flow("/token").refusals_of(&authenticator);
    let (_, json) = document(ApiRouter::new().api_route("/posts", get(write_posts)), &docs);
    assert_eq!(json["components"]["schemas"]["RbacRefusal"], schema);
    let response = &json["components"]["responses"]["RbacForbidden"];
    assert!(response["content"][media_type].is_object(), "{response}");

    // What the authenticator sends matches what the document says, for
    // the described body and for the default one.
    let default = hmac_builder::<Role>().build().expect("valid test configuration");
    let (_, default_schema) = rbac_axum::Refusal::oauth_json_schema();
    for (authenticator, schema) in [(&authenticator, &schema), (&default, &default_schema)] {
        for error in [
            rbac_axum::AuthError::MissingCredentials,
            rbac_axum::AuthError::InvalidToken("the token has expired".into()),
        ] {
            let response = authenticator.reject(error).into_response();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
            conforms(&serde_json::from_slice(&body).expect("JSON"), schema);
        }
    }
}

#[test]
#[should_panic(expected = "does not describe")]
fn an_undescribed_refusal_body_cannot_be_documented() {
    let authenticator = hmac_builder::<Role>()
        .refusal_body(|_: &rbac_axum::Refusal| "no")
        .build()
        .expect("valid test configuration");
    let _ = ApiDocs::password_flow("/token").refusals_of(&authenticator);
}
