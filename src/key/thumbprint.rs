//! RFC 7638 JWK thumbprints.

use alloc::collections::BTreeMap;
use alloc::string::String;

use serde_json::{Map, Value};
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
    // A BTreeMap serialises its keys in lexicographic order.
    let canonical: BTreeMap<&str, &Value> = required
        .iter()
        .filter_map(|name| members.get(*name).map(|value| (*name, value)))
        .collect();
    // Serialising a map of strings to JSON values cannot fail.
    let json = serde_json::to_vec(&canonical).unwrap_or_default();
    b64::encode_url(&Sha256::digest(&json))
}
