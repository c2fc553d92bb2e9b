//! One harness for the RFC vectors under tests/vectors/ (RFC 7515, 7517,
//! 7520, 7638, 8037): every entry gives its expected result.

mod common;

use common::vectors;
use jwt_edge::crypto::{CryptoProvider, RustCrypto};
use jwt_edge::jws::UntrustedJws;
use jwt_edge::policy::{verify_jws, Keys};
use jwt_edge::{verify, Algorithm, Jwk, PemKind, VerifyPolicy};
use serde_json::Value;

#[test]
fn jws_vectors() {
    let mut checked = 0;
    for vector in vectors("jws.json") {
        let name = vector["name"].as_str().unwrap();
        let expect = vector["expect"].as_str().unwrap();
        let token = vector["token"].as_str().unwrap();
        let outcome = run_jws_vector(&vector, token);
        match (expect, outcome) {
            ("valid", Ok(())) => {}
            ("valid", Err(error)) => panic!("{name}: expected valid, got {error}"),
            (code, Ok(())) => panic!("{name}: expected {code}, verified"),
            (code, Err(error)) => assert_eq!(error.code().as_str(), code, "{name}: {error}"),
        }
        checked += 1;
    }
    assert!(checked >= 11, "only {checked} JWS vectors ran");
}

fn run_jws_vector(vector: &Value, token: &str) -> jwt_edge::Result<()> {
    let name = vector["name"].as_str().unwrap();
    let algorithms: Vec<Algorithm> = match Algorithm::from_name(vector["alg"].as_str().unwrap()) {
        Ok(alg) => vec![alg],
        // Unsupported and unsecured algorithms meet the full allowlist.
        Err(_) => Algorithm::ALL.to_vec(),
    };
    let policy = VerifyPolicy::new(&algorithms)?;
    let jwk = match &vector["jwk"] {
        Value::Null => {
            // No key: the token must fail before any key is needed.
            let set = jwt_edge::JwkSet::default();
            verify_jws(token, Keys::Set(&set), &policy)?;
            unreachable!("{name}: verified without a key");
        }
        value => Jwk::from_value(value)?,
    };
    let keys = Keys::Single(&jwk);
    if vector["payload"].is_object() {
        let now = vector["now"].as_i64().unwrap_or(0);
        let verified = verify(token, keys, &policy, now)?;
        assert_eq!(
            Value::Object(verified.payload),
            vector["payload"],
            "{name}: payload"
        );
    } else {
        verify_jws(token, keys, &policy)?;
    }
    if vector["deterministic"] == Value::Bool(true) {
        // Re-signing the same input reproduces the RFC's signature exactly.
        let jws = UntrustedJws::parse(token, usize::MAX)?;
        let alg = algorithms[0];
        let signature = RustCrypto.sign(alg, jwk.key(), jws.signing_input())?;
        assert_eq!(
            signature,
            jws.signature(),
            "{name}: deterministic signature"
        );
    }
    Ok(())
}

#[test]
fn jwk_vectors() {
    let mut checked = 0;
    for vector in vectors("jwk.json") {
        let name = vector["name"].as_str().unwrap();
        let expect = vector["expect"].as_str().unwrap();
        let parsed = Jwk::from_value(&vector["jwk"]);
        if expect != "valid" {
            let error = parsed.expect_err(name);
            assert_eq!(error.code().as_str(), expect, "{name}: {error}");
            checked += 1;
            continue;
        }
        let jwk = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        // RFC 7638 thumbprint.
        assert_eq!(
            jwk.thumbprint(),
            vector["thumbprint"].as_str().unwrap(),
            "{name}: thumbprint"
        );
        // Every member survives a round trip: same members, same values.
        assert_eq!(jwk.to_value(), vector["jwk"], "{name}: JWK round trip");
        assert_eq!(
            Jwk::from_value(&jwk.to_value()).unwrap(),
            jwk,
            "{name}: reparse"
        );
        // The public key's thumbprint is the private key's.
        if let Ok(public) = jwk.to_public() {
            assert_eq!(
                public.thumbprint(),
                jwk.thumbprint(),
                "{name}: public thumbprint"
            );
            // And the key survives PEM.
            let pem = jwk.key().to_pem(None).unwrap();
            let back = Jwk::from_pem(&pem, None).unwrap();
            assert_eq!(back.key(), jwk.key(), "{name}: PEM round trip");
            let spki = jwk.key().to_pem(Some(jwt_edge::PemFormat::Spki)).unwrap();
            let public_back = Jwk::from_pem(&spki, Some(PemKind::PublicKey)).unwrap();
            assert_eq!(public_back.key(), public.key(), "{name}: SPKI round trip");
        }
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} JWK vectors ran");
}

#[test]
fn rfc7517_appendix_b_certificate_matches_its_jwk() {
    let vector = vectors("jwk.json")
        .into_iter()
        .find(|v| v["name"].as_str().unwrap().contains("7517 B"))
        .expect("RFC 7517 B vector");
    let jwk = Jwk::from_value(&vector["jwk"]).unwrap();
    let chain = jwk.x5c.clone().expect("x5c");
    use base64ct::{Base64, Encoding};
    let der = Base64::decode_vec(&chain[0]).unwrap();
    let from_cert = Jwk::from_der(&der).unwrap();
    assert_eq!(from_cert.key(), jwk.key());
    assert_eq!(from_cert.x5c.as_deref(), Some(&chain[..1]));
}
