//! JWK Sets: parsing and key selection.

mod common;

use common::expect_code;
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::policy::Keys;
use jwt_edge::{
    sign, verify, Algorithm, ErrorCode, Jwk, JwkSet, KeySelector, SignOptions, VerifyPolicy,
};
use serde_json::{json, Map};

fn named(kid: &str, spec: KeySpec) -> Jwk {
    let mut jwk = Jwk::new(generate(spec).unwrap());
    jwk.kid = Some(kid.into());
    jwk
}

#[test]
fn selects_by_kid_alg_use_and_kty() {
    let keys = [
        named("ec-1", KeySpec::P256),
        named("ec-2", KeySpec::P256),
        named("ed", KeySpec::Ed25519),
    ];
    let set = JwkSet::from_json(&json!({ "keys": keys.iter().map(|k| k.to_public().unwrap().to_value()).collect::<Vec<_>>() }).to_string()).unwrap();
    assert_eq!(set.keys.len(), 3);

    let by_kid = KeySelector {
        kid: Some("ec-2"),
        ..KeySelector::default()
    };
    assert_eq!(set.select(&by_kid).unwrap().kid.as_deref(), Some("ec-2"));
    let by_alg = KeySelector {
        alg: Some(Algorithm::EdDsa),
        ..KeySelector::default()
    };
    assert_eq!(set.select(&by_alg).unwrap().kid.as_deref(), Some("ed"));
    let by_kty = KeySelector {
        kty: Some("OKP"),
        ..KeySelector::default()
    };
    assert_eq!(set.select(&by_kty).unwrap().kid.as_deref(), Some("ed"));
    let ambiguous = KeySelector {
        alg: Some(Algorithm::Es256),
        ..KeySelector::default()
    };
    expect_code(set.select(&ambiguous), ErrorCode::JwksMultipleMatchingKeys);
    let unknown = KeySelector {
        kid: Some("gone"),
        ..KeySelector::default()
    };
    let error = expect_code(set.select(&unknown), ErrorCode::JwksNoMatchingKey);
    assert!(error.message().contains("gone"));
    let wrong_alg = KeySelector {
        kid: Some("ed"),
        alg: Some(Algorithm::Es256),
        ..KeySelector::default()
    };
    expect_code(set.select(&wrong_alg), ErrorCode::JwksNoMatchingKey);

    // Verification picks the key by the token's kid.
    let token = sign(
        &Map::new(),
        keys[1].key(),
        &SignOptions {
            kid: Some("ec-2".into()),
            ..SignOptions::default()
        },
    )
    .unwrap();
    let policy = VerifyPolicy::new(&VerifyPolicy::algorithms_for(&set)).unwrap();
    assert_eq!(
        verify(&token, Keys::Set(&set), &policy, 0)
            .unwrap()
            .kid
            .as_deref(),
        Some("ec-2")
    );
    // Without a kid, two EC keys are ambiguous.
    let token = sign(&Map::new(), keys[1].key(), &SignOptions::default()).unwrap();
    expect_code(
        verify(&token, Keys::Set(&set), &policy, 0),
        ErrorCode::JwksMultipleMatchingKeys,
    );
}

#[test]
fn use_enc_keys_and_alg_restricted_keys_are_not_used_for_signatures() {
    let mut enc = named("k", KeySpec::P256);
    enc.key_use = Some("enc".into());
    let set = JwkSet::single(enc.to_public().unwrap());
    let token = sign(
        &Map::new(),
        enc.key(),
        &SignOptions {
            kid: Some("k".into()),
            ..SignOptions::default()
        },
    )
    .unwrap();
    let policy = VerifyPolicy::new(&[Algorithm::Es256]).unwrap();
    expect_code(
        verify(&token, Keys::Set(&set), &policy, 0),
        ErrorCode::JwksNoMatchingKey,
    );
}

#[test]
fn unusable_entries_are_skipped_not_fatal() {
    let good = named("good", KeySpec::Ed25519)
        .to_public()
        .unwrap()
        .to_value();
    let doc = json!({ "keys": [
        { "kty": "EC", "crv": "P-521", "x": "AA", "y": "AA", "kid": "p521" },
        { "kty": "RSA", "kid": "broken" },
        "not an object",
        good,
    ]});
    let set = JwkSet::from_value(&doc).unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.skipped.len(), 3);
    assert_eq!(set.skipped[0].kid.as_deref(), Some("p521"));
    assert_eq!(set.skipped[0].error.code(), ErrorCode::NotSupported);
    assert_eq!(set.skipped[1].error.code(), ErrorCode::JwkInvalid);
    // The round trip keeps the usable keys.
    assert_eq!(JwkSet::from_value(&set.to_value()).unwrap().keys, set.keys);
}

#[test]
fn malformed_sets_fail_with_codes() {
    for text in [
        "",
        "[]",
        "{}",
        r#"{"keys": {}}"#,
        r#"{"keys": "x"}"#,
        "{\"keys\": [",
        "null",
    ] {
        expect_code(JwkSet::from_json(text), ErrorCode::JwksInvalid);
    }
    let too_many = json!({ "keys": vec![json!({}); jwt_edge::key::jwks::MAX_JWKS_KEYS + 1] });
    expect_code(JwkSet::from_value(&too_many), ErrorCode::JwksTooManyKeys);
    let deep = format!("{{\"keys\": {}{}}}", "[".repeat(100), "]".repeat(100));
    expect_code(JwkSet::from_json(&deep), ErrorCode::JsonTooDeep);
}

#[test]
fn jwk_metadata_survives_and_is_checked() {
    let key = named("k1", KeySpec::Ed25519);
    let mut value = key.to_public().unwrap().to_value();
    value["use"] = json!("sig");
    value["alg"] = json!("EdDSA");
    value["key_ops"] = json!(["verify"]);
    value["x-custom"] = json!({ "team": "edge" });
    let parsed = Jwk::from_value(&value).unwrap();
    assert_eq!(parsed.to_value(), value);
    assert_eq!(
        parsed
            .to_value()
            .as_object()
            .unwrap()
            .keys()
            .next()
            .map(String::as_str),
        Some("kty")
    );

    let mut mismatched = value.clone();
    mismatched["alg"] = json!("RS256");
    expect_code(Jwk::from_value(&mismatched), ErrorCode::JwkInvalid);
    let mut dup = value.clone();
    dup["key_ops"] = json!(["verify", "verify"]);
    expect_code(Jwk::from_value(&dup), ErrorCode::JwkInvalid);
    let mut bad_type = value;
    bad_type["kid"] = json!(5);
    expect_code(Jwk::from_value(&bad_type), ErrorCode::JwkInvalid);
    expect_code(
        Jwk::from_json(r#"{"kty":"oct","k":""}"#),
        ErrorCode::JwkInvalid,
    );
    expect_code(
        Jwk::from_json(r#"{"kty":"oct","k":"a+b/"}"#),
        ErrorCode::JwkInvalid,
    );
    expect_code(
        Jwk::from_json(r#"{"kty":"OKP","crv":"X25519","x":"AA"}"#),
        ErrorCode::NotSupported,
    );
    expect_code(
        Jwk::from_json(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","oth":[]}"#),
        ErrorCode::NotSupported,
    );
    expect_code(Jwk::from_json(r#"{"kty":"dsa"}"#), ErrorCode::NotSupported);
    expect_code(Jwk::from_json("[]"), ErrorCode::JwkInvalid);
}

#[test]
fn private_parts_must_match_public_parts() {
    let a = named("a", KeySpec::P256).to_value();
    let b = named("b", KeySpec::P256).to_value();
    let mut mixed = a.clone();
    mixed["d"] = b["d"].clone();
    expect_code(Jwk::from_value(&mixed), ErrorCode::JwkInvalid);
    let ed_a = named("a", KeySpec::Ed25519).to_value();
    let mut ed_mixed = named("b", KeySpec::Ed25519).to_value();
    ed_mixed["d"] = ed_a["d"].clone();
    expect_code(Jwk::from_value(&ed_mixed), ErrorCode::JwkInvalid);
    let rsa = Jwk::new(generate(KeySpec::Rsa { bits: 2048 }).unwrap()).to_value();
    let mut wrong_crt = rsa.clone();
    wrong_crt["dp"] = rsa["dq"].clone();
    expect_code(Jwk::from_value(&wrong_crt), ErrorCode::JwkInvalid);
    let mut wrong_prime = rsa.clone();
    wrong_prime["p"] = rsa["q"].clone();
    expect_code(Jwk::from_value(&wrong_prime), ErrorCode::JwkInvalid);
}
