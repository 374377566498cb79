//! Static JWK Sets (RFC 7517): the keys an identity provider publishes,
//! read from a string or a file and turned into verification keys, each
//! under its `kid`. Only signature keys are taken; the algorithm is the
//! key's own (`alg`, or the one its type and curve imply), never the token's.

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::config_error::ConfigError;

/// A verification key from a JWK Set: its `kid`, algorithm and key.
pub(crate) type JwkKey = (Option<String>, Algorithm, DecodingKey);

/// The signature keys of a JWK Set document. Encryption keys and keys of
/// unknown types are skipped; a symmetric (`oct`) key is an error, since
/// HMAC secrets are configured with `hmac`, never published.
pub(crate) fn keys_from_jwk_set(json: &str) -> Result<Vec<JwkKey>, ConfigError> {
    let set: JwkSet = serde_json::from_str(json)
        .map_err(|e| ConfigError::JwkSet(format!("not a JWK Set document: {e}")))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        if let Some(key) = key_from_jwk(jwk)? {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err(ConfigError::JwkSet("the JWK Set has no usable signature key".into()));
    }
    Ok(keys)
}

fn key_from_jwk(jwk: &Jwk) -> Result<Option<JwkKey>, ConfigError> {
    let kid = jwk.common.key_id.clone();
    let named = |what: &str| match &kid {
        Some(kid) => format!("key `{kid}`: {what}"),
        None => format!("a key without kid: {what}"),
    };
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return Ok(None);
    }
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        AlgorithmParameters::OctetKey(_) => {
            return Err(ConfigError::JwkSet(named(
                "symmetric (`oct`) keys are not accepted from a JWK Set; configure HMAC secrets with `hmac`",
            )));
        }
        _ => None,
    };
    let algorithm = match jwk.common.key_algorithm {
        None => implied,
        Some(declared) => signing_algorithm(declared),
    };
    let Some(algorithm) = algorithm else {
        // Encryption algorithms, unsupported curves, unknown types.
        return Ok(None);
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| ConfigError::JwkSet(named(&e.to_string())))?;
    if key.family() != algorithm.family() {
        return Err(ConfigError::JwkSet(named("its `alg` does not match its key type")));
    }
    Ok(Some((kid, algorithm, key)))
}

fn signing_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // An Ed25519 public key (RFC 8037 §A.2).
    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn signature_keys_are_taken_with_their_kid_and_algorithm() {
        let json = format!(
            r#"{{"keys":[
                {{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","kid":"ed","use":"sig"}},
                {{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","kid":"enc","use":"enc"}}
            ]}}"#
        );
        let keys = keys_from_jwk_set(&json).expect("valid set");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0.as_deref(), Some("ed"));
        assert_eq!(keys[0].1, Algorithm::EdDSA);
    }

    #[test]
    fn symmetric_keys_are_refused() {
        let json = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#;
        assert!(matches!(keys_from_jwk_set(json), Err(ConfigError::JwkSet(_))));
    }

    #[test]
    fn alg_that_contradicts_the_key_type_is_refused() {
        let json =
            format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","alg":"RS256"}}]}}"#);
        assert!(matches!(keys_from_jwk_set(&json), Err(ConfigError::JwkSet(_))));
    }

    #[test]
    fn a_set_without_signature_keys_is_an_error() {
        assert!(keys_from_jwk_set(r#"{"keys":[]}"#).is_err());
        assert!(keys_from_jwk_set("not json").is_err());
    }
}
