//! The verified-token cache: bounded, and never serving a token at or
//! after its `exp` (nor past the provider's maximum lifetime).
//!
//! Entries are keyed by the token itself: the map hashes it and a hit
//! compares the whole token, so no crafted token can ever be taken for a
//! cached one. (A SHA-256 digest as the key costs several microseconds per
//! request in wasm, more than the rest of a cache hit.) The hash is a fast
//! multiply-rotate one: only tokens that verified are ever inserted, so an
//! attacker cannot flood the map with colliding keys, and it holds at most
//! `jwt_cache_size` entries anyway. Tokens over [`MAX_CACHED_TOKEN_BYTES`]
//! are not cached, which bounds the memory.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::string::String;

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

type TokenMap<V> = HashMap<Rc<str>, V, BuildHasherDefault<TokenHasher>>;

/// What a verified token leaves behind for the rest of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// The base64url payload segment, as received.
    pub payload_segment: String,
}

struct Entry {
    verified: Rc<Verified>,
    valid_until: i64,
}

/// A bounded cache of verified tokens for one provider.
pub struct TokenCache {
    capacity: usize,
    entries: TokenMap<Entry>,
    order: VecDeque<Rc<str>>,
}

impl TokenCache {
    /// A cache of at most `capacity` tokens; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: TokenMap::default(),
            order: VecDeque::new(),
        }
    }

    /// Number of entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The verified `token` if it is still valid at `now` (strictly
    /// before its `valid_until`); an expired entry is dropped.
    pub fn get(&mut self, token: &str, now: i64) -> Option<Rc<Verified>> {
        if self.capacity == 0 {
            return None;
        }
        let entry = self.entries.get(token)?;
        if now < entry.valid_until {
            return Some(Rc::clone(&entry.verified));
        }
        self.entries.remove(token);
        None
    }

    /// Remembers a verified token until `valid_until` (exclusive). Tokens
    /// already at or past it are not stored. When full, the oldest entry goes.
    pub fn insert(&mut self, token: &str, verified: Rc<Verified>, valid_until: i64, now: i64) {
        if self.capacity == 0 || valid_until <= now || token.len() > MAX_CACHED_TOKEN_BYTES {
            return;
        }
        let key: Rc<str> = Rc::from(token);
        if !self.entries.contains_key(token) {
            while self.entries.len() >= self.capacity {
                match self.order.pop_front() {
                    Some(old) => {
                        self.entries.remove(&old);
                    }
                    None => break,
                }
            }
            self.order.push_back(Rc::clone(&key));
        }
        self.entries.insert(
            key,
            Entry {
                verified,
                valid_until,
            },
        );
        if self.order.len() > 2 * self.capacity + 16 {
            // Entries dropped at expiry leave their keys behind: compact.
            let entries = &self.entries;
            let mut seen = std::collections::HashSet::new();
            self.order
                .retain(|key| entries.contains_key(key) && seen.insert(Rc::clone(key)));
        }
    }

    /// Forgets everything (the provider's keys changed).
    pub fn clear(&mut self) {
        self.entries.clear();
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
        Rc::new(Verified {
            claims: Map::new(),
            payload_segment: std::format!("p{n}"),
        })
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
