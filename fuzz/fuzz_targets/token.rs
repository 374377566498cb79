//! The token pre-checks and header handling on arbitrary strings: never
//! panic, never accept (nothing here is signed with the key).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rbac_axum::Authenticator;
use rbac_axum::jsonwebtoken::Algorithm;

rbac_axum::roles! { admin: viewer, viewer, scopes: ["posts:read"] }

fuzz_target!(|token: &str| {
    thread_local! {
        static AUTH: Authenticator<Role> = Authenticator::<Role>::builder()
            .hmac(Algorithm::HS256, [7u8; 32])
            .build()
            .expect("a valid configuration");
    }
    AUTH.with(|auth| assert!(auth.verify(token).is_err()));
});
