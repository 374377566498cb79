//! What the Redis store costs a request against the in-memory store: the
//! same HS256 token verified by `Authenticator::verify` with each store
//! holding the same 1,000 revoked tokens and 100 subject cut-offs (none
//! of them this token's), and each store's check alone (availability and
//! lookup). The Redis store is loaded from a `redis-server` started for the
//! benchmark; without one on `PATH` its half is skipped, saying so.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use rbac_axum::jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rbac_axum::{Authenticator, InMemoryRevocations, RevocationStore, TokenId};
use rbac_redis::RedisRevocations;
use rbac_test_support::{Persistence, RedisServer};
use serde_json::json;

rbac_axum::roles! { admin: viewer, viewer }

const ISSUER: &str = "https://issuer.example";
const SECRET: &[u8] = b"a benchmark HS256 secret of 32+ bytes";
const LIFETIME: Duration = Duration::from_secs(3600);
const JTI: &str = "5d1c0a6e2b7f4e3d9a8c1b0f2e3d4c5b";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// A viewer's token, not revoked.
fn token() -> String {
    let claims = json!({
        "iss": ISSUER, "sub": "user-1000", "jti": JTI,
        "iat": now(), "exp": now() + 600, "roles": ["viewer"],
    });
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET))
        .expect("signed")
}

fn authenticator(store: Arc<dyn RevocationStore>) -> Authenticator<Role> {
    Authenticator::<Role>::builder()
        .hmac(Algorithm::HS256, SECRET)
        .issuer(ISSUER)
        .revocation(store)
        .build()
        .expect("HS256 with revocation")
}

fn stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let far = now() + 3600;
    let memory = Arc::new(InMemoryRevocations::new(LIFETIME));
    for i in 0..1_000 {
        memory.revoke_token(ISSUER, &format!("revoked-{i}"), far);
    }
    for i in 0..100 {
        memory.revoke_subject(ISSUER, &format!("user-{i}"), SystemTime::now());
    }
    let token = token();
    let id = TokenId::new(ISSUER, JTI, "user-1000", now());

    let mut group = c.benchmark_group("revocation-store/HS256");
    let in_memory = authenticator(memory.clone());
    assert!(in_memory.verify(&token).is_ok());
    group.bench_function("verify/InMemoryRevocations", |b| {
        b.iter(|| in_memory.verify(black_box(&token)))
    });
    group.bench_function("check/InMemoryRevocations", |b| {
        b.iter(|| memory.availability().is_ok() && !memory.is_revoked(black_box(id)))
    });

    let redis = runtime.block_on(async {
        let server = RedisServer::start("revocation-store bench", Persistence::None).await?;
        let store =
            RedisRevocations::builder(server.url(), LIFETIME).start().expect("valid settings");
        // A new Redis: the first instance waits out the republish grace (8 s).
        assert!(store.wait_until_loaded(Duration::from_secs(20)).await, "loaded");
        for i in 0..1_000 {
            drop(store.revoke_token(ISSUER, &format!("revoked-{i}"), far));
        }
        for i in 0..100 {
            drop(store.revoke_subject(ISSUER, &format!("user-{i}"), SystemTime::now()));
        }
        assert!(store.wait_until_published(Duration::from_secs(10)).await, "published");
        Some((server, store))
    });
    if let Some((_server, redis)) = redis {
        let shared = authenticator(redis.clone());
        assert!(shared.verify(&token).is_ok());
        group.bench_function("verify/RedisRevocations", |b| {
            b.iter(|| shared.verify(black_box(&token)))
        });
        group.bench_function("check/RedisRevocations", |b| {
            b.iter(|| redis.availability().is_ok() && !redis.is_revoked(black_box(id)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Short by default: a 2-core machine shared with builds. Command-line
    // flags (`--warm-up-time`, `--measurement-time`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = stores
}
criterion_main!(benches);
