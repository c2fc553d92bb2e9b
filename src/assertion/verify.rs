//! Checking incoming assertions as a token endpoint or a trusted-issuer
//! check does (RFC 7523 section 3).

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{bail, ClaimReason, Error, Result};
use crate::policy::{numeric_date, verify_with, Keys, VerifiedJwt, VerifyPolicy};

/// What an incoming assertion must satisfy on top of the signature policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionPolicy {
    /// The signature and claim policy. Its `audience` must name this
    /// authorization server (section 3, item 3); `iss`, `sub`, `aud` and
    /// `exp` are required whatever it says.
    pub verify: VerifyPolicy,
    /// The longest accepted lifetime, `exp - iat` (or `exp - now` without
    /// `iat`), in seconds.
    pub max_lifetime: u64,
    /// Reject assertions without `jti` (needed for replay detection).
    pub require_jti: bool,
}

impl AssertionPolicy {
    /// A policy over `verify` with a one-hour maximum lifetime and `jti`
    /// required.
    pub fn new(verify: VerifyPolicy) -> Self {
        Self {
            verify,
            max_lifetime: 3600,
            require_jti: true,
        }
    }
}

/// Remembers `jti` values until their assertions expire, to refuse replays.
pub trait ReplayCache {
    /// Records `jti` (valid until `exp`) and returns true if it had not been
    /// seen; returns false for a replay.
    fn remember(&mut self, jti: &str, exp: i64, now: i64) -> bool;
}

/// An in-memory [`ReplayCache`] bounded to `capacity` live entries. When it
/// is full of unexpired entries it refuses new ones (fails closed) rather
/// than forgetting one that could then be replayed.
#[derive(Debug, Clone, Default)]
pub struct MemoryReplayCache {
    seen: BTreeMap<String, i64>,
    capacity: usize,
}

impl MemoryReplayCache {
    /// A cache holding at most `capacity` unexpired `jti` values.
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: BTreeMap::new(),
            capacity,
        }
    }

    /// The number of remembered `jti` values.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn remember(&mut self, jti: &str, exp: i64, now: i64) -> bool {
        if self.seen.contains_key(jti) {
            return false;
        }
        if self.seen.len() >= self.capacity {
            self.seen.retain(|_, expires| *expires > now);
            if self.seen.len() >= self.capacity {
                return false;
            }
        }
        self.seen.insert(String::from(jti), exp);
        true
    }
}

/// Verifies an incoming RFC 7523 assertion at `now` with the pure-Rust
/// backend, recording its `jti` in `replay` if given.
pub fn verify_assertion(
    token: &str,
    keys: Keys<'_>,
    policy: &AssertionPolicy,
    now: i64,
    replay: Option<&mut dyn ReplayCache>,
) -> Result<VerifiedJwt> {
    verify_assertion_with(&RustCrypto, token, keys, policy, now, replay)
}

/// Verifies an incoming assertion with the given signature backend.
pub fn verify_assertion_with(
    provider: &dyn CryptoProvider,
    token: &str,
    keys: Keys<'_>,
    policy: &AssertionPolicy,
    now: i64,
    replay: Option<&mut dyn ReplayCache>,
) -> Result<VerifiedJwt> {
    if policy.verify.audience.is_empty() {
        bail!(
            InvalidArgument,
            "an assertion verifier must name its own audience (RFC 7523 section 3)"
        );
    }
    let mut verify = policy.verify.clone();
    for claim in ["iss", "sub", "aud", "exp"] {
        if !verify
            .required_claims
            .iter()
            .any(|required| required == claim)
        {
            verify.required_claims.push(claim.into());
        }
    }
    if policy.require_jti && !verify.required_claims.iter().any(|c| c == "jti") {
        verify.required_claims.push("jti".into());
    }
    let verified = verify_with(provider, token, keys, &verify, now)?;
    let payload = &verified.payload;
    let exp = numeric_date(payload, "exp")?.unwrap_or_default();
    let start = numeric_date(payload, "iat")?.unwrap_or(now as f64);
    if exp - start > policy.max_lifetime as f64 {
        return Err(Error::claim(
            "exp",
            ClaimReason::CheckFailed,
            alloc::format!(
                "the assertion is valid for {} s, longer than the {} s allowed",
                crate::json::number_text(exp - start),
                policy.max_lifetime
            ),
        ));
    }
    if let Some(replay) = replay {
        let jti = match payload.get("jti") {
            Some(serde_json::Value::String(jti)) => jti.as_str(),
            Some(_) => {
                return Err(Error::claim(
                    "jti",
                    ClaimReason::Invalid,
                    "\"jti\" claim must be a string",
                ))
            }
            None => {
                return Err(Error::claim(
                    "jti",
                    ClaimReason::Missing,
                    "replay detection needs a \"jti\" claim",
                ))
            }
        };
        // Whole seconds are enough to know when a jti may be forgotten.
        if !replay.remember(jti, exp as i64, now) {
            return Err(Error::claim(
                "jti",
                ClaimReason::CheckFailed,
                "the assertion was already used (jti replay)",
            ));
        }
    }
    Ok(verified)
}
