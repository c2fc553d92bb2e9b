//! PEM, DER and certificate parsing. The input is tried as DER (every
//! structure), as an X.509 certificate, and as PEM text with and without a
//! block preference. A key that parses must re-encode in each format it
//! allows and read back as the same key, and its JWK (with `x5c` when it
//! came from certificates) must parse back as the same JWK. Certificate
//! inspection and encrypted-key decryption get the same input.
#![no_main]

use jwt_edge::key::pem::{decode_der, decode_pem, key_from_certificate_der, DecodedKey};
use jwt_edge::{Jwk, PemFormat, PemKind};
use libfuzzer_sys::fuzz_target;

fn check(decoded: DecodedKey) {
    let key = decoded.key.clone();
    for format in [
        PemFormat::Spki,
        PemFormat::Pkcs1,
        PemFormat::Pkcs8,
        PemFormat::Sec1,
    ] {
        let Ok(der) = key.to_der(format) else {
            continue;
        };
        let again = decode_der(&der).expect("re-encoded DER parses");
        let expected = if format == PemFormat::Spki {
            key.to_public().expect("asymmetric")
        } else {
            key.clone()
        };
        assert_eq!(again.key, expected, "{format:?} DER round trip");
        let pem = key.to_pem(Some(format)).expect("PEM of a DER that encoded");
        assert_eq!(
            decode_pem(&pem, None).expect("re-encoded PEM parses").key,
            expected
        );
    }
    let jwk = decoded.into_jwk();
    let again = Jwk::from_value(&jwk.to_value()).expect("the JWK of a parsed key parses");
    assert_eq!(again, jwk, "JWK round trip");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_der(data) {
        check(decoded);
    }
    let _ = key_from_certificate_der(data);
    let _ = jwt_edge::cert::inspect_certificate(data, 1_700_000_000);
    let _ = jwt_edge::key::encrypted::decrypt_pkcs8_der(data, b"passphrase");
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(certificates) = jwt_edge::cert::certificates_from_pem(text) {
            let _ = jwt_edge::cert::inspect_chain(&certificates, 1_700_000_000);
        }
        for want in [
            None,
            Some(PemKind::PublicKey),
            Some(PemKind::PrivateKey),
            Some(PemKind::Certificate),
        ] {
            if let Ok(decoded) = decode_pem(text, want) {
                check(decoded);
            }
            if let Ok(decoded) =
                jwt_edge::key::pem::decode_pem_with_passphrase(text, want, Some(b"passphrase"))
            {
                check(decoded);
            }
        }
    }
});
