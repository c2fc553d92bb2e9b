//! Token decoding and verification.
//!
//! The first byte picks a mode:
//! - 0: the rest is a compact token, as received;
//! - 1: `header\npayload\nsignature` bytes, base64url-encoded into a token
//!   (so the fuzzer reaches the JSON and policy code without learning base64);
//! - 2: `header\npayload` JSON, signed with the fixture key the header's `alg`
//!   names (HS256 otherwise), so the signature passes and every claim rule,
//!   `crit`, `typ` and key selection run on fuzzer-chosen JSON.
//!
//! Every token goes through decode_unverified, verify (key set and single
//! key, two policies), verify_jws, report, and the claim linter.
#![no_main]

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_edge::crypto::{CryptoProvider, RustCrypto};
use jwt_edge::jws::UntrustedJws;
use jwt_edge::policy::{report, validate_claims, verify_jws, Keys};
use jwt_edge::{decode_unverified, verify, Algorithm, ErrorCode};
use jwt_edge_fuzz::{policies, private_key, split, verification_keys, NOW};
use libfuzzer_sys::fuzz_target;

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn resigned(header: &[u8], payload: &[u8]) -> Option<String> {
    let signing_input = format!("{}.{}", b64(header), b64(payload));
    let alg = serde_json::from_slice::<serde_json::Value>(header)
        .ok()
        .and_then(|h| h.get("alg")?.as_str().map(String::from))
        .and_then(|name| Algorithm::from_name(&name).ok())
        .filter(|alg| !matches!(alg.key_family(), jwt_edge::KeyFamily::Rsa))
        .unwrap_or(Algorithm::Hs256);
    let kid = match alg.key_family() {
        jwt_edge::KeyFamily::Secret => "hmac",
        jwt_edge::KeyFamily::P256 => "p256",
        jwt_edge::KeyFamily::P384 => "p384",
        jwt_edge::KeyFamily::Ed25519 => "ed25519",
        _ => return None,
    };
    let signature = RustCrypto
        .sign(alg, private_key(kid).key(), signing_input.as_bytes())
        .ok()?;
    Some(format!("{signing_input}.{}", b64(&signature)))
}

fn check(token: &str) {
    let keys = verification_keys();
    let decoded = decode_unverified(token);
    if let Ok(decoded) = &decoded {
        assert!(decoded.header.get("alg").is_some_and(|alg| alg.is_string()));
        let _ = jwt_edge::lint::lint_claims(
            &serde_json::Value::Object(decoded.payload.clone()),
            None,
            Some(NOW),
        );
    }
    for policy in policies() {
        let by_set = verify(token, Keys::Set(keys), policy, NOW);
        if let Ok(verified) = &by_set {
            // What verified is what decodes, and the alg was allowed.
            assert!(policy.algorithms.contains(&verified.alg));
            let decoded = decoded.as_ref().expect("a verified token decodes");
            assert_eq!(decoded.payload, verified.payload);
            assert!(validate_claims(&verified.header, &verified.payload, policy, NOW).is_ok());
        }
        let jws = verify_jws(token, Keys::Set(keys), policy);
        if by_set.is_ok() {
            assert!(jws.is_ok());
        }
        if let Err(error) = &by_set {
            // A failure never claims success elsewhere, and its code is listed.
            assert!(ErrorCode::ALL.contains(&error.code()));
        }
        let outcomes = report(token, Keys::Set(keys), policy, NOW);
        assert!(!outcomes.is_empty());
        for jwk in &keys.keys {
            let _ = verify(token, Keys::Single(jwk), policy, NOW);
        }
        if let Ok(jws) = UntrustedJws::parse(token, policy.max_token_bytes) {
            if let Ok(claims) = jws.claims() {
                let _ = validate_claims(jws.header(), &claims, policy, NOW);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                check(token);
            }
        }
        1 => {
            let [header, payload, signature] = split::<3>(rest);
            check(&format!(
                "{}.{}.{}",
                b64(header),
                b64(payload),
                b64(signature)
            ));
        }
        _ => {
            let [header, payload] = split::<2>(rest);
            if let Some(token) = resigned(header, payload) {
                check(&token);
            }
        }
    }
});
