//! Fixtures shared by the fuzz targets: a fixed key set and policies, so
//! every run (and every crash reproduction) sees the same world.

use std::sync::OnceLock;

use jwt_edge::{Algorithm, Jwk, JwkSet, VerifyPolicy};

/// A fixed clock: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// The private keys (kids `rsa`, `p256`, `p384`, `ed25519`, `hmac`),
/// generated once with `jwt_edge::key::generate` and kept in keys.json.
pub fn private_keys() -> &'static JwkSet {
    static KEYS: OnceLock<JwkSet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let set = JwkSet::from_json(include_str!("../keys.json")).expect("keys.json");
        assert_eq!(set.keys.len(), 5, "keys.json holds five keys");
        set
    })
}

/// The verification key set: the public halves, and the HMAC secret.
pub fn verification_keys() -> &'static JwkSet {
    static KEYS: OnceLock<JwkSet> = OnceLock::new();
    KEYS.get_or_init(|| JwkSet {
        keys: private_keys()
            .keys
            .iter()
            .map(|jwk| jwk.to_public().unwrap_or_else(|_| jwk.clone()))
            .collect(),
        skipped: Vec::new(),
    })
}

/// The private key with this `kid`.
pub fn private_key(kid: &str) -> &'static Jwk {
    private_keys()
        .keys
        .iter()
        .find(|jwk| jwk.kid.as_deref() == Some(kid))
        .expect("fixture kid")
}

/// Two policies: every algorithm and no claim rule; and a strict one with
/// issuer, audience, subject, typ, age, required claims, scopes and crit.
pub fn policies() -> &'static [VerifyPolicy] {
    static POLICIES: OnceLock<Vec<VerifyPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let open = VerifyPolicy::new(Algorithm::ALL).expect("policy");
        let mut strict = VerifyPolicy::new(Algorithm::ALL).expect("policy");
        strict.issuer = vec!["https://idp.example".into()];
        strict.audience = vec!["api".into(), "other".into()];
        strict.subject = Some("alice".into());
        strict.typ = Some("at+jwt".into());
        strict.max_token_age = Some(3600);
        strict.clock_tolerance = 30;
        strict.required_claims = vec!["jti".into()];
        strict.scopes = vec!["read".into()];
        strict.crit = vec!["exp".into(), "urn:example:ext".into()];
        vec![open, strict]
    })
}

/// Splits `data` into at most `N` parts at newline bytes (the last part
/// keeps any further newlines).
pub fn split<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut parts = [&data[..0]; N];
    let mut rest = data;
    for (i, part) in parts.iter_mut().enumerate() {
        if i + 1 == N {
            *part = rest;
            break;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(at) => {
                *part = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *part = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    parts
}
