//! Reading a bearer token from a request, per RFC 6750 §2.1: the
//! `Authorization` header only, scheme compared case-insensitively, the
//! token restricted to the `b64token` alphabet.

use http::HeaderMap;
use http::header::AUTHORIZATION;

/// Why no usable bearer token could be read from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization` header, or one with another scheme (`Basic …`):
    /// the request carries no bearer credentials (401 without `error`).
    Missing,
    /// The request is malformed (400 `invalid_request`): the reason.
    InvalidRequest(&'static str),
    /// A token is present but cannot be one (401 `invalid_token`): the reason.
    InvalidToken(&'static str),
}

/// The bearer token of a request's headers.
///
/// `query` is the request's query string: a token there is never used
/// (RFC 6750 §2.3 is off by design), but a token sent both there and in the
/// header makes the request malformed (RFC 6750 §2: one method only).
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
/// use rbac_axum::bearer::{BearerError, bearer_token};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
/// assert_eq!(bearer_token(&headers, None), Ok("abc.def.ghi"));
///
/// headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwYXNz"));
/// assert_eq!(bearer_token(&headers, None), Err(BearerError::Missing));
/// ```
pub fn bearer_token<'h>(
    headers: &'h HeaderMap,
    query: Option<&str>,
) -> Result<&'h str, BearerError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err(BearerError::Missing),
        (Some(_), Some(_)) => {
            return Err(BearerError::InvalidRequest(
                "the request has more than one Authorization header",
            ));
        }
        (Some(value), None) => value,
    };
    // Read as bytes: a value that is not visible ASCII is still another
    // scheme's credentials (no credentials) or a bearer token with
    // characters outside the alphabet (`invalid_token`).
    let value = value.as_bytes();
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(BearerError::Missing);
    }
    if query.is_some_and(has_access_token) {
        return Err(BearerError::InvalidRequest(
            "a token is sent both in the Authorization header and in the query string",
        ));
    }
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    let end = rest.iter().rposition(|&b| b != b' ').map_or(start, |last| last + 1);
    let token = &rest[start..end];
    if token.is_empty() {
        return Err(BearerError::InvalidRequest("the bearer token is empty"));
    }
    match std::str::from_utf8(token) {
        Ok(token) if is_b64token(token) => Ok(token),
        _ => Err(BearerError::InvalidToken(
            "the bearer token has characters outside the RFC 6750 b64token alphabet",
        )),
    }
}

/// Whether a request tries to authenticate at all: it has an
/// `Authorization` header (of any scheme, well-formed or not) or an
/// `access_token` query parameter (RFC 6750 §2.3, which this crate never
/// reads). Only a request that does neither is anonymous to an optional
/// extractor; any other gets the answer [`bearer_token`] leads to.
pub(crate) fn attempts_authentication(headers: &HeaderMap, query: Option<&str>) -> bool {
    headers.contains_key(AUTHORIZATION) || query.is_some_and(has_access_token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    // Checked on every request: branch-free within 32-byte chunks, so the
    // compiler vectorizes it (a byte-at-a-time `all` cost as much as the
    // verified-token cache's hash of the whole token).
    !body.is_empty()
        && body
            .as_bytes()
            .chunks(32)
            .all(|chunk| chunk.iter().fold(true, |ok, &b| ok & is_b64token_byte(b)))
}

/// `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`
const fn is_b64token_byte(b: u8) -> bool {
    // `| 0x20` folds `A-Z` onto `a-z` and moves nothing else into `a-z`.
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}

fn has_access_token(query: &str) -> bool {
    query.split('&').any(|pair| pair.split('=').next().is_some_and(|key| key == "access_token"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_b64token_alphabet_is_exactly_rfc_6750s() {
        for b in 0..=255u8 {
            let expected =
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            assert_eq!(is_b64token_byte(b), expected, "byte {b:#04x}");
        }
        // Past the first chunk too.
        let long = "a".repeat(100);
        assert!(is_b64token(&long));
        assert!(!is_b64token(&format!("{long}!{long}")));
        assert!(is_b64token("abc=="));
        assert!(!is_b64token("==") && !is_b64token("a=b"));
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for value in ["bearer x.y.z", "BEARER x.y.z", "Bearer x.y.z", "bEaReR x.y.z"] {
            assert_eq!(bearer_token(&with(&[value]), None), Ok("x.y.z"), "{value}");
        }
    }

    #[test]
    fn other_schemes_are_no_credentials() {
        for value in ["Basic dXNlcjpwYXNz", "Token abc", "Bearerx abc", "Digest a=b"] {
            assert_eq!(bearer_token(&with(&[value]), None), Err(BearerError::Missing), "{value}");
        }
    }

    #[test]
    fn empty_token_is_invalid_request() {
        for value in ["Bearer", "Bearer ", "Bearer    "] {
            assert!(
                matches!(bearer_token(&with(&[value]), None), Err(BearerError::InvalidRequest(_))),
                "{value}"
            );
        }
    }

    #[test]
    fn two_headers_are_invalid_request() {
        let headers = with(&["Bearer a.b.c", "Bearer d.e.f"]);
        assert!(matches!(bearer_token(&headers, None), Err(BearerError::InvalidRequest(_))));
    }

    #[test]
    fn characters_outside_b64token_are_invalid_token() {
        for value in ["Bearer a\"b", "Bearer {\"alg\":1}", "Bearer a b", "Bearer a=b", "Bearer a,b"]
        {
            assert!(
                matches!(bearer_token(&with(&[value]), None), Err(BearerError::InvalidToken(_))),
                "{value}"
            );
        }
    }

    #[test]
    fn token_in_header_and_query_is_invalid_request() {
        let headers = with(&["Bearer a.b.c"]);
        assert!(matches!(
            bearer_token(&headers, Some("x=1&access_token=a.b.c")),
            Err(BearerError::InvalidRequest(_))
        ));
        assert_eq!(bearer_token(&headers, Some("access_tokens=1")), Ok("a.b.c"));
    }
}
