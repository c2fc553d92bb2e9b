//! `make bench`: jwt-edge's core against the `jsonwebtoken` crate (ring, native
//! assembly) measured in the same process, same keys, same claims.
//!
//! For each algorithm and operation: operations per second as the median of
//! several timed batches, and the ratio jwt-edge / jsonwebtoken.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jsonwebtoken as peer;
use jwt_edge::key::generate::{generate, KeySpec};
use jwt_edge::policy::Keys;
use jwt_edge::{sign, verify, Algorithm, Jwk, PemFormat, SignOptions, VerifyPolicy};
use serde_json::json;

const BATCHES: usize = 9;
const BATCH_TIME: Duration = Duration::from_millis(150);

fn main() {
    let now = jwt_edge::now_unix();
    let claims = json!({ "iss": "https://idp.example", "sub": "alice", "aud": "api",
                         "iat": now, "exp": now + 3600, "scope": "read write" });
    let claims_map = claims.as_object().cloned().unwrap_or_default();
    println!("| algorithm | operation | jwt-edge ops/s | jsonwebtoken ops/s | ratio |");
    println!("|---|---|---:|---:|---:|");
    for (alg, peer_alg) in [
        (Algorithm::Rs256, peer::Algorithm::RS256),
        (Algorithm::Ps256, peer::Algorithm::PS256),
        (Algorithm::Es256, peer::Algorithm::ES256),
        (Algorithm::Es384, peer::Algorithm::ES384),
        (Algorithm::EdDsa, peer::Algorithm::EdDSA),
        (Algorithm::Hs256, peer::Algorithm::HS256),
    ] {
        let private =
            Jwk::new(generate(KeySpec::for_algorithm(alg, None).expect("spec")).expect("key"));
        let (peer_encoding, peer_decoding) = peer_keys(&private, alg);
        let verifier = if alg.is_symmetric() {
            private.clone()
        } else {
            private.to_public().expect("public")
        };
        let mut policy = VerifyPolicy::new(&[alg]).expect("policy");
        policy.audience = vec!["api".into()];
        let mut validation = peer::Validation::new(peer_alg);
        validation.set_audience(&["api"]);
        let options = SignOptions {
            alg: Some(alg),
            ..SignOptions::default()
        };
        let token = sign(&claims_map, private.key(), &options).expect("sign");
        // Both libraries must accept each other's tokens before being timed.
        peer::decode::<serde_json::Value>(&token, &peer_decoding, &validation)
            .expect("peer verifies ours");
        let header = peer::Header::new(peer_alg);
        let peer_token = peer::encode(&header, &claims, &peer_encoding).expect("peer signs");
        verify(&peer_token, Keys::Single(&verifier), &policy, now).expect("we verify the peer's");

        let ours = median_ops(|| {
            black_box(verify(black_box(&token), Keys::Single(&verifier), &policy, now).is_ok());
        });
        let theirs = median_ops(|| {
            black_box(
                peer::decode::<serde_json::Value>(black_box(&token), &peer_decoding, &validation)
                    .is_ok(),
            );
        });
        row(alg, "verify", ours, theirs);
        let ours = median_ops(|| {
            black_box(sign(black_box(&claims_map), private.key(), &options).is_ok());
        });
        let theirs = median_ops(|| {
            black_box(peer::encode(&header, black_box(&claims), &peer_encoding).is_ok());
        });
        row(alg, "sign", ours, theirs);
    }
}

fn peer_keys(private: &Jwk, alg: Algorithm) -> (peer::EncodingKey, peer::DecodingKey) {
    let key = private.key();
    if alg.is_symmetric() {
        let jwt_edge::Key::Secret(secret) = key else {
            unreachable!("HMAC keys are secrets")
        };
        return (
            peer::EncodingKey::from_secret(secret),
            peer::DecodingKey::from_secret(secret),
        );
    }
    let private_pem = key.to_pem(Some(PemFormat::Pkcs8)).expect("pkcs8");
    let public_pem = key.to_pem(Some(PemFormat::Spki)).expect("spki");
    match alg.key_family() {
        jwt_edge::KeyFamily::Rsa => (
            peer::EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("peer rsa"),
            peer::DecodingKey::from_rsa_pem(public_pem.as_bytes()).expect("peer rsa"),
        ),
        jwt_edge::KeyFamily::Ed25519 => (
            peer::EncodingKey::from_ed_pem(private_pem.as_bytes()).expect("peer ed"),
            peer::DecodingKey::from_ed_pem(public_pem.as_bytes()).expect("peer ed"),
        ),
        _ => (
            peer::EncodingKey::from_ec_pem(private_pem.as_bytes()).expect("peer ec"),
            peer::DecodingKey::from_ec_pem(public_pem.as_bytes()).expect("peer ec"),
        ),
    }
}

/// Median operations per second over `BATCHES` batches of about `BATCH_TIME`.
fn median_ops(mut op: impl FnMut()) -> f64 {
    // Calibrate the batch size on a warm-up run.
    let start = Instant::now();
    let mut calibration = 0u64;
    while start.elapsed() < BATCH_TIME / 3 {
        op();
        calibration += 1;
    }
    let per_batch = (calibration * 3).max(1);
    let mut rates: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                op();
            }
            per_batch as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[BATCHES / 2]
}

fn row(alg: Algorithm, operation: &str, ours: f64, theirs: f64) {
    println!(
        "| {alg} | {operation} | {ours:.0} | {theirs:.0} | {:.2} |",
        ours / theirs
    );
}
