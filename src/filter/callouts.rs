//! The introspection calls of the proxy-wasm glue: the shared cache lookup
//! a decision reads, starting or joining a call (single flight across
//! workers, by compare-and-swap on the token's shard), reading its answer,
//! and waking the requests that waited for it. Nothing here may panic.

use std::rc::Rc;
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType};

use super::cache::Verified;
use super::config::{Config, IntrospectionConfig};
use super::introspect_state::{self as state, Lookup};
use super::pipeline::Introspected;
use crate::error::{Error, ErrorCode};
use crate::introspection::{
    self, Introspection, JwtAnswerCheck, ResponseFormat, MAX_RESPONSE_BYTES,
};

/// Requests decided again after an introspection wait may wait this many
/// times in all (one request can carry several opaque tokens).
pub const MAX_ROUNDS: u8 = 3;

/// A call on its way from this worker.
pub struct Call {
    pub token_id: u32,
    pub provider: usize,
    pub digest: String,
    pub flight: u64,
}

/// A request waiting for a token's call (made by any worker).
pub struct Waiter {
    pub context_id: u32,
    pub provider: usize,
    pub digest: String,
    pub flight: u64,
    pub deadline_ms: u64,
    pub rounds: u8,
}

/// What a waiter waited for, given to its next decision.
#[derive(Clone)]
pub struct Waited {
    pub provider: usize,
    pub digest: String,
    pub flight: u64,
}

/// Counters of one decision's lookups.
#[derive(Default)]
pub struct LookupCounts {
    pub hits: core::cell::Cell<i64>,
    pub negative_hits: core::cell::Cell<i64>,
    pub misses: core::cell::Cell<i64>,
}

fn shared_get(key: &str) -> (Option<Vec<u8>>, Option<u32>) {
    hostcalls::get_shared_data(key).unwrap_or((None, None))
}

fn spec(config: &Config, provider: usize) -> Option<(&str, &IntrospectionConfig)> {
    let p = config.providers.get(provider)?;
    Some((p.name.as_str(), p.introspection.as_deref()?))
}

/// The cache's answer for a decision.
pub fn lookup(
    config: &Config,
    provider: usize,
    token: &str,
    now_ms: u64,
    waited: Option<&Waited>,
    counts: &LookupCounts,
) -> Introspected {
    let Some((name, spec)) = spec(config, provider) else {
        return Introspected::Unavailable;
    };
    let digest = state::digest(name, &spec.uri, token);
    let shard = state::decode(shared_get(&state::shard_key(name, &digest)).0.as_deref());
    let flight = waited
        .filter(|w| w.provider == provider && w.digest == digest)
        .map(|w| w.flight);
    match state::lookup(shard.get(&digest), now_ms, flight) {
        Lookup::Use(Introspection::Active(claims)) => {
            if flight.is_none() {
                counts.hits.set(counts.hits.get() + 1);
            }
            Introspected::Active(Rc::new(Verified::new(claims, String::new())))
        }
        Lookup::Use(Introspection::Inactive) => {
            if flight.is_none() {
                counts.negative_hits.set(counts.negative_hits.get() + 1);
            }
            Introspected::Inactive
        }
        Lookup::Unavailable => Introspected::Unavailable,
        Lookup::Wait(_) | Lookup::Call => {
            counts.misses.set(counts.misses.get() + 1);
            Introspected::Unknown
        }
    }
}

/// How starting an introspection went.
pub enum Started {
    /// Wait for this flight (ours or another worker's); `Some` call id if
    /// this worker made the call.
    Wait { flight: u64, call: Option<u32> },
    /// The call could not be made: the cause, for the log.
    Failed(String),
}

/// Joins the call on its way for `token`, or makes one.
pub fn start(config: &Config, provider: usize, token: &str, now_ms: u64) -> (String, Started) {
    let Some((name, spec)) = spec(config, provider) else {
        return (
            String::new(),
            Started::Failed("no introspection settings".into()),
        );
    };
    let digest = state::digest(name, &spec.uri, token);
    let key = state::shard_key(name, &digest);
    let capacity = spec.max_entries.div_ceil(state::SHARDS);
    for _ in 0..8 {
        let (bytes, cas) = shared_get(&key);
        if cas.is_none() {
            return (
                digest,
                Started::Failed("the shared cache is missing".into()),
            );
        }
        let mut shard = state::decode(bytes.as_deref());
        match state::lookup(shard.get(&digest), now_ms, None) {
            Lookup::Wait(flight) => return (digest, Started::Wait { flight, call: None }),
            // It changed since the decision: decide again on the next tick.
            Lookup::Use(_) | Lookup::Unavailable => {
                let done = shard.get(&digest).map_or(0, |e| e.done);
                return (
                    digest,
                    Started::Wait {
                        flight: done,
                        call: None,
                    },
                );
            }
            Lookup::Call => {}
        }
        let flight = state::begin(&mut shard, &digest, now_ms, spec.timeout_ms, capacity);
        let text = state::encode(&shard);
        if hostcalls::set_shared_data(&key, Some(text.as_bytes()), cas).is_err() {
            continue; // another worker wrote the shard: look again
        }
        return match dispatch(spec, token, now_ms) {
            Ok(call) => (
                digest,
                Started::Wait {
                    flight,
                    call: Some(call),
                },
            ),
            Err(cause) => {
                finish(config, provider, &digest, flight, Err(()), now_ms);
                (digest, Started::Failed(cause))
            }
        };
    }
    (
        digest,
        Started::Failed("the shared cache keeps changing".into()),
    )
}

fn dispatch(spec: &IntrospectionConfig, token: &str, now_ms: u64) -> Result<u32, String> {
    if crate::key::generate::ensure_os_randomness().is_err() {
        return Err("no randomness for a client assertion".into());
    }
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let request = spec
        .client
        .request(token, now, &mut rand_core::OsRng)
        .map_err(|e| std::format!("cannot build the request: {}: {}", e.code(), e.message()))?;
    let mut headers: Vec<(&str, &str)> = std::vec![
        (":method", "POST"),
        (":path", spec.path.as_str()),
        (":authority", spec.authority.as_str()),
        ("user-agent", "jwt-edge"),
    ];
    headers.extend(request.headers.iter().map(|(n, v)| (*n, v.as_str())));
    hostcalls::dispatch_http_call(
        &spec.cluster,
        headers,
        Some(request.body.as_bytes()),
        Vec::new(),
        Duration::from_millis(spec.timeout_ms),
    )
    .map_err(|status| std::format!("cannot call cluster {:?}: {status:?}", spec.cluster))
}

/// Records a call's end in the token's shard (compare-and-swap).
pub fn finish(
    config: &Config,
    provider: usize,
    digest: &str,
    flight: u64,
    result: Result<&Introspection, ()>,
    now_ms: u64,
) {
    let Some((name, spec)) = spec(config, provider) else {
        return;
    };
    let key = state::shard_key(name, digest);
    let capacity = spec.max_entries.div_ceil(state::SHARDS);
    for _ in 0..8 {
        let (bytes, cas) = shared_get(&key);
        let mut shard = state::decode(bytes.as_deref());
        state::finish(
            &mut shard,
            digest,
            flight,
            result,
            &spec.cache,
            spec.stale_if_error_seconds,
            now_ms,
            capacity,
        );
        if hostcalls::set_shared_data(&key, Some(state::encode(&shard).as_bytes()), cas).is_ok() {
            return;
        }
    }
}

/// Reads a call's answer: the introspection, or the failure (the metric
/// suffix and the log cause).
pub fn read_answer(
    config: &Config,
    provider: usize,
    body_size: usize,
    now_ms: u64,
) -> Result<Introspection, (&'static str, String)> {
    let Some((_, spec)) = spec(config, provider) else {
        return Err(("invalid", "no introspection settings".into()));
    };
    let status = hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status")
        .ok()
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    if status.is_none() {
        return Err((
            "no_answer",
            std::format!(
                "no answer (connection failed, or no answer within timeout_ms = {})",
                spec.timeout_ms
            ),
        ));
    }
    if body_size > MAX_RESPONSE_BYTES {
        let error = Error::new(
            ErrorCode::IntrospectionTooLarge,
            std::format!("the answer is {body_size} bytes, more than {MAX_RESPONSE_BYTES}"),
        );
        return Err(cause(&error));
    }
    let body = hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size)
        .ok()
        .flatten()
        .unwrap_or_default();
    let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    // Issuer and audiences are the pipeline's to check on every use (with
    // their own codes); here only the answer's own validity.
    let expect = introspection::Expectations {
        clock_tolerance: config
            .providers
            .get(provider)
            .map_or(0, |p| p.policy.clock_tolerance),
        ..introspection::Expectations::default()
    };
    let parsed = match (spec.client.format, &spec.jwt_keys) {
        (ResponseFormat::Jwt, Some(keys)) => {
            let issuer = config
                .providers
                .get(provider)
                .and_then(|p| p.policy.issuer.first())
                .map_or("", String::as_str);
            let check = JwtAnswerCheck {
                keys,
                issuer,
                client_id: &spec.client.client_id,
            };
            introspection::parse_jwt_response(
                &crate::crypto::RustCrypto,
                status.as_deref(),
                &body,
                &check,
                &expect,
                now,
            )
        }
        _ => introspection::parse_response(status.as_deref(), &body, &expect, now),
    };
    match parsed {
        Ok(answer) => Ok(answer),
        // Active but already expired or not yet valid: not acceptable now.
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::JwtExpired | ErrorCode::ClaimValidationFailed
            ) =>
        {
            Ok(Introspection::Inactive)
        }
        // Envoy answers a call that outlives its timeout with a 504 of its own.
        Err(e) if status.as_deref() == Some("504") => {
            let (metric, text) = cause(&e);
            Err((
                metric,
                std::format!(
                    "{text} (also Envoy's answer when timeout_ms = {} passes)",
                    spec.timeout_ms
                ),
            ))
        }
        Err(e) => Err(cause(&e)),
    }
}

fn cause(error: &Error) -> (&'static str, String) {
    let metric = match error.code() {
        ErrorCode::IntrospectionUnavailable => "status",
        ErrorCode::IntrospectionTooLarge => "too_large",
        ErrorCode::IntrospectionNotJson => "not_json",
        _ => "invalid",
    };
    (
        metric,
        std::format!("{}: {}", error.code(), error.message()),
    )
}

/// The failure causes, as metric suffixes.
pub const FAILURE_CAUSES: [&str; 6] = [
    "status",
    "too_large",
    "not_json",
    "invalid",
    "no_answer",
    "dispatch",
];

/// True if the waiter's call finished, or its wait is over.
pub fn waiter_ready(config: &Config, waiter: &Waiter, now_ms: u64) -> bool {
    if now_ms >= waiter.deadline_ms {
        return true;
    }
    let Some((name, _)) = spec(config, waiter.provider) else {
        return true;
    };
    let shard = state::decode(
        shared_get(&state::shard_key(name, &waiter.digest))
            .0
            .as_deref(),
    );
    shard
        .get(&waiter.digest)
        .is_none_or(|entry| entry.done >= waiter.flight)
}

/// Creates every shard key (so that compare-and-swap works from the start).
pub fn create_shards(config: &Config) {
    for provider in config
        .providers
        .iter()
        .filter(|p| p.introspection.is_some())
    {
        for key in state::all_shard_keys(&provider.name) {
            if shared_get(&key).1.is_none() {
                let _ = hostcalls::set_shared_data(&key, Some(b""), None);
            }
        }
    }
}

/// Logs a failed call, naming the provider and the cause; never the token
/// or a secret.
pub fn log_failure(provider: &str, cause: &str) {
    let _ = hostcalls::log(
        LogLevel::Warn,
        &std::format!("jwt-edge: provider {provider}: introspection failed: {cause}"),
    );
}

impl Waited {
    pub fn of(waiter: &Waiter) -> Self {
        Self {
            provider: waiter.provider,
            digest: waiter.digest.clone(),
            flight: waiter.flight,
        }
    }
}
