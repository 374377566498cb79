//! Verification reads a token's payload in one streaming pass. These tests
//! hold it to a reference model written here, which looks every claim up
//! in a `serde_json` map: on chosen payloads (duplicate keys, escapes,
//! values of every type, nested paths) and on generated ones, every payload
//! is signed as it is written and given to `Authenticator::verify`, and the
//! outcome (the refusal's message, or the subject, roles and declared
//! scopes granted) must be the model's.

// Tests may panic on setup failures; that is a failed test, not a bug.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use rbac_axum::jsonwebtoken::Algorithm;
use rbac_axum::{Authenticator, ClaimPath, RoleModel};
use serde_json::{Map, Value, json};

rbac_axum::roles! {
    admin: editor,
    editor: viewer,
    viewer,
    scopes: ["users:read", "users:write"],
}

const SECRET: &[u8] = b"claims-reader test secret, 32 bytes or more";
const ISSUER: &str = "i";
const AUDIENCES: [&str; 2] = ["api", "other-api"];
/// Wide enough that `exp: 1` is still accepted, so grants are compared on
/// payloads whose times are long past.
const HUGE_LEEWAY: u64 = 1 << 40;

/// Where roles are read from.
#[derive(Debug, Clone, Copy)]
enum RolesAt {
    Top,
    /// `realm_access.roles`, as Keycloak writes it.
    Nested,
    /// A registered claim: the reader then reads both at once.
    Scp,
}

impl RolesAt {
    fn keys(self) -> &'static [&'static str] {
        match self {
            RolesAt::Top => &["roles"],
            RolesAt::Nested => &["realm_access", "roles"],
            RolesAt::Scp => &["scp"],
        }
    }
}

/// What the authenticator requires besides a signature.
#[derive(Debug, Clone, Copy)]
enum Checks {
    /// Only times, without leeway.
    Times,
    /// `iss` and `aud`, with the huge leeway (so that their checks, not the
    /// time claims', decide).
    IssuerAndAudience,
    /// Nothing a payload can fail on but its syntax and its time claims'
    /// types.
    HugeLeeway,
}

#[derive(Debug, Clone, Copy)]
struct Config {
    roles: RolesAt,
    checks: Checks,
}

fn configs() -> Vec<Config> {
    let mut all = Vec::new();
    for roles in [RolesAt::Top, RolesAt::Nested, RolesAt::Scp] {
        for checks in [Checks::Times, Checks::IssuerAndAudience, Checks::HugeLeeway] {
            all.push(Config { roles, checks });
        }
    }
    all
}

fn authenticator(config: Config) -> Authenticator<Role> {
    let mut builder = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .roles_claim(ClaimPath::nested(config.roles.keys().iter().copied()));
    match config.checks {
        Checks::Times => {}
        Checks::IssuerAndAudience => {
            builder = builder
                .issuer(ISSUER)
                .audience(AUDIENCES[0])
                .audience(AUDIENCES[1])
                .leeway(Duration::from_secs(HUGE_LEEWAY));
        }
        Checks::HugeLeeway => builder = builder.leeway(Duration::from_secs(HUGE_LEEWAY)),
    }
    builder.build().unwrap()
}

/// `payload`, as written, under an HS256 signature.
fn sign(payload: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
    let signature = URL_SAFE_NO_PAD.encode(hmac::sign(&key, message.as_bytes()).as_ref());
    format!("{message}.{signature}")
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as f64
}

/// What a client can observe of a verification.
type Outcome = Result<(Option<String>, Vec<&'static str>, Vec<&'static str>), String>;

fn by_verification(payload: &[u8], config: Config) -> Outcome {
    let principal =
        authenticator(config).verify(&sign(payload)).map_err(|e| e.message().to_owned())?;
    let schema = Role::SCHEMA;
    Ok((
        principal.subject().map(str::to_owned),
        principal.role_names(),
        schema.scope_names(principal.granted().scopes()).collect(),
    ))
}

/// The reference: every claim looked up in a `serde_json` map, the checks
/// in the order the crate documents them.
fn by_model(payload: &[u8], config: Config) -> Outcome {
    let refuse = |message: &str| Err(message.to_owned());
    let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(payload) else {
        return refuse("the token payload is not a JSON object");
    };
    let leeway = match config.checks {
        Checks::Times => 0.0,
        Checks::HugeLeeway | Checks::IssuerAndAudience => HUGE_LEEWAY as f64,
    };
    let now = now();
    match claims.get("exp") {
        None => return refuse("the token has no `exp` claim"),
        Some(exp) => match exp.as_f64() {
            None => return refuse("the token's `exp` is not a number of seconds"),
            Some(exp) if now >= exp + leeway => return refuse("the token has expired"),
            Some(_) => {}
        },
    }
    if let Some(nbf) = claims.get("nbf") {
        match nbf.as_f64() {
            None => return refuse("the token's `nbf` is not a number of seconds"),
            Some(nbf) if now + leeway < nbf => return refuse("the token is not valid yet (`nbf`)"),
            Some(_) => {}
        }
    }
    if let Checks::IssuerAndAudience = config.checks {
        match claims.get("iss").and_then(Value::as_str) {
            None => return refuse("the token has no `iss` claim"),
            Some(iss) if iss != ISSUER => {
                return refuse("the token's issuer (`iss`) is not accepted");
            }
            Some(_) => {}
        }
        let accepted = |aud: &str| AUDIENCES.contains(&aud);
        let aud = match claims.get("aud") {
            Some(Value::String(aud)) => accepted(aud),
            Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
            _ => false,
        };
        if !aud {
            return refuse("the token's audience (`aud`) is not accepted");
        }
    }
    let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
    Ok((subject, model_roles(&claims, config.roles), model_scopes(&claims)))
}

/// Declared names in an array of strings at the roles path, closed under
/// inheritance, in declaration order.
fn model_roles(claims: &Map<String, Value>, at: RolesAt) -> Vec<&'static str> {
    let (first, rest) = at.keys().split_first().unwrap();
    let mut value = claims.get(*first);
    for key in rest {
        value = value.and_then(Value::as_object).and_then(|object| object.get(*key));
    }
    let named: Vec<Role> = match value {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter_map(Role::from_name).collect()
        }
        _ => Vec::new(),
    };
    Role::ALL
        .into_iter()
        .filter(|role| named.iter().any(|held| held.implies(*role)))
        .map(Role::name)
        .collect()
}

/// Declared scopes named by `scope` (a space-delimited string) or `scp` (a
/// string or an array of strings); blank parts name nothing.
fn model_scopes(claims: &Map<String, Value>) -> Vec<&'static str> {
    let mut named: Vec<&str> = Vec::new();
    if let Some(Value::String(text)) = claims.get("scope") {
        named.extend(text.split(' '));
    }
    match claims.get("scp") {
        Some(Value::String(text)) => named.extend(text.split(' ')),
        Some(Value::Array(items)) => named.extend(items.iter().filter_map(Value::as_str)),
        _ => {}
    }
    let declared = Role::SCHEMA.scopes();
    declared.iter().copied().filter(|scope| named.contains(scope)).collect()
}

fn assert_same(payload: &[u8]) {
    for config in configs() {
        assert_eq!(
            by_verification(payload, config),
            by_model(payload, config),
            "{} with {config:?}",
            String::from_utf8_lossy(payload)
        );
    }
}

#[test]
fn verification_agrees_with_the_model_on_chosen_payloads() {
    for payload in [
        r#"{"exp":1,"nbf":2.5,"iss":"i","sub":"s","aud":"api","roles":["admin"],"scope":"users:read"}"#,
        r#"{"exp":"1","nbf":null,"iss":1,"sub":["s"],"aud":["x",1,"other-api"],"roles":"admin"}"#,
        r#"{"exp":1,"nbf":null,"iss":1,"sub":["s"],"aud":["x",1,"other-api"],"roles":"admin"}"#,
        r#"{"exp":1,"iss":"i","sub":["s"],"aud":["x",1,"other-api"],"roles":["editor",1]}"#,
        r#"{"exp":1,"iss":"i","aud":["x"],"roles":["admin"]}"#,
        r#"{"exp":1,"iss":"j","aud":"api","roles":["admin"]}"#,
        r#"{"roles":["viewer"],"roles":["admin"],"exp":1,"exp":null,"aud":"api","aud":"x"}"#,
        r#"{"roles":["admin"],"roles":["viewer"],"exp":null,"exp":1,"iss":"i","aud":"x","aud":"api"}"#,
        r#"{"roles":["viewer"],"roles":["admin"],"exp":1,"iss":"i","iss":"j","aud":"api"}"#,
        r#"{"exp":1,"scope":"users:read users:write","scope":7,"scp":["users:write"," ",""],"scp":"users:read"}"#,
        r#"{"exp":1,"realm_access":{"roles":["admin"],"roles":["viewer"]},"realm_access":{"x":1}}"#,
        r#"{"exp":1,"realm_access":{"roles":["editor"]},"roles":["admin"]}"#,
        r#"{"exp":1,"realm_access":["roles"],"scp":["admin","users:read"]}"#,
        r#"{"\u0065xp":-1e300,"s\u0075b":"\u00e9\n","iss":"a\"b","r\u006fles":["\u0061dmin"]}"#,
        r#"{"\u0065xp":1,"s\u0075b":"\u00e9\n","iss":"i","aud":"api","r\u006fles":["\u0061dmin"]}"#,
        r#"{"\u0065xp":1,"s\u0075b":"\u00e9\n","\u0069ss":"\u0069","aud":["\u0061pi"],"r\u006fles":["\u0065ditor"]}"#,
        r#"{"exp":18446744073709551615,"nbf":-9223372036854775808,"x":{"y":[{"z":[]}]}}"#,
        r#"{"exp":1,"aud":[],"roles":[],"scope":"","scp":[]}"#,
        r#"{"exp":1,"roles":[1,null,"editor",{"a":1}],"scope":"users:read\u000busers:write \u000b"}"#,
        r#"{"exp":1,"roles":["Admin","admin2"," admin","ADMIN"],"scp":"users:read  users:write"}"#,
        r#"{"exp":1,"roles":{"admin":true}}"#,
        r#"{"exp":1,"roles":[["admin"]]}"#,
        r#"  {"exp":1}  "#,
        r#"{"nbf":1}"#,
    ] {
        assert_same(payload.as_bytes());
    }
}

#[test]
fn verification_refuses_what_the_map_refuses() {
    let deep = format!("{{\"exp\":1,\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    for payload in [
        "[]",
        r#"["exp",1]"#,
        "1",
        "null",
        r#"{"exp":1}x"#,
        r#"{"exp":1,}"#,
        r#"{"exp":1,"x":1e400}"#,
        r#"{"exp":1,"x":"\ud800"}"#,
        r#"{"exp":1,"x":"\q"}"#,
        "{\"exp\":1,\"x\":\"\u{1}\"}",
        &deep,
    ] {
        assert_same(payload.as_bytes());
        for config in configs() {
            assert!(by_verification(payload.as_bytes(), config).is_err(), "{payload}");
        }
    }
    // Invalid UTF-8 inside a claim nobody reads.
    let mut bytes = br#"{"exp":1,"x":"ab"}"#.to_vec();
    bytes[15] = 0xff;
    assert_same(&bytes);
    assert!(
        by_verification(&bytes, Config { roles: RolesAt::Top, checks: Checks::HugeLeeway })
            .is_err()
    );
}

#[test]
fn the_model_is_not_vacuous() {
    // The chosen payloads reach grants: an admin with both scopes.
    let payload = br#"{"exp":1,"sub":"s","roles":["admin"],"scope":"users:read users:write"}"#;
    let config = Config { roles: RolesAt::Top, checks: Checks::HugeLeeway };
    let expected = (
        Some("s".to_owned()),
        vec!["admin", "editor", "viewer"],
        vec!["users:read", "users:write"],
    );
    assert_eq!(by_model(payload, config), Ok(expected.clone()));
    assert_eq!(by_verification(payload, config), Ok(expected));
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        prop::sample::select(vec![
            "admin",
            "editor",
            "viewer",
            "Admin",
            "users:read",
            "users:write",
            "users:read users:write",
            " users:read  admin ",
            "api",
            "other-api",
            "i",
            "",
            " ",
            "é\"\\",
        ])
        .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "exp",
        "nbf",
        "iss",
        "sub",
        "aud",
        "scope",
        "scp",
        "roles",
        "realm_access",
        "x",
    ])
    .prop_map(str::to_owned)
}

/// A JSON object written out entry by entry (so keys may repeat), `tail`
/// last.
fn object(entries: &[(String, Value)], tail: &[&str]) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
        .chain(tail.iter().map(|entry| (*entry).to_owned()))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Claims that often end an object, so that generated payloads get past
/// the time, issuer and audience checks (the last of duplicate keys wins).
fn tail() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(vec![r#""exp":1"#, r#""iss":"i""#, r#""aud":"api""#], 0..=3)
}

proptest! {
    /// Objects written by hand, so that keys repeat.
    #[test]
    fn verification_agrees_with_the_model(
        entries in prop::collection::vec((key(), value()), 0..10),
        tail in tail(),
    ) {
        assert_same(object(&entries, &tail).as_bytes());
    }
}

#[test]
fn generated_payloads_reach_the_grants() {
    // Through the same strategies as the property above: a good share of
    // payloads must be accepted, or the property compares only refusals.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let strategy = (prop::collection::vec((key(), value()), 0..10), tail());
    let mut runner = TestRunner::deterministic();
    let config = Config { roles: RolesAt::Top, checks: Checks::IssuerAndAudience };
    let mut accepted = 0;
    for _ in 0..200 {
        let (entries, tail) = strategy.new_tree(&mut runner).unwrap().current();
        if by_model(object(&entries, &tail).as_bytes(), config).is_ok() {
            accepted += 1;
        }
    }
    eprintln!("{accepted} of 200 generated payloads accepted");
    assert!(accepted >= 20, "only {accepted} of 200 generated payloads accepted");
}

#[test]
fn claim_keys_with_dots_and_slashes_are_literal() {
    let payload = json!({
        "exp": 1,
        "https://example.com/roles": ["admin"],
        "https://example": { "com/roles": ["viewer"] },
    });
    let authenticator = Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .roles_claim("https://example.com/roles")
        .leeway(Duration::from_secs(HUGE_LEEWAY))
        .build()
        .unwrap();
    let principal = authenticator.verify(&sign(payload.to_string().as_bytes())).unwrap();
    assert_eq!(principal.role_names(), ["admin", "editor", "viewer"]);
}
