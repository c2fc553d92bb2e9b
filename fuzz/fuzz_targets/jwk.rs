//! JWK and JWKS parsing: every input is read as a JWK and as a JWKS. What
//! parses must survive the round trip through `to_value` unchanged, with the
//! same RFC 7638 thumbprint, and its public half must export to PEM/DER and
//! read back as the same key.
#![no_main]

use jwt_edge::key::pem::{decode_der, decode_pem};
use jwt_edge::{Jwk, JwkSet, KeySelector, PemFormat, VerifyPolicy};
use libfuzzer_sys::fuzz_target;

fn check_jwk(jwk: &Jwk) {
    let value = jwk.to_value();
    let again = Jwk::from_value(&value).expect("a parsed JWK re-parses from to_value");
    assert_eq!(&again, jwk, "JWK round trip");
    assert_eq!(
        again.thumbprint(),
        jwk.thumbprint(),
        "thumbprint round trip"
    );
    assert_eq!(
        Jwk::from_json(&jwk.to_json()).expect("to_json re-parses"),
        again
    );
    let _ = jwt_edge::lint::lint_key(jwk.key(), None);
    let Ok(public) = jwk.to_public() else {
        return; // a secret has no public half
    };
    assert_eq!(
        public.thumbprint(),
        jwk.thumbprint(),
        "private and public thumbprints"
    );
    let public_key = public.key();
    let der = public_key
        .to_der(PemFormat::Spki)
        .expect("SPKI of a valid key");
    assert_eq!(&decode_der(&der).expect("SPKI re-parses").key, public_key);
    let pem = public_key.to_pem(None).expect("PEM of a valid key");
    assert_eq!(
        &decode_pem(&pem, None).expect("PEM re-parses").key,
        public_key
    );
    if jwk.key().is_private() {
        let pem = jwk.key().to_pem(None).expect("PKCS#8 of a valid key");
        assert_eq!(
            &decode_pem(&pem, None).expect("PKCS#8 re-parses").key,
            jwk.key()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jwk) = Jwk::from_json(text) {
        check_jwk(&jwk);
    }
    if let Ok(set) = JwkSet::from_json(text) {
        for jwk in &set.keys {
            check_jwk(jwk);
        }
        let again = JwkSet::from_value(&set.to_value()).expect("a parsed JWKS re-parses");
        assert_eq!(again.keys, set.keys, "JWKS round trip");
        let _ = VerifyPolicy::algorithms_for(&set);
        for jwk in &set.keys {
            let selector = KeySelector {
                kid: jwk.kid.as_deref(),
                key_use: Some("sig"),
                ..KeySelector::default()
            };
            let _ = set.select(&selector);
        }
    }
});
