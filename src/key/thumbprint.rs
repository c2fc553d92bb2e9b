//! RFC 7638 JWK thumbprints.

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Map;
use sha2::{Digest, Sha256};

use super::jwk::key_members;
use super::Key;
use crate::alg::KeyFamily;
use crate::b64;

/// The RFC 7638 SHA-256 thumbprint of a key's public part, base64url.
///
/// Only the required members enter the hash (`e kty n` for RSA, `crv kty x y`
/// for EC, `crv kty x` for OKP, `k kty` for oct), in lexicographic order and
/// without whitespace, so a private key and its public key share a thumbprint.
pub fn sha256_thumbprint(key: &Key) -> String {
    let required: &[&str] = match key.family() {
        KeyFamily::Rsa => &["e", "kty", "n"],
        KeyFamily::P256 | KeyFamily::P384 => &["crv", "kty", "x", "y"],
        KeyFamily::Ed25519 => &["crv", "kty", "x"],
        KeyFamily::Secret => &["k", "kty"],
    };
    let mut members = Map::new();
    key_members(key, &mut members);
    // `required` is in lexicographic order already, and its names need no
    // escaping: written member by member (a sorted map would bring a sort
    // into the WebAssembly modules for four names).
    let mut json = Vec::with_capacity(512);
    json.push(b'{');
    for name in required {
        let Some(value) = members.get(*name) else {
            continue;
        };
        if json.len() > 1 {
            json.push(b',');
        }
        json.push(b'"');
        json.extend_from_slice(name.as_bytes());
        json.extend_from_slice(b"\":");
        // Serialising a JSON value cannot fail.
        json.extend_from_slice(&serde_json::to_vec(value).unwrap_or_default());
    }
    json.push(b'}');
    b64::encode_url(&Sha256::digest(&json))
}
