//! The bearer header parser on arbitrary header bytes and query strings:
//! never panics, and whatever it returns as a token is in the b64token
//! alphabet and was in the header.
#![no_main]

use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use rbac_axum::bearer::{bearer_token, is_b64token};

fuzz_target!(|input: (Vec<Vec<u8>>, Option<String>)| {
    let (values, query) = input;
    let mut headers = HeaderMap::new();
    for value in &values {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(AUTHORIZATION, value);
        }
    }
    if let Ok(token) = bearer_token(&headers, query.as_deref()) {
        assert!(is_b64token(token));
        assert_eq!(headers.get_all(AUTHORIZATION).iter().count(), 1);
    }
});
