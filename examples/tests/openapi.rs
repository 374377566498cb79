//! The OpenAPI document and the policy inventory: the document is served,
//! valid OpenAPI 3.1 by a validator this project did not write, and pinned
//! by a snapshot; every guarded operation says what it requires; the
//! inventory's role × route matrix is the one the README prints, agrees
//! with the README's endpoint table, and finds no unguarded route.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestServer;
use rbac_axum::openapi::{Access, Inventory};
use rbac_example::Config;
use rbac_test_support::require_tool;
use serde_json::Value;

/// The example on its embedded defaults, as `cargo run` starts it.
fn defaults() -> Config {
    Config::from_lookup(|_| None).expect("the embedded defaults are valid")
}

/// The example as a resource server of an external issuer.
fn resource_server() -> Config {
    Config::from_lookup(|name| match name {
        "RBAC_EXAMPLE_TRUST_JWKS_URL" => Some("https://id.example/.well-known/jwks.json".into()),
        "RBAC_EXAMPLE_ISSUER" => Some("https://id.example".into()),
        "RBAC_EXAMPLE_AUDIENCE" => Some("posts-api".into()),
        _ => None,
    })
    .expect("a valid resource-server configuration")
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Set to rewrite `tests/snapshots/openapi.json` from the served document.
const UPDATE: &str = "RBAC_UPDATE_SNAPSHOTS";

async fn served_document() -> Value {
    let server = TestServer::start().await;
    let response = server.get("/openapi.json", None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    server.stop().await;
    response.json()
}

#[tokio::test]
async fn the_served_document_is_the_snapshot() {
    let document = served_document().await;
    let snapshot = manifest_dir().join("tests/snapshots/openapi.json");
    let pretty = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(&snapshot, &pretty).expect("write the snapshot");
    }
    let pinned = std::fs::read_to_string(&snapshot).expect("the committed snapshot");
    assert!(
        pinned == pretty,
        "the served document differs from {}; review the change and rerun with {UPDATE}=1 to \
         accept it",
        snapshot.display()
    );
}

#[tokio::test]
async fn the_served_document_is_valid_openapi_3_1() {
    let Some(validator) = require_tool(
        "the_served_document_is_valid_openapi_3_1",
        &["openapi-spec-validator"],
        "python3 -m pip install openapi-spec-validator==0.9.0",
    ) else {
        return;
    };
    let document = served_document().await;
    assert_eq!(document["openapi"], "3.1.0");
    let dir = tempfile::tempdir().expect("temporary directory");
    let file: PathBuf = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&document).expect("JSON")).expect("write");
    let output = Command::new(validator).arg(&file).output().expect("run the validator");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "invalid: {stdout}{stderr}");
    assert!(stdout.trim_end().ends_with(": OK"), "{stdout}{stderr}");
}

#[tokio::test]
async fn every_guarded_operation_says_what_it_requires() {
    let document = served_document().await;
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/token");
    assert_eq!(scheme["flows"]["password"]["scopes"]["posts:write"], "Write and delete posts.");
    assert_eq!(
        scheme["x-rbac-roles"]["admin"]["inherits"],
        serde_json::json!(["editor", "viewer"])
    );
    assert!(scheme["flows"]["password"].get("refreshUrl").is_none(), "no null refreshUrl");

    let operation = &document["paths"]["/users"]["get"];
    // any(role = "admin", scope = "users:read"): an admin needs no scope,
    // so a token needs none at least; the rule says the rest.
    assert_eq!(operation["security"], serde_json::json!([{ "bearer": [] }]));
    assert_eq!(operation["x-rbac"]["security"], "at least");
    let rule = &operation["x-rbac"]["requires"][0];
    assert_eq!(rule["rule"], r#"any(role = "admin", scope = "users:read")"#);
    assert_eq!(rule["handler"], "rbac_example::users::list");
    let description = operation["description"].as_str().unwrap_or_default();
    assert!(description.ends_with(r#"**Requires:** `any(role = "admin", scope = "users:read")`."#));

    let operation = &document["paths"]["/posts"]["post"];
    assert_eq!(operation["security"], serde_json::json!([{ "bearer": ["posts:write"] }]));
    for (status, component) in
        [("400", "RbacBadRequest"), ("401", "RbacUnauthorized"), ("403", "RbacForbidden")]
    {
        let reference = format!("#/components/responses/{component}");
        assert_eq!(operation["responses"][status]["$ref"], reference.as_str(), "{status}");
        let response = &document["components"]["responses"][component];
        assert_eq!(response["headers"]["WWW-Authenticate"]["required"], true, "{component}");
        let body = &response["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(body, "#/components/schemas/RbacRefusal", "{component}");
    }
    assert_eq!(
        operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Post"
    );

    // The password grant is public, on purpose.
    let token = &document["paths"]["/token"]["post"];
    assert!(token.get("security").is_none(), "{token}");
    assert_eq!(token["x-rbac"]["public"], true);
}

#[test]
fn no_route_is_unguarded_by_mistake() {
    for (mode, config, routes) in
        [("issuer", defaults(), 12), ("resource server", resource_server(), 7)]
    {
        let inventory = Inventory::of(&rbac_example::openapi(&config));
        assert_eq!(inventory.routes().len(), routes, "{mode}");
        if let Err(unguarded) = inventory.check_deny_by_default() {
            panic!("{mode}: {unguarded}");
        }
    }
}

#[test]
fn a_resource_server_documents_the_bearer_token_it_takes() {
    let api = rbac_example::openapi(&resource_server());
    let document = serde_json::to_value(&api).expect("JSON");
    assert!(document["paths"].get("/token").is_none(), "no login here");
    let revoke = &document["paths"]["/subjects/{sub}/revoke"]["post"];
    assert_eq!(revoke["security"], serde_json::json!([{ "bearer": ["users:write"] }]));
    assert_eq!(revoke["parameters"][0]["name"], "sub");
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer");
}

#[test]
fn the_readme_prints_the_services_matrix() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README");
    let printed = rbac_example::routes_table(&defaults());
    let block = readme
        .split("```text\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.starts_with("METHOD"))
        .expect("a ```text block starting with METHOD in the README");
    assert_eq!(block, printed, "the README's matrix is not what `rbac-example routes` prints");
}

#[test]
fn the_readme_endpoint_table_agrees_with_the_inventory() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README");
    let table: Vec<(&str, &str)> = readme
        .split("## Endpoints")
        .nth(1)
        .expect("an Endpoints section")
        .lines()
        .skip_while(|line| !line.starts_with("| `"))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let mut cells = line.trim_matches('|').split(" | ");
            Some((cells.next()?.trim(), cells.next()?.trim()))
        })
        .collect();
    let mut documented = Vec::new();
    for config in [defaults(), resource_server()] {
        for route in Inventory::of(&rbac_example::openapi(&config)).routes() {
            let name = format!("`{} {}`", route.method(), route.path());
            let Some((_, requirement)) = table.iter().find(|(routes, _)| routes.contains(&name))
            else {
                panic!("{name} is not in the README's endpoint table");
            };
            let expected = match route.access() {
                Access::Public => "none".to_owned(),
                Access::AnyToken => "a valid token".to_owned(),
                _ => format!("`{}`", route.requirement()),
            };
            assert!(
                requirement.contains(&expected),
                "{name}: README says {requirement}, the code {expected}"
            );
            documented.push(name);
        }
    }
    // And the other way: every route the table names is documented, the
    // `.well-known` documents aside (plain routes, not in the document).
    for (routes, _) in &table {
        for name in routes.split(", ").filter(|name| !name.contains("/.well-known/")) {
            assert!(
                documented.iter().any(|known| known == name),
                "{name} is in the README, not in the code"
            );
        }
    }
}
