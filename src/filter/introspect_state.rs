//! The introspection cache every worker shares through proxy-wasm shared
//! data, with its single-flight and stale-if-error rules. Pure (the glue
//! only reads and compare-and-swaps the shards), testable natively.
//!
//! Entries are found by the SHA-256 of the provider, its endpoint and the
//! token, never by the token itself. Shared data has no deletion, so each
//! provider has a fixed set of [`SHARDS`] keys created at configuration;
//! a shard is a JSON object of entries bounded to its share of
//! `cache.max_entries`, and every write drops the entries nobody can use.
//!
//! An entry records the last call (its `flight` number) and its answer or
//! failure. A request finding a call on its way waits for that flight and
//! is then given its answer even when the answer may not be cached (no
//! `exp`, inactive without a negative cache): that is one call shared, not
//! a cache. Everyone else reuses an answer only while it is fresh.

use std::collections::BTreeMap;
use std::string::String;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::introspection::{cache_seconds, CachePolicy, Introspection};

/// Shards per provider.
pub const SHARDS: usize = 128;
/// How long a failed call is remembered: requests in that time are
/// answered "unavailable" at once instead of calling again.
pub const FAILURE_HOLD_MS: u64 = 1000;
/// A call on its way is given up (and may be made again) this long after
/// its timeout.
pub const PENDING_MARGIN_MS: u64 = 500;

/// The entry digest: SHA-256 of provider name, endpoint and token (hex).
pub fn digest(provider: &str, uri: &str, token: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [provider, uri, token] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| std::format!("{b:02x}"))
        .collect()
}

/// The shared-data key of the shard holding `digest` for `provider`.
pub fn shard_key(provider: &str, digest: &str) -> String {
    let shard = usize::from_str_radix(digest.get(..4).unwrap_or("0"), 16).unwrap_or(0) % SHARDS;
    std::format!("jwt_edge.introspection.{provider}.{shard}")
}

/// Every shard key of a provider, to create them at configuration.
pub fn all_shard_keys(provider: &str) -> impl Iterator<Item = String> + '_ {
    (0..SHARDS).map(move |shard| std::format!("jwt_edge.introspection.{provider}.{shard}"))
}

/// One token's record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The last answer: `Some(claims)` active, `None` inactive; absent
    /// (`answer: false`) when no call has answered yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
    /// There is an answer (active or not).
    #[serde(default)]
    pub answer: bool,
    /// The answer may be reused by anyone until then (ms; 0: never).
    #[serde(default)]
    pub fresh_until: u64,
    /// The last call made; `done` is the last one finished.
    #[serde(default)]
    pub flight: u64,
    /// The last call finished (answered or failed).
    #[serde(default)]
    pub done: u64,
    /// A call is on its way until then (ms).
    #[serde(default)]
    pub pending_until: u64,
    /// The last call finished failed.
    #[serde(default)]
    pub failed: bool,
    /// The last call failed; until then (ms) no new call is made.
    #[serde(default)]
    pub failed_until: u64,
    /// A cached active answer may serve until then (ms) while the server
    /// fails (`stale_if_error_seconds`, counted from the first failure).
    #[serde(default)]
    pub stale_until: u64,
}

/// A shard: digest -> entry.
pub type Shard = BTreeMap<String, Entry>;

/// Reads a shard (anything unreadable is an empty one: the cache only
/// ever costs a call, never a wrong answer).
pub fn decode(bytes: Option<&[u8]>) -> Shard {
    bytes
        .filter(|b| !b.is_empty())
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default()
}

/// Writes a shard.
pub fn encode(shard: &Shard) -> String {
    serde_json::to_string(shard).unwrap_or_default()
}

/// What a request may do with a token's entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Use this answer.
    Use(Introspection),
    /// Wait for this call.
    Wait(u64),
    /// Make a call.
    Call,
    /// The server failed just now and nothing may stand in: unavailable.
    Unavailable,
}

fn answer_of(entry: &Entry) -> Option<Introspection> {
    entry.answer.then(|| match &entry.claims {
        Some(claims) => Introspection::Active(claims.clone()),
        None => Introspection::Inactive,
    })
}

/// A cached active answer that may serve while the server fails: it was
/// cacheable, the stale window is open and its `exp` has not passed.
fn stale(entry: &Entry, now_ms: u64) -> Option<Introspection> {
    let claims = entry.claims.as_ref()?;
    if entry.stale_until <= now_ms {
        return None;
    }
    let now = (now_ms / 1000) as f64;
    match claims.get("exp").map(Value::as_f64) {
        Some(Some(exp)) if exp > now => {}
        Some(_) => return None,
        None => {}
    }
    Some(Introspection::Active(claims.clone()))
}

/// What a request does with `entry` at `now_ms`; `waited` is the call it
/// waited for, if it did.
pub fn lookup(entry: Option<&Entry>, now_ms: u64, waited: Option<u64>) -> Lookup {
    let Some(entry) = entry else {
        return Lookup::Call;
    };
    if let Some(flight) = waited {
        if entry.done >= flight {
            // The call waited for (or a later one) finished: its answer,
            // cacheable or not; or, if it failed, a stale stand-in.
            if entry.failed {
                return stale(entry, now_ms).map_or(Lookup::Unavailable, Lookup::Use);
            }
            return answer_of(entry).map_or(Lookup::Unavailable, Lookup::Use);
        }
    }
    if entry.answer && entry.fresh_until > now_ms {
        if let Some(answer) = answer_of(entry) {
            return Lookup::Use(answer);
        }
    }
    if entry.pending_until > now_ms {
        return stale(entry, now_ms).map_or(Lookup::Wait(entry.flight), Lookup::Use);
    }
    if entry.failed_until > now_ms {
        return stale(entry, now_ms).map_or(Lookup::Unavailable, Lookup::Use);
    }
    Lookup::Call
}

/// Starts a call for `digest` at `now_ms`: the entry's new flight number.
/// The shard is pruned and bounded to `capacity` first.
pub fn begin(
    shard: &mut Shard,
    digest: &str,
    now_ms: u64,
    timeout_ms: u64,
    capacity: usize,
) -> u64 {
    prune(shard, now_ms, capacity, digest);
    let entry = shard.entry(digest.into()).or_default();
    entry.flight = entry.flight.max(entry.done) + 1;
    entry.pending_until = now_ms + timeout_ms + PENDING_MARGIN_MS;
    entry.flight
}

/// Records call `flight`'s answer (`Ok`) or failure (`Err`).
// The provider's settings are passed one by one so that this stays free
// of the configuration types and testable with plain values.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    shard: &mut Shard,
    digest: &str,
    flight: u64,
    result: Result<&Introspection, ()>,
    policy: &CachePolicy,
    stale_if_error_seconds: u64,
    now_ms: u64,
    capacity: usize,
) {
    prune(shard, now_ms, capacity, digest);
    let entry = shard.entry(digest.into()).or_default();
    if entry.done >= flight {
        return; // a later call already finished
    }
    entry.done = flight;
    if entry.flight == flight {
        entry.pending_until = 0;
    }
    match result {
        Ok(answer) => {
            let seconds = cache_seconds(
                answer,
                policy,
                i64::try_from(now_ms / 1000).unwrap_or(i64::MAX),
            );
            entry.answer = true;
            entry.claims = match answer {
                Introspection::Active(claims) => Some(claims.clone()),
                Introspection::Inactive => None,
            };
            entry.fresh_until = if seconds == 0 {
                0
            } else {
                now_ms + seconds.saturating_mul(1000)
            };
            entry.failed = false;
            entry.failed_until = 0;
            entry.stale_until = 0;
        }
        Err(()) => {
            entry.failed = true;
            entry.failed_until = now_ms + FAILURE_HOLD_MS;
            // Only an answer that was cached may stand in, and only from the
            // first failure on.
            let cached_active = entry.claims.is_some() && entry.fresh_until > 0;
            if stale_if_error_seconds > 0 && cached_active && entry.stale_until == 0 {
                entry.stale_until = now_ms + stale_if_error_seconds.saturating_mul(1000);
            }
        }
    }
}

/// Drops the entries nobody can use any more, then the oldest ones while
/// the shard holds `capacity` or more (keeping `keep`).
fn prune(shard: &mut Shard, now_ms: u64, capacity: usize, keep: &str) {
    shard.retain(|digest, entry| {
        digest == keep
            || entry.fresh_until > now_ms
            || entry.pending_until > now_ms
            || entry.failed_until > now_ms
            || entry.stale_until > now_ms
    });
    let capacity = capacity.max(1);
    while shard.len() >= capacity && !shard.contains_key(keep) || shard.len() > capacity {
        let oldest = shard
            .iter()
            .filter(|(digest, _)| digest.as_str() != keep)
            .min_by_key(|(_, entry)| entry.fresh_until.max(entry.pending_until))
            .map(|(digest, _)| digest.clone());
        match oldest {
            Some(digest) => {
                shard.remove(&digest);
            }
            None => break,
        }
    }
}
