//! What an API gateway needs from a token beyond [`crate::policy`]: route
//! rules on claims (nested claims by dotted path, required scopes), the
//! payload segment it forwards upstream, and the inputs of a native
//! signature verifier that works the OpenSSL way (`EVP_DigestVerify`), such
//! as Envoy's `verify_signature` foreign function.
//!
//! The Envoy filter calls these; it holds no token logic of its own.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::alg::Algorithm;
#[cfg(feature = "arithmetic")]
use crate::error::ErrorCode;
use crate::error::{bail, ClaimReason, Error, Result};

/// The claim at `path`: the member named `path` itself if there is one
/// (claim names may contain dots, e.g. `https://example.com/roles`),
/// otherwise the nested member reached by splitting `path` at dots
/// (`realm_access.roles`).
pub fn claim_at_path<'a>(payload: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = payload.get(path) {
        return Some(value);
    }
    let mut segments = path.split('.');
    let mut current = payload.get(segments.next()?)?;
    for segment in segments {
        current = current.as_object()?.get(segment)?;
    }
    Some(current)
}

/// True if `value` equals one of `accepted`, or, for an array claim, if one
/// of its elements does. Numbers compare by value (`1` equals `1.0`).
pub fn claim_matches(value: &Value, accepted: &[Value]) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|item| scalar_matches(item, accepted)),
        other => scalar_matches(other, accepted),
    }
}

fn scalar_matches(value: &Value, accepted: &[Value]) -> bool {
    accepted.iter().any(|candidate| match (value, candidate) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    })
}

/// Requires the claim at `path` (see [`claim_at_path`]) to match one of
/// `accepted` (see [`claim_matches`]). Fails with
/// `ERR_JWT_CLAIM_VALIDATION_FAILED`, reason `missing` or `check_failed`.
pub fn require_claim(payload: &Map<String, Value>, path: &str, accepted: &[Value]) -> Result<()> {
    match claim_at_path(payload, path) {
        None => Err(Error::claim(
            path,
            ClaimReason::Missing,
            alloc::format!("missing required \"{path}\" claim"),
        )),
        Some(value) if claim_matches(value, accepted) => Ok(()),
        Some(_) => Err(Error::claim(
            path,
            ClaimReason::CheckFailed,
            alloc::format!("the \"{path}\" claim has none of the required values"),
        )),
    }
}

/// Requires every scope of `required` to be granted (`scope` or `scp`, see
/// [`crate::policy::granted_scopes`]). Fails with
/// `ERR_JWT_CLAIM_VALIDATION_FAILED` on claim `scope`, naming the missing ones.
pub fn require_scopes(payload: &Map<String, Value>, required: &[String]) -> Result<()> {
    if required.is_empty() {
        return Ok(());
    }
    let granted = crate::policy::granted_scopes(payload)?;
    let missing: Vec<&str> = required
        .iter()
        .map(String::as_str)
        .filter(|scope| !granted.contains(scope))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::claim(
        "scope",
        ClaimReason::CheckFailed,
        alloc::format!("missing required scope(s): {}", missing.join(" ")),
    ))
}

/// The base64url payload segment of a compact JWS, as it was sent: what
/// gateways forward upstream (Envoy jwt_authn's `forward_payload_header`).
/// Only the shape is checked (three segments); verify the token first.
pub fn payload_segment(token: &str) -> Result<&str> {
    let token = token.trim();
    let mut segments = token.split('.');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(_), Some(payload), Some(_), None) => Ok(payload),
        _ => bail!(
            JwsInvalid,
            "a compact JWS has three base64url segments separated by dots"
        ),
    }
}

/// The digest name an OpenSSL-style verifier (`EVP_DigestVerify` with the
/// key's default parameters) needs for `alg`: `sha256`, `sha384` or
/// `sha512` for RSASSA-PKCS1-v1_5 and ECDSA. `None` for algorithms such a
/// verifier cannot check with default parameters (PSS, EdDSA, HMAC).
pub fn evp_digest_name(alg: Algorithm) -> Option<&'static str> {
    match alg {
        Algorithm::Rs256 | Algorithm::Es256 => Some("sha256"),
        Algorithm::Rs384 | Algorithm::Es384 => Some("sha384"),
        Algorithm::Rs512 => Some("sha512"),
        _ => None,
    }
}

/// A JWS ECDSA signature (`r || s`, RFC 7518 section 3.4) as the DER
/// `ECDSA-Sig-Value` that OpenSSL-style verifiers take. Rejects a wrong
/// length and `r` or `s` out of range with
/// `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`; other algorithms give
/// `ERR_INVALID_ARGUMENT`.
#[cfg(feature = "arithmetic")]
pub fn ecdsa_signature_der(alg: Algorithm, signature: &[u8]) -> Result<Vec<u8>> {
    let malformed = || {
        Error::new(
            ErrorCode::SignatureVerificationFailed,
            alloc::format!("malformed {alg} signature"),
        )
    };
    match alg {
        Algorithm::Es256 => p256::ecdsa::Signature::from_slice(signature)
            .map(|sig| sig.to_der().as_bytes().to_vec())
            .map_err(|_| malformed()),
        Algorithm::Es384 => p384::ecdsa::Signature::from_slice(signature)
            .map(|sig| sig.to_der().as_bytes().to_vec())
            .map_err(|_| malformed()),
        other => bail!(InvalidArgument, "{other} is not an ECDSA algorithm"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn nested_and_dotted_claims() {
        let payload = claims(json!({
            "realm_access": {"roles": ["admin", "ops"]},
            "https://example.com/tier": "gold",
            "n": 1
        }));
        assert_eq!(
            claim_at_path(&payload, "realm_access.roles"),
            Some(&json!(["admin", "ops"]))
        );
        assert_eq!(
            claim_at_path(&payload, "https://example.com/tier"),
            Some(&json!("gold"))
        );
        assert_eq!(claim_at_path(&payload, "realm_access.missing"), None);
        assert_eq!(claim_at_path(&payload, "n.x"), None);
        assert!(require_claim(&payload, "realm_access.roles", &[json!("ops")]).is_ok());
        assert!(require_claim(&payload, "n", &[json!(1.0)]).is_ok());
        let err = require_claim(&payload, "realm_access.roles", &[json!("root")]).unwrap_err();
        assert_eq!(err.reason(), Some(ClaimReason::CheckFailed));
        let err = require_claim(&payload, "tier", &[json!("gold")]).unwrap_err();
        assert_eq!(err.reason(), Some(ClaimReason::Missing));
    }

    #[test]
    fn scopes_and_segments() {
        let payload = claims(json!({"scope": "read write", "scp": ["admin"]}));
        assert!(require_scopes(&payload, &["read".into(), "admin".into()]).is_ok());
        let err = require_scopes(&payload, &["delete".into()]).unwrap_err();
        assert_eq!(err.claim_name(), Some("scope"));
        assert!(err.message().contains("delete"));
        assert_eq!(payload_segment("a.b.c").unwrap(), "b");
        assert!(payload_segment("a.b").is_err());
    }

    #[cfg(feature = "arithmetic")]
    #[test]
    fn ecdsa_der() {
        assert!(ecdsa_signature_der(Algorithm::Es256, &[0u8; 64]).is_err());
        let mut raw = [0u8; 64];
        raw[31] = 1;
        raw[63] = 2;
        let der = ecdsa_signature_der(Algorithm::Es256, &raw).unwrap();
        assert_eq!(der, [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
        assert!(ecdsa_signature_der(Algorithm::Es256, &raw[..63]).is_err());
        assert!(ecdsa_signature_der(Algorithm::Rs256, &raw).is_err());
        assert_eq!(evp_digest_name(Algorithm::Ps256), None);
        assert_eq!(evp_digest_name(Algorithm::Es384), Some("sha384"));
    }
}
