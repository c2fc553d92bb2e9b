//! The DPoP state every worker shares through proxy-wasm shared data: the
//! proofs already used (replay records) and the server nonces. The records'
//! formats and rules live here, testable natively; the glue only reads and
//! compare-and-swaps them.
//!
//! Shared data has no deletion and no expiry, so the replay store is a
//! fixed set of [`SHARDS`] keys created at configuration. A proof's replay
//! key (a hash of its key thumbprint and `jti`) picks the shard; a shard
//! holds `expires key` lines, and every write drops the expired ones. A
//! full shard refuses new proofs (fail closed) rather than forget one that
//! could then be replayed: [`SHARDS`] x [`MAX_ENTRIES_PER_SHARD`] proofs
//! may be live within one replay window.

use std::string::{String, ToString};
use std::vec::Vec;

/// Replay-store shards.
pub const SHARDS: usize = 64;
/// Live proofs one shard remembers.
pub const MAX_ENTRIES_PER_SHARD: usize = 1024;
/// How often the server nonce changes; the previous one stays accepted
/// for one more period, so a nonce lives 60 to 120 s.
pub const NONCE_ROTATION_SECONDS: i64 = 60;
/// The shared-data key of the nonce record.
pub const NONCE_KEY: &str = "jwt_edge.dpop.nonces";

/// The shared-data key of the shard that holds `replay_key`.
pub fn shard_key(replay_key: &str) -> String {
    std::format!("jwt_edge.dpop.seen.{}", shard_of(replay_key))
}

/// Every shard key, to create them all at configuration.
pub fn all_shard_keys() -> impl Iterator<Item = String> {
    (0..SHARDS).map(|shard| std::format!("jwt_edge.dpop.seen.{shard}"))
}

fn shard_of(replay_key: &str) -> usize {
    // The key is already a hash: any stable fold spreads it evenly.
    replay_key.bytes().fold(0usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(usize::from(b))
    }) % SHARDS
}

/// What recording a proof in its shard came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// New: write this shard text back (compare-and-swap).
    Added(String),
    /// The key is there and unexpired: a replay.
    Replay,
    /// The shard is full of unexpired proofs.
    Full,
}

/// Records `replay_key` until `expires` in a shard's text (`None`: empty).
pub fn record(shard: Option<&[u8]>, replay_key: &str, expires: i64, now: i64) -> Record {
    let text = shard
        .and_then(|bytes| core::str::from_utf8(bytes).ok())
        .unwrap_or("");
    let mut live: Vec<&str> = Vec::new();
    for line in text.lines() {
        let Some((until, key)) = line.split_once(' ') else {
            continue;
        };
        let Ok(until) = until.parse::<i64>() else {
            continue;
        };
        if until <= now {
            continue;
        }
        if key == replay_key {
            return Record::Replay;
        }
        live.push(line);
    }
    if live.len() >= MAX_ENTRIES_PER_SHARD {
        return Record::Full;
    }
    let mut out = String::with_capacity(text.len() + replay_key.len() + 24);
    for line in live {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&std::format!("{expires} {replay_key}\n"));
    Record::Added(out)
}

/// The server nonces: the current one and the one before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nonces {
    /// When `current` was made (seconds).
    pub made_at: i64,
    /// Handed out in `DPoP-Nonce`.
    pub current: String,
    /// Still accepted for one rotation period.
    pub previous: String,
}

impl Nonces {
    /// Reads the shared record; `None` if absent or unreadable.
    pub fn decode(bytes: Option<&[u8]>) -> Option<Self> {
        let text = core::str::from_utf8(bytes?).ok()?;
        let mut parts = text.split(' ');
        let made_at = parts.next()?.parse().ok()?;
        let current = parts.next()?.to_string();
        let previous = parts.next().unwrap_or("").to_string();
        (!current.is_empty()).then_some(Self {
            made_at,
            current,
            previous,
        })
    }

    /// The shared record's text.
    pub fn encode(&self) -> String {
        std::format!("{} {} {}", self.made_at, self.current, self.previous)
    }

    /// True when a new nonce is due.
    pub fn due(&self, now: i64) -> bool {
        self.current.is_empty() || now >= self.made_at.saturating_add(NONCE_ROTATION_SECONDS)
    }

    /// The record after rotating in `fresh`.
    pub fn rotated(&self, fresh: String, now: i64) -> Self {
        Self {
            made_at: now,
            previous: self.current.clone(),
            current: fresh,
        }
    }

    /// The nonces a proof may carry, the current one first.
    pub fn accepted(&self) -> Vec<String> {
        [&self.current, &self.previous]
            .into_iter()
            .filter(|nonce| !nonce.is_empty())
            .cloned()
            .collect()
    }
}
