//! The Envoy filter's request path, through its pure-Rust entry points: a
//! fixed configuration with a local and a remote provider, a fuzzer-chosen
//! JWKS response for the remote one, and a fuzzer-chosen request (method,
//! path, Authorization header, cookie, and a token either raw or signed by
//! a fixture key over fuzzer-chosen claims), with a second token in the
//! query, the cookie, a repeated header or a DPoP header as the mode byte
//! says. Every
//! request must be decided (allow, deny with a 401/403, or wait), never
//! panic; a rewritten `:path` keeps the path and drops only whole query
//! segments, so Envoy accepts whatever it accepted before.
#![no_main]

use std::rc::Rc;

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_edge::crypto::{CryptoProvider, RustCrypto};
use jwt_edge::filter::cache::TokenCache;
use jwt_edge::filter::config::Config;
use jwt_edge::filter::pipeline::{decide, Env, Outcome, Trace};
use jwt_edge::filter::remote::{decode_jwks, encode_jwks, RemoteKeys};
use jwt_edge::filter::request::Request;
use jwt_edge::{Algorithm, JwkSet};
use jwt_edge_fuzz::{private_key, split, verification_keys, NOW};
use libfuzzer_sys::fuzz_target;

struct Headers(Vec<(&'static str, String)>);

impl Request for Headers {
    fn header(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    fn header_values(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// True if `rewritten` is `original` with whole query segments removed:
/// the same path, and its bytes a subsequence of the original's.
fn only_segments_removed(original: &str, rewritten: &str) -> bool {
    let path = |p: &str| p.split(['?', '#']).next().unwrap_or("").to_string();
    let mut bytes = original.bytes();
    path(original) == path(rewritten) && rewritten.bytes().all(|b| bytes.any(|o| o == b))
}

fn config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        let jwks = verification_keys().to_value().to_string();
        let text = serde_json::json!({
            "providers": {
                "local": {
                    "issuer": "https://idp.example",
                    "audiences": ["api"],
                    "local_jwks": { "inline_string": jwks },
                    "from_headers": [{ "name": "authorization", "value_prefix": "Bearer " }],
                    "from_params": ["access_token"],
                    "from_cookies": ["session"],
                    "forward": false,
                    "forward_payload_header": "x-jwt-payload",
                    "claim_to_headers": [
                        { "header_name": "x-user", "claim_name": "sub" },
                        { "header_name": "x-roles", "claim_name": "realm.roles" }
                    ],
                    "clock_skew_seconds": 60,
                    "max_lifetime_seconds": 3600,
                    "jwt_cache_config": { "jwt_cache_size": 8 },
                    "dpop": { "mode": "optional", "nonce": true }
                },
                "remote": {
                    "remote_jwks": { "cluster": "jwks", "uri": "http://jwks.test/keys", "timeout_ms": 100 }
                }
            },
            "rules": [
                { "match": { "prefix": "/health" } },
                { "match": { "prefix": "/admin", "methods": ["POST"] },
                  "requires": { "provider_name": "local" },
                  "scopes": ["admin"], "claims": { "tier": ["gold", "silver"], "realm.roles": ["ops"] } },
                { "match": { "path": "/any" }, "requires": { "requires_any": [
                    { "provider_name": "local" }, { "provider_name": "remote" } ] } },
                { "match": { "path": "/all" }, "requires": { "requires_all": [
                    { "provider_name": "local" }, { "provider_name": "remote" } ] } },
                { "match": { "path": "/optional" }, "requires": { "allow_missing_or_failed": {} } },
                { "match": { "prefix": "/" }, "requires": { "provider_name": "remote" } }
            ]
        })
        .to_string();
        Config::parse(&text).expect("the fixture configuration")
    })
}

/// A token over fuzzer-chosen header and claims, signed by the fixture key
/// for the header's `alg` (so the pipeline gets past the signature).
fn signed(header: &[u8], claims: &[u8]) -> Option<String> {
    let alg = serde_json::from_slice::<serde_json::Value>(header)
        .ok()?
        .get("alg")?
        .as_str()
        .and_then(|alg| Algorithm::from_name(alg).ok())?;
    let kid = match alg.key_family() {
        jwt_edge::KeyFamily::Rsa => "rsa",
        jwt_edge::KeyFamily::P256 => "p256",
        jwt_edge::KeyFamily::P384 => "p384",
        jwt_edge::KeyFamily::Ed25519 => "ed25519",
        _ => "hmac",
    };
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header),
        Base64UrlUnpadded::encode_string(claims)
    );
    let signature = RustCrypto
        .sign(alg, private_key(kid).key(), input.as_bytes())
        .ok()?;
    Some(format!(
        "{input}.{}",
        Base64UrlUnpadded::encode_string(&signature)
    ))
}

fuzz_target!(|data: &[u8]| {
    let [mode, method, path, authorization, cookie, header, claims, jwks] = split::<8>(data);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let token = match mode.first().copied().unwrap_or(0) % 3 {
        0 => text(authorization),
        1 => signed(header, claims).unwrap_or_else(|| text(authorization)),
        _ => format!("Bearer {}", signed(header, claims).unwrap_or_default()),
    };
    // A second token: the same one, or a fuzzer-signed one, in the query,
    // the cookie or a second Authorization header.
    let flags = mode.get(1).copied().unwrap_or(0);
    let second = if flags & 1 == 0 {
        token.trim_start_matches("Bearer ").to_string()
    } else {
        signed(claims, header).unwrap_or_else(|| text(cookie))
    };
    let mut path = text(path);
    if flags & 2 != 0 {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str("access_token=");
        path.push_str(&second);
    }
    let mut cookie = text(cookie);
    if flags & 4 != 0 {
        cookie.push_str("; session=");
        cookie.push_str(&second);
    }
    let mut headers = vec![
        (":method", text(method)),
        (":path", path.clone()),
        ("authorization", token),
        ("cookie", cookie),
    ];
    if flags & 8 != 0 {
        headers.push(("cookie", format!("session={second}")));
    }
    if flags & 16 != 0 {
        // A DPoP proof: the fuzzer-signed JWS (or text) as the proof.
        headers.push((":scheme", "https".to_string()));
        headers.push((":authority", text(method)));
        headers.push(("dpop", second.clone()));
    }
    let request = Headers(headers);
    // The remote provider's keys: a JWKS response as fetched, stored in
    // shared data, read back and parsed as the glue does.
    let stored = encode_jwks(NOW as u64 * 1000, 1, &text(jwks));
    let remote_keys =
        decode_jwks(stored.as_bytes()).and_then(|(fetched_at_ms, generation, body)| {
            JwkSet::from_json(body).ok().map(|set| {
                Rc::new(RemoteKeys {
                    set,
                    fetched_at_ms,
                    generation,
                })
            })
        });
    let config = config();
    let remote: Vec<Option<Rc<RemoteKeys>>> = config
        .providers
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 1 { remote_keys.clone() } else { None })
        .collect();
    let refetch = |_: usize| mode.len() > 1;
    let mut caches: Vec<TokenCache> = config
        .providers
        .iter()
        .map(|p| TokenCache::new(p.cache_size))
        .collect();
    let nonces = vec!["n-1".to_string()];
    let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let remember = |key: &str, _expires: i64| seen.borrow_mut().insert(key.to_string());
    for may_wait in [false, true] {
        let env = Env {
            config,
            remote: &remote,
            crypto: &RustCrypto,
            now: NOW,
            may_wait,
            request_refetch: &refetch,
            dpop_nonces: &nonces,
            remember_proof: &remember,
        };
        // Twice: the second run may be served by the verified-token cache.
        for _ in 0..2 {
            match decide(&env, &mut caches, &request, &mut Trace::default()) {
                Outcome::Deny(denial) => assert!(
                    matches!(denial.status, 401 | 403),
                    "status {}",
                    denial.status
                ),
                Outcome::Allow { set, .. } => {
                    for (name, value) in &set {
                        if *name == ":path" {
                            assert!(only_segments_removed(&path, value), "{path:?} -> {value:?}");
                        }
                    }
                }
                Outcome::Wait(_) => {}
            }
        }
    }
});
