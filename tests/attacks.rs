//! Must-reject tests: one per attack class. Each forges the token an
//! attacker would send and checks it fails with the right code.

mod common;

use common::{expect_code, forge, genpkey};
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::policy::Keys;
use jwt_edge::{
    sign, verify, Algorithm, ClaimReason, ErrorCode, Jwk, JwkSet, Key, SignOptions, VerifyPolicy,
};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_700_000_000;

fn claims(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("test claims are objects"),
    }
}

fn valid_claims() -> Map<String, Value> {
    claims(json!({ "iss": "https://idp.example", "sub": "alice", "aud": "api", "exp": NOW + 600 }))
}

/// Signs otherwise valid claims with `claim` set to `value`, and returns
/// the claim validation error the verifier must give.
#[track_caller]
fn failure_with(key: &Jwk, policy: &VerifyPolicy, claim: &str, value: Value) -> jwt_edge::Error {
    let mut payload = valid_claims();
    payload.insert(claim.into(), value);
    let token = sign(&payload, key.key(), &SignOptions::default()).unwrap();
    expect_code(
        verify(&token, Keys::Single(key), policy, NOW),
        ErrorCode::ClaimValidationFailed,
    )
}

fn ed25519() -> Jwk {
    Jwk::new(generate(KeySpec::Ed25519).unwrap())
}

fn rsa_2048() -> &'static Jwk {
    static KEY: std::sync::OnceLock<Jwk> = std::sync::OnceLock::new();
    KEY.get_or_init(|| Jwk::new(generate(KeySpec::Rsa { bits: 2048 }).unwrap()))
}

#[test]
fn alg_none_is_rejected_in_any_casing() {
    let key = ed25519().to_public().unwrap();
    let policy = VerifyPolicy::new(Algorithm::ALL).unwrap();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = forge(&format!(r#"{{"alg":"{alg}"}}"#), r#"{"sub":"admin"}"#, b"");
        let error = expect_code(
            verify(&token, Keys::Single(&key), &policy, NOW),
            ErrorCode::AlgNotAllowed,
        );
        assert!(error.message().contains("never accepted"), "{alg}: {error}");
        // A token with a trailing dot and no signature segment is also refused.
        let bare = token.trim_end_matches('.').to_string() + ".";
        expect_code(
            verify(&bare, Keys::Single(&key), &policy, NOW),
            ErrorCode::AlgNotAllowed,
        );
    }
}

#[test]
fn rs256_to_hs256_confusion_with_the_public_key_as_secret_is_rejected() {
    let public = rsa_2048().to_public().unwrap();
    // The attacker signs HS256 with the PEM (and the DER) of the public key.
    for secret in [
        public.key().to_pem(None).unwrap().into_bytes(),
        public
            .key()
            .to_der(jwt_edge::PemFormat::Spki)
            .unwrap()
            .to_vec(),
    ] {
        let hmac_key = Key::secret(&secret).unwrap();
        let options = SignOptions {
            alg: Some(Algorithm::Hs256),
            ..SignOptions::default()
        };
        let token = sign(&valid_claims(), &hmac_key, &options).unwrap();

        // An RS256 verifier never even considers HS256.
        let rs_only = VerifyPolicy::new(&[Algorithm::Rs256]).unwrap();
        expect_code(
            verify(&token, Keys::Single(&public), &rs_only, NOW),
            ErrorCode::AlgNotAllowed,
        );
        // Even a careless allowlist cannot bind an RSA key to HMAC.
        let careless = VerifyPolicy::new(&[Algorithm::Rs256, Algorithm::Hs256]).unwrap();
        expect_code(
            verify(&token, Keys::Single(&public), &careless, NOW),
            ErrorCode::KeyTypeMismatch,
        );
        let set = JwkSet::single(public.clone());
        expect_code(
            verify(&token, Keys::Set(&set), &careless, NOW),
            ErrorCode::JwksNoMatchingKey,
        );
        // And the default allowlist for a set of public keys has no HMAC at all.
        assert!(VerifyPolicy::algorithms_for(&set)
            .iter()
            .all(|alg| !alg.is_symmetric()));
    }
}

#[test]
fn embedded_jwk_header_is_never_trusted() {
    let trusted = ed25519().to_public().unwrap().with_thumbprint_kid();
    let attacker = ed25519();
    let mut header = Map::new();
    header.insert("jwk".into(), attacker.to_public().unwrap().to_value());
    header.insert("jku".into(), json!("https://attacker.example/jwks.json"));
    header.insert("x5u".into(), json!("https://attacker.example/cert.pem"));
    let options = SignOptions {
        kid: trusted.kid.clone(),
        header,
        ..SignOptions::default()
    };
    let token = sign(&valid_claims(), attacker.key(), &options).unwrap();
    let policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    expect_code(
        verify(&token, Keys::Single(&trusted), &policy, NOW),
        ErrorCode::SignatureVerificationFailed,
    );
    let set = JwkSet::single(trusted);
    expect_code(
        verify(&token, Keys::Set(&set), &policy, NOW),
        ErrorCode::SignatureVerificationFailed,
    );
}

#[test]
fn es256_all_zero_signature_is_rejected_cve_2022_21449() {
    let key = Jwk::new(generate(KeySpec::P256).unwrap())
        .to_public()
        .unwrap();
    let policy = VerifyPolicy::new(&[Algorithm::Es256]).unwrap();
    let token = forge(
        r#"{"alg":"ES256"}"#,
        &Value::Object(valid_claims()).to_string(),
        &[0u8; 64],
    );
    expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::SignatureVerificationFailed,
    );
    // r = s = n (the group order) is the other classic "psychic signature".
    let order = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let token = forge(
        r#"{"alg":"ES256"}"#,
        &Value::Object(valid_claims()).to_string(),
        &[order.clone(), order].concat(),
    );
    expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::SignatureVerificationFailed,
    );
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn key_on_the_wrong_curve_is_rejected() {
    let p256 = Jwk::new(generate(KeySpec::P256).unwrap());
    let p384 = Jwk::new(generate(KeySpec::P384).unwrap());
    let token = sign(&valid_claims(), p256.key(), &SignOptions::default()).unwrap();
    let policy = VerifyPolicy::new(&[Algorithm::Es256, Algorithm::Es384]).unwrap();
    // An ES256 token against a P-384 key.
    expect_code(
        verify(
            &token,
            Keys::Single(&p384.to_public().unwrap()),
            &policy,
            NOW,
        ),
        ErrorCode::KeyTypeMismatch,
    );
    // A header lying about the curve: ES384 over a P-256 key.
    let relabelled = forge(
        r#"{"alg":"ES384"}"#,
        &Value::Object(valid_claims()).to_string(),
        &[1u8; 96],
    );
    expect_code(
        verify(
            &relabelled,
            Keys::Single(&p256.to_public().unwrap()),
            &policy,
            NOW,
        ),
        ErrorCode::KeyTypeMismatch,
    );
    // A P-256 JWK whose point is not on the curve (invalid-curve attack).
    let mut value = p256.to_public().unwrap().to_value();
    value["y"] = json!(value["x"].clone());
    expect_code(Jwk::from_value(&value), ErrorCode::JwkInvalid);
    // A P-256 JWK claiming P-384 coordinates' length.
    value["crv"] = json!("P-384");
    expect_code(Jwk::from_value(&value), ErrorCode::JwkInvalid);
}

#[test]
fn short_hmac_secrets_and_small_rsa_keys_are_rejected() {
    let short = Key::secret(&[42u8; 31]).unwrap();
    expect_code(
        sign(&valid_claims(), &short, &SignOptions::default()),
        ErrorCode::WeakKey,
    );
    let hs512 = SignOptions {
        alg: Some(Algorithm::Hs512),
        ..SignOptions::default()
    };
    expect_code(
        sign(&valid_claims(), &Key::secret(&[42u8; 48]).unwrap(), &hs512),
        ErrorCode::WeakKey,
    );
    // A token made by a sloppy signer with a short secret does not verify either.
    let token = forge(r#"{"alg":"HS256"}"#, "{}", &[0u8; 32]);
    let policy = VerifyPolicy::new(&[Algorithm::Hs256]).unwrap();
    expect_code(
        verify(&token, Keys::Single(&Jwk::new(short)), &policy, NOW),
        ErrorCode::WeakKey,
    );

    let small = Jwk::from_pem(&genpkey("RSA", &["rsa_keygen_bits:1024"]), None).unwrap();
    expect_code(
        sign(&valid_claims(), small.key(), &SignOptions::default()),
        ErrorCode::WeakKey,
    );
    let token = forge(r#"{"alg":"RS256"}"#, "{}", &[1u8; 128]);
    let policy = VerifyPolicy::new(&[Algorithm::Rs256]).unwrap();
    expect_code(
        verify(
            &token,
            Keys::Single(&small.to_public().unwrap()),
            &policy,
            NOW,
        ),
        ErrorCode::WeakKey,
    );
}

#[test]
fn string_exp_is_rejected() {
    let key = ed25519();
    let policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    for exp in [
        json!("9999999999"),
        json!(null),
        json!([NOW + 600]),
        json!({"seconds": 1}),
    ] {
        let error = failure_with(&key, &policy, "exp", exp.clone());
        assert_eq!(
            (error.claim_name(), error.reason()),
            (Some("exp"), Some(ClaimReason::Invalid)),
            "{exp}"
        );
    }
    for claim in ["nbf", "iat"] {
        let mut payload = valid_claims();
        payload.insert(claim.into(), json!("1700000000"));
        let token = sign(&payload, key.key(), &SignOptions::default()).unwrap();
        let error = expect_code(
            verify(&token, Keys::Single(&key), &policy, NOW),
            ErrorCode::ClaimValidationFailed,
        );
        assert_eq!(error.claim_name(), Some(claim));
    }
}

#[test]
fn exp_equal_to_now_is_expired() {
    let key = ed25519();
    let policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    let mut payload = valid_claims();
    payload.insert("exp".into(), json!(NOW));
    let token = sign(&payload, key.key(), &SignOptions::default()).unwrap();
    let error = expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::JwtExpired,
    );
    assert_eq!(error.claim_name(), Some("exp"));
    // One second earlier it is still valid.
    assert!(verify(&token, Keys::Single(&key), &policy, NOW - 1).is_ok());
}

#[test]
fn audience_mismatch_is_rejected() {
    let key = ed25519();
    let mut policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    policy.audience = vec!["https://api.example".into()];
    for aud in [json!("https://other.example"), json!(["a", "b"]), json!([])] {
        let error = failure_with(&key, &policy, "aud", aud.clone());
        assert_eq!(
            (error.claim_name(), error.reason()),
            (Some("aud"), Some(ClaimReason::CheckFailed)),
            "{aud}"
        );
    }
    let mut payload = valid_claims();
    payload.remove("aud");
    let token = sign(&payload, key.key(), &SignOptions::default()).unwrap();
    let error = expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::ClaimValidationFailed,
    );
    assert_eq!(error.reason(), Some(ClaimReason::Missing));
}

#[test]
fn unknown_crit_is_rejected() {
    let key = ed25519();
    let mut header = Map::new();
    header.insert("crit".into(), json!(["exp-nonce"]));
    header.insert("exp-nonce".into(), json!("x"));
    // The signer refuses to emit crit; the attacker forges it.
    let signing = SignOptions {
        header: header.clone(),
        ..SignOptions::default()
    };
    expect_code(
        sign(&valid_claims(), key.key(), &signing),
        ErrorCode::InvalidArgument,
    );
    let header_json = r#"{"alg":"EdDSA","crit":["exp-nonce"],"exp-nonce":"x"}"#;
    let unsigned = forge(header_json, &Value::Object(valid_claims()).to_string(), &[]);
    let signing_input = unsigned.trim_end_matches('.');
    let Key::Ed25519Private(private) = key.key() else {
        unreachable!()
    };
    use ed25519_dalek::Signer;
    let signature = private.sign(signing_input.as_bytes()).to_bytes();
    let token = forge(
        header_json,
        &Value::Object(valid_claims()).to_string(),
        &signature,
    );
    let mut policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::CritUnsupported,
    );
    // A caller that understands the extension accepts it.
    policy.crit = vec!["exp-nonce".into()];
    verify(&token, Keys::Single(&key), &policy, NOW).unwrap();
}

#[test]
fn malformed_tokens_fail_with_codes_not_panics() {
    let key = ed25519();
    let policy = VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap();
    let huge = "a".repeat(10 * 1024 * 1024);
    let nested = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let cases: Vec<(String, ErrorCode)> = vec![
        (String::new(), ErrorCode::JwsInvalid),
        ("a.b".into(), ErrorCode::JwsInvalid),
        ("a.b.c.d".into(), ErrorCode::JwsInvalid),
        ("!!.e30.".into(), ErrorCode::JwsInvalid),
        (forge("[]", "{}", b""), ErrorCode::JwsInvalid),
        (forge(r#"{"alg":7}"#, "{}", b""), ErrorCode::JwsInvalid),
        (forge(r#"{"typ":"JWT"}"#, "{}", b""), ErrorCode::JwsInvalid),
        (forge(&nested, "{}", b""), ErrorCode::JsonTooDeep),
        (huge, ErrorCode::TokenTooLarge),
        (
            forge(r#"{"alg":"EdDSA"}"#, "{}", &[0u8; 64]),
            ErrorCode::SignatureVerificationFailed,
        ),
        (
            forge(r#"{"alg":"EdDSA"}"#, "{}", &[0u8; 7]),
            ErrorCode::SignatureVerificationFailed,
        ),
    ];
    for (token, code) in cases {
        let shown = token.chars().take(40).collect::<String>();
        let result = verify(&token, Keys::Single(&key), &policy, NOW);
        assert_eq!(result.map_err(|e| e.code()).err(), Some(code), "{shown}");
    }
    // A validly signed token whose payload is not a JSON object.
    let token = {
        let header = r#"{"alg":"EdDSA"}"#;
        let unsigned = forge(header, "[1,2]", &[]);
        let Key::Ed25519Private(private) = key.key() else {
            unreachable!()
        };
        use ed25519_dalek::Signer;
        forge(
            header,
            "[1,2]",
            &private
                .sign(unsigned.trim_end_matches('.').as_bytes())
                .to_bytes(),
        )
    };
    expect_code(
        verify(&token, Keys::Single(&key), &policy, NOW),
        ErrorCode::JwtInvalid,
    );
}
