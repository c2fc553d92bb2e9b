//! Resource limits, each tested at its edge: the value exactly at the limit
//! is accepted, one more is refused with the limit's own error code.
//!
//! | limit | constant | code |
//! | --- | --- | --- |
//! | token length | `jws::DEFAULT_MAX_TOKEN_BYTES` (16384), `VerifyPolicy::max_token_bytes` | `ERR_JWT_TOO_LARGE` |
//! | JSON nesting depth | `json::MAX_JSON_DEPTH` (32) | `ERR_JSON_TOO_DEEP` |
//! | JWKS length | `key::jwks::MAX_JWKS_BYTES` (512 KiB) | `ERR_JWKS_TOO_LARGE` |
//! | keys in a JWKS | `key::jwks::MAX_JWKS_KEYS` (100) | `ERR_JWKS_TOO_MANY_KEYS` |
//! | RSA modulus | `key::MAX_RSA_BITS` (8192) | `ERR_JOSE_KEY_TOO_LARGE` |
//! | certificate subject / SANs to make | `cert::make::MAX_SUBJECT_BYTES` (4096) / `MAX_SUBJECT_ALT_NAMES` (1000) | `ERR_INVALID_ARGUMENT` |
//! | certificates in an inspected chain | `cert::MAX_CHAIN_LENGTH` (16) | `ERR_INVALID_ARGUMENT` |

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::{expect_code, genpkey, openssl, Scratch};
use der::Encode;
use jwt_edge::json::MAX_JSON_DEPTH;
use jwt_edge::jws::DEFAULT_MAX_TOKEN_BYTES;
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::key::jwks::{MAX_JWKS_BYTES, MAX_JWKS_KEYS};
use jwt_edge::key::MAX_RSA_BITS;
use jwt_edge::policy::Keys;
use jwt_edge::{
    decode_unverified, sign, verify, Algorithm, ErrorCode, Jwk, JwkSet, PemFormat, SignOptions,
    VerifyPolicy,
};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_700_000_000;

fn ed25519() -> &'static Jwk {
    static KEY: std::sync::OnceLock<Jwk> = std::sync::OnceLock::new();
    KEY.get_or_init(|| Jwk::new(generate(KeySpec::Ed25519).unwrap()))
}

/// The committed 8192-bit test key (tests/vectors/README.md).
fn rsa_8192() -> &'static Jwk {
    static KEY: std::sync::OnceLock<Jwk> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let path = format!("{}/tests/vectors/rsa-8192.pem", env!("CARGO_MANIFEST_DIR"));
        Jwk::from_pem(&std::fs::read_to_string(path).unwrap(), None).unwrap()
    })
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// `depth` nested arrays: `[[...]]`.
fn nested(depth: usize) -> Value {
    let mut value = json!([]);
    for _ in 1..depth {
        value = json!([value]);
    }
    value
}

/// A validly signed EdDSA token of exactly `len` bytes: the payload padding
/// and the `kid` length are searched until the compact form has that length.
fn token_of_length(len: usize) -> String {
    let key = ed25519();
    // Header, dots and signature take about 140 bytes; base64 adds a third.
    let estimate = (len.saturating_sub(140)) * 3 / 4;
    for pad in estimate.saturating_sub(16)..estimate + 16 {
        for kid_len in 1..=4 {
            let claims = json!({ "sub": "alice", "pad": "p".repeat(pad) });
            let Value::Object(claims) = claims else {
                unreachable!()
            };
            let options = SignOptions {
                kid: Some("k".repeat(kid_len)),
                ..SignOptions::default()
            };
            let token = sign(&claims, key.key(), &options).unwrap();
            if token.len() == len {
                return token;
            }
        }
    }
    panic!("no token of exactly {len} bytes found");
}

fn eddsa_policy() -> VerifyPolicy {
    VerifyPolicy::new(&[Algorithm::EdDsa]).unwrap()
}

#[test]
fn token_size_default_limit() {
    let key = ed25519();
    let policy = eddsa_policy();
    assert_eq!(policy.max_token_bytes, DEFAULT_MAX_TOKEN_BYTES);

    let at_limit = token_of_length(DEFAULT_MAX_TOKEN_BYTES);
    verify(&at_limit, Keys::Single(key), &policy, NOW).unwrap();
    decode_unverified(&at_limit).unwrap();

    // One byte more, validly signed by the same key: refused before parsing.
    let over = token_of_length(DEFAULT_MAX_TOKEN_BYTES + 1);
    let error = expect_code(
        verify(&over, Keys::Single(key), &policy, NOW),
        ErrorCode::TokenTooLarge,
    );
    assert!(error.message().contains("16384"), "{error}");
    expect_code(decode_unverified(&over), ErrorCode::TokenTooLarge);
    assert_eq!(ErrorCode::TokenTooLarge.as_str(), "ERR_JWT_TOO_LARGE");
}

#[test]
fn token_size_policy_limit() {
    let key = ed25519();
    let mut policy = eddsa_policy();
    policy.max_token_bytes = 600;
    verify(&token_of_length(600), Keys::Single(key), &policy, NOW).unwrap();
    expect_code(
        verify(&token_of_length(601), Keys::Single(key), &policy, NOW),
        ErrorCode::TokenTooLarge,
    );
    // A larger policy limit lets a token over the default through.
    policy.max_token_bytes = DEFAULT_MAX_TOKEN_BYTES + 1;
    let over_default = token_of_length(DEFAULT_MAX_TOKEN_BYTES + 1);
    verify(&over_default, Keys::Single(key), &policy, NOW).unwrap();
}

fn sign_with(header: Map<String, Value>, claims: Value) -> String {
    let Value::Object(claims) = claims else {
        unreachable!()
    };
    let options = SignOptions {
        header,
        ..SignOptions::default()
    };
    sign(&claims, ed25519().key(), &options).unwrap()
}

#[test]
fn json_depth_in_the_token_header_and_payload() {
    let key = ed25519();
    let policy = eddsa_policy();
    // The header object is level 1, so a member nested MAX - 1 deep reaches MAX.
    let header = |depth: usize| {
        let mut header = Map::new();
        header.insert("x".into(), nested(depth - 1));
        header
    };
    let at_limit = sign_with(header(MAX_JSON_DEPTH), json!({ "sub": "a" }));
    verify(&at_limit, Keys::Single(key), &policy, NOW).unwrap();
    decode_unverified(&at_limit).unwrap();
    let over = sign_with(header(MAX_JSON_DEPTH + 1), json!({ "sub": "a" }));
    expect_code(
        verify(&over, Keys::Single(key), &policy, NOW),
        ErrorCode::JsonTooDeep,
    );
    expect_code(decode_unverified(&over), ErrorCode::JsonTooDeep);

    let at_limit = sign_with(Map::new(), json!({ "x": nested(MAX_JSON_DEPTH - 1) }));
    let verified = verify(&at_limit, Keys::Single(key), &policy, NOW).unwrap();
    assert!(verified.payload.contains_key("x"));
    let over = sign_with(Map::new(), json!({ "x": nested(MAX_JSON_DEPTH) }));
    expect_code(
        verify(&over, Keys::Single(key), &policy, NOW),
        ErrorCode::JsonTooDeep,
    );
    expect_code(decode_unverified(&over), ErrorCode::JsonTooDeep);
}

#[test]
fn json_depth_in_jwk_and_jwks() {
    let mut jwk = ed25519().to_public().unwrap();
    jwk.extra.insert("deep".into(), nested(MAX_JSON_DEPTH - 1));
    let at_limit = jwk.to_json();
    assert_eq!(Jwk::from_json(&at_limit).unwrap(), jwk);
    jwk.extra.insert("deep".into(), nested(MAX_JSON_DEPTH));
    expect_code(Jwk::from_json(&jwk.to_json()), ErrorCode::JsonTooDeep);

    // A JWKS adds two levels: the set object and its "keys" array.
    let mut jwk = ed25519().to_public().unwrap();
    jwk.extra.insert("deep".into(), nested(MAX_JSON_DEPTH - 3));
    let set = JwkSet::single(jwk.clone()).to_value().to_string();
    assert_eq!(JwkSet::from_json(&set).unwrap().keys, vec![jwk.clone()]);
    jwk.extra.insert("deep".into(), nested(MAX_JSON_DEPTH - 2));
    let set = JwkSet::single(jwk).to_value().to_string();
    expect_code(JwkSet::from_json(&set), ErrorCode::JsonTooDeep);
    assert_eq!(ErrorCode::JsonTooDeep.as_str(), "ERR_JSON_TOO_DEEP");
}

#[test]
fn json_depth_ignores_brackets_inside_strings() {
    let mut jwk = ed25519().to_public().unwrap();
    let brackets = format!("{}\\\"{}", "[{".repeat(100), "}]".repeat(100));
    let text = jwk
        .to_json()
        .replacen('{', &format!("{{\"note\":\"{brackets}\","), 1);
    jwk.extra.insert(
        "note".into(),
        Value::String(format!("{}\"{}", "[{".repeat(100), "}]".repeat(100))),
    );
    let parsed = Jwk::from_json(&text).unwrap();
    assert_eq!(parsed.extra.get("note"), jwk.extra.get("note"));
}

/// A JWKS of `count` copies of the Ed25519 public key with distinct `kid`s.
fn set_of(count: usize) -> Value {
    let public = ed25519().to_public().unwrap();
    let keys: Vec<Value> = (0..count)
        .map(|i| {
            let mut jwk = public.clone();
            jwk.kid = Some(format!("key-{i}"));
            jwk.to_value()
        })
        .collect();
    json!({ "keys": keys })
}

#[test]
fn jwks_key_count() {
    let at_limit = set_of(MAX_JWKS_KEYS);
    assert_eq!(
        JwkSet::from_value(&at_limit).unwrap().keys.len(),
        MAX_JWKS_KEYS
    );
    let set = JwkSet::from_json(&at_limit.to_string()).unwrap();
    assert_eq!(set.keys.len(), MAX_JWKS_KEYS);
    assert!(set.skipped.is_empty());

    let over = set_of(MAX_JWKS_KEYS + 1);
    let error = expect_code(JwkSet::from_value(&over), ErrorCode::JwksTooManyKeys);
    assert!(error.message().contains("101"), "{error}");
    expect_code(
        JwkSet::from_json(&over.to_string()),
        ErrorCode::JwksTooManyKeys,
    );
    // Entries that would be skipped count too: the bound is on parsing work.
    let junk = json!({ "keys": vec![json!({}); MAX_JWKS_KEYS + 1] });
    expect_code(JwkSet::from_value(&junk), ErrorCode::JwksTooManyKeys);
    assert_eq!(
        ErrorCode::JwksTooManyKeys.as_str(),
        "ERR_JWKS_TOO_MANY_KEYS"
    );
}

#[test]
fn jwks_size_in_bytes() {
    let text = set_of(3).to_string();
    // Trailing whitespace is valid JSON: pad the same set to the exact limit.
    let at_limit = format!("{text}{}", " ".repeat(MAX_JWKS_BYTES - text.len()));
    assert_eq!(at_limit.len(), MAX_JWKS_BYTES);
    assert_eq!(JwkSet::from_json(&at_limit).unwrap().keys.len(), 3);
    let over = format!("{at_limit} ");
    let error = expect_code(JwkSet::from_json(&over), ErrorCode::JwksTooLarge);
    assert!(error.message().contains("524288"), "{error}");
    assert_eq!(ErrorCode::JwksTooLarge.as_str(), "ERR_JWKS_TOO_LARGE");

    // The size check runs before parsing: an oversized non-JSON body gets
    // the size code, not a parse error.
    let garbage = "x".repeat(MAX_JWKS_BYTES + 1);
    expect_code(JwkSet::from_json(&garbage), ErrorCode::JwksTooLarge);
}

#[test]
fn rsa_modulus_of_exactly_8192_bits_is_accepted() {
    let private = rsa_8192();
    assert_eq!(private.key().rsa_bits(), Some(MAX_RSA_BITS));
    let public = private.to_public().unwrap();
    // Every input path takes it.
    let reparsed = [
        Jwk::from_json(&private.to_json()).unwrap(),
        Jwk::from_pem(&private.key().to_pem(Some(PemFormat::Pkcs1)).unwrap(), None).unwrap(),
        Jwk::from_der(&private.key().to_der(PemFormat::Pkcs8).unwrap()).unwrap(),
    ];
    for jwk in &reparsed {
        assert_eq!(jwk.key(), private.key());
    }
    let reparsed_public = [
        Jwk::from_json(&public.to_json()).unwrap(),
        Jwk::from_pem(&public.key().to_pem(None).unwrap(), None).unwrap(),
        Jwk::from_der(&public.key().to_der(PemFormat::Pkcs1).unwrap()).unwrap(),
    ];
    for jwk in &reparsed_public {
        assert_eq!(jwk.key(), public.key());
    }
    // And it signs and verifies, PKCS#1 v1.5 and PSS.
    for alg in [Algorithm::Rs256, Algorithm::Ps512] {
        let options = SignOptions {
            alg: Some(alg),
            ..SignOptions::default()
        };
        let Value::Object(claims) = json!({ "sub": "alice" }) else {
            unreachable!()
        };
        let token = sign(&claims, private.key(), &options).unwrap();
        let policy = VerifyPolicy::new(&[alg]).unwrap();
        verify(&token, Keys::Single(&public), &policy, NOW).unwrap();
    }
}

/// The 8192-bit modulus with one more leading bit: 8193 bits, still odd.
fn modulus_8193() -> Vec<u8> {
    let jwk = rsa_8192().to_public().unwrap().to_value();
    let mut n = Base64UrlUnpadded::decode_vec(jwk["n"].as_str().unwrap()).unwrap();
    assert_eq!(n.len(), 1024);
    n.insert(0, 0x01);
    n
}

#[test]
fn rsa_modulus_of_8193_bits_is_refused_everywhere() {
    let n = modulus_8193();
    let e = [0x01, 0x00, 0x01];

    // JWK, public and private (the size is checked before anything else).
    let public = json!({ "kty": "RSA", "n": b64(&n), "e": b64(&e) });
    let error = expect_code(Jwk::from_json(&public.to_string()), ErrorCode::KeyTooLarge);
    assert!(error.message().contains("8193"), "{error}");
    let private = rsa_8192().to_value();
    let mut private = private.as_object().unwrap().clone();
    private.insert("n".into(), Value::String(b64(&n)));
    expect_code(
        Jwk::from_value(&Value::Object(private)),
        ErrorCode::KeyTooLarge,
    );

    // PKCS#1 RSAPublicKey, SPKI, and their PEM forms.
    let pkcs1 = pkcs1::RsaPublicKey {
        modulus: pkcs1::UintRef::new(&n).unwrap(),
        public_exponent: pkcs1::UintRef::new(&e).unwrap(),
    }
    .to_der()
    .unwrap();
    let spki = spki_8193();
    for der in [&pkcs1, &spki] {
        expect_code(Jwk::from_der(der), ErrorCode::KeyTooLarge);
    }
    let pem = jwt_edge::key::pem::encode_pem("PUBLIC KEY", &spki);
    expect_code(Jwk::from_pem(&pem, None), ErrorCode::KeyTooLarge);
    let pem = jwt_edge::key::pem::encode_pem("RSA PUBLIC KEY", &pkcs1);
    expect_code(Jwk::from_pem(&pem, None), ErrorCode::KeyTooLarge);

    // A JWKS skips the entry and says why.
    let set = JwkSet::from_value(&json!({ "keys": [public] })).unwrap();
    assert!(set.keys.is_empty());
    assert_eq!(set.skipped[0].error.code(), ErrorCode::KeyTooLarge);
    assert_eq!(ErrorCode::KeyTooLarge.as_str(), "ERR_JOSE_KEY_TOO_LARGE");
}

/// SPKI DER of an 8193-bit RSA public key.
fn spki_8193() -> Vec<u8> {
    let n = modulus_8193();
    let pkcs1 = pkcs1::RsaPublicKey {
        modulus: pkcs1::UintRef::new(&n).unwrap(),
        public_exponent: pkcs1::UintRef::new(&[0x01, 0x00, 0x01]).unwrap(),
    }
    .to_der()
    .unwrap();
    spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: const_oid::db::rfc5912::RSA_ENCRYPTION,
            parameters: Some(der::asn1::AnyRef::NULL),
        },
        subject_public_key: der::asn1::BitStringRef::from_bytes(&pkcs1).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// Regression: `decode_der` used to turn every certificate error, and a
/// key-size error from any structure, into a generic `ERR_DER_INVALID`.
#[test]
fn certificate_der_reports_an_oversized_or_unsupported_key() {
    let scratch = Scratch::new("limits-cert");
    let signer = scratch.write("signer.pem", &genpkey("EC", &["ec_paramgen_curve:P-256"]));
    let certificate = |public_pem: &str| {
        let public = scratch.write("public.pem", public_pem);
        let out = scratch.path("cert.der");
        openssl(&[
            "x509",
            "-new",
            "-key",
            &signer,
            "-force_pubkey",
            &public,
            "-subj",
            "/CN=limits",
            "-days",
            "1",
            "-outform",
            "DER",
            "-out",
            &out,
        ]);
        std::fs::read(out).unwrap()
    };

    let der = certificate(&jwt_edge::key::pem::encode_pem("PUBLIC KEY", &spki_8193()));
    expect_code(Jwk::from_der(&der), ErrorCode::KeyTooLarge);
    let pem = jwt_edge::key::pem::encode_pem("CERTIFICATE", &der);
    expect_code(Jwk::from_pem(&pem, None), ErrorCode::KeyTooLarge);

    let p521 = scratch.write("p521.pem", &genpkey("EC", &["ec_paramgen_curve:P-521"]));
    let p521_public = String::from_utf8(openssl(&["pkey", "-in", &p521, "-pubout"])).unwrap();
    let der = certificate(&p521_public);
    expect_code(Jwk::from_der(&der), ErrorCode::NotSupported);

    // At the limit, the certificate's key is taken.
    let public_8192 = rsa_8192().key().to_public().unwrap().to_pem(None).unwrap();
    let der = certificate(&public_8192);
    let jwk = Jwk::from_der(&der).unwrap();
    assert_eq!(jwk.key().rsa_bits(), Some(MAX_RSA_BITS));
    assert_eq!(jwk.x5c.as_ref().map(Vec::len), Some(1));
}

#[test]
fn every_limit_code_is_distinct_and_listed() {
    let codes = [
        ErrorCode::TokenTooLarge,
        ErrorCode::JsonTooDeep,
        ErrorCode::JwksTooLarge,
        ErrorCode::JwksTooManyKeys,
        ErrorCode::KeyTooLarge,
    ];
    for (i, code) in codes.iter().enumerate() {
        assert!(ErrorCode::ALL.contains(code), "{code} missing from ALL");
        assert!(!codes[..i].contains(code));
        assert_ne!(*code, ErrorCode::JwksInvalid);
    }
    let strings: std::collections::HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        strings.len(),
        ErrorCode::ALL.len(),
        "duplicate code strings"
    );
}

/// Certificate making and inspection limits, at the edge and one past it.
#[test]
fn certificate_limits() {
    use jwt_edge::cert::make::{
        create_certificate, CertificateOptions, MAX_SUBJECT_ALT_NAMES, MAX_SUBJECT_BYTES,
    };
    use jwt_edge::cert::{inspect_chain, MAX_CHAIN_LENGTH};
    let key = generate(KeySpec::P256).unwrap();
    let make = |subject: String, names: usize| {
        let options = CertificateOptions {
            subject,
            not_before: 1_700_000_000,
            days: 30,
            subject_alt_names: (0..names).map(|i| format!("DNS:h{i}.example")).collect(),
            hash: None,
        };
        create_certificate(&key, &options)
    };
    let subject = |len: usize| format!("CN={}", "a".repeat(len - 3));
    let der = make(subject(MAX_SUBJECT_BYTES), 0).expect("a subject at the limit");
    expect_code(
        make(subject(MAX_SUBJECT_BYTES + 1), 0),
        ErrorCode::InvalidArgument,
    );
    make("CN=x".into(), MAX_SUBJECT_ALT_NAMES).expect("names at the limit");
    expect_code(
        make("CN=x".into(), MAX_SUBJECT_ALT_NAMES + 1),
        ErrorCode::InvalidArgument,
    );
    let chain = vec![der.clone(); MAX_CHAIN_LENGTH];
    assert_eq!(
        inspect_chain(&chain, 1_700_000_000).unwrap().len(),
        MAX_CHAIN_LENGTH
    );
    let longer = vec![der; MAX_CHAIN_LENGTH + 1];
    expect_code(
        inspect_chain(&longer, 1_700_000_000),
        ErrorCode::InvalidArgument,
    );
}
