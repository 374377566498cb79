//! The JOSE header of a token (RFC 7515 §4): what verification takes from
//! it, and a per-thread memory of the headers of tokens that verified.
//!
//! An identity provider signs every token with the same few headers (one
//! per key), so the same header segment arrives again and again. Reading one
//! is a pure function of its base64url text: a header segment seen in a
//! token whose signature verified on this thread is looked up by its exact
//! text instead of being decoded and parsed again. Only headers of tokens
//! with a valid signature are remembered, so forged tokens cannot push
//! them out.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use jsonwebtoken::Algorithm;
use serde::Deserialize;

use crate::segment::decode_segment;
use crate::token_error::TokenError;

/// What verification needs from a header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct JoseHeader {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<Box<str>>,
    /// Whether `typ` is `at+jwt` (RFC 9068), in either spelling.
    pub(crate) at_jwt: bool,
}

/// Headers remembered per thread, most recently verified first.
const REMEMBERED: usize = 4;
/// Longer header segments are not remembered.
const REMEMBERED_LEN: usize = 256;

thread_local! {
    static HEADERS: RefCell<Vec<(Box<str>, Rc<JoseHeader>)>> = const { RefCell::new(Vec::new()) };
}

/// The header whose base64url text is `segment`, remembered or read now;
/// says which.
pub(crate) fn header(segment: &str) -> Result<(Rc<JoseHeader>, bool), TokenError> {
    let remembered = HEADERS
        .try_with(|headers| {
            let headers = headers.try_borrow().ok()?;
            headers.iter().find(|(text, _)| **text == *segment).map(|(_, h)| Rc::clone(h))
        })
        .ok()
        .flatten();
    match remembered {
        Some(header) => Ok((header, true)),
        None => Ok((Rc::new(read(segment)?), false)),
    }
}

/// Remembers `header`, read from `segment`, once its token has verified.
pub(crate) fn remember(segment: &str, header: &Rc<JoseHeader>) {
    if segment.len() > REMEMBERED_LEN {
        return;
    }
    let _ = HEADERS.try_with(|headers| {
        if let Ok(mut headers) = headers.try_borrow_mut()
            && !headers.iter().any(|(text, _)| **text == *segment)
        {
            headers.truncate(REMEMBERED - 1);
            headers.insert(0, (segment.into(), Rc::clone(header)));
        }
    });
}

/// Decoded headers up to this size are decoded on the stack.
const HEADER_ON_STACK: usize = 256;

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "borrowed")]
    typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// An optional string, borrowed from the input unless it has escapes
/// (serde borrows a `Cow` field, but copies one inside an `Option`).
pub(crate) fn borrowed<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(deserializer)?.map(|b| b.0))
}

/// Decodes and reads a header segment.
pub(crate) fn read(segment: &str) -> Result<JoseHeader, TokenError> {
    // A header is short: decode it on the stack unless it is not.
    let (mut stack, mut heap) = ([0u8; HEADER_ON_STACK], Vec::new());
    let bytes =
        decode_segment(segment, &mut stack, &mut heap, "the token header is not base64url")?;
    // serde reads a struct from a JSON array too (`["HS256"]`); the JOSE
    // header must be an object (RFC 7515 §4).
    let fields: Fields<'_> = match bytes.trim_ascii_start().first() {
        Some(b'{') => serde_json::from_slice(bytes).ok(),
        _ => None,
    }
    .ok_or_else(|| TokenError::new("the token header is not a JSON object with a string `alg`"))?;
    if fields.crit.is_some() {
        return Err(TokenError::new(
            "the token header lists `crit` extensions this server does not support",
        ));
    }
    // `Algorithm::from_str` takes RFC 7518's exact spellings only (`"hs256"`,
    // `"none"` are refused).
    let Ok(algorithm) = fields.alg.parse::<Algorithm>() else {
        return Err(TokenError::new("the token's algorithm is not accepted by this server"));
    };
    let at_jwt = fields.typ.as_deref().is_some_and(|typ| {
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
    });
    Ok(JoseHeader { algorithm, kid: fields.kid.map(Into::into), at_jwt })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn segment(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn only_remembered_headers_are_looked_up_and_they_read_the_same() {
        let text = segment(r#"{"alg":"RS256","kid":"k\u0031","typ":"at+JWT"}"#);
        let (first, remembered) = header(&text).expect("a valid header");
        assert!(!remembered, "nothing is remembered before a token verifies");
        assert_eq!(
            *first,
            JoseHeader { algorithm: Algorithm::RS256, kid: Some("k1".into()), at_jwt: true }
        );
        remember(&text, &first);
        let (again, remembered) = header(&text).expect("a valid header");
        assert!(remembered);
        assert_eq!(again, first);
        // One character more is another header.
        let other = segment(r#"{"alg":"RS256","kid":"k2","typ":"at+JWT"}"#);
        let (other, remembered) = header(&other).expect("a valid header");
        assert!(!remembered);
        assert_eq!(other.kid.as_deref(), Some("k2"));
    }

    #[test]
    fn a_thread_remembers_a_bounded_number_of_headers() {
        let texts: Vec<_> = (0..REMEMBERED + 3)
            .map(|n| segment(&format!(r#"{{"alg":"HS256","kid":"{n}"}}"#)))
            .collect();
        for text in &texts {
            let (header, _) = header(text).expect("a valid header");
            remember(text, &header);
        }
        HEADERS.with(|headers| assert_eq!(headers.borrow().len(), REMEMBERED));
        assert!(header(&texts[texts.len() - 1]).expect("valid").1, "the latest is remembered");
        assert!(!header(&texts[0]).expect("valid").1, "the oldest is forgotten");
        let long = segment(&format!(r#"{{"alg":"HS256","kid":"{}"}}"#, "k".repeat(300)));
        let (read, _) = header(&long).expect("a valid header");
        remember(&long, &read);
        assert!(!header(&long).expect("valid").1, "long headers are not remembered");
    }

    #[test]
    fn bad_headers_are_refused_with_the_reason() {
        for (text, reason) in [
            ("!!".to_owned(), "not base64url"),
            (segment(r#"["HS256"]"#), "not a JSON object"),
            (segment(r#"{"alg":"none"}"#), "not accepted"),
            (segment(r#"{"alg":"hs256"}"#), "not accepted"),
            (segment(r#"{"alg":"HS256","crit":["exp"]}"#), "`crit`"),
            (segment(r#"{"alg":"HS256","kid":7}"#), "not a JSON object"),
        ] {
            let error = read(&text).expect_err(reason);
            assert!(error.message().contains(reason), "{reason}: {}", error.message());
        }
    }
}
