//! The security cases listed in `SECURITY.md` beside this file (what each
//! tries, what the service answers), one test each, `case_NN_…` after the
//! case's number, over a real socket: status, `WWW-Authenticate`, a JSON
//! body that repeats neither the token nor the key, and a handler that
//! never ran when access is refused.
//!
//! The remote parts of cases 17 and 37 (a JWKS issuer never fetching the
//! token's `jku`, an identity provider unreachable at start-up) are in
//! `jwks.rs`, against a local provider.

// Tests may panic: `expect`/`unwrap` on set-up steps is how they fail.
#![allow(clippy::unwrap_used)]

mod app;
mod support;

pub(crate) use app::Role;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use rbac_axum::jsonwebtoken::{Algorithm, DecodingKey, Header};
use rbac_axum::{
    Auth, Authenticator, ClaimMapping, ClaimPath, ConfigError, InMemoryRevocations, Issuer,
    Refusal, requires,
};
use rbac_test_support::{Request, Server, claims_of, now, sign_hs256};
use serde_json::{Value, json};

use support::{
    AUDIENCE, AppState, EcKey, EdKey, ISSUER, RsaKey, SECRET, Trap, assert_insufficient,
    assert_invalid_request, assert_invalid_token, assert_no_credentials, assert_no_secrets,
    assert_refusal, b64, b64_json, captured_logs, claims, hmac, hmac_builder, hs256, hs256_raw,
    insufficient_scope, insufficient_without_scope_param, raw_token, serve, token, with, without,
};

#[requires(all(role = "viewer", scope = "posts:read", scope = "posts:write"))]
async fn all_of(State(state): State<AppState>) -> &'static str {
    state.hit();
    "all of"
}

#[requires(any(
    all(role = "editor", not(scope = "users:read")),
    all(not(role = "viewer"), scope = "posts:read"),
))]
async fn nested(State(state): State<AppState>) -> &'static str {
    state.hit();
    "nested"
}

#[requires(not(any(role = "admin", scope = "users:write")))]
async fn excluded(State(state): State<AppState>) -> &'static str {
    state.hit();
    "excluded"
}

/// Open to anonymous callers: says whether it served one.
async fn optional(State(state): State<AppState>, auth: Option<Auth>) -> &'static str {
    state.hit();
    if auth.is_some() { "authenticated" } else { "anonymous" }
}

fn app(state: AppState) -> Router {
    app::routes(
        state,
        [
            ("/all-of", get(all_of)),
            ("/nested", get(nested)),
            ("/excluded", get(excluded)),
            ("/optional", get(optional)),
        ],
    )
}

/// The default server: HS256 with `SECRET`, issuer and audience required.
async fn server() -> Server {
    server_with(hmac_builder::<Role>().build().expect("valid test configuration")).await
}

async fn server_with(authenticator: Authenticator<Role>) -> Server {
    serve(authenticator, app).await
}

fn another_secret() -> &'static [u8] {
    b"a different secret, also 32+ bytes long"
}

// ------------------------------------------------------------ transport ---

#[tokio::test]
async fn case_01_no_authorization_header_is_401_without_error() {
    let server = server().await;
    for path in ["/viewer", "/admin", "/whoami"] {
        let response = server.refused(Request::get(path)).await;
        let challenge = assert_refusal(&response, 401, None, "api", &[SECRET]);
        assert_eq!(challenge.params.len(), 1, "a bare challenge: {response}");
        assert!(challenge.param("error_description").is_none());
    }
}

#[tokio::test]
async fn case_02_scheme_is_case_insensitive() {
    let server = server().await;
    let token = token(&["viewer"], "");
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let request = Request::get("/viewer").header("Authorization", format!("{scheme} {token}"));
        server.allowed(request).await;
    }
    assert_eq!(server.calls(), 4);
}

#[tokio::test]
async fn case_03_another_scheme_is_no_credentials() {
    let server = server().await;
    let jwt = token(&["admin"], "");
    for value in [
        "Basic dXNlcjpwYXNz".to_owned(),
        format!("Basic {jwt}"),
        format!("Token {jwt}"),
        format!("Bearerx {jwt}"),
        format!("JWT {jwt}"),
        "Digest username=\"a\", realm=\"api\"".to_owned(),
        "Negotiate".to_owned(),
    ] {
        let response = server.refused(Request::get("/admin").header("Authorization", &value)).await;
        assert_no_credentials(&response, &[jwt.as_bytes(), SECRET]);
    }
    // Bytes outside visible ASCII in another scheme's credentials are still
    // another scheme.
    let response = server
        .refused(Request::get("/admin").header("Authorization", b"Basic us\xe9r:p\xe4ss"))
        .await;
    assert_no_credentials(&response, &[SECRET]);
}

#[tokio::test]
async fn case_04_empty_or_blank_bearer_token_is_400_invalid_request() {
    let server = server().await;
    for value in ["Bearer", "Bearer ", "Bearer      ", "bearer  "] {
        let response = server.refused(Request::get("/viewer").header("Authorization", value)).await;
        assert_invalid_request(&response, &[SECRET]);
    }
}

#[tokio::test]
async fn case_05_characters_outside_b64token_are_401_invalid_token() {
    let server = server().await;
    let jwt = token(&["admin"], "");
    let mut values: Vec<Vec<u8>> = [
        format!("{jwt}\""),
        format!("\"{jwt}\""),
        format!("{jwt},"),
        format!("{jwt};"),
        format!("{{{jwt}}}"),
        format!("{jwt}\\"),
        format!("{jwt} extra"),
        format!("{jwt}=x"),
        "a<b>c".to_owned(),
        "a%2Eb.c".to_owned(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    // Not even ASCII: UTF-8 and a lone high byte appended to a valid token.
    values.push(format!("{jwt}ä").into_bytes());
    values.push([jwt.as_bytes(), b"\xff"].concat());
    for token in values {
        let header = [b"Bearer ".as_slice(), &token].concat();
        let response =
            server.refused(Request::get("/admin").header("Authorization", &header)).await;
        assert_refusal(&response, 401, Some("invalid_token"), "api", &[&token, SECRET]);
        let description = response.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains("b64token"), "{description}");
    }
}

#[tokio::test]
async fn case_06_access_token_in_query_or_body_is_ignored() {
    let server = server().await;
    let jwt = token(&["admin"], "users:write");
    for query in [format!("access_token={jwt}"), format!("x=1&access_token={jwt}&y=2")] {
        let response = server.refused(Request::get(&format!("/admin?{query}"))).await;
        assert_no_credentials(&response, &[jwt.as_bytes(), SECRET]);
    }
    // RFC 6750 §2.2, the form-encoded body, is not read either.
    let form = Request::post("/users")
        .body("application/x-www-form-urlencoded", format!("access_token={jwt}"));
    let response = server.refused(form).await;
    assert_no_credentials(&response, &[jwt.as_bytes(), SECRET]);

    // In the header and in the query: two methods, a malformed request.
    let both = Request::get(&format!("/admin?access_token={jwt}")).bearer(&jwt);
    let response = server.refused(both).await;
    assert_invalid_request(&response, &[jwt.as_bytes(), SECRET]);

    // The header alone works.
    server.allowed(Request::get("/admin?access_tokens=1").bearer(&jwt)).await;
}

#[tokio::test]
async fn case_07_two_authorization_headers_are_400_invalid_request() {
    let server = server().await;
    let good = token(&["admin"], "");
    let bad = sign_hs256(another_secret(), &claims(&["admin"], ""));
    let pairs = [
        (format!("Bearer {good}"), format!("Bearer {good}")),
        (format!("Bearer {good}"), format!("Bearer {bad}")),
        (format!("Bearer {bad}"), format!("Bearer {good}")),
        (format!("Bearer {good}"), "Basic dXNlcjpwYXNz".to_owned()),
        ("Basic dXNlcjpwYXNz".to_owned(), format!("Bearer {good}")),
    ];
    for (first, second) in pairs {
        let request =
            Request::get("/admin").header("Authorization", &first).header("authorization", &second);
        let response = server.refused(request).await;
        assert_invalid_request(&response, &[good.as_bytes(), bad.as_bytes(), SECRET]);
    }
}

#[tokio::test]
async fn case_08_token_longer_than_8_kib_is_401_before_decoding() {
    let server = server().await;
    // Validly signed tokens either side of the 8 KiB cap: only the length
    // decides. Hyper's own default limit on a request head (about 400 KiB)
    // is far above the cap, so the guard is what refuses.
    let padded = |pad: usize| hs256(&with(claims(&["admin"], ""), "pad", json!("x".repeat(pad))));
    let pads: Vec<usize> = (0..8192).collect();
    let first_over = pads.partition_point(|&pad| padded(pad).len() <= 8192);
    let (fits, over) = (padded(first_over - 1), padded(first_over));
    assert!(fits.len() > 8180 && over.len() <= 8194, "{} {}", fits.len(), over.len());
    server.allowed(Request::get("/admin").bearer(&fits)).await;
    let response = server.refused(Request::get("/admin").bearer(&over)).await;
    assert_invalid_token(&response, &over);
    let description = response.json()["error_description"].as_str().unwrap().to_owned();
    assert!(description.contains("longer"), "{description}");

    // Far longer, and not even base64: refused by length all the same.
    let huge = "A".repeat(64 * 1024);
    let response = server.refused(Request::get("/admin").bearer(&huge)).await;
    assert_invalid_token(&response, &huge);
    assert!(response.json()["error_description"].as_str().unwrap().contains("longer"));

    // Past hyper's own limit on a request head the server refuses before
    // routing (431); the handler never runs either way.
    let enormous = "A".repeat(1024 * 1024);
    let response = server.refused(Request::get("/admin").bearer(&enormous)).await;
    assert_eq!(response.status, 431, "{response}");

    // The cap is configurable, and it applies to valid tokens too.
    let small = hmac_builder::<Role>().max_token_bytes(256).build().expect("valid configuration");
    let server = server_with(small).await;
    let response = server.refused(Request::get("/admin").bearer(&fits)).await;
    assert_invalid_token(&response, &fits);
}

#[tokio::test]
async fn case_09_json_braces_quotes_or_wrong_segment_count_are_401() {
    let server = server().await;
    let jwt = token(&["admin"], "");
    let (header, payload, signature) = {
        let mut parts = jwt.split('.');
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap())
    };
    let segments = [
        format!("{header}.{payload}"),
        format!("{header}.{payload}.{signature}.{signature}"),
        format!("{header}.{payload}.{signature}."),
        format!(".{header}.{payload}.{signature}"),
        format!("{header}.{payload}.{signature}.x.y"),
        format!("{header}..{signature}"),
        "..".to_owned(),
        header.to_owned(),
    ];
    for token in &segments {
        let response = server.refused(Request::get("/admin").bearer(token)).await;
        assert_invalid_token(&response, token);
    }

    // The token as JSON, or with braces and quotes, sent as-is.
    for token in [
        r#"{"alg":"HS256","typ":"JWT"}"#.to_owned(),
        format!(r#"{{"token":"{jwt}"}}"#),
        format!("\"{jwt}\""),
        format!("{{{header}}}.{payload}.{signature}"),
    ] {
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_refusal(&response, 401, Some("invalid_token"), "api", &[token.as_bytes(), SECRET]);
    }

    // Correctly signed, but the header or payload is not a JSON object.
    let good_claims = claims(&["admin"], "");
    for (header, payload) in [
        (json!(["HS256"]), good_claims.clone()),
        (json!("HS256"), good_claims.clone()),
        (json!({"alg": "HS256"}), json!([good_claims])),
        (json!({"alg": "HS256"}), json!("admin")),
        (json!({"alg": "HS256"}), json!(null)),
    ] {
        let token = raw_token(&header, &payload, hmac(Algorithm::HS256, SECRET));
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    // Segments that are base64url of something other than JSON.
    let token = format!("{}.{}.{signature}", b64("not json"), b64("{\"sub\":"));
    let response = server.refused(Request::get("/admin").bearer(&token)).await;
    assert_invalid_token(&response, &token);
}

// --------------------------------------------------- algorithms and keys ---

#[tokio::test]
async fn case_10_alg_none_is_401_with_and_without_signature() {
    let server = server().await;
    let payload = claims(&["admin"], "users:write");
    let real_signature = token(&["admin"], "users:write").rsplit('.').next().unwrap().to_owned();
    for header in [json!({"alg": "none"}), json!({"alg": "none", "typ": "JWT"})] {
        let unsigned = format!("{}.{}", b64_json(&header), b64_json(&payload));
        for token in [
            format!("{unsigned}."),
            format!("{unsigned}.{real_signature}"),
            raw_token(&header, &payload, hmac(Algorithm::HS256, SECRET)),
            unsigned.clone(),
        ] {
            let response = server.refused(Request::get("/admin").bearer(&token)).await;
            assert_invalid_token(&response, &token);
        }
    }
}

#[tokio::test]
async fn case_11_algorithm_outside_the_allow_list_is_401() {
    let server = server().await;
    let payload = claims(&["admin"], "");
    // HS384/HS512 with the very secret the server holds for HS256.
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let header = json!({"alg": format!("{algorithm:?}"), "typ": "JWT"});
        let token = raw_token(&header, &payload, hmac(algorithm, SECRET));
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
        let description = response.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains("algorithm"), "{description}");
    }
    // Names the server has no key for, or that are no algorithm at all.
    for alg in ["RS256", "ES256", "PS256", "EdDSA", "ES512", "HS1", "A256GCM", ""] {
        let token = hs256_raw(&json!({"alg": alg}), &payload);
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    // An EdDSA server refuses an ES256 token from a key it does not hold.
    let ed = EdKey::generate();
    let ed_server = server_with(
        Authenticator::<Role>::builder().ed_pem(ed.public_pem()).build().expect("valid"),
    )
    .await;
    let ec = EcKey::generate();
    let token = ec.sign(&Header::new(Algorithm::ES256), &payload);
    let response = ed_server.refused(Request::get("/admin").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    ed_server
        .allowed(Request::get("/admin").bearer(&ed.sign(&Header::new(Algorithm::EdDSA), &payload)))
        .await;
}

#[tokio::test]
async fn case_12_hs256_signed_with_the_public_key_is_401() {
    let payload = claims(&["admin"], "users:write");
    let header = json!({"alg": "HS256", "typ": "JWT"});

    let ec = EcKey::generate();
    let ec_pem = ec.public_pem();
    let ec_server = server_with(
        Authenticator::<Role>::builder().ec_pem(Algorithm::ES256, &ec_pem).build().expect("valid"),
    )
    .await;
    let ec_der_server = server_with(
        Authenticator::<Role>::builder()
            .key(None, Algorithm::ES256, DecodingKey::from_ec_der(&ec.public_point()))
            .build()
            .expect("valid"),
    )
    .await;
    let ec_secrets: [Vec<u8>; 4] = [
        ec_pem.clone().into_bytes(),
        ec_pem.trim_end().as_bytes().to_vec(),
        ec.public_spki_der(),
        ec.public_point(),
    ];
    for server in [&ec_server, &ec_der_server] {
        for secret in &ec_secrets {
            let token = raw_token(&header, &payload, hmac(Algorithm::HS256, secret));
            let response = server.refused(Request::get("/admin").bearer(&token)).await;
            assert_refusal(
                &response,
                401,
                Some("invalid_token"),
                "api",
                &[token.as_bytes(), ec_pem.as_bytes()],
            );
        }
        // The server does accept its own key's ES256 tokens.
        let good = ec.sign(&Header::new(Algorithm::ES256), &payload);
        server.allowed(Request::get("/admin").bearer(&good)).await;
    }

    let rsa = RsaKey::generate();
    let rsa_pem = rsa.public_pem();
    let rsa_server = server_with(
        Authenticator::<Role>::builder()
            .rsa_pem(Algorithm::RS256, &rsa_pem)
            .build()
            .expect("valid"),
    )
    .await;
    let rsa_secrets: [Vec<u8>; 3] =
        [rsa_pem.clone().into_bytes(), rsa.public_spki_der(), rsa.public_pkcs1_der()];
    for secret in &rsa_secrets {
        let token = raw_token(&header, &payload, hmac(Algorithm::HS256, secret));
        let response = rsa_server.refused(Request::get("/admin").bearer(&token)).await;
        assert_refusal(
            &response,
            401,
            Some("invalid_token"),
            "api",
            &[token.as_bytes(), rsa_pem.as_bytes()],
        );
    }
    let good = raw_token(&json!({"alg": "RS256", "typ": "JWT"}), &payload, rsa.rs256());
    rsa_server.allowed(Request::get("/admin").bearer(&good)).await;
}

#[tokio::test]
async fn case_13_hmac_and_public_keys_together_are_refused_at_start_up() {
    let ec = EcKey::generate();
    let rsa_pem = RsaKey::generate().public_pem();
    let attempts = [
        Authenticator::<Role>::builder()
            .hmac(Algorithm::HS256, SECRET)
            .ec_pem(Algorithm::ES256, ec.public_pem()),
        Authenticator::<Role>::builder()
            .ec_pem(Algorithm::ES256, ec.public_pem())
            .hmac(Algorithm::HS256, SECRET),
        Authenticator::<Role>::builder().rsa_pem(Algorithm::RS256, &rsa_pem).key(
            Some("hmac"),
            Algorithm::HS512,
            DecodingKey::from_secret(&[7; 64]),
        ),
        Authenticator::<Role>::builder()
            .key(Some("a"), Algorithm::HS256, DecodingKey::from_secret(SECRET))
            .key(Some("b"), Algorithm::ES256, DecodingKey::from_ec_der(&ec.public_point())),
        Authenticator::<Role>::builder()
            .hmac(Algorithm::HS256, SECRET)
            .ed_pem(EdKey::generate().public_pem())
            .issuer(ISSUER),
    ];
    for builder in attempts {
        let error = builder.build().expect_err("mixed key families must not build");
        assert_eq!(error, ConfigError::MixedKeyFamilies);
        let message = error.to_string();
        assert!(message.contains("HMAC") && message.contains("public"), "{message}");
    }
}

#[tokio::test]
async fn case_14_edited_payload_under_the_original_signature_is_401() {
    let server = server().await;
    let viewer = token(&["viewer"], "posts:read");
    let mut parts = viewer.split('.');
    let (header, _, signature) =
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    server.allowed(Request::get("/viewer").bearer(&viewer)).await;

    let original = claims_of(&viewer);
    let edits = [
        with(original.clone(), "roles", json!(["admin"])),
        with(original.clone(), "roles", json!(["viewer", "admin"])),
        with(original.clone(), "scope", json!("posts:read users:write")),
        with(original.clone(), "exp", json!(now() + 86_400 * 365)),
    ];
    for edited in edits {
        let token = format!("{header}.{}.{signature}", b64_json(&edited));
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    // Same claims, re-serialised with other whitespace: the bytes changed.
    let pretty = serde_json::to_string_pretty(&original).unwrap();
    let token = format!("{header}.{}.{signature}", b64(pretty));
    let response = server.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
}

#[tokio::test]
async fn case_15_alg_spelled_otherwise_is_401() {
    let server = server().await;
    let payload = claims(&["admin"], "");
    for alg in ["hs256", "Hs256", "HS256 ", " HS256", "HS-256", "None", "NONE", "none", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        let signed = raw_token(&header, &payload, hmac(Algorithm::HS256, SECRET));
        let unsigned = format!("{}.{}.", b64_json(&header), b64_json(&payload));
        for token in [signed, unsigned] {
            let response = server.refused(Request::get("/admin").bearer(&token)).await;
            assert_invalid_token(&response, &token);
        }
    }
}

#[tokio::test]
async fn case_16_hmac_secret_shorter_than_32_bytes_is_refused_at_start_up() {
    for (algorithm, min) in [(Algorithm::HS256, 32), (Algorithm::HS384, 48), (Algorithm::HS512, 64)]
    {
        let short = vec![b's'; min - 1];
        let expected = ConfigError::WeakSecret { algorithm, len: min - 1, min };
        let error = Authenticator::<Role>::builder()
            .hmac(algorithm, &short)
            .build()
            .expect_err("a short secret must not build");
        assert_eq!(error, expected);
        assert!(!error.to_string().contains("sssss"), "the message names no secret: {error}");

        // The same minimum holds when the secret comes in as a DecodingKey.
        let error = Authenticator::<Role>::builder()
            .key(Some("k"), algorithm, DecodingKey::from_secret(&short))
            .build()
            .expect_err("a short secret must not build through `key` either");
        assert_eq!(error, expected);

        let exact = vec![b's'; min];
        Authenticator::<Role>::builder().hmac(algorithm, &exact).build().expect("long enough");
        Authenticator::<Role>::builder()
            .key(None, algorithm, DecodingKey::from_secret(&exact))
            .build()
            .expect("long enough");
    }
    let error = Authenticator::<Role>::builder().hmac(Algorithm::HS256, b"").build();
    assert_eq!(
        error.unwrap_err(),
        ConfigError::WeakSecret { algorithm: Algorithm::HS256, len: 0, min: 32 }
    );
}

#[tokio::test]
async fn case_17_keys_named_inside_the_token_are_never_used_or_fetched() {
    let trap = Trap::start().await;
    let payload = claims(&["admin"], "users:write");

    // An ES256 server, and an attacker with their own key pair.
    let server_key = EcKey::generate();
    let ec_server = server_with(
        Authenticator::<Role>::builder()
            .ec_pem(Algorithm::ES256, server_key.public_pem())
            .build()
            .expect("valid"),
    )
    .await;
    let attacker = EcKey::generate();
    let point = attacker.public_point();
    let attacker_jwk = json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
        "x": b64(&point[1..33]), "y": b64(&point[33..65]),
    });
    let x5c = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        attacker.public_spki_der(),
    );
    let headers = [
        json!({"alg": "ES256", "jwk": attacker_jwk}),
        json!({"alg": "ES256", "jku": trap.url("/jwks.json")}),
        json!({"alg": "ES256", "jku": trap.url("/jwks.json"), "kid": "attacker"}),
        json!({"alg": "ES256", "x5u": trap.url("/cert.pem")}),
        json!({"alg": "ES256", "x5c": [x5c]}),
        json!({"alg": "ES256", "jwk": attacker_jwk, "jku": trap.url("/"), "x5u": trap.url("/"), "x5c": [x5c]}),
    ];
    for header in &headers {
        let token = raw_token(header, &payload, attacker.signer());
        let response = ec_server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }

    // An HS256 server and an embedded symmetric key (`kty: oct`).
    let hmac_server = server().await;
    let attacker_secret = b"the attacker's own 32+ byte HMAC secret";
    let header = json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(attacker_secret)}});
    let token = raw_token(&header, &payload, hmac(Algorithm::HS256, attacker_secret));
    let response = hmac_server.refused(Request::get("/admin").bearer(&token)).await;
    assert_invalid_token(&response, &token);

    // Signed with the configured key, the headers change nothing: accepted,
    // and still nothing is fetched.
    let header = json!({"alg": "ES256", "jku": trap.url("/jwks.json"), "x5u": trap.url("/x")});
    let token = raw_token(&header, &payload, server_key.signer());
    ec_server.allowed(Request::get("/admin").bearer(&token)).await;

    assert_eq!(trap.hits().await, 0, "no request was made to a URL named in a token");
}

#[tokio::test]
async fn case_18_kid_is_only_a_lookup_key() {
    let trap = Trap::start().await;
    let second_secret = another_secret();
    let keyed = || {
        Authenticator::<Role>::builder()
            .key(Some("k1"), Algorithm::HS256, DecodingKey::from_secret(SECRET))
            .key(Some("k2"), Algorithm::HS256, DecodingKey::from_secret(second_secret))
            .issuer(ISSUER)
            .audience(AUDIENCE)
    };
    let server = server_with(keyed().build().expect("valid")).await;
    let payload = claims(&["admin"], "");
    let signed = |kid: &str, secret: &[u8]| {
        raw_token(&json!({"alg": "HS256", "kid": kid}), &payload, hmac(Algorithm::HS256, secret))
    };

    // The lookup works for configured kids.
    server.allowed(Request::get("/admin").bearer(&signed("k1", SECRET))).await;
    server.allowed(Request::get("/admin").bearer(&signed("k2", second_secret))).await;

    // A file whose contents an attacker knows, named as a path.
    let dir = std::env::temp_dir().join(format!("rbac-axum-kid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("known-key");
    std::fs::write(&file, b"file contents the attacker knows").expect("write temp file");
    let file_kid = file.to_str().expect("UTF-8 temp path").to_owned();

    let long_kid = "k".repeat(10 * 1024);
    let attacks: Vec<(String, Vec<u8>)> = vec![
        ("../../dev/null".into(), Vec::new()),
        ("../../../../../../dev/null".into(), Vec::new()),
        ("/dev/null".into(), Vec::new()),
        (file_kid.clone(), b"file contents the attacker knows".to_vec()),
        (format!("file://{file_kid}"), b"file contents the attacker knows".to_vec()),
        ("' OR 1=1--".into(), SECRET.to_vec()),
        ("k1' OR '1'='1".into(), SECRET.to_vec()),
        ("k1\u{0}".into(), SECRET.to_vec()),
        ("K1".into(), SECRET.to_vec()),
        ("k3".into(), SECRET.to_vec()),
        ("".into(), SECRET.to_vec()),
        (trap.url("/key"), SECRET.to_vec()),
        (long_kid.clone(), SECRET.to_vec()),
        // A known kid with the other kid's key.
        ("k1".into(), second_secret.to_vec()),
    ];
    // A server whose length cap lets the 10 KB kid reach the key lookup.
    let roomy = server_with(keyed().max_token_bytes(64 * 1024).build().expect("valid")).await;
    for (kid, secret) in &attacks {
        let token = signed(kid, secret);
        for target in [&server, &roomy] {
            let response = target.refused(Request::get("/admin").bearer(&token)).await;
            assert_invalid_token(&response, &token);
        }
    }
    // Non-string kids are not lookup keys either.
    for kid in [json!(1), json!(["k1"]), json!({"k1": true}), json!(null)] {
        let token = raw_token(
            &json!({"alg": "HS256", "kid": kid}),
            &payload,
            hmac(Algorithm::HS256, SECRET),
        );
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(trap.hits().await, 0, "a kid that is a URL is not fetched");
}

// ---------------------------------------------------------------- claims ---

#[tokio::test]
async fn case_19_exp_is_refused_on_or_after_expiry_with_leeway() {
    let strict = server().await;
    let lenient =
        server_with(hmac_builder::<Role>().leeway(Duration::from_secs(60)).build().expect("valid"))
            .await;
    let expiring = |exp: u64| hs256(&with(claims(&["viewer"], ""), "exp", json!(exp)));

    // Past, beyond the leeway.
    let token = expiring(now() - 120);
    for server in [&strict, &lenient] {
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    // Past, inside the leeway.
    let token = expiring(now() - 30);
    lenient.allowed(Request::get("/viewer").bearer(&token)).await;
    let response = strict.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    // Exactly now, no leeway: "on or after" the expiry is refused.
    let token = expiring(now());
    let response = strict.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    // Still valid.
    strict.allowed(Request::get("/viewer").bearer(&expiring(now() + 60))).await;
}

#[tokio::test]
async fn case_20_missing_or_non_numeric_exp_is_401() {
    let server = server().await;
    let base = claims(&["viewer"], "");
    let far = now() + 3600;
    for claims in [
        without(base.clone(), "exp"),
        with(base.clone(), "exp", json!(far.to_string())),
        with(base.clone(), "exp", json!(null)),
        with(base.clone(), "exp", json!(true)),
        with(base.clone(), "exp", json!([far])),
        with(base.clone(), "exp", json!({"seconds": far})),
    ] {
        let token = hs256(&claims);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
        let description = response.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains("exp"), "{description}");
    }
}

#[tokio::test]
async fn case_21_nbf_in_the_future_beyond_leeway_is_401() {
    let strict = server().await;
    let lenient =
        server_with(hmac_builder::<Role>().leeway(Duration::from_secs(60)).build().expect("valid"))
            .await;
    let not_before = |nbf: Value| hs256(&with(claims(&["viewer"], ""), "nbf", nbf));

    let token = not_before(json!(now() + 120));
    for server in [&strict, &lenient] {
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    let token = not_before(json!(now() + 30));
    let response = strict.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);
    lenient.allowed(Request::get("/viewer").bearer(&token)).await;

    let token = not_before(json!((now() + 120).to_string()));
    let response = lenient.refused(Request::get("/viewer").bearer(&token)).await;
    assert_invalid_token(&response, &token);

    strict.allowed(Request::get("/viewer").bearer(&not_before(json!(now() - 1)))).await;
}

#[tokio::test]
async fn case_22_wrong_or_missing_iss_is_401() {
    let server = server().await;
    let base = claims(&["viewer"], "");
    for claims in [
        without(base.clone(), "iss"),
        with(base.clone(), "iss", json!("https://evil.test")),
        with(base.clone(), "iss", json!(format!("{ISSUER}/"))),
        with(base.clone(), "iss", json!(ISSUER.to_uppercase())),
        with(base.clone(), "iss", json!([ISSUER])),
        with(base.clone(), "iss", json!(null)),
    ] {
        let token = hs256(&claims);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    server.allowed(Request::get("/viewer").bearer(&hs256(&base))).await;
}

#[tokio::test]
async fn case_23_aud_wrong_or_missing_is_401_string_and_array_work() {
    let server = server().await;
    let base = claims(&["viewer"], "");
    for claims in [
        without(base.clone(), "aud"),
        with(base.clone(), "aud", json!("another-api")),
        with(base.clone(), "aud", json!(["another-api", "third-api"])),
        with(base.clone(), "aud", json!([])),
        with(base.clone(), "aud", json!(null)),
        with(base.clone(), "aud", json!({ AUDIENCE: true })),
        with(base.clone(), "aud", json!([[AUDIENCE]])),
    ] {
        let token = hs256(&claims);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    for aud in
        [json!(AUDIENCE), json!([AUDIENCE]), json!(["another-api", AUDIENCE]), json!([1, AUDIENCE])]
    {
        let token = hs256(&with(base.clone(), "aud", aud));
        server.allowed(Request::get("/viewer").bearer(&token)).await;
    }
}

#[tokio::test]
async fn case_24_rfc_9068_typ_is_enforced_only_when_switched_on() {
    let profile =
        server_with(hmac_builder::<Role>().require_at_jwt_typ(true).build().expect("valid")).await;
    let default = server().await;
    let payload = claims(&["viewer"], "");
    let typed = |typ: Option<&str>| {
        let header = match typ {
            Some(typ) => json!({"alg": "HS256", "typ": typ}),
            None => json!({"alg": "HS256"}),
        };
        hs256_raw(&header, &payload)
    };

    for typ in [Some("JWT"), None, Some("jwt"), Some("at+jwt+x"), Some("application/jwt"), Some("")]
    {
        let token = typed(typ);
        let response = profile.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
        // Switched off (the default), providers that send `JWT` work.
        default.allowed(Request::get("/viewer").bearer(&token)).await;
    }
    for typ in ["at+jwt", "application/at+jwt"] {
        profile.allowed(Request::get("/viewer").bearer(&typed(Some(typ)))).await;
        default.allowed(Request::get("/viewer").bearer(&typed(Some(typ)))).await;
    }
}

#[tokio::test]
async fn case_25_missing_sub_is_401_when_required() {
    let required =
        server_with(hmac_builder::<Role>().require_subject(true).build().expect("valid")).await;
    let base = claims(&["viewer"], "");
    for claims in [
        without(base.clone(), "sub"),
        with(base.clone(), "sub", json!("")),
        with(base.clone(), "sub", json!(42)),
        with(base.clone(), "sub", json!(null)),
        with(base.clone(), "sub", json!(["user-1"])),
    ] {
        let token = hs256(&claims);
        let response = required.refused(Request::get("/viewer").bearer(&token)).await;
        assert_invalid_token(&response, &token);
        let response = required.refused(Request::get("/whoami").bearer(&token)).await;
        assert_invalid_token(&response, &token);
    }
    required.allowed(Request::get("/viewer").bearer(&hs256(&base))).await;

    // Optional by default.
    let default = server().await;
    let response =
        default.allowed(Request::get("/whoami").bearer(&hs256(&without(base, "sub")))).await;
    assert_eq!(response.json()["subject"], Value::Null);
}

// --------------------------------------------------------- authorization ---

#[tokio::test]
async fn case_26_missing_scope_is_403_naming_the_scope() {
    let server = server().await;
    for scope in
        ["", "posts:read", "users:read users:write posts:read", "posts:writ", "posts:write:x"]
    {
        let token = token(&["admin"], scope);
        let response = server.refused(Request::get("/posts/write").bearer(&token)).await;
        assert_insufficient(&response, Some("posts:write"), &token);
        assert_eq!(response.json()["missing_scopes"], json!(["posts:write"]));
        let description = response.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains("posts:write"), "{description}");
    }
    server.allowed(Request::get("/posts/write").bearer(&token(&[], "posts:write"))).await;
}

#[tokio::test]
async fn case_27_missing_role_is_403_insufficient_scope() {
    let server = server().await;
    let all_scopes = "users:read users:write posts:read posts:write";
    for roles in [&[][..], &["viewer"], &["editor"], &["editor", "viewer"]] {
        let token = token(roles, all_scopes);
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
        assert_eq!(response.json()["missing_roles"], json!(["admin"]));
        let description = response.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains("admin"), "{description}");
    }
}

#[tokio::test]
async fn case_28_blank_scope_grants_no_scope() {
    let server = server().await;
    let base = claims(&["admin"], "");
    for (key, value) in [
        ("scope", json!("")),
        ("scope", json!("   ")),
        ("scp", json!("")),
        ("scp", json!("  ")),
        ("scp", json!([""])),
        ("scp", json!(["", "  "])),
    ] {
        let token = hs256(&with(base.clone(), key, value.clone()));
        let response = server.refused(Request::get("/posts/write").bearer(&token)).await;
        assert_insufficient(&response, Some("posts:write"), &token);
        let response = server.allowed(Request::get("/whoami").bearer(&token)).await;
        assert_eq!(response.json()["scopes"], json!([]), "{key}: {value}");
    }
}

#[tokio::test]
async fn case_29_scope_string_scp_string_and_scp_array_all_parse() {
    let server = server().await;
    let base = claims(&["viewer"], "");
    for (key, value) in [
        ("scope", json!("posts:write")),
        ("scope", json!("posts:read  posts:write")),
        ("scp", json!("posts:write")),
        ("scp", json!("users:read posts:write")),
        ("scp", json!(["posts:write"])),
        ("scp", json!(["posts:read", 7, "posts:write"])),
    ] {
        let token = hs256(&with(base.clone(), key, value));
        server.allowed(Request::get("/posts/write").bearer(&token)).await;
    }
    let token = hs256(&with(base, "scp", json!(["posts:read", "posts:write"])));
    let response = server.allowed(Request::get("/whoami").bearer(&token)).await;
    assert_eq!(response.json()["scopes"], json!(["posts:read", "posts:write"]));
}

#[tokio::test]
async fn case_30_malformed_roles_claim_grants_nothing_and_is_no_500() {
    let server = server().await;
    let base = claims(&[], "");
    for roles in [
        json!(1),
        json!({"admin": true}),
        json!(null),
        json!([["admin"]]),
        json!("admin"),
        json!(true),
        json!([{"name": "admin"}]),
        json!(1e308),
    ] {
        let token = hs256(&with(base.clone(), "roles", roles.clone()));
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
        let response = server.allowed(Request::get("/whoami").bearer(&token)).await;
        assert_eq!(response.json()["roles"], json!([]), "{roles}");
    }
    // Non-string elements are skipped, the strings still count.
    let token = hs256(&with(base, "roles", json!([1, null, {"a": 1}, ["x"], "admin"])));
    server.allowed(Request::get("/admin").bearer(&token)).await;
}

#[tokio::test]
async fn case_31_unknown_role_strings_are_ignored_never_near_matched() {
    let server = server().await;
    for role in [
        "Admin",
        "ADMIN",
        "admin2",
        " admin",
        "admin ",
        "admín",
        "adm1n",
        "administrator",
        "admin\u{0}",
    ] {
        let token = token(&[role], "");
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
        let response = server.refused(Request::get("/viewer").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
    }
    // A near match next to the real name does not hurt.
    server.allowed(Request::get("/admin").bearer(&token(&["Admin", "admin"], ""))).await;
}

#[tokio::test]
async fn case_32_role_inheritance_is_one_way_and_transitive() {
    let server = server().await;
    let admin = token(&["admin"], "");
    // admin ⊇ editor ⊇ viewer: admin reaches viewer through editor.
    for path in ["/admin", "/editor", "/viewer"] {
        server.allowed(Request::get(path).bearer(&admin)).await;
    }
    let response = server.allowed(Request::get("/whoami").bearer(&admin)).await;
    assert_eq!(response.json()["roles"], json!(["admin", "editor", "viewer"]));

    let viewer = token(&["viewer"], "");
    for (path, role) in [("/admin", "admin"), ("/editor", "editor")] {
        let response = server.refused(Request::get(path).bearer(&viewer)).await;
        assert_insufficient(&response, None, &viewer);
        assert_eq!(response.json()["missing_roles"], json!([role]));
    }
    let editor = token(&["editor"], "");
    let response = server.refused(Request::get("/admin").bearer(&editor)).await;
    assert_insufficient(&response, None, &editor);
    let response = server.allowed(Request::get("/whoami").bearer(&viewer)).await;
    assert_eq!(response.json()["roles"], json!(["viewer"]));
}

#[tokio::test]
async fn case_33_every_requirement_on_a_handler_must_hold() {
    let server = server().await;
    // Two attributes: role = "editor", then scope = "posts:write".
    for (roles, scope) in [(&["editor"][..], "posts:read"), (&["viewer"], "posts:write"), (&[], "")]
    {
        let token = token(roles, scope);
        let response = server.refused(Request::get("/publish").bearer(&token)).await;
        assert_eq!(response.status, 403, "{response}");
        assert_eq!(response.challenge().param("error"), Some("insufficient_scope"));
    }
    server.allowed(Request::get("/publish").bearer(&token(&["editor"], "posts:write"))).await;

    // all(role = "viewer", scope = "posts:read", scope = "posts:write")
    for (roles, scope, missing) in [
        (&["viewer"][..], "posts:read", "posts:write"),
        (&["viewer"], "posts:write", "posts:read"),
        (&["admin"], "posts:write", "posts:read"),
        (&[], "posts:read", "posts:write"),
        (&["viewer"], "", "posts:read posts:write"),
    ] {
        let token = token(roles, scope);
        let response = server.refused(Request::get("/all-of").bearer(&token)).await;
        assert_insufficient(&response, Some(missing), &token);
    }
    server
        .allowed(Request::get("/all-of").bearer(&token(&["viewer"], "posts:read posts:write")))
        .await;
}

#[tokio::test]
async fn case_34_not_and_any_behave_as_written_including_nested() {
    let server = server().await;
    // any(all(role = "editor", not(scope = "users:read")),
    //     all(not(role = "viewer"), scope = "posts:read"))
    let rows = [
        (&["editor"][..], "", true),
        (&["admin"], "posts:write", true),
        (&[], "posts:read", true),
        (&["editor"], "users:read", false),
        (&["editor"], "users:read posts:read", false),
        (&["viewer"], "posts:read", false),
        (&["admin"], "users:read posts:read", false),
        (&[], "", false),
        (&[], "users:read", false),
    ];
    server.check_access("/nested", rows, token, insufficient_scope).await;

    // not(any(role = "admin", scope = "users:write"))
    let rows = [
        (&[][..], "", true),
        (&["editor"], "users:read", true),
        (&["admin"], "", false),
        (&["viewer"], "users:write", false),
        (&["admin"], "users:write", false),
    ];
    server.check_access("/excluded", rows, token, insufficient_without_scope_param).await;
}

#[tokio::test]
async fn case_35_claim_paths_are_literal_keys_and_other_clients_grant_nothing() {
    let url_key = server_with(
        hmac_builder::<Role>().roles_claim("https://example.com/roles").build().expect("valid"),
    )
    .await;
    let base = without(claims(&[], ""), "roles");
    let token = hs256(&with(base.clone(), "https://example.com/roles", json!(["admin"])));
    url_key.allowed(Request::get("/admin").bearer(&token)).await;
    for claims in [
        // The same text split at the dot or the slash is another path.
        with(base.clone(), "https://example", json!({"com/roles": ["admin"]})),
        with(base.clone(), "https://example.com", json!({"roles": ["admin"]})),
        with(base.clone(), "roles", json!(["admin"])),
    ] {
        let token = hs256(&claims);
        let response = url_key.refused(Request::get("/admin").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
    }

    let keycloak = server_with(
        hmac_builder::<Role>()
            .roles_claim(ClaimPath::nested(["resource_access", "rbac-tests", "roles"]))
            .build()
            .expect("valid"),
    )
    .await;
    let ours = with(base.clone(), "resource_access", json!({"rbac-tests": {"roles": ["admin"]}}));
    keycloak.allowed(Request::get("/admin").bearer(&hs256(&ours))).await;
    for claims in [
        with(base.clone(), "resource_access", json!({"other-client": {"roles": ["admin"]}})),
        with(base.clone(), "realm_access", json!({"roles": ["admin"]})),
        with(base.clone(), "resource_access.rbac-tests.roles", json!(["admin"])),
        with(base.clone(), "resource_access", json!({"rbac-tests": ["admin"]})),
        with(base.clone(), "roles", json!(["admin"])),
    ] {
        let token = hs256(&claims);
        let response = keycloak.refused(Request::get("/admin").bearer(&token)).await;
        assert_insufficient(&response, None, &token);
    }
}

#[tokio::test]
async fn case_36_bodies_and_logs_never_contain_the_token_or_key() {
    // Installed before any request of this test is served.
    captured_logs();
    let server = server().await;
    let ec = EcKey::generate();
    let ec_pem = ec.public_pem();
    let ec_server = server_with(
        Authenticator::<Role>::builder().ec_pem(Algorithm::ES256, &ec_pem).build().expect("valid"),
    )
    .await;

    let marker = format!("case-36-{}", now());
    let mark = |claims: Value| with(claims, "jti", json!(marker));
    let tokens = [
        hs256(&mark(with(claims(&["admin"], ""), "exp", json!(now() - 10)))),
        sign_hs256(another_secret(), &mark(claims(&["admin"], ""))),
        hs256(&mark(claims(&["viewer"], ""))),
        hs256(&mark(with(claims(&["admin"], ""), "aud", json!("another-api")))),
        hs256_raw(&json!({"alg": "none", "kid": marker}), &mark(claims(&["admin"], ""))),
    ];
    let mut responses = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        // tokens[2] is valid (refused for its rights), so `/whoami` takes it.
        let paths: &[&str] = if i == 2 { &["/admin"] } else { &["/admin", "/whoami"] };
        for path in paths {
            responses.push(server.refused(Request::get(path).bearer(token)).await);
        }
        responses.push(ec_server.refused(Request::get("/admin").bearer(token)).await);
        responses.push(server.refused(Request::get("/admin").bearer(token).bearer(token)).await);
    }
    let oversized = format!("{}{}", tokens[2], "A".repeat(9000));
    responses.push(server.refused(Request::get("/admin").bearer(&oversized)).await);

    let key_material = [
        SECRET.to_vec(),
        ec_pem.clone().into_bytes(),
        b64(ec.public_point()).into_bytes(),
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, ec.public_spki_der())
            .into_bytes(),
    ];
    let mut secrets: Vec<&[u8]> = key_material.iter().map(Vec::as_slice).collect();
    for token in &tokens {
        secrets.push(token.as_bytes());
        // Any one segment is a leak too (the payload, the signature).
        secrets.extend(token.split('.').filter(|s| s.len() > 8).map(str::as_bytes));
    }
    for response in &responses {
        assert!(response.status >= 400, "{response}");
        assert!(response.json()["error_description"].is_string(), "{response}");
        assert_no_secrets(response, &secrets);
    }

    let logs = captured_logs();
    assert!(logs.contains("refused"), "the refusals are logged: {logs}");
    for secret in &secrets {
        assert!(!support::contains(logs.as_bytes(), secret), "the logs repeat a secret:\n{logs}");
    }

    // Nor does the authenticator's Debug, or a configuration error.
    let authenticator = hmac_builder::<Role>().build().expect("valid");
    let debug = format!("{authenticator:?}");
    let secret_text = std::str::from_utf8(SECRET).unwrap();
    assert!(!debug.contains(secret_text), "{debug}");
    let listed = format!("{:?}", &SECRET[..8]);
    assert!(!debug.contains(listed.trim_end_matches(']')), "{debug}");
    let weak = Authenticator::<Role>::builder().hmac(Algorithm::HS256, &SECRET[..20]).build();
    let message = format!("{:?} {}", weak.as_ref().unwrap_err(), weak.as_ref().unwrap_err());
    assert!(!message.contains(&secret_text[..20]), "{message}");
}

// ----------------------------------------------------------- fail closed ---

/// A handler whose roles are not the authenticator's, or a router state
/// without the authenticator, no longer reaches run time: both are compile
/// errors (`tests/ui/fail/model_mismatch.rs`,
/// `tests/ui/fail/named_state_without_authenticator.rs`,
/// `tests/ui/fail/state_without_authenticator.rs`). What remains for run
/// time is refused at start-up; an identity provider unreachable at
/// start-up is `jwks.rs`'s part of this case.
#[tokio::test]
async fn case_37_misconfiguration_is_refused_before_any_request() {
    // No key at all: refused at start-up rather than refusing every token.
    let error = Authenticator::<Role>::builder().issuer(ISSUER).audience(AUDIENCE).build();
    assert_eq!(error.unwrap_err(), ConfigError::NoKeys);
    // An unusable key is refused at start-up too.
    let error = Authenticator::<Role>::builder().ec_pem(Algorithm::ES256, "not a PEM").build();
    assert!(matches!(error, Err(ConfigError::BadKey { algorithm: Algorithm::ES256, .. })));

    // A key that cannot verify anything fails closed at request time.
    let garbage = Authenticator::<Role>::builder()
        .key(None, Algorithm::ES256, DecodingKey::from_ec_der(b"not a point"))
        .build();
    match garbage {
        Err(error) => assert!(matches!(error, ConfigError::BadKey { .. }), "{error:?}"),
        Ok(authenticator) => {
            let server = server_with(authenticator).await;
            let ec = EcKey::generate();
            let token = ec.sign(&Header::new(Algorithm::ES256), &claims(&["admin"], ""));
            let response = server.refused(Request::get("/admin").bearer(&token)).await;
            assert_invalid_token(&response, &token);
        }
    }
}

#[tokio::test]
async fn case_38_a_failing_or_panicking_claims_mapper_denies() {
    captured_logs();
    let admin = hs256(&with(claims(&["admin"], "users:write"), "sub", json!("case-38")));
    let failing = ClaimMapping::default().map_roles(|_| Err("directory unavailable".to_owned()));
    let panicking = ClaimMapping::default().map_roles(|_| panic!("bug in the claims mapper"));
    for mapping in [failing, panicking] {
        let authenticator = hmac_builder::<Role>().claims(mapping).build().expect("valid");
        let server = server_with(authenticator).await;
        let response = server.refused(Request::get("/admin").bearer(&admin)).await;
        assert_eq!(response.status, 500, "{response}");
        assert!(response.header("WWW-Authenticate").is_none(), "{response}");
        support::assert_json_error_body(&response, "server_error", &[admin.as_bytes(), SECRET]);
    }
    let logs = captured_logs();
    assert!(logs.contains("claims mapper failed"), "the refusal says why:\n{logs}");
    assert!(logs.contains("claims mapper panicked"), "the refusal says why:\n{logs}");
    assert!(!logs.contains(&admin), "logs never hold the token");
}

// ---------------------------------------------------- optional endpoints ---

#[tokio::test]
async fn case_39_a_failed_attempt_on_an_optional_endpoint_is_never_anonymous() {
    let server = server().await;
    let jwt = token(&["admin"], "users:write");
    let expired = hs256(&with(claims(&["admin"], ""), "exp", json!(now() - 1)));
    let forged = sign_hs256(another_secret(), &claims(&["admin"], ""));
    let alg_none =
        format!("{}.{}.", b64_json(&json!({"alg": "none"})), b64_json(&claims(&["admin"], "")));
    for token in [&expired, &forged, &alg_none] {
        let response = server.refused(Request::get("/optional").bearer(token)).await;
        assert_invalid_token(&response, token);
    }
    let response =
        server.refused(Request::get("/optional").header("Authorization", "Bearer  ")).await;
    assert_invalid_request(&response, &[SECRET]);
    for value in [format!("Basic {jwt}"), "Basic dXNlcjpwYXNz".to_owned()] {
        let request = Request::get("/optional").header("Authorization", &value);
        let response = server.refused(request).await;
        assert_no_credentials(&response, &[jwt.as_bytes(), SECRET]);
    }
    let response = server.refused(Request::get(&format!("/optional?access_token={jwt}"))).await;
    assert_no_credentials(&response, &[jwt.as_bytes(), SECRET]);

    // Only a request without any credentials is anonymous.
    let response = server.allowed(Request::get("/optional")).await;
    assert_eq!(response.text(), "anonymous");
    let response = server.allowed(Request::get("/optional").bearer(&jwt)).await;
    assert_eq!(response.text(), "authenticated");
}

// -------------------------------------------------------- refusal bodies ---

#[tokio::test]
async fn case_40_a_refusal_body_cannot_change_status_or_challenge() {
    use axum::http::{StatusCode, header};
    // A renderer that lets the request "through", challenges for another
    // scheme, and dumps all it is given.
    let permissive = |refusal: &Refusal| {
        let headers = [
            (header::WWW_AUTHENTICATE, "Basic realm=\"elsewhere\"".to_owned()),
            (header::CONTENT_TYPE, "text/plain".to_owned()),
        ];
        (StatusCode::OK, headers, format!("{refusal:?}"))
    };
    let default = server().await;
    let custom =
        server_with(hmac_builder::<Role>().refusal_body(permissive).build().unwrap()).await;
    let viewer = token(&["viewer"], "");
    let forged = sign_hs256(another_secret(), &claims(&["admin"], ""));
    let requests = [
        Request::get("/admin"),
        Request::get("/admin").header("Authorization", "Bearer "),
        Request::get("/admin").bearer(&forged),
        Request::get("/admin").bearer(&viewer),
        Request::get("/posts/write").bearer(&viewer),
    ];
    for request in requests {
        let expected = default.refused(request.clone()).await;
        let response = custom.refused(request).await;
        assert_eq!(response.status, expected.status, "{response}");
        assert_eq!(
            response.header_values("WWW-Authenticate"),
            expected.header_values("WWW-Authenticate"),
            "{response}"
        );
        assert_eq!(response.header("Content-Type"), Some("text/plain"), "{response}");
        assert_no_secrets(&response, &[viewer.as_bytes(), forged.as_bytes(), SECRET]);
    }

    // A 500 keeps no challenge, whatever the renderer set.
    let failing = ClaimMapping::default().map_roles(|_| Err("directory unavailable".to_owned()));
    let authenticator =
        hmac_builder::<Role>().claims(failing).refusal_body(permissive).build().unwrap();
    let response =
        server_with(authenticator).await.refused(Request::get("/admin").bearer(&viewer)).await;
    assert_eq!(response.status, 500, "{response}");
    assert!(response.header_values("WWW-Authenticate").is_empty(), "{response}");
    assert_no_secrets(&response, &[viewer.as_bytes(), SECRET]);

    // A renderer that panics: the refusal stands, with the default body.
    let panicking = hmac_builder::<Role>()
        .refusal_body(|_: &Refusal| -> String { panic!("bug in the renderer") })
        .build()
        .unwrap();
    let response =
        server_with(panicking).await.refused(Request::get("/admin").bearer(&viewer)).await;
    assert_insufficient(&response, None, &viewer);
}

// ------------------------------------------------------------ revocation ---

/// A default server checking `store` for revocations, with `leeway`.
async fn revoking(store: &Arc<InMemoryRevocations>, leeway: u64, cache: usize) -> Server {
    let builder = hmac_builder::<Role>()
        .leeway(Duration::from_secs(leeway))
        .cache_verified_tokens(cache)
        .revocation(store.clone());
    server_with(builder.build().expect("valid test configuration")).await
}

/// A store for tokens of up to an hour, for issuers of up to `leeway`.
fn revocations(leeway: u64) -> Arc<InMemoryRevocations> {
    let store = InMemoryRevocations::new(Duration::from_secs(3600));
    Arc::new(store.with_leeway(Duration::from_secs(leeway)))
}

/// 401 `invalid_token`, its description saying `words`.
fn assert_refused_saying(response: &rbac_test_support::Response, token: &str, words: &str) {
    assert_invalid_token(response, token);
    let description = response.json()["error_description"].as_str().unwrap_or_default().to_owned();
    assert!(description.contains(words), "{words:?}: {response}");
}

#[tokio::test]
async fn case_41_a_revoked_token_is_401_fresh_or_cached() {
    const OTHER: &str = "https://other-issuer.test";
    let store = revocations(0);
    let other = || Issuer::new(OTHER).hmac(Algorithm::HS256, SECRET).audience(AUDIENCE);
    for cache in [0, 64] {
        let builder = hmac_builder::<Role>().trust(other()).cache_verified_tokens(cache);
        let server = server_with(builder.revocation(store.clone()).build().unwrap()).await;
        let jti = format!("case-41-{cache}");
        let ours = with(claims(&["admin"], ""), "jti", json!(jti));
        let theirs = hs256(&with(ours.clone(), "iss", json!(OTHER)));
        let token = hs256(&ours);
        server.allowed(Request::get("/admin").bearer(&token)).await;
        server.allowed(Request::get("/admin").bearer(&token)).await;
        store.revoke_token(ISSUER, &jti, ours["exp"].as_u64().unwrap());
        for path in ["/admin", "/viewer", "/whoami"] {
            let response = server.refused(Request::get(path).bearer(&token)).await;
            assert_refused_saying(&response, &token, "revoked");
        }
        // The same `jti` from another issuer is another token.
        server.allowed(Request::get("/admin").bearer(&theirs)).await;
    }
}

#[tokio::test]
async fn case_42_tokens_issued_before_a_subject_cutoff_are_401() {
    for (leeway, cache) in [(0, 0), (0, 64), (30, 64)] {
        let store = revocations(leeway);
        let server = revoking(&store, leeway, cache).await;
        let issued = |iat: u64| {
            let claims = with(claims(&["admin"], ""), "jti", json!(format!("j-{iat}")));
            hs256(&with(claims, "iat", json!(iat)))
        };
        let old = issued(now() - 60);
        server.allowed(Request::get("/admin").bearer(&old)).await;
        let cutoff = store.revoke_subject(ISSUER, "user-1", std::time::SystemTime::now());
        // The token used before (a cache hit when the cache is on), then
        // others issued before, in the revocation's second, or within the
        // leeway after.
        let response = server.refused(Request::get("/admin").bearer(&old)).await;
        assert_refused_saying(&response, &old, "revoked");
        let within_leeway = (leeway > 0).then(|| cutoff + leeway - 1);
        for iat in [now() - 61, cutoff - 1].into_iter().chain(within_leeway) {
            let token = issued(iat);
            let response = server.refused(Request::get("/admin").bearer(&token)).await;
            assert_refused_saying(&response, &token, "revoked");
        }
        // Stamped from the cut-off (plus the leeway) on: a fresh login passes.
        server.allowed(Request::get("/admin").bearer(&issued(cutoff + leeway))).await;
    }
}

#[tokio::test]
async fn case_43_tokens_the_store_could_not_revoke_are_401() {
    let server = revoking(&revocations(0), 0, 64).await;
    let base = with(claims(&["admin"], ""), "jti", json!("case-43"));
    let t = now();
    for (claims, words) in [
        (without(base.clone(), "jti"), "`jti`"),
        (with(base.clone(), "jti", json!("")), "`jti`"),
        (with(base.clone(), "jti", json!(["a"])), "`jti`"),
        (without(base.clone(), "sub"), "`sub`"),
        (with(base.clone(), "sub", Value::Null), "`sub`"),
        (without(base.clone(), "iat"), "`iat`"),
        (with(base.clone(), "iat", json!("now")), "`iat`"),
        (with(base.clone(), "iat", json!(-5)), "`iat`"),
        (with(base.clone(), "iat", json!(t + 120)), "future"),
        (with(with(base.clone(), "iat", json!(1e300)), "exp", json!(1e300)), "future"),
        (with(with(base.clone(), "iat", json!(t)), "exp", json!(t + 3601)), "longer"),
    ] {
        let token = hs256(&claims);
        let response = server.refused(Request::get("/admin").bearer(&token)).await;
        assert_refused_saying(&response, &token, words);
    }
    server.allowed(Request::get("/admin").bearer(&hs256(&base))).await;
    // An issuer leeway the store does not cover: refused before serving.
    let builder = hmac_builder::<Role>().leeway(Duration::from_secs(10));
    let error = builder.revocation(revocations(5)).build().err();
    assert!(matches!(error, Some(ConfigError::RevocationLeeway { leeway: 10, kept: 5 })));
}
