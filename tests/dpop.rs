//! DPoP (RFC 9449): proofs from panva's `dpop` package verify in the core
//! (tests/vectors/dpop.json), every rule refuses what it must, and proofs
//! the core creates say what the RFC says.

mod common;

use common::{expect_code, forge};
use jwt_edge::crypto::{CryptoProvider, RustCrypto};
use jwt_edge::dpop::{
    self, check_request, confirmation_jkt, create_proof, htu, parse_authorization, AuthScheme,
    DpopPolicy, DpopRequest, MemoryReplayCache, ProofCheck, ProofExpectations, ProofParams,
    VerifiedProof,
};
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::{decode_unverified, Algorithm, ClaimReason, ErrorCode, Jwk, Key};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_767_225_600;
const URL: &str = "https://api.example.com/v1/items";
const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

// ------------------------------------------------------------ interop ----

/// Every proof made by `dpop` (ES256, Ed25519, RS256, PS256) meets its
/// expected outcome, and the core's thumbprint of the signing key is the
/// one `dpop` computed.
#[test]
fn proofs_made_by_panva_dpop() {
    let path = format!("{}/tests/vectors/dpop.json", env!("CARGO_MANIFEST_DIR"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let keys = file["keys"].as_object().unwrap();
    for (alg, key) in keys {
        let private = Jwk::from_value(&key["private_jwk"]).unwrap();
        assert_eq!(dpop::jkt(private.key()), key["jkt"], "{alg}: jkt");
    }
    let policy = DpopPolicy::default();
    let mut checked = 0;
    let mut valid = 0;
    for vector in file["vectors"].as_array().unwrap() {
        let name = vector["name"].as_str().unwrap();
        let request = &vector["request"];
        let nonces: Vec<&str> = request["nonces"]
            .as_array()
            .map(|items| items.iter().map(|n| n.as_str().unwrap()).collect())
            .unwrap_or_default();
        let expect = ProofExpectations {
            method: request["method"].as_str().unwrap(),
            url: request["url"].as_str().unwrap(),
            access_token: request["access_token"].as_str(),
            jkt: request["jkt"].as_str(),
            nonces: &nonces,
            now: request["now"].as_i64().unwrap(),
        };
        let result = verify_and_report(vector["proof"].as_str().unwrap(), &expect, &policy);
        match (vector["expect"].as_str().unwrap(), result) {
            ("valid", Ok(proof)) => {
                let key = &keys[vector["key"].as_str().unwrap()];
                assert_eq!(proof.jkt, key["jkt"], "{name}: jkt");
                assert_eq!(proof.iat, vector["iat"].as_i64().unwrap(), "{name}: iat");
                valid += 1;
            }
            ("valid", Err(error)) => panic!("{name}: expected valid, got {error}"),
            (code, Ok(_)) => panic!("{name}: expected {code}, verified"),
            (code, Err(error)) => {
                assert_eq!(error.code().as_str(), code, "{name}: {error}");
                assert_eq!(
                    error.claim_name(),
                    vector["claim"].as_str(),
                    "{name}: {error}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 60, "vectors run");
    assert_eq!(valid, 16, "valid vectors");
}

// ----------------------------------------------------------- creation ----

/// Proofs the core makes for every algorithm the issue names verify, and
/// carry exactly what RFC 9449 section 4.2 asks for.
#[test]
fn created_proofs_follow_rfc_9449() {
    let cases = [
        (KeySpec::P256, None, "ES256"),
        (KeySpec::P384, None, "ES384"),
        (KeySpec::Ed25519, None, "EdDSA"),
        (KeySpec::Rsa { bits: 2048 }, None, "RS256"),
        (KeySpec::Rsa { bits: 2048 }, Some(Algorithm::Ps256), "PS256"),
    ];
    for (spec, alg, name) in cases {
        let key = generate(spec).unwrap();
        let params = ProofParams {
            method: "GET",
            url: "HTTPS://API.example.com:443/v1/items?page=2#top",
            access_token: Some(TOKEN),
            nonce: Some("n-1"),
            alg,
            iat: NOW,
        };
        let proof = create_proof(&key, &params).unwrap();
        let decoded = decode_unverified(&proof).unwrap();
        assert_eq!(decoded.header["typ"], "dpop+jwt", "{name}");
        assert_eq!(decoded.header["alg"], name);
        let jwk = decoded.header["jwk"].as_object().unwrap();
        assert!(
            !jwk.contains_key("d") && !jwk.contains_key("p"),
            "{name}: private jwk"
        );
        assert_eq!(
            decoded.header.len(),
            3,
            "{name}: header {:?}",
            decoded.header
        );
        let claims = &decoded.payload;
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["htu"], "https://api.example.com/v1/items");
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["nonce"], "n-1");
        // ath: base64url(SHA-256(token)), computed independently of the core.
        assert_eq!(claims["ath"], sha256_b64url(TOKEN), "{name}: ath");
        assert!(claims["jti"].as_str().unwrap().len() >= 16, "{name}: jti");

        let jkt = dpop::jkt(&key);
        let verified = verify_and_report(
            &proof,
            &ProofExpectations {
                method: "GET",
                url: URL,
                access_token: Some(TOKEN),
                jkt: Some(&jkt),
                nonces: &["n-0", "n-1"],
                now: NOW,
            },
            &DpopPolicy::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.jkt, jkt);
        assert_eq!(
            verified.jkt,
            Jwk::new(key.to_public().unwrap()).thumbprint()
        );
    }
}

#[test]
fn two_proofs_never_share_a_jti() {
    let key = generate(KeySpec::P256).unwrap();
    let jti = |proof: &str| decode_unverified(proof).unwrap().payload["jti"].clone();
    let a = create_proof(&key, &params("GET", URL)).unwrap();
    let b = create_proof(&key, &params("GET", URL)).unwrap();
    assert_ne!(jti(&a), jti(&b));
}

#[test]
fn creation_refuses_keys_that_cannot_prove_possession() {
    let key = generate(KeySpec::P256).unwrap();
    let public = key.to_public().unwrap();
    expect_code(
        create_proof(&public, &params("GET", URL)),
        ErrorCode::InvalidArgument,
    );
    let secret = Key::secret(&[7u8; 32]).unwrap();
    expect_code(
        create_proof(&secret, &params("GET", URL)),
        ErrorCode::InvalidArgument,
    );
    let mut wrong_alg = params("GET", URL);
    wrong_alg.alg = Some(Algorithm::Rs256);
    expect_code(create_proof(&key, &wrong_alg), ErrorCode::KeyTypeMismatch);
    expect_code(
        create_proof(&key, &params("GET", "/relative")),
        ErrorCode::InvalidArgument,
    );
    expect_code(
        create_proof(&key, &params("G ET", URL)),
        ErrorCode::InvalidArgument,
    );
    // A kept public half must be public and of the key's type.
    let mut rng = rand_core::OsRng;
    let p = params("GET", URL);
    let mut as_public =
        |jwk: Jwk| dpop::create_proof_with_public(&RustCrypto, &key, &jwk, &p, &mut rng);
    expect_code(as_public(Jwk::new(key.clone())), ErrorCode::InvalidArgument);
    let ed = generate(KeySpec::Ed25519).unwrap().to_public().unwrap();
    expect_code(as_public(Jwk::new(ed)), ErrorCode::InvalidArgument);
    let proof = as_public(Jwk::new(public.clone())).unwrap();
    check(&proof, &expect()).unwrap();
}

// -------------------------------------------------- must-reject rules ----

#[test]
fn refuses_a_wrong_or_missing_typ() {
    let key = generate(KeySpec::P256).unwrap();
    for typ in [Some("JWT"), Some("at+jwt"), None] {
        let mut header = header_for(&key, "ES256");
        match typ {
            Some(typ) => header.insert("typ".into(), json!(typ)),
            None => header.remove("typ"),
        };
        let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
        let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some("typ"), "{typ:?}");
    }
}

#[test]
fn refuses_alg_none_and_hmac() {
    let key = generate(KeySpec::P256).unwrap();
    let payload = claims("GET", URL).to_string();
    for alg in ["none", "NONE", "HS256"] {
        let mut header = header_for(&key, alg);
        header.insert("alg".into(), json!(alg));
        let signature: &[u8] = if alg == "HS256" { &[1u8; 32] } else { &[] };
        let proof = forge(&Value::Object(header).to_string(), &payload, signature);
        let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some("alg"), "{alg}");
    }
    // An HMAC algorithm cannot even be configured.
    expect_code(
        DpopPolicy::new(&[Algorithm::Hs256]),
        ErrorCode::InvalidArgument,
    );
    // An algorithm outside a narrowed allowlist.
    let policy = DpopPolicy::new(&[Algorithm::EdDsa]).unwrap();
    let proof = create_proof(&key, &params("GET", URL)).unwrap();
    let error = expect_code(
        verify_and_report(&proof, &expect(), &policy),
        ErrorCode::DpopInvalidProof,
    );
    assert_eq!(error.claim_name(), Some("alg"));
    assert_eq!(policy.algs_parameter(), "EdDSA Ed25519");
}

#[test]
fn refuses_a_private_missing_or_mismatched_jwk() {
    let key = generate(KeySpec::P256).unwrap();
    // The private key itself in the header (the client leaking its key).
    let mut header = header_for(&key, "ES256");
    header.insert("jwk".into(), Jwk::new(key.clone()).to_value());
    let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
    let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("jwk"), Some(ClaimReason::Invalid))
    );

    // No jwk at all, or not an object.
    for jwk in [None, Some(json!("a string"))] {
        let mut header = header_for(&key, "ES256");
        match jwk {
            Some(value) => header.insert("jwk".into(), value),
            None => header.remove("jwk"),
        };
        let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
        let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some("jwk"));
    }

    // A symmetric jwk (its "k" is secret material).
    let mut header = header_for(&key, "ES256");
    header.insert(
        "jwk".into(),
        json!({ "kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I" }),
    );
    let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
    expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);

    // A P-384 key under ES256: the key type must match alg.
    let p384 = generate(KeySpec::P384).unwrap();
    let mut header = header_for(&p384, "ES256");
    header.insert("alg".into(), json!("ES256"));
    let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
    let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("jwk"), Some(ClaimReason::CheckFailed))
    );
}

#[test]
fn refuses_a_bad_signature() {
    let key = generate(KeySpec::P256).unwrap();
    let attacker = generate(KeySpec::P256).unwrap();
    // Signed by the attacker, claiming the victim's key.
    let proof = sign_raw(
        &attacker,
        Algorithm::Es256,
        &header_for(&key, "ES256"),
        &claims("GET", URL),
    );
    let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
    assert!(error.message().contains("signature"), "{error}");
    // A valid proof with its payload swapped for another one.
    let good = create_proof(&key, &params("GET", URL)).unwrap();
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    parts[1] = base64_url(claims("GET", URL).to_string().as_bytes());
    expect_code(
        check(&parts.join("."), &expect()),
        ErrorCode::DpopInvalidProof,
    );
}

#[test]
fn refuses_a_wrong_method() {
    let key = generate(KeySpec::P256).unwrap();
    for method in ["POST", "get"] {
        let proof = create_proof(&key, &params(method, URL)).unwrap();
        let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some("htm"), "{method}");
    }
}

#[test]
fn compares_htu_after_normalisation_only() {
    let key = generate(KeySpec::P256).unwrap();
    let proof = create_proof(&key, &params("GET", URL)).unwrap();
    for same in [
        "https://api.example.com/v1/items?page=2",
        "https://API.EXAMPLE.COM/v1/items",
        "HTTPS://api.example.com:443/v1/items#x",
    ] {
        check(
            &proof,
            &ProofExpectations {
                url: same,
                ..expect()
            },
        )
        .unwrap_or_else(|e| panic!("{same}: {e}"));
    }
    for other in [
        "https://api.example.com/v1/Items",
        "https://api.example.com/v1/items/",
        "https://api.example.com:8443/v1/items",
        "http://api.example.com/v1/items",
        "https://evil.example.com/v1/items",
    ] {
        let error = expect_code(
            check(
                &proof,
                &ProofExpectations {
                    url: other,
                    ..expect()
                },
            ),
            ErrorCode::DpopInvalidProof,
        );
        assert_eq!(error.claim_name(), Some("htu"), "{other}");
    }
    // A proof whose own htu carries a query, as `dpop` writes it when asked.
    let header = header_for(&key, "ES256");
    let mut payload = claims("GET", "https://api.example.com/v1/items?page=2");
    payload["htu"] = json!("https://api.example.com:443/v1/items?page=2");
    let proof = sign_raw(&key, Algorithm::Es256, &header, &payload);
    check(&proof, &expect()).unwrap();
}

#[test]
fn refuses_stale_and_future_proofs() {
    let key = generate(KeySpec::P256).unwrap();
    let policy = DpopPolicy {
        clock_tolerance: 10,
        ..DpopPolicy::default()
    };
    let at = |iat: i64| {
        let mut p = params("GET", URL);
        p.iat = iat;
        create_proof(&key, &p).unwrap()
    };
    let verify = |proof: &str| verify_and_report(proof, &expect(), &policy);
    // The window's edges: max_age + tolerance behind, tolerance ahead.
    verify(&at(NOW - 310)).unwrap();
    verify(&at(NOW + 10)).unwrap();
    for iat in [NOW - 311, NOW + 11, NOW - 86_400, NOW + 86_400] {
        let error = expect_code(verify(&at(iat)), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some("iat"), "{iat}");
    }
    let strict = DpopPolicy {
        max_age: 60,
        clock_tolerance: 0,
        ..DpopPolicy::default()
    };
    expect_code(
        verify_and_report(&at(NOW - 61), &expect(), &strict),
        ErrorCode::DpopInvalidProof,
    );
    verify_and_report(&at(NOW - 60), &expect(), &strict).unwrap();
}

#[test]
fn refuses_missing_or_mistyped_claims() {
    let key = generate(KeySpec::P256).unwrap();
    for (claim, value) in [
        ("jti", None),
        ("htm", None),
        ("htu", None),
        ("iat", None),
        ("iat", Some(json!("1767225600"))),
        ("jti", Some(json!(""))),
        ("jti", Some(json!("x".repeat(257)))),
        ("htu", Some(json!("/v1/items"))),
    ] {
        let mut payload = claims("GET", URL);
        match value {
            Some(value) => payload[claim] = value,
            None => {
                payload.as_object_mut().unwrap().remove(claim);
            }
        }
        let proof = sign_raw(&key, Algorithm::Es256, &header_for(&key, "ES256"), &payload);
        let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
        assert_eq!(error.claim_name(), Some(claim), "{claim}: {error}");
    }
    // Unknown critical extensions, unencoded payloads.
    let mut header = header_for(&key, "ES256");
    header.insert("crit".into(), json!(["exp"]));
    header.insert("exp".into(), json!(1));
    let proof = sign_raw(&key, Algorithm::Es256, &header, &claims("GET", URL));
    expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
}

#[test]
fn refuses_a_missing_or_wrong_ath() {
    let key = generate(KeySpec::P256).unwrap();
    let with_token = ProofExpectations {
        access_token: Some(TOKEN),
        ..expect()
    };
    let unbound = create_proof(&key, &params("GET", URL)).unwrap();
    let error = expect_code(check(&unbound, &with_token), ErrorCode::DpopInvalidProof);
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("ath"), Some(ClaimReason::Missing))
    );
    let mut other = params("GET", URL);
    other.access_token = Some("another-token");
    let proof = create_proof(&key, &other).unwrap();
    let error = expect_code(check(&proof, &with_token), ErrorCode::DpopInvalidProof);
    assert_eq!(
        (error.claim_name(), error.reason()),
        (Some("ath"), Some(ClaimReason::CheckFailed))
    );
}

#[test]
fn refuses_a_proof_by_another_key_than_cnf_jkt() {
    let key = generate(KeySpec::P256).unwrap();
    let other = generate(KeySpec::Ed25519).unwrap();
    let proof = create_proof(&other, &params("GET", URL)).unwrap();
    let jkt = dpop::jkt(&key);
    let expect = ProofExpectations {
        jkt: Some(&jkt),
        ..expect()
    };
    expect_code(check(&proof, &expect), ErrorCode::DpopBindingMismatch);
}

#[test]
fn nonces_when_the_server_asks_for_them() {
    let key = generate(KeySpec::P256).unwrap();
    let mut p = params("GET", URL);
    let nonces = ["current", "previous"];
    let expect = ProofExpectations {
        nonces: &nonces,
        ..expect()
    };
    let error = expect_code(
        check(&create_proof(&key, &p).unwrap(), &expect),
        ErrorCode::DpopNonceRequired,
    );
    assert_eq!(error.reason(), Some(ClaimReason::Missing));
    p.nonce = Some("expired");
    expect_code(
        check(&create_proof(&key, &p).unwrap(), &expect),
        ErrorCode::DpopNonceRequired,
    );
    p.nonce = Some("previous");
    check(&create_proof(&key, &p).unwrap(), &expect).unwrap();
}

#[test]
fn refuses_oversized_proofs() {
    let key = generate(KeySpec::P256).unwrap();
    let mut payload = claims("GET", URL);
    payload["pad"] = json!("x".repeat(9000));
    let proof = sign_raw(&key, Algorithm::Es256, &header_for(&key, "ES256"), &payload);
    let error = expect_code(check(&proof, &expect()), ErrorCode::DpopInvalidProof);
    assert!(error.message().contains("limit"), "{error}");
    let roomy = DpopPolicy {
        max_proof_bytes: 16 * 1024,
        ..DpopPolicy::default()
    };
    verify_and_report(&proof, &expect(), &roomy).unwrap();
}

// ------------------------------------------------------------- report ----

/// A proof breaking many rules at once: the report names each broken rule
/// with its own code, and still passes the rules that hold.
#[test]
fn the_report_runs_every_check_on_its_own() {
    use jwt_edge::policy::CheckStatus;
    let key = generate(KeySpec::P256).unwrap();
    let attacker = generate(KeySpec::P256).unwrap();
    let bound_to = dpop::jkt(&generate(KeySpec::Ed25519).unwrap());
    let mut payload = claims("POST", "https://api.example.com/other");
    payload["iat"] = json!(NOW - 3600);
    let proof = sign_raw(
        &attacker,
        Algorithm::Es256,
        &header_for(&key, "ES256"),
        &payload,
    );
    let nonces = ["server-nonce"];
    let broken = ProofExpectations {
        access_token: Some(TOKEN),
        jkt: Some(&bound_to),
        nonces: &nonces,
        ..expect()
    };
    let policy = DpopPolicy::default();
    let report = dpop::report(&proof, &broken, &policy);
    let status = |check: ProofCheck| {
        report
            .checks
            .iter()
            .find(|outcome| outcome.check == check)
            .map(|outcome| outcome.status.clone())
            .unwrap()
    };
    for check in [
        ProofCheck::Format,
        ProofCheck::Typ,
        ProofCheck::Crit,
        ProofCheck::Alg,
        ProofCheck::Jwk,
        ProofCheck::Payload,
        ProofCheck::Jti,
    ] {
        assert_eq!(status(check), CheckStatus::Passed, "{}", check.name());
    }
    for (check, code, claim) in [
        (ProofCheck::Signature, ErrorCode::DpopInvalidProof, None),
        (ProofCheck::Htm, ErrorCode::DpopInvalidProof, Some("htm")),
        (ProofCheck::Htu, ErrorCode::DpopInvalidProof, Some("htu")),
        (ProofCheck::Iat, ErrorCode::DpopInvalidProof, Some("iat")),
        (
            ProofCheck::Nonce,
            ErrorCode::DpopNonceRequired,
            Some("nonce"),
        ),
        (ProofCheck::Ath, ErrorCode::DpopInvalidProof, Some("ath")),
        (ProofCheck::Jkt, ErrorCode::DpopBindingMismatch, None),
    ] {
        let CheckStatus::Failed(error) = status(check) else {
            panic!("{}: {:?}", check.name(), status(check));
        };
        assert_eq!(
            (error.code(), error.claim_name()),
            (code, claim),
            "{}",
            check.name()
        );
    }
    // Verification stops at the first of them, the signature.
    let error = expect_code(
        verify_and_report(&proof, &broken, &policy),
        ErrorCode::DpopInvalidProof,
    );
    assert!(error.message().contains("signature"), "{error}");

    // A good proof: what the request does not ask for is skipped.
    let good = create_proof(&key, &params("GET", URL)).unwrap();
    let report = dpop::report(&good, &expect(), &policy);
    assert!(report.is_valid());
    let skipped: Vec<&str> = report
        .checks
        .iter()
        .filter(|outcome| outcome.status == CheckStatus::Skipped)
        .map(|outcome| outcome.check.name())
        .collect();
    assert_eq!(skipped, ["nonce", "ath", "jkt"]);

    // Not a JWS: the format fails and nothing else can run.
    let report = dpop::report("not.a-proof", &expect(), &policy);
    assert!(!report.is_valid());
    assert!(
        matches!(&report.checks[0].status, CheckStatus::Failed(e) if e.code() == ErrorCode::DpopInvalidProof)
    );
    assert!(report.checks[1..]
        .iter()
        .all(|outcome| outcome.status == CheckStatus::Skipped));
    assert_eq!(
        ProofCheck::ALL.map(ProofCheck::name),
        [
            "format",
            "typ",
            "crit",
            "alg",
            "jwk",
            "signature",
            "payload",
            "jti",
            "htm",
            "htu",
            "iat",
            "nonce",
            "ath",
            "jkt"
        ]
    );
}

// ------------------------------------------- the resource server's call ----

/// A bound token, its proof and the request, as a proxy sees them.
struct Fixture {
    key: Key,
    jkt: String,
}

impl Fixture {
    fn new() -> Self {
        let key = generate(KeySpec::P256).unwrap();
        let jkt = dpop::jkt(&key);
        Self { key, jkt }
    }

    fn proof(&self) -> String {
        let mut p = params("GET", URL);
        p.access_token = Some(TOKEN);
        create_proof(&self.key, &p).unwrap()
    }

    fn request<'a>(&'a self, scheme: AuthScheme, proofs: &'a [&'a str]) -> DpopRequest<'a> {
        DpopRequest {
            scheme,
            access_token: TOKEN,
            token_jkt: Some(&self.jkt),
            proofs,
            method: "GET",
            url: URL,
            nonces: &[],
            now: NOW,
        }
    }
}

#[test]
fn a_bound_token_with_its_proof_passes_once() {
    let fixture = Fixture::new();
    let proof = fixture.proof();
    let proofs = [proof.as_str()];
    let policy = DpopPolicy::default();
    let mut cache = MemoryReplayCache::new(100);
    let request = fixture.request(AuthScheme::Dpop, &proofs);
    let verified = check_request(&request, &policy, Some(&mut cache))
        .unwrap()
        .unwrap();
    assert_eq!(verified.jkt, fixture.jkt);
    // The same proof again (same jti): a replay.
    expect_code(
        check_request(&request, &policy, Some(&mut cache)),
        ErrorCode::DpopReplay,
    );
    // A fresh proof passes.
    let fresh = fixture.proof();
    let proofs = [fresh.as_str()];
    check_request(
        &fixture.request(AuthScheme::Dpop, &proofs),
        &policy,
        Some(&mut cache),
    )
    .unwrap();
    assert_eq!(cache.len(), 2);
}

#[test]
fn replay_entries_last_the_window_and_are_scoped_to_the_key() {
    let fixture = Fixture::new();
    let proof = fixture.proof();
    let expect = ProofExpectations {
        access_token: Some(TOKEN),
        ..expect()
    };
    let policy = DpopPolicy::default();
    let verified = verify_and_report(&proof, &expect, &policy).unwrap();
    let mut cache = MemoryReplayCache::new(1);
    dpop::remember(&mut cache, &verified, &policy, NOW).unwrap();
    // Still remembered at the window's last second.
    let last = policy.accepted_until(verified.iat);
    assert_eq!(last, NOW + 305);
    expect_code(
        dpop::remember(&mut cache, &verified, &policy, last),
        ErrorCode::DpopReplay,
    );
    // The same jti under another key is another proof, but a full cache
    // fails closed rather than forgetting a live entry.
    let other = VerifiedProof {
        jkt: "another-key".into(),
        ..verified.clone()
    };
    assert_ne!(other.replay_key(), verified.replay_key());
    expect_code(
        dpop::remember(&mut cache, &other, &policy, last),
        ErrorCode::DpopReplay,
    );
    // After the window the entry is dropped and the slot reused.
    dpop::remember(&mut cache, &other, &policy, last + 1).unwrap();
}

#[test]
fn refuses_downgrades_and_missing_proofs() {
    let fixture = Fixture::new();
    let proof = fixture.proof();
    let one = [proof.as_str()];
    let policy = DpopPolicy::default();
    // The bound token as Bearer, with or without its proof.
    for proofs in [&one[..], &[]] {
        let request = fixture.request(AuthScheme::Bearer, proofs);
        expect_code(
            check_request(&request, &policy, None),
            ErrorCode::DpopProofRequired,
        );
    }
    // DPoP scheme, no proof.
    let request = fixture.request(AuthScheme::Dpop, &[]);
    expect_code(
        check_request(&request, &policy, None),
        ErrorCode::DpopProofRequired,
    );
    // DPoP scheme with a token that is not bound to any key.
    let unbound = DpopRequest {
        token_jkt: None,
        ..fixture.request(AuthScheme::Dpop, &one)
    };
    expect_code(
        check_request(&unbound, &policy, None),
        ErrorCode::DpopBindingMismatch,
    );
    // An unbound Bearer token without a proof is not DPoP's business...
    let bearer = DpopRequest {
        token_jkt: None,
        ..fixture.request(AuthScheme::Bearer, &[])
    };
    assert_eq!(check_request(&bearer, &policy, None).unwrap(), None);
    // ...unless DPoP is required.
    let required = DpopPolicy {
        required: true,
        ..DpopPolicy::default()
    };
    expect_code(
        check_request(&bearer, &required, None),
        ErrorCode::DpopProofRequired,
    );
}

#[test]
fn refuses_two_dpop_headers() {
    let fixture = Fixture::new();
    let (a, b) = (fixture.proof(), fixture.proof());
    let policy = DpopPolicy::default();
    let two = [a.as_str(), b.as_str()];
    expect_code(
        check_request(&fixture.request(AuthScheme::Dpop, &two), &policy, None),
        ErrorCode::DpopInvalidProof,
    );
    // Joined into one value by a proxy.
    let joined = format!("{a}, {b}");
    let one = [joined.as_str()];
    expect_code(
        check_request(&fixture.request(AuthScheme::Dpop, &one), &policy, None),
        ErrorCode::DpopInvalidProof,
    );
}

/// The binding from an introspection response (RFC 9449 section 6.2) works
/// like a JWT's `cnf.jkt`; a malformed `cnf` is refused, never skipped.
#[test]
fn cnf_jkt_from_a_jwt_or_an_introspection_response() {
    let fixture = Fixture::new();
    let introspection: Map<String, Value> = serde_json::from_value(
        json!({ "active": true, "token_type": "DPoP", "cnf": { "jkt": fixture.jkt } }),
    )
    .unwrap();
    let jkt = confirmation_jkt(&introspection).unwrap();
    assert_eq!(jkt, Some(fixture.jkt.as_str()));
    let proof = fixture.proof();
    let proofs = [proof.as_str()];
    let request = DpopRequest {
        token_jkt: jkt,
        ..fixture.request(AuthScheme::Dpop, &proofs)
    };
    check_request(&request, &DpopPolicy::default(), None)
        .unwrap()
        .unwrap();

    let claims = |value: Value| serde_json::from_value::<Map<String, Value>>(value).unwrap();
    assert_eq!(
        confirmation_jkt(&claims(json!({ "sub": "a" }))).unwrap(),
        None
    );
    assert_eq!(
        confirmation_jkt(&claims(json!({ "cnf": { "x5t#S256": "abc" } }))).unwrap(),
        None
    );
    for bad in [
        json!({ "cnf": "jkt" }),
        json!({ "cnf": { "jkt": 1 } }),
        json!({ "cnf": { "jkt": "" } }),
    ] {
        expect_code(confirmation_jkt(&claims(bad)), ErrorCode::JwtInvalid);
    }
}

#[test]
fn authorization_schemes_are_case_insensitive() {
    assert_eq!(
        parse_authorization("DPoP abc"),
        Some((AuthScheme::Dpop, "abc"))
    );
    assert_eq!(
        parse_authorization("dpop  abc"),
        Some((AuthScheme::Dpop, "abc"))
    );
    assert_eq!(
        parse_authorization("BEARER abc"),
        Some((AuthScheme::Bearer, "abc"))
    );
    assert_eq!(parse_authorization("Basic abc"), None);
    assert_eq!(parse_authorization("DPoP"), None);
    assert_eq!(parse_authorization("DPoP a b"), None);
}

#[test]
fn a_proxy_builds_the_request_uri_from_its_pseudo_headers() {
    let fixture = Fixture::new();
    let proof = fixture.proof();
    let proofs = [proof.as_str()];
    let policy = DpopPolicy::default();
    for url in [
        htu::from_parts("https", "api.example.com", "/v1/items?page=1").unwrap(),
        htu::from_base("https://api.example.com", "/v1/items").unwrap(),
    ] {
        let request = DpopRequest {
            url: &url,
            ..fixture.request(AuthScheme::Dpop, &proofs)
        };
        check_request(&request, &policy, None).unwrap();
    }
    // Behind a TLS-terminating proxy, :scheme says http: the proof names https.
    let inner = htu::from_parts("http", "api.example.com", "/v1/items").unwrap();
    let request = DpopRequest {
        url: &inner,
        ..fixture.request(AuthScheme::Dpop, &proofs)
    };
    expect_code(
        check_request(&request, &policy, None),
        ErrorCode::DpopInvalidProof,
    );
}

// ------------------------------------------------------------ helpers ----

fn params<'a>(method: &'a str, url: &'a str) -> ProofParams<'a> {
    ProofParams {
        method,
        url,
        access_token: None,
        nonce: None,
        alg: None,
        iat: NOW,
    }
}

fn expect() -> ProofExpectations<'static> {
    ProofExpectations {
        method: "GET",
        url: URL,
        access_token: None,
        jkt: None,
        nonces: &[],
        now: NOW,
    }
}

fn check(proof: &str, expect: &ProofExpectations<'_>) -> jwt_edge::Result<VerifiedProof> {
    verify_and_report(proof, expect, &DpopPolicy::default())
}

/// Verifies a proof, and holds the report of the same proof to the same
/// verdict: every check listed once, in order; valid exactly when
/// verification passes; a failed verification's very error among the
/// report's failures. Every proof of these tests goes through here.
fn verify_and_report(
    proof: &str,
    expect: &ProofExpectations<'_>,
    policy: &DpopPolicy,
) -> jwt_edge::Result<VerifiedProof> {
    let result = dpop::verify_proof(proof, expect, policy);
    let report = dpop::report(proof, expect, policy);
    let listed: Vec<ProofCheck> = report.checks.iter().map(|c| c.check).collect();
    assert_eq!(listed, ProofCheck::ALL, "every check, once, in order");
    match &result {
        Ok(_) => assert!(report.is_valid(), "verified, yet the report: {report:#?}"),
        Err(error) => {
            assert!(
                !report.is_valid(),
                "refused ({error}), yet the report is valid"
            );
            assert!(
                report.failures().any(|failure| failure == error),
                "refused with {error}; the report's failures: {:?}",
                report.failures().collect::<Vec<_>>()
            );
        }
    }
    result
}

fn claims(method: &str, url: &str) -> Value {
    json!({ "jti": "id-1", "htm": method, "htu": url, "iat": NOW })
}

/// A proof header for `key`'s public half, as an honest client writes it.
fn header_for(key: &Key, alg: &str) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("alg".into(), json!(alg));
    header.insert("jwk".into(), Jwk::new(key.to_public().unwrap()).to_value());
    header
}

/// Signs an arbitrary header and payload: how an attacker crafts proofs no
/// honest client would make.
fn sign_raw(key: &Key, alg: Algorithm, header: &Map<String, Value>, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        base64_url(Value::Object(header.clone()).to_string().as_bytes()),
        base64_url(payload.to_string().as_bytes())
    );
    let signature = RustCrypto.sign(alg, key, input.as_bytes()).unwrap();
    format!("{input}.{}", base64_url(&signature))
}

fn base64_url(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

fn sha256_b64url(text: &str) -> String {
    // Independent of the core's ath: the openssl CLI computes the digest.
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    base64_url(&out.stdout)
}
