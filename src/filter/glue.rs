//! The proxy-wasm glue: Envoy's callbacks in, the pure modules' decisions
//! out. One root context per worker parses the configuration once and
//! hands it (`Rc`) to every HTTP context; the root also runs the remote
//! JWKS fetches and resumes requests that wait for keys.
//!
//! Nothing here may panic: a panic kills the Envoy VM. The SDK's trait
//! helpers unwrap host results (and `get_map_value` unwraps UTF-8), so only
//! `hostcalls` functions with `Result`s are used, header values are read as
//! bytes, and every failure maps to a denial (fail closed).

use core::cell::{Cell, RefCell};
use std::boxed::Box;
use std::rc::Rc;
use std::string::{String, ToString};
use std::time::{Duration, UNIX_EPOCH};
use std::vec::Vec;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType, Status};

use super::cache::TokenCache;
use super::callouts::{self, LookupCounts, Started, Waited};
use super::config::{Config, KeySource};
use super::dpop_state::{self, Nonces, Record, NONCE_KEY};
use super::native::{decode_result, ForeignCall, HostAnswer, NativeCrypto, SpkiCache};
use super::pipeline::{self, Env, Outcome, Trace};
use super::remote::{self, FetchState, RemoteKeys, SharedKeys};
use super::request::Request;
use super::respond::DenyReason as Reason;
use super::respond::{codes, Denial, DenyReason};

proxy_wasm::main! {{
    proxy_wasm::set_root_context(|context_id| -> Box<dyn RootContext> {
        Box::new(Root { id: context_id, worker: None })
    });
}}

/// How often the root context looks after remote JWKS and waiting
/// requests, and hands the counters to Envoy.
const TICK_REMOTE: Duration = Duration::from_millis(100);
/// The tick without remote providers: counters only.
const TICK_LOCAL: Duration = Duration::from_millis(500);

fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}

fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn shared_get(key: &str) -> (Option<Vec<u8>>, Option<u32>) {
    hostcalls::get_shared_data(key).unwrap_or((None, None))
}

/// Records a DPoP proof's replay key in its shared shard until `expires`:
/// compare-and-swap, so that of two workers seeing the same proof at once
/// exactly one succeeds. False for a replay, a full shard, or a shard that
/// keeps changing under us (fail closed).
fn remember_proof(key: &str, expires: i64, now: i64) -> bool {
    let shard = dpop_state::shard_key(key);
    for _ in 0..8 {
        let (bytes, cas) = shared_get(&shard);
        if cas.is_none() {
            return false; // not created at configuration: never guess
        }
        match dpop_state::record(bytes.as_deref(), key, expires, now) {
            Record::Added(text) => {
                if hostcalls::set_shared_data(&shard, Some(text.as_bytes()), cas).is_ok() {
                    return true;
                }
            }
            Record::Replay | Record::Full => return false,
        }
    }
    false
}

// ------------------------------------------------------------ metrics ----

/// The filter's counters. Increments are added up in the VM and handed to
/// Envoy on every tick: two host calls fewer per request, which is a good
/// part of a cache hit's cost. Stats lag by at most one tick.
struct Metrics {
    counters: Vec<(Option<u32>, Cell<i64>)>,
}

const ALLOWED: usize = 0;
const FETCH_OK: usize = 1;
const FETCH_FAILED: usize = 2;
const CACHE_HITS: usize = 3;
const DENIED: usize = 4; // then one per DenyReason::ALL
/// After the denials: introspection calls, cache hits, misses, negative
/// hits, waits, then one failure counter per cause.
const INTROSPECTION: usize = DENIED + Reason::ALL.len();
const I_CALLS: usize = INTROSPECTION;
const I_HITS: usize = INTROSPECTION + 1;
const I_MISSES: usize = INTROSPECTION + 2;
const I_NEGATIVE_HITS: usize = INTROSPECTION + 3;
const I_WAITS: usize = INTROSPECTION + 4;
const I_FAILED: usize = INTROSPECTION + 5;

impl Metrics {
    fn define() -> Self {
        let mut names: Vec<String> = [
            "requests_allowed",
            "jwks_fetch_succeeded",
            "jwks_fetch_failed",
            "cache_hits",
        ]
        .iter()
        .map(|name| (*name).to_string())
        .collect();
        names.extend(
            DenyReason::ALL
                .iter()
                .map(|reason| std::format!("requests_denied_{}", reason.name())),
        );
        names.extend(
            [
                "introspection_calls",
                "introspection_cache_hits",
                "introspection_cache_misses",
                "introspection_negative_hits",
                "introspection_waits",
            ]
            .iter()
            .map(|name| (*name).to_string()),
        );
        names.extend(
            callouts::FAILURE_CAUSES
                .iter()
                .map(|cause| std::format!("introspection_failed_{cause}")),
        );
        let counters = names
            .iter()
            .map(|name| {
                let id =
                    hostcalls::define_metric(MetricType::Counter, &std::format!("jwt_edge.{name}"))
                        .ok();
                (id, Cell::new(0))
            })
            .collect();
        Self { counters }
    }

    fn bump(&self, index: usize, by: i64) {
        if let Some((_, pending)) = self.counters.get(index) {
            pending.set(pending.get().saturating_add(by));
        }
    }

    fn failed(&self, cause: &str) {
        if let Some(offset) = callouts::FAILURE_CAUSES.iter().position(|c| *c == cause) {
            self.bump(I_FAILED + offset, 1);
        }
    }

    fn denied(&self, reason: DenyReason) {
        if let Some(offset) = DenyReason::ALL.iter().position(|r| *r == reason) {
            self.bump(DENIED + offset, 1);
        }
    }

    fn flush(&self) {
        for (id, pending) in &self.counters {
            let count = pending.replace(0);
            if let (Some(id), true) = (id, count != 0) {
                let _ = hostcalls::increment_metric(*id, count);
            }
        }
    }
}

// ------------------------------------------------------------- worker ----

/// A request paused until a provider's keys change.
struct Waiter {
    context_id: u32,
    provider: usize,
    generation: u64,
    deadline_ms: u64,
}

/// What changes while the worker runs.
/// The generation of the keys `remote` holds for `provider` (0: none yet).
fn generation_of(remote: &[Option<Rc<RemoteKeys>>], provider: usize) -> u64 {
    remote
        .get(provider)
        .and_then(Option::as_ref)
        .map_or(0, |keys| keys.generation)
}

struct State {
    /// Usable fetched keys per provider.
    remote: Vec<Option<Rc<RemoteKeys>>>,
    /// Verified-token caches per provider.
    caches: Vec<TokenCache>,
    waiters: Vec<Waiter>,
    /// In-flight JWKS fetches: (call token, provider, give up at ms).
    calls: Vec<(u32, usize, u64)>,
    /// Introspection calls this worker made.
    introspection_calls: Vec<callouts::Call>,
    /// Requests waiting for an introspection call.
    introspection_waiters: Vec<callouts::Waiter>,
}

/// Per-worker (per-VM) state shared by the root and its HTTP contexts.
struct Worker {
    root_id: u32,
    config: Config,
    shared: Vec<Option<SharedKeys>>,
    state: RefCell<State>,
    metrics: Metrics,
    native: Cell<bool>,
    spki: RefCell<SpkiCache>,
    /// The DPoP nonces accepted now (current first), from shared data.
    dpop_nonces: RefCell<Vec<String>>,
}

/// Envoy's `verify_signature` foreign function.
struct EnvoyVerify;

impl ForeignCall for EnvoyVerify {
    fn verify_signature(&self, arguments: &[u8]) -> HostAnswer {
        match hostcalls::call_foreign_function("verify_signature", Some(arguments)) {
            Ok(Some(bytes)) => HostAnswer::Checked(decode_result(&bytes)),
            Ok(None) => HostAnswer::Checked(false),
            Err(Status::NotFound) => HostAnswer::Unavailable,
            Err(_) => HostAnswer::Refused,
        }
    }
}

/// The current stream's request headers, read as bytes (a header that is
/// not UTF-8 is treated as absent).
struct HostRequest;

impl Request for HostRequest {
    fn header(&self, name: &str) -> Option<String> {
        hostcalls::get_map_value_bytes(MapType::HttpRequestHeaders, name)
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// Envoy hands a filter only the first value of a repeated header,
    /// except for `authorization`, which its header map joins into one
    /// value (so two tokens there never verify). Any other name is read
    /// from the whole map: a second `x-token` or `cookie` must be seen (and a
    /// value that is not UTF-8 is a token that fails, not no token).
    fn header_values(&self, name: &str) -> Vec<String> {
        if name == "authorization" {
            return self.header(name).into_iter().collect();
        }
        hostcalls::get_map_bytes(MapType::HttpRequestHeaders)
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| String::from_utf8_lossy(&value).into_owned())
            .collect()
    }
}

fn send_denial(denial: &Denial) {
    let authority = HostRequest.header(":authority");
    let headers = denial.headers(authority.as_deref());
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let body = denial.body();
    let _ = hostcalls::send_http_response(denial.status, headers, Some(body.as_bytes()));
}

/// How a request handled by the worker ended.
enum Handled {
    Continue,
    Stop,
    Wait,
}

impl Worker {
    fn new(root_id: u32, config: Config) -> Self {
        let shared = config
            .providers
            .iter()
            .map(|p| match &p.keys {
                KeySource::Remote(remote) => Some(SharedKeys::new(&p.name, remote)),
                _ => None,
            })
            .collect();
        let state = State {
            remote: config.providers.iter().map(|_| None).collect(),
            caches: config
                .providers
                .iter()
                .map(|p| TokenCache::new(p.cache_size))
                .collect(),
            waiters: Vec::new(),
            calls: Vec::new(),
            introspection_calls: Vec::new(),
            introspection_waiters: Vec::new(),
        };
        Self {
            root_id,
            config,
            shared,
            state: RefCell::new(state),
            metrics: Metrics::define(),
            native: Cell::new(true),
            spki: RefCell::new(SpkiCache::default()),
            dpop_nonces: RefCell::new(Vec::new()),
        }
    }

    /// Runs the decision for the current (effective) stream and applies it.
    fn handle(
        &self,
        context_id: u32,
        may_wait: bool,
        waited: Option<Waited>,
        rounds: u8,
    ) -> Handled {
        let now_ms = now_ms();
        let Ok(mut state) = self.state.try_borrow_mut() else {
            // Unreachable by construction (no re-entrant callbacks); fail closed.
            send_denial(&Denial::keys_unavailable("(busy)"));
            return Handled::Stop;
        };
        let State {
            remote,
            caches,
            waiters,
            introspection_calls,
            introspection_waiters,
            ..
        } = &mut *state;
        let refetch = |index: usize| {
            let local = generation_of(remote, index);
            self.grant_refetch(index, now_ms, local)
        };
        let crypto = NativeCrypto::new(&EnvoyVerify, &self.native, &self.spki);
        let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let nonces = self
            .dpop_nonces
            .try_borrow()
            .map(|nonces| nonces.clone())
            .unwrap_or_default();
        let remember_proof = |key: &str, expires: i64| remember_proof(key, expires, now);
        let counts = LookupCounts::default();
        let introspected = |provider: usize, token: &str| {
            callouts::lookup(
                &self.config,
                provider,
                token,
                now_ms,
                waited.as_ref(),
                &counts,
            )
        };
        let env = Env {
            config: &self.config,
            remote,
            crypto: &crypto,
            now,
            may_wait,
            request_refetch: &refetch,
            dpop_nonces: &nonces,
            remember_proof: &remember_proof,
            introspected: &introspected,
            may_introspect: rounds < callouts::MAX_ROUNDS,
        };
        let mut trace = Trace::default();
        let outcome = pipeline::decide(&env, caches, &HostRequest, &mut trace);
        if trace.cache_hits > 0 {
            self.metrics.bump(CACHE_HITS, i64::from(trace.cache_hits));
        }
        self.metrics.bump(I_HITS, counts.hits.get());
        self.metrics
            .bump(I_NEGATIVE_HITS, counts.negative_hits.get());
        self.metrics.bump(I_MISSES, counts.misses.get());
        match outcome {
            Outcome::Allow { remove, set } => {
                for name in &remove {
                    let _ = hostcalls::remove_map_value(MapType::HttpRequestHeaders, name);
                }
                for (name, value) in &set {
                    let _ =
                        hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value));
                }
                self.metrics.bump(ALLOWED, 1);
                Handled::Continue
            }
            Outcome::Deny(denial) => {
                self.metrics.denied(denial.reason);
                if let Some(place) = &denial.place {
                    // Where the refused token was; never the token itself.
                    log(
                        LogLevel::Info,
                        &std::format!(
                            "jwt-edge: token in {place} refused: {}: {}",
                            denial.code,
                            denial.description
                        ),
                    );
                }
                send_denial(&denial);
                Handled::Stop
            }
            Outcome::Introspect { provider, token } => {
                let name = self
                    .config
                    .providers
                    .get(provider)
                    .map_or("?", |p| p.name.as_str());
                let timeout_ms = self
                    .config
                    .providers
                    .get(provider)
                    .and_then(|p| p.introspection.as_ref())
                    .map_or(0, |spec| spec.timeout_ms);
                let (digest, started) = callouts::start(&self.config, provider, &token, now_ms);
                match started {
                    Started::Wait { flight, call } => {
                        if let Some(token_id) = call {
                            self.metrics.bump(I_CALLS, 1);
                            introspection_calls.push(callouts::Call {
                                token_id,
                                provider,
                                digest: digest.clone(),
                                flight,
                            });
                        }
                        self.metrics.bump(I_WAITS, 1);
                        introspection_waiters.push(callouts::Waiter {
                            context_id,
                            provider,
                            digest,
                            flight,
                            deadline_ms: now_ms
                                .saturating_add(timeout_ms)
                                .saturating_add(super::introspect_state::PENDING_MARGIN_MS),
                            rounds: rounds.saturating_add(1),
                        });
                        Handled::Wait
                    }
                    Started::Failed(cause) => {
                        callouts::log_failure(name, &cause);
                        self.metrics.failed("dispatch");
                        let status = self
                            .config
                            .providers
                            .get(provider)
                            .and_then(|p| p.introspection.as_ref())
                            .map_or(503, |spec| spec.on_unavailable_status);
                        let denial = Denial::unavailable(status);
                        self.metrics.denied(denial.reason);
                        send_denial(&denial);
                        Handled::Stop
                    }
                }
            }
            Outcome::Wait(provider) => {
                let generation = generation_of(remote, provider);
                let timeout_ms = match self.config.providers.get(provider).map(|p| &p.keys) {
                    Some(KeySource::Remote(spec)) => spec.timeout_ms,
                    _ => 0,
                };
                waiters.push(Waiter {
                    context_id,
                    provider,
                    generation,
                    deadline_ms: now_ms.saturating_add(timeout_ms),
                });
                Handled::Wait
            }
        }
    }

    /// An unknown-`kid` refetch: granted to one request per provider per
    /// 30 s across all workers (compare-and-swap on the shared state). If
    /// another worker already fetched newer keys than this one holds, the
    /// request just waits for the next tick to install them.
    fn grant_refetch(&self, index: usize, now_ms: u64, local_generation: u64) -> bool {
        let Some(Some(shared)) = self.shared.get(index) else {
            return false;
        };
        if remote::decode_generation(shared_get(&shared.generation).0.as_deref()) > local_generation
        {
            return true;
        }
        let (bytes, cas) = shared_get(&shared.state);
        let mut state = FetchState::decode(bytes.as_deref());
        if !state.grant_refetch(now_ms) {
            return false;
        }
        hostcalls::set_shared_data(&shared.state, Some(state.encode().as_bytes()), cas).is_ok()
    }

    /// Installs keys from the shared JWKS record if it is newer than ours.
    fn sync_from_shared(&self, index: usize, state: &mut State, now_ms: u64) {
        let (Some(Some(shared)), Some(provider)) =
            (self.shared.get(index), self.config.providers.get(index))
        else {
            return;
        };
        let KeySource::Remote(spec) = &provider.keys else {
            return;
        };
        let local = generation_of(&state.remote, index);
        let shared_generation =
            remote::decode_generation(shared_get(&shared.generation).0.as_deref());
        if shared_generation > local {
            if let Some(bytes) = shared_get(&shared.jwks).0 {
                let fresh = remote::decode_jwks(&bytes).filter(|(fetched_at_ms, generation, _)| {
                    *generation > local && remote::keys_usable(now_ms, *fetched_at_ms, spec)
                });
                if let Some((fetched_at_ms, generation, text)) = fresh {
                    match crate::key::jwks::JwkSet::from_json(text) {
                        Ok(set) => self.install(
                            index,
                            state,
                            RemoteKeys {
                                set,
                                fetched_at_ms,
                                generation,
                            },
                        ),
                        Err(e) => log(
                            LogLevel::Error,
                            &std::format!(
                                "jwt-edge: provider {}: shared JWKS unreadable: {e}",
                                provider.name
                            ),
                        ),
                    }
                }
            }
        }
        let stale = state
            .remote
            .get(index)
            .and_then(Option::as_ref)
            .is_some_and(|keys| !remote::keys_usable(now_ms, keys.fetched_at_ms, spec));
        if stale {
            log(
                LogLevel::Warn,
                &std::format!(
                    "jwt-edge: provider {}: keys older than {} cache durations dropped; requests get 401 until a fetch succeeds",
                    provider.name,
                    remote::STALE_FACTOR
                ),
            );
            if let Some(slot) = state.remote.get_mut(index) {
                *slot = None;
            }
            if let Ok(mut spki) = self.spki.try_borrow_mut() {
                spki.clear();
            }
        }
    }

    fn install(&self, index: usize, state: &mut State, keys: RemoteKeys) {
        if let Some(provider) = self.config.providers.get(index) {
            log(
                LogLevel::Info,
                &std::format!(
                    "jwt-edge: provider {}: {} key(s) installed (generation {})",
                    provider.name,
                    keys.set.keys.len(),
                    keys.generation
                ),
            );
        }
        if let Some(slot) = state.remote.get_mut(index) {
            *slot = Some(Rc::new(keys));
        }
        if let Some(cache) = state.caches.get_mut(index) {
            cache.clear();
        }
        if let Ok(mut spki) = self.spki.try_borrow_mut() {
            spki.clear();
        }
    }

    /// Starts a fetch for every remote provider that needs one and that
    /// no other worker is fetching.
    fn start_fetches(&self, state: &mut State, now_ms: u64) {
        for (index, provider) in self.config.providers.iter().enumerate() {
            let (KeySource::Remote(spec), Some(Some(shared))) =
                (&provider.keys, self.shared.get(index))
            else {
                continue;
            };
            // A call whose answer never came is given up with its lease.
            state.calls.retain(|(_, _, until)| *until > now_ms);
            if state.calls.iter().any(|(_, p, _)| *p == index) {
                continue;
            }
            let (bytes, cas) = shared_get(&shared.state);
            let mut fetch = FetchState::decode(bytes.as_deref());
            let fetched_at = state
                .remote
                .get(index)
                .and_then(Option::as_ref)
                .map(|keys| keys.fetched_at_ms);
            if !fetch.fetch_due(now_ms, fetched_at, spec) {
                continue;
            }
            fetch.take_lease(now_ms, spec);
            if hostcalls::set_shared_data(&shared.state, Some(fetch.encode().as_bytes()), cas)
                .is_err()
            {
                continue; // another worker took it
            }
            let headers = std::vec![
                (":method", "GET"),
                (":path", spec.path.as_str()),
                (":authority", spec.authority.as_str()),
                ("accept", "application/json"),
                ("user-agent", "jwt-edge"),
            ];
            match hostcalls::dispatch_http_call(
                &spec.cluster,
                headers,
                None,
                Vec::new(),
                Duration::from_millis(spec.timeout_ms),
            ) {
                Ok(token) => state.calls.push((token, index, fetch.lease_until_ms)),
                Err(status) => {
                    log(
                        LogLevel::Warn,
                        &std::format!(
                            "jwt-edge: provider {}: cannot fetch {} through cluster {:?}: {status:?}",
                            provider.name,
                            spec.uri,
                            spec.cluster
                        ),
                    );
                    self.metrics.bump(FETCH_FAILED, 1);
                    self.finish_fetch(index, now_ms, false);
                }
            }
        }
    }

    fn finish_fetch(&self, index: usize, now_ms: u64, ok: bool) {
        let Some(Some(shared)) = self.shared.get(index) else {
            return;
        };
        for _ in 0..8 {
            let (bytes, cas) = shared_get(&shared.state);
            let mut state = FetchState::decode(bytes.as_deref());
            state.finish(now_ms, ok);
            if hostcalls::set_shared_data(&shared.state, Some(state.encode().as_bytes()), cas)
                .is_ok()
            {
                return;
            }
        }
    }

    fn on_fetch_response(&self, token: u32, body_size: usize) {
        let now_ms = now_ms();
        let Ok(mut state) = self.state.try_borrow_mut() else {
            return;
        };
        let Some(position) = state.calls.iter().position(|(t, _, _)| *t == token) else {
            return;
        };
        let (_, index, _) = state.calls.swap_remove(position);
        let (Some(provider), Some(Some(shared))) =
            (self.config.providers.get(index), self.shared.get(index))
        else {
            return;
        };
        let status = hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status")
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let body = if body_size > remote::MAX_JWKS_BYTES {
            Vec::new()
        } else {
            hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size)
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        let result = if body_size > remote::MAX_JWKS_BYTES {
            Err(std::format!(
                "the JWKS is larger than {} bytes",
                remote::MAX_JWKS_BYTES
            ))
        } else {
            remote::check_response(status.as_deref(), &body)
        };
        match result {
            Ok((set, text)) => {
                let local = generation_of(&state.remote, index);
                let generation =
                    remote::decode_generation(shared_get(&shared.generation).0.as_deref())
                        .max(local)
                        .saturating_add(1);
                let record = remote::encode_jwks(now_ms, generation, &text);
                let _ = hostcalls::set_shared_data(&shared.jwks, Some(record.as_bytes()), None);
                let _ = hostcalls::set_shared_data(
                    &shared.generation,
                    Some(generation.to_string().as_bytes()),
                    None,
                );
                for skipped in &set.skipped {
                    log(
                        LogLevel::Warn,
                        &std::format!(
                            "jwt-edge: provider {}: JWKS entry {} skipped: {}",
                            provider.name,
                            skipped.index,
                            skipped.error
                        ),
                    );
                }
                self.install(
                    index,
                    &mut state,
                    RemoteKeys {
                        set,
                        fetched_at_ms: now_ms,
                        generation,
                    },
                );
                self.metrics.bump(FETCH_OK, 1);
                self.finish_fetch(index, now_ms, true);
            }
            Err(reason) => {
                log(
                    LogLevel::Warn,
                    &std::format!(
                        "jwt-edge: provider {}: JWKS fetch failed: {reason}",
                        provider.name
                    ),
                );
                self.metrics.bump(FETCH_FAILED, 1);
                self.finish_fetch(index, now_ms, false);
            }
        }
    }

    /// Resumes the waiters whose keys changed or whose wait is over.
    fn wake_waiters(&self, now_ms: u64) {
        let ready: Vec<u32> = {
            let Ok(mut state) = self.state.try_borrow_mut() else {
                return;
            };
            let State {
                remote, waiters, ..
            } = &mut *state;
            let mut ready = Vec::new();
            waiters.retain(|waiter| {
                let generation = generation_of(remote, waiter.provider);
                if generation > waiter.generation || now_ms >= waiter.deadline_ms {
                    ready.push(waiter.context_id);
                    false
                } else {
                    true
                }
            });
            ready
        };
        for context_id in ready {
            if hostcalls::set_effective_context(context_id).is_err() {
                continue; // the stream is gone
            }
            if let Handled::Continue = self.handle(context_id, false, None, 0) {
                let _ = hostcalls::resume_http_request();
            }
        }
        let _ = hostcalls::set_effective_context(self.root_id);
    }

    /// Reads an introspection call's answer into the shared cache and
    /// wakes this worker's requests waiting for it. False if the call is
    /// not one of ours.
    fn on_introspection_response(&self, token_id: u32, body_size: usize) -> bool {
        let now_ms = now_ms();
        let call = {
            let Ok(mut state) = self.state.try_borrow_mut() else {
                return false;
            };
            let Some(position) = state
                .introspection_calls
                .iter()
                .position(|call| call.token_id == token_id)
            else {
                return false;
            };
            state.introspection_calls.swap_remove(position)
        };
        let answer = callouts::read_answer(&self.config, call.provider, body_size, now_ms);
        match &answer {
            Ok(introspection) => callouts::finish(
                &self.config,
                call.provider,
                &call.digest,
                call.flight,
                Ok(introspection),
                now_ms,
            ),
            Err((metric, cause)) => {
                let name = self
                    .config
                    .providers
                    .get(call.provider)
                    .map_or("?", |p| p.name.as_str());
                callouts::log_failure(name, cause);
                self.metrics.failed(metric);
                callouts::finish(
                    &self.config,
                    call.provider,
                    &call.digest,
                    call.flight,
                    Err(()),
                    now_ms,
                );
            }
        }
        self.wake_introspection_waiters(now_ms);
        true
    }

    /// Decides again for the requests whose introspection call finished
    /// (on any worker) or whose wait is over.
    fn wake_introspection_waiters(&self, now_ms: u64) {
        let ready: Vec<callouts::Waiter> = {
            let Ok(mut state) = self.state.try_borrow_mut() else {
                return;
            };
            let (ready, waiting): (Vec<_>, Vec<_>) =
                core::mem::take(&mut state.introspection_waiters)
                    .into_iter()
                    .partition(|waiter| callouts::waiter_ready(&self.config, waiter, now_ms));
            state.introspection_waiters = waiting;
            ready
        };
        for waiter in ready {
            if hostcalls::set_effective_context(waiter.context_id).is_err() {
                continue; // the stream is gone
            }
            let waited = Waited::of(&waiter);
            if let Handled::Continue =
                self.handle(waiter.context_id, false, Some(waited), waiter.rounds)
            {
                let _ = hostcalls::resume_http_request();
            }
        }
        let _ = hostcalls::set_effective_context(self.root_id);
    }

    fn forget_waiter(&self, context_id: u32) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state
                .introspection_waiters
                .retain(|waiter| waiter.context_id != context_id);
            state
                .waiters
                .retain(|waiter| waiter.context_id != context_id);
        }
    }

    /// Installs the shared DPoP nonces, rotating them when due (one worker
    /// wins the compare-and-swap; the others read its nonce).
    fn sync_nonces(&self, now_ms: u64) {
        let now = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
        let (bytes, cas) = shared_get(NONCE_KEY);
        let mut nonces = Nonces::decode(bytes.as_deref()).unwrap_or_default();
        if nonces.due(now) {
            let mut fresh = [0u8; 18];
            match getrandom::getrandom(&mut fresh) {
                Ok(()) => {
                    let rotated = nonces.rotated(crate::b64::encode_url(&fresh), now);
                    if hostcalls::set_shared_data(NONCE_KEY, Some(rotated.encode().as_bytes()), cas)
                        .is_ok()
                    {
                        nonces = rotated;
                    } else if let Some(theirs) = Nonces::decode(shared_get(NONCE_KEY).0.as_deref())
                    {
                        nonces = theirs;
                    }
                }
                // No nonce: proofs needing one are refused (fail closed).
                Err(_) => log(LogLevel::Error, "jwt-edge: no randomness for a DPoP nonce"),
            }
        }
        if let Ok(mut accepted) = self.dpop_nonces.try_borrow_mut() {
            *accepted = nonces.accepted();
        }
    }

    fn tick(&self) {
        self.metrics.flush();
        if self.config.uses_dpop_nonces() {
            self.sync_nonces(now_ms());
        }
        if self.config.has_introspection() {
            self.wake_introspection_waiters(now_ms());
        }
        if !self.config.has_remote() {
            return;
        }
        let now_ms = now_ms();
        if let Ok(mut state) = self.state.try_borrow_mut() {
            for index in 0..self.config.providers.len() {
                if self.shared.get(index).is_some_and(Option::is_some) {
                    self.sync_from_shared(index, &mut state, now_ms);
                }
            }
            self.start_fetches(&mut state, now_ms);
        }
        self.wake_waiters(now_ms);
    }
}

// --------------------------------------------------------------- root ----

struct Root {
    id: u32,
    worker: Option<Rc<Worker>>,
}

impl Context for Root {
    fn on_http_call_response(&mut self, token_id: u32, _: usize, body_size: usize, _: usize) {
        if let Some(worker) = &self.worker {
            if worker.on_introspection_response(token_id, body_size) {
                return;
            }
            worker.on_fetch_response(token_id, body_size);
            worker.wake_waiters(now_ms());
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let bytes = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        let Ok(text) = String::from_utf8(bytes) else {
            log(
                LogLevel::Critical,
                "jwt-edge: configuration refused: configuration: not UTF-8",
            );
            return false;
        };
        let config = match Config::parse(&text) {
            Ok(config) => config,
            Err(error) => {
                log(
                    LogLevel::Critical,
                    &std::format!("jwt-edge: configuration refused: {error}"),
                );
                return false;
            }
        };
        let has_remote = config.has_remote() || config.has_introspection();
        callouts::create_shards(&config);
        let worker = Rc::new(Worker::new(self.id, config));
        if worker.config.providers.iter().any(|p| p.dpop.is_some()) {
            // The replay store's keys exist before any request compare-and-
            // swaps them (shared data cannot create a key conditionally).
            for key in dpop_state::all_shard_keys() {
                // Absent means no compare-and-swap version (an empty value
                // has one).
                if shared_get(&key).1.is_none() {
                    let _ = hostcalls::set_shared_data(&key, Some(b""), None);
                }
            }
        }
        if worker.config.uses_dpop_nonces() {
            worker.sync_nonces(now_ms());
        }
        if has_remote {
            let now = now_ms();
            for shared in worker.shared.iter().flatten() {
                // Give the fetch state a compare-and-swap version.
                if shared_get(&shared.state).0.is_none() {
                    let _ = hostcalls::set_shared_data(
                        &shared.state,
                        Some(FetchState::default().encode().as_bytes()),
                        None,
                    );
                }
            }
            // Keys another worker already fetched; fetches start on the
            // first tick (during configuration Envoy's clusters may not be
            // ready to carry a call).
            if let Ok(mut state) = worker.state.try_borrow_mut() {
                for index in 0..worker.config.providers.len() {
                    worker.sync_from_shared(index, &mut state, now);
                }
            }
        }
        let _ = hostcalls::set_tick_period(if has_remote { TICK_REMOTE } else { TICK_LOCAL });
        // TICK_LOCAL (500 ms) also keeps the DPoP nonces within a second of
        // their rotation.
        log(
            LogLevel::Info,
            &std::format!(
                "jwt-edge: configured: {} provider(s), {} rule(s)",
                worker.config.providers.len(),
                worker.config.rules.len()
            ),
        );
        self.worker = Some(worker);
        true
    }

    fn on_tick(&mut self) {
        if let Some(worker) = &self.worker {
            worker.tick();
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Filter {
            id: context_id,
            worker: self.worker.clone(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

// --------------------------------------------------------------- http ----

struct Filter {
    id: u32,
    worker: Option<Rc<Worker>>,
}

/// An introspection call made while deciding this stream's request answers
/// here: the SDK hands a call's answer to the context that was active when
/// it was dispatched. The worker takes it as the root would (if the stream
/// is gone first, the answer is lost and the call's pending mark expires:
/// another call is made, nothing passes unchecked).
impl Context for Filter {
    fn on_http_call_response(&mut self, token_id: u32, _: usize, body_size: usize, _: usize) {
        if let Some(worker) = &self.worker {
            worker.on_introspection_response(token_id, body_size);
        }
    }
}

/// The stream is gone (`proxy_on_delete`). Not `on_done`: the build drops
/// the `proxy_on_done` export (see mk/edge.mk), so that Envoy skips a VM
/// call per request.
impl Drop for Filter {
    fn drop(&mut self) {
        if let Some(worker) = &self.worker {
            worker.forget_waiter(self.id);
        }
    }
}

impl HttpContext for Filter {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(worker) = &self.worker else {
            let denial = Denial {
                status: 403,
                reason: DenyReason::NoRule,
                description: "the filter has no configuration".into(),
                code: codes::NOT_CONFIGURED.into(),
                scopes: Vec::new(),
                place: None,
                dpop: None,
            };
            send_denial(&denial);
            return Action::Pause;
        };
        match worker.handle(self.id, true, None, 0) {
            Handled::Continue => Action::Continue,
            Handled::Stop | Handled::Wait => Action::Pause,
        }
    }
}
