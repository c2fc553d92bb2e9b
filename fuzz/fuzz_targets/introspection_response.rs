//! The introspection answer parser (RFC 7662 JSON and RFC 9701 JWT): any
//! status and body an authorization server (or something pretending to be
//! one) sends must give an answer or an error with a stable code, never a
//! panic. A JSON answer that is accepted must also give a cache lifetime.
#![no_main]

use jwt_edge::crypto::RustCrypto;
use jwt_edge::introspection::{
    cache_seconds, parse_jwt_response, parse_response, CachePolicy, Expectations,
    JwtAnswerCheck,
};
use jwt_edge_fuzz::{verification_keys, NOW};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((selector, rest)) => (
            match selector % 4 {
                0 => Some("200"),
                1 => Some("204"),
                2 => Some("500"),
                _ => None,
            },
            rest,
        ),
        None => (Some("200"), data),
    };
    let expect = Expectations {
        issuer: vec!["https://issuer.test".into()],
        audiences: vec!["api://default".into()],
        clock_tolerance: 60,
    };
    for expect in [&expect, &Expectations::default()] {
        if let Ok(answer) = parse_response(status, body, expect, NOW) {
            let policy = CachePolicy {
                max_seconds: 300,
                cache_without_exp: true,
                negative_seconds: 5,
            };
            let _ = cache_seconds(&answer, &policy, NOW);
        }
    }
    let check = JwtAnswerCheck {
        keys: verification_keys(),
        issuer: "https://issuer.test",
        client_id: "inspector",
    };
    let _ = parse_jwt_response(&RustCrypto, status, body, &check, &expect, NOW);
});
