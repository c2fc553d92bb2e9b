//! The verified-token cache: bounded, and never serving a token at or
//! after its `exp` (nor past the provider's maximum lifetime).
//!
//! Entries are found by a hash of the token and then compared with the
//! whole token, so no crafted token can ever be taken for a cached one. (A
//! SHA-256 digest as the key costs several microseconds per request in
//! wasm, more than the rest of a cache hit.) The hash is a fast
//! multiply-rotate one: only tokens that verified are ever inserted, so an
//! attacker cannot flood the map with colliding keys, and it holds at most
//! `jwt_cache_size` entries anyway. The comparison reads the tokens eight
//! bytes at a time without stopping at the first difference (wasm has no
//! `memcmp`: the library one goes byte by byte, the largest part of a hit's
//! own work). Tokens over [`MAX_CACHED_TOKEN_BYTES`] are not cached, which
//! bounds the memory.

use core::cell::OnceCell;
use core::hash::{BuildHasherDefault, Hasher};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

use serde_json::{Map, Value};

/// Longest token the cache keeps.
pub const MAX_CACHED_TOKEN_BYTES: usize = 8 * 1024;

/// A fast word-at-a-time hasher (the Fx hash) for token keys.
#[derive(Default)]
pub struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Bytes of the token the hash reads: its last ones, in the signature.
const HASHED_TAIL_BYTES: usize = 64;

/// The map key: a hash of the token's length and last
/// [`HASHED_TAIL_BYTES`] bytes. Lookups compare whole tokens, so the hash
/// only spreads them; the tail is the signature, which differs between any
/// two tokens that verified, while their headers and claims share long
/// runs (the same issuer, audience and key). A hash over the whole token
/// is a third of a cache hit's own work in wasm.
fn token_hash(token: &str) -> u64 {
    let bytes = token.as_bytes();
    let mut hasher = TokenHasher::default();
    hasher.write_usize(bytes.len());
    hasher.write(&bytes[bytes.len().saturating_sub(HASHED_TAIL_BYTES)..]);
    hasher.finish()
}

/// `a == b`, eight bytes at a time, over the whole length.
fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |chunk: &[u8]| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        u64::from_le_bytes(word)
    };
    let (mut left, mut right) = (a.chunks_exact(8), b.chunks_exact(8));
    let mut difference = 0u64;
    for (x, y) in (&mut left).zip(&mut right) {
        difference |= word(x) ^ word(y);
    }
    for (x, y) in left.remainder().iter().zip(right.remainder()) {
        difference |= u64::from(x ^ y);
    }
    difference == 0
}

/// Keys are already hashes: used as they are.
#[derive(Default)]
struct HashKey(u64);

impl Hasher for HashKey {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Entries by token hash; a bucket holds the (rare) tokens sharing one.
type TokenMap = HashMap<u64, Vec<Entry>, BuildHasherDefault<HashKey>>;

/// What a verified token leaves behind for the rest of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// The base64url payload segment, as received.
    pub payload_segment: String,
    /// The `claim_to_headers` values of the provider that verified it,
    /// worked out on first use: the claims never change, so a cache hit
    /// reuses them instead of looking the claims up again.
    pub claim_headers: OnceCell<ClaimHeaders>,
}

/// A provider's claim header values for one token.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimHeaders {
    /// The provider (index) whose `claim_to_headers` these follow.
    pub provider: usize,
    /// (position in `claim_to_headers`, header value), for the claims
    /// the token has with a value a header can carry.
    pub values: Vec<(usize, String)>,
}

impl Verified {
    /// A token's claims and payload segment; claim headers not worked out yet.
    pub fn new(claims: Map<String, Value>, payload_segment: String) -> Self {
        Self {
            claims,
            payload_segment,
            claim_headers: OnceCell::new(),
        }
    }
}

struct Entry {
    token: Rc<str>,
    verified: Rc<Verified>,
    valid_until: i64,
}

/// A bounded cache of verified tokens for one provider.
pub struct TokenCache {
    capacity: usize,
    entries: TokenMap,
    /// Entries held (over all buckets).
    count: usize,
    order: VecDeque<Rc<str>>,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: TokenMap::default(),
            count: 0,
            order: VecDeque::new(),
        }
    }

    /// Number of entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing is cached.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The verified `token` if it is still valid at `now` (strictly
    /// before its `valid_until`); an expired entry is dropped.
    pub fn get(&mut self, token: &str, now: i64) -> Option<Rc<Verified>> {
        if self.capacity == 0 {
            return None;
        }
        let hash = token_hash(token);
        let bucket = self.entries.get_mut(&hash)?;
        let position = bucket
            .iter()
            .position(|entry| same_token(&entry.token, token))?;
        let entry = bucket.get(position)?;
        if now < entry.valid_until {
            return Some(Rc::clone(&entry.verified));
        }
        self.remove(hash, token);
        None
    }

    fn contains(&self, token: &str) -> bool {
        self.entries
            .get(&token_hash(token))
            .is_some_and(|bucket| bucket.iter().any(|entry| same_token(&entry.token, token)))
    }

    fn remove(&mut self, hash: u64, token: &str) {
        let Some(bucket) = self.entries.get_mut(&hash) else {
            return;
        };
        if let Some(position) = bucket
            .iter()
            .position(|entry| same_token(&entry.token, token))
        {
            bucket.swap_remove(position);
            self.count = self.count.saturating_sub(1);
        }
        if bucket.is_empty() {
            self.entries.remove(&hash);
        }
    }

    /// Remembers a verified token until `valid_until` (exclusive). Tokens
    /// already at or past it are not stored. When full, the oldest entry goes.
    pub fn insert(&mut self, token: &str, verified: Rc<Verified>, valid_until: i64, now: i64) {
        if self.capacity == 0 || valid_until <= now || token.len() > MAX_CACHED_TOKEN_BYTES {
            return;
        }
        let hash = token_hash(token);
        if let Some(entry) = self.entries.get_mut(&hash).and_then(|bucket| {
            bucket
                .iter_mut()
                .find(|entry| same_token(&entry.token, token))
        }) {
            entry.verified = verified;
            entry.valid_until = valid_until;
            return;
        }
        while self.count >= self.capacity {
            match self.order.pop_front() {
                Some(old) => self.remove(token_hash(&old), &old),
                None => break,
            }
        }
        let key: Rc<str> = Rc::from(token);
        self.order.push_back(Rc::clone(&key));
        self.entries.entry(hash).or_default().push(Entry {
            token: key,
            verified,
            valid_until,
        });
        self.count += 1;
        if self.order.len() > 2 * self.capacity + 16 {
            // Entries dropped at expiry leave their keys behind: compact.
            let mut seen = std::collections::HashSet::new();
            let order = core::mem::take(&mut self.order);
            self.order = order
                .into_iter()
                .filter(|key| self.contains(key) && seen.insert(Rc::clone(key)))
                .collect();
        }
    }

    /// Forgets everything (the provider's keys changed).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.count = 0;
        self.order.clear();
    }
}

/// Until when a token verified at `now` may be served from the cache:
/// its `exp`, or earlier if the provider bounds the token's age
/// (`iat + max_age`). `None`: not cacheable (no usable `exp`).
pub fn valid_until(claims: &Map<String, Value>, max_age: Option<u64>) -> Option<i64> {
    let exp = crate::policy::numeric_date(claims, "exp").ok()??;
    if !exp.is_finite() {
        return None;
    }
    // Round down: the entry never outlives the token.
    let mut until = exp.floor() as i64;
    if let Some(max_age) = max_age {
        let iat = crate::policy::numeric_date(claims, "iat").ok()??;
        if !iat.is_finite() {
            return None;
        }
        let age_limit =
            (iat.floor() as i64).saturating_add(i64::try_from(max_age).unwrap_or(i64::MAX));
        until = until.min(age_limit);
    }
    Some(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verified(n: u32) -> Rc<Verified> {
        Rc::new(Verified::new(Map::new(), std::format!("p{n}")))
    }

    #[test]
    fn never_serves_at_or_after_exp() {
        let mut cache = TokenCache::new(4);
        let key = "a.b.c";
        cache.insert(key, verified(1), 100, 50);
        assert!(cache.get(key, 99).is_some());
        assert!(cache.get(key, 100).is_none());
        assert_eq!(cache.len(), 0);
        cache.insert(key, verified(1), 100, 100);
        assert!(cache.get(key, 0).is_none());
        cache.insert(&"x".repeat(MAX_CACHED_TOKEN_BYTES + 1), verified(1), 100, 0);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn bounded_and_disabled() {
        let mut cache = TokenCache::new(2);
        for n in 0..10u32 {
            cache.insert(&std::format!("t{n}"), verified(n), 1000, 0);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("t9", 1).is_some());
        assert!(cache.get("t0", 1).is_none());
        let mut off = TokenCache::new(0);
        off.insert("x", verified(0), 1000, 0);
        assert!(off.get("x", 1).is_none());
        // Expiring entries do not grow the order queue without bound.
        let mut churn = TokenCache::new(2);
        for n in 0..1000i64 {
            let key = std::format!("c{n}");
            churn.insert(&key, verified(0), n + 1, n);
            assert!(churn.get(&key, n + 1).is_none());
        }
        assert!(churn.order.len() <= 2 * 2 + 17);
    }

    #[test]
    fn whole_token_compared() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert!(same_token(token, token));
        assert!(same_token("", ""));
        for at in 0..token.len() {
            let mut other = token.as_bytes().to_vec();
            other[at] ^= 1;
            let other = core::str::from_utf8(&other).unwrap();
            assert!(!same_token(token, other), "difference at {at}");
        }
        assert!(!same_token(token, &token[..token.len() - 1]));
        let mut cache = TokenCache::new(4);
        cache.insert(token, verified(1), 100, 0);
        assert!(cache.get(token, 1).is_some());
        assert!(cache.get(&token[1..], 1).is_none());
        assert!(cache.get(&std::format!("{token}A"), 1).is_none());
        // Two tokens in one bucket (a collision) stay apart.
        let hash = token_hash(token);
        cache.entries.get_mut(&hash).unwrap().push(Entry {
            token: Rc::from("other"),
            verified: verified(2),
            valid_until: 100,
        });
        cache.count += 1;
        assert_eq!(cache.get(token, 1).unwrap().payload_segment, "p1");
        assert!(cache.get("other", 1).is_none()); // hashed elsewhere
        cache.remove(hash, "other");
        assert_eq!(cache.len(), 1);
        assert!(cache.get(token, 100).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn valid_until_uses_exp_and_max_age() {
        let claims = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(valid_until(&claims(json!({"exp": 100.9})), None), Some(100));
        assert_eq!(
            valid_until(&claims(json!({"exp": 100, "iat": 10})), Some(30)),
            Some(40)
        );
        assert_eq!(valid_until(&claims(json!({"exp": 100})), Some(30)), None);
        assert_eq!(valid_until(&claims(json!({"sub": "x"})), None), None);
        assert_eq!(valid_until(&claims(json!({"exp": "100"})), None), None);
    }
}
