//! Signing and verification for every algorithm, and the claim policy.

mod common;

use common::expect_code;
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::policy::Keys;
use jwt_edge::{
    decode_unverified, sign, verify, Algorithm, ClaimReason, ErrorCode, Jwk, SignOptions,
    VerifyPolicy,
};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_700_000_000;

fn payload(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("object")
}

fn key_for(alg: Algorithm) -> Jwk {
    let spec = KeySpec::for_algorithm(alg, None).unwrap();
    Jwk::new(generate(spec).unwrap()).with_thumbprint_kid()
}

#[test]
fn every_algorithm_signs_and_verifies_with_its_public_key() {
    let claims =
        payload(json!({ "sub": "alice", "exp": NOW + 60, "nested": { "roles": ["a", "b"] } }));
    let rsa = key_for(Algorithm::Rs256);
    for &alg in Algorithm::ALL {
        let signer = match alg.key_family() {
            jwt_edge::KeyFamily::Rsa => rsa.clone(),
            _ => key_for(alg),
        };
        let options = SignOptions {
            alg: Some(alg),
            kid: signer.kid.clone(),
            typ: Some("JWT".into()),
            ..SignOptions::default()
        };
        let token = sign(&claims, signer.key(), &options).unwrap();
        let verifier = if alg.is_symmetric() {
            signer.clone()
        } else {
            signer.to_public().unwrap()
        };
        let policy = VerifyPolicy::new(&[alg]).unwrap();
        let verified = verify(&token, Keys::Single(&verifier), &policy, NOW)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.payload, claims, "{alg}");
        assert_eq!(verified.alg, alg);
        assert_eq!(verified.header["alg"], json!(alg.name()));
        assert_eq!(verified.header["kid"], json!(signer.kid.clone().unwrap()));
        // Decoding without verification shows the same header and payload.
        let decoded = decode_unverified(&token).unwrap();
        assert_eq!(decoded.payload, claims);
        // One flipped payload bit breaks the signature.
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut flipped = parts[1].clone().into_bytes();
        flipped[2] = if flipped[2] == b'A' { b'B' } else { b'A' };
        parts[1] = String::from_utf8(flipped).unwrap();
        let tampered = parts.join(".");
        let error = verify(&tampered, Keys::Single(&verifier), &policy, NOW).unwrap_err();
        assert!(
            matches!(
                error.code(),
                ErrorCode::SignatureVerificationFailed | ErrorCode::JwsInvalid
            ),
            "{alg}: {error}"
        );
    }
}

#[test]
fn signing_needs_a_private_key_and_honours_the_header_options() {
    let key = key_for(Algorithm::Es256);
    let public = key.to_public().unwrap();
    expect_code(
        sign(&Map::new(), public.key(), &SignOptions::default()),
        ErrorCode::InvalidArgument,
    );
    let mut header = Map::new();
    header.insert("x5t#S256".into(), json!("abc"));
    let options = SignOptions {
        typ: Some("at+jwt".into()),
        header,
        ..SignOptions::default()
    };
    let token = sign(&Map::new(), key.key(), &options).unwrap();
    let decoded = decode_unverified(&token).unwrap();
    assert_eq!(
        Value::Object(decoded.header),
        json!({ "alg": "ES256", "typ": "at+jwt", "x5t#S256": "abc" })
    );
    // The header cannot contradict the algorithm.
    let mut header = Map::new();
    header.insert("alg".into(), json!("HS256"));
    let options = SignOptions {
        header,
        ..SignOptions::default()
    };
    expect_code(
        sign(&Map::new(), key.key(), &options),
        ErrorCode::InvalidArgument,
    );
    // Nor can the algorithm contradict the key.
    let options = SignOptions {
        alg: Some(Algorithm::Rs256),
        ..SignOptions::default()
    };
    expect_code(
        sign(&Map::new(), key.key(), &options),
        ErrorCode::KeyTypeMismatch,
    );
}

fn token_with(claims: Value) -> (String, Jwk) {
    let key = key_for(Algorithm::EdDsa);
    let token = sign(
        &payload(claims),
        key.key(),
        &SignOptions {
            typ: Some("at+jwt".into()),
            ..SignOptions::default()
        },
    )
    .unwrap();
    (token, key)
}

fn policy() -> VerifyPolicy {
    VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap()
}

#[test]
fn issuer_subject_audience_and_typ() {
    let (token, key) = token_with(
        json!({ "iss": "https://b.example", "sub": "svc", "aud": ["x", "api://default"] }),
    );
    let mut policy = policy();
    policy.issuer = vec!["https://a.example".into(), "https://b.example".into()];
    policy.audience = vec!["api://default".into()];
    policy.subject = Some("svc".into());
    policy.typ = Some("application/AT+JWT".into());
    verify(&token, Keys::Single(&key), &policy, NOW).unwrap();

    let mut wrong = policy.clone();
    wrong.issuer = vec!["https://a.example".into()];
    let error = expect_code(
        verify(&token, Keys::Single(&key), &wrong, NOW),
        ErrorCode::ClaimValidationFailed,
    );
    assert_eq!(error.claim_name(), Some("iss"));
    let mut wrong = policy.clone();
    wrong.subject = Some("other".into());
    assert_eq!(
        verify(&token, Keys::Single(&key), &wrong, NOW)
            .unwrap_err()
            .claim_name(),
        Some("sub")
    );
    let mut wrong = policy.clone();
    wrong.typ = Some("JWT".into());
    assert_eq!(
        verify(&token, Keys::Single(&key), &wrong, NOW)
            .unwrap_err()
            .claim_name(),
        Some("typ")
    );
    let mut wrong = policy;
    wrong.required_claims = vec!["jti".into()];
    let error = verify(&token, Keys::Single(&key), &wrong, NOW).unwrap_err();
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("jti"), Some(ClaimReason::Missing))
    );
}

#[test]
fn time_claims_with_clock_tolerance() {
    let (token, key) = token_with(json!({ "nbf": NOW + 30, "exp": NOW + 90, "iat": NOW - 10 }));
    let mut policy = policy();
    let error = expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::ClaimValidationFailed,
    );
    assert_eq!(error.claim_name(), Some("nbf"));
    policy.clock_tolerance = 30;
    verify(&token, Keys::Single(&key), &policy, NOW).unwrap();
    // With tolerance, exp is honoured up to exp + tolerance, exclusive.
    verify(&token, Keys::Single(&key), &policy, NOW + 119).unwrap();
    expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW + 120),
        ErrorCode::JwtExpired,
    );
}

#[test]
fn max_token_age_measures_from_iat() {
    let (token, key) = token_with(json!({ "iat": NOW - 1800, "exp": NOW + 3600 }));
    let mut policy = policy();
    policy.max_token_age = Some(1800);
    verify(&token, Keys::Single(&key), &policy, NOW).unwrap();
    let error = expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW + 1),
        ErrorCode::JwtExpired,
    );
    assert_eq!(error.claim_name(), Some("iat"));
    // iat in the future is refused when an age is enforced.
    let (future, key) = token_with(json!({ "iat": NOW + 120 }));
    let error = verify(&future, Keys::Single(&key), &policy, NOW).unwrap_err();
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("iat"), Some(ClaimReason::CheckFailed))
    );
    // And a maximum age without iat means iat is required.
    let (no_iat, key) = token_with(json!({ "exp": NOW + 60 }));
    let error = verify(&no_iat, Keys::Single(&key), &policy, NOW).unwrap_err();
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("iat"), Some(ClaimReason::Missing))
    );
}

#[test]
fn scopes_from_scope_string_or_scp_array() {
    let mut policy = policy();
    policy.scopes = vec!["read".into(), "admin".into()];
    for claims in [
        json!({ "scope": "read write admin" }),
        json!({ "scp": ["admin", "read"] }),
        json!({ "scp": "read admin" }),
    ] {
        let (token, key) = token_with(claims.clone());
        verify(&token, Keys::Single(&key), &policy, NOW)
            .unwrap_or_else(|e| panic!("{claims}: {e}"));
    }
    for claims in [
        json!({ "scope": "read write" }),
        json!({ "scp": ["read"] }),
        json!({}),
        json!({ "scope": "readadmin" }),
    ] {
        let (token, key) = token_with(claims.clone());
        let error = expect_code(
            verify(&token, Keys::Single(&key), &policy, NOW),
            ErrorCode::ClaimValidationFailed,
        );
        assert_eq!(error.claim_name(), Some("scope"), "{claims}");
        assert!(error.message().contains("admin"), "{claims}: {error}");
    }
    let (token, key) = token_with(json!({ "scp": [1, 2] }));
    let error = verify(&token, Keys::Single(&key), &policy, NOW).unwrap_err();
    assert_eq!(error.reason(), Some(ClaimReason::Invalid));
}

#[test]
fn policies_need_an_allowlist_and_keys_restricted_by_alg_or_use() {
    expect_code(VerifyPolicy::new(&[]), ErrorCode::InvalidArgument);
    let (token, mut key) = token_with(json!({}));
    key.alg = Some("ES256".into());
    // The JWK is not consistent any more, but a caller could build one: the
    // verifier still refuses to use it for EdDSA.
    expect_code(
        verify(&token, Keys::Single(&key), &policy(), NOW),
        ErrorCode::KeyTypeMismatch,
    );
    key.alg = None;
    key.key_use = Some("enc".into());
    expect_code(
        verify(&token, Keys::Single(&key), &policy(), NOW),
        ErrorCode::KeyTypeMismatch,
    );
}

#[test]
fn generated_keys_have_the_requested_shape() {
    for bits in [2048, 3072] {
        let key = generate(KeySpec::Rsa { bits }).unwrap();
        assert_eq!(key.rsa_bits(), Some(bits));
    }
    expect_code(
        generate(KeySpec::Rsa { bits: 1024 }),
        ErrorCode::InvalidArgument,
    );
    expect_code(
        generate(KeySpec::Secret { len: 16 }),
        ErrorCode::InvalidArgument,
    );
    assert_eq!(
        generate(KeySpec::Secret { len: 64 }).unwrap().secret_len(),
        Some(64)
    );
    assert_eq!(
        KeySpec::for_algorithm(Algorithm::Hs384, None).unwrap(),
        KeySpec::Secret { len: 48 }
    );
    expect_code(
        KeySpec::for_algorithm(Algorithm::Es256, Some(2048)),
        ErrorCode::InvalidArgument,
    );
    let a = generate(KeySpec::Ed25519).unwrap();
    let b = generate(KeySpec::Ed25519).unwrap();
    assert_ne!(a, b, "two generated keys differ");
}

#[test]
fn report_lists_every_check_without_stopping_at_the_first_failure() {
    use jwt_edge::policy::{report, Check, CheckStatus};
    let (token, key) = token_with(
        json!({ "iss": "https://idp.example", "aud": "other", "exp": NOW - 5, "scope": "read" }),
    );
    let mut policy = policy();
    policy.issuer = vec!["https://idp.example".into()];
    policy.audience = vec!["api".into()];
    policy.scopes = vec!["read".into()];
    let outcomes = report(&token, Keys::Single(&key), &policy, NOW);
    let status = |check: Check| {
        outcomes
            .iter()
            .find(|o| o.check == check)
            .map(|o| o.status.clone())
    };
    assert_eq!(status(Check::Signature), Some(CheckStatus::Passed));
    assert_eq!(status(Check::Issuer), Some(CheckStatus::Passed));
    assert_eq!(status(Check::Scopes), Some(CheckStatus::Passed));
    assert_eq!(status(Check::Subject), Some(CheckStatus::Skipped));
    match status(Check::Audience) {
        Some(CheckStatus::Failed(error)) => assert_eq!(error.claim_name(), Some("aud")),
        other => panic!("aud: {other:?}"),
    }
    match status(Check::Expiration) {
        Some(CheckStatus::Failed(error)) => assert_eq!(error.code(), ErrorCode::JwtExpired),
        other => panic!("exp: {other:?}"),
    }
    // A wrong key fails the key check and skips the signature, claims still run.
    let other = key_for(Algorithm::Es256).to_public().unwrap();
    let outcomes = report(&token, Keys::Single(&other), &policy, NOW);
    let status = |check: Check| {
        outcomes
            .iter()
            .find(|o| o.check == check)
            .map(|o| o.status.clone())
    };
    assert!(
        matches!(status(Check::Key), Some(CheckStatus::Failed(e)) if e.code() == ErrorCode::KeyTypeMismatch)
    );
    assert_eq!(status(Check::Signature), Some(CheckStatus::Skipped));
    assert_eq!(status(Check::Issuer), Some(CheckStatus::Passed));
    // Garbage stops at the format check.
    let outcomes = report("garbage", Keys::Single(&key), &policy, NOW);
    assert_eq!(outcomes.len(), 1);
    assert!(
        matches!(&outcomes[0].status, CheckStatus::Failed(e) if e.code() == ErrorCode::JwsInvalid)
    );
}
