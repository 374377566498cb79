//! `jsonwebtoken`'s two crypto backends side by side: aws_lc_rs
//! (the project's) and rust_crypto, for HS256, RS256 (2048-bit), ES256 and
//! EdDSA, on the 12-claim token of `rbac-axum/benches/verify.rs`.
//!
//! * `decode/<alg>/<backend>`: `jsonwebtoken::decode` with a `Validation`
//!   requiring `exp`, `iss` and `aud`. `decode` asks the process-wide
//!   provider for a verifier, and a process can install only one, so this
//!   group measures the backend named by `JWT_BACKEND` (`aws_lc_rs`, the
//!   default, or `rust_crypto`); `bench/backends.sh` runs the binary once
//!   per backend.
//! * `signature/<alg>/<backend>`: the provider's verifier, built once
//!   outside the timed loop, on the message (`header.payload`) and the
//!   already base64-decoded signature. Both backends in every process.
//! * `verifier+signature/<alg>/<backend>`: the verifier built and used once,
//!   which is what `decode` does on every call (its key parsing differs
//!   between the backends). Both backends in every process.
//!
//! Keys are generated and tokens signed with aws-lc-rs; the decoding keys
//! are the raw forms both backends read: the HS256 secret, the RSA public
//! key as PKCS#1 DER, the P-256 point uncompressed, the 32-byte Ed25519 key.

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::crypto::{CryptoProvider, aws_lc, rust_crypto};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "orders-api";
const SECRET: &[u8] = b"a benchmark HS256 secret of 32+ bytes";

const BACKENDS: [(&str, &CryptoProvider); 2] =
    [("aws_lc_rs", &aws_lc::DEFAULT_PROVIDER), ("rust_crypto", &rust_crypto::DEFAULT_PROVIDER)];

/// What a minimal hand-written `jsonwebtoken` extractor deserializes: the
/// same struct as the `jsonwebtoken::decode` floor in `verify.rs`.
#[derive(Deserialize)]
#[allow(dead_code)] // deserialized to be measured, not read
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    scope: String,
}

/// One algorithm's token and the key both backends verify it with.
struct Case {
    alg: Algorithm,
    token: String,
    key: DecodingKey,
    /// `header.payload`, what the signature covers.
    message: Vec<u8>,
    signature: Vec<u8>,
}

fn claims() -> serde_json::Value {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs();
    // A typical access token of 12 claims.
    json!({
        "iss": ISSUER,
        "sub": "user-4711",
        "aud": AUDIENCE,
        "exp": now + 365 * 24 * 3600,
        "nbf": now - 60,
        "iat": now - 60,
        "jti": "6f1c2a9e-54b1-4f4a-9d0e-2f0b9a7c3d11",
        "client_id": "web-frontend",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": ["editor"],
        "scope": "openid posts:read posts:write profile",
    })
}

fn case(alg: Algorithm, key: DecodingKey, sign: impl Fn(&[u8]) -> Vec<u8>) -> Case {
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg:?}","typ":"JWT"}}"#));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).expect("claims serialize"));
    let message = format!("{header}.{payload}");
    let signature = sign(message.as_bytes());
    let token = format!("{message}.{}", URL_SAFE_NO_PAD.encode(&signature));
    Case { alg, token, key, message: message.into_bytes(), signature }
}

fn cases() -> Vec<Case> {
    let rng = SystemRandom::new();

    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, SECRET);
    let hs256 = case(Algorithm::HS256, DecodingKey::from_secret(SECRET), |m| {
        hmac::sign(&hmac_key, m).as_ref().to_vec()
    });

    let rsa_pair = rsa::KeyPair::generate(rsa::KeySize::Rsa2048).expect("generate RSA-2048");
    // PKCS#1 RSAPublicKey DER.
    let rsa_public = DecodingKey::from_rsa_der(rsa_pair.public_key().as_ref());
    let rs256 = case(Algorithm::RS256, rsa_public, |m| {
        let mut signature = vec![0; rsa_pair.public_modulus_len()];
        rsa_pair.sign(&sig::RSA_PKCS1_SHA256, &rng, m, &mut signature).expect("RSA signing");
        signature
    });

    let p256 = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(p256, &rng).expect("generate P-256");
    let ec_pair = EcdsaKeyPair::from_pkcs8(p256, pkcs8.as_ref()).expect("read back P-256");
    // The uncompressed point (SEC1).
    let ec_public = DecodingKey::from_ec_der(ec_pair.public_key().as_ref());
    let es256 = case(Algorithm::ES256, ec_public, |m| {
        ec_pair.sign(&rng, m).expect("ECDSA signing").as_ref().to_vec()
    });

    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("generate Ed25519");
    let ed_pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("read back Ed25519");
    let ed_public = DecodingKey::from_ed_der(ed_pair.public_key().as_ref());
    let eddsa = case(Algorithm::EdDSA, ed_public, |m| ed_pair.sign(m).as_ref().to_vec());

    vec![hs256, rs256, es256, eddsa]
}

fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation
}

fn installed_backend() -> &'static str {
    let name = std::env::var("JWT_BACKEND").unwrap_or_else(|_| "aws_lc_rs".to_owned());
    let (name, provider) = BACKENDS
        .into_iter()
        .find(|(backend, _)| *backend == name)
        .unwrap_or_else(|| panic!("JWT_BACKEND={name}: expected aws_lc_rs or rust_crypto"));
    provider.install_default().expect("the first and only provider installed");
    name
}

fn backends(c: &mut Criterion) {
    let installed = installed_backend();
    for case in cases() {
        let alg = format!("{:?}", case.alg);
        let validation = validation(case.alg);

        // Both backends accept the token and reject it with one signature
        // byte changed, before anything is timed.
        let mut forged = case.signature.clone();
        forged[0] ^= 1;
        for (backend, provider) in BACKENDS {
            let verifier = (provider.verifier_factory)(&case.alg, &case.key).expect("verifier");
            assert!(verifier.verify(&case.message, &case.signature).is_ok(), "{alg}/{backend}");
            assert!(verifier.verify(&case.message, &forged).is_err(), "{alg}/{backend} forged");
        }
        jsonwebtoken::decode::<Claims>(&case.token, &case.key, &validation)
            .unwrap_or_else(|e| panic!("{alg}/{installed}: decode: {e}"));

        let mut group = c.benchmark_group(format!("decode/{alg}"));
        group.bench_function(installed, |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Claims>(black_box(&case.token), &case.key, &validation)
            })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("signature/{alg}"));
        for (backend, provider) in BACKENDS {
            let verifier = (provider.verifier_factory)(&case.alg, &case.key).expect("verifier");
            group.bench_function(backend, |b| {
                b.iter(|| verifier.verify(black_box(&case.message), black_box(&case.signature)))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("verifier+signature/{alg}"));
        for (backend, provider) in BACKENDS {
            group.bench_function(backend, |b| {
                b.iter(|| {
                    let verifier = (provider.verifier_factory)(&case.alg, black_box(&case.key))
                        .expect("verifier");
                    verifier.verify(black_box(&case.message), black_box(&case.signature))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, backends);
criterion_main!(benches);
