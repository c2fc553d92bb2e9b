//! The per-request decision: rule, requirement, token verification (by the
//! core), scope and claim checks, and the headers for the upstream. Pure:
//! the glue feeds it the request and applies the [`Outcome`].

use std::borrow::Cow;
use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

use crate::crypto::CryptoProvider;
use crate::dpop::{self, htu, AuthScheme, DpopRequest, ReplayCache, VerifiedProof};
use crate::error::{Error, ErrorCode};
use crate::gateway;
use crate::introspection::{self, Expectations};
use crate::policy::{self, Keys};

use super::cache::{self, ClaimHeaders, TokenCache, Verified};
use super::config::{Config, KeySource, Provider, Requirement, Rule};
use super::remote::RemoteKeys;
use super::request::{self, Candidate, Place, Request};
use super::respond::{claim_header_value, header_value_ok, Denial};

/// Everything a decision reads besides the request.
pub struct Env<'c, 'a> {
    /// The configuration.
    pub config: &'c Config,
    /// Fetched keys, per provider index (`None` for static providers and
    /// for remote ones without usable keys).
    pub remote: &'a [Option<Rc<RemoteKeys>>],
    /// The signature backend.
    pub crypto: &'a dyn CryptoProvider,
    /// Seconds since the epoch.
    pub now: i64,
    /// May the request wait for keys (first fetch, unknown-`kid` refetch)?
    pub may_wait: bool,
    /// Asks for an unknown-`kid` refetch of a provider's JWKS; true if one
    /// was granted (at most once per 30 s per provider).
    pub request_refetch: &'a dyn Fn(usize) -> bool,
    /// The DPoP nonces proofs may carry, the current one first (empty when
    /// no provider uses nonces, or none was made yet).
    pub dpop_nonces: &'a [String],
    /// Records a DPoP proof's replay key until the given time (seconds),
    /// across every worker; false if it was already there (a replay) or
    /// cannot be recorded (which must fail closed).
    pub remember_proof: &'a dyn Fn(&str, i64) -> bool,
    /// The introspection answer the host holds for (provider, token): a
    /// fresh cached one, the one a request waited for, or why there is
    /// none. Rules are applied to it on every request, cached or not.
    pub introspected: &'a dyn Fn(usize, &str) -> Introspected,
    /// May the request wait for an introspection call?
    pub may_introspect: bool,
}

/// What the host knows of a token's introspection by a provider.
#[derive(Debug, Clone)]
pub enum Introspected {
    /// Active: its claims.
    Active(Rc<Verified>),
    /// Not active.
    Inactive,
    /// The authorization server cannot be used now (the cause is logged
    /// where it happened).
    Unavailable,
    /// Nothing yet: the token must be introspected.
    Unknown,
}

/// What to do with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'c> {
    /// Let it through after removing then setting these headers.
    Allow {
        /// Headers to remove.
        remove: Vec<&'c str>,
        /// Headers to set (replacing any value).
        set: Vec<(&'c str, String)>,
    },
    /// Reply with this denial; the upstream never sees the request.
    Deny(Denial),
    /// Pause until this provider's keys change (or the wait times out).
    Wait(usize),
    /// Introspect `token` with this provider's endpoint (or join the call
    /// already on its way), then decide again.
    Introspect {
        /// The provider index.
        provider: usize,
        /// The token.
        token: String,
    },
}

/// What a verdict waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// A provider's keys.
    Keys(usize),
    /// The introspection of a candidate: (provider, candidate).
    Introspection(usize, usize),
}

/// Counters a decision produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// Verified-token cache hits.
    pub cache_hits: u32,
}

/// One token's verification by one provider.
#[derive(Clone)]
enum Verdict {
    Valid(Rc<Verified>),
    Failed(Denial),
    Wait(Pending),
}

/// A token verified by a provider: (provider, candidate) indices and what
/// the verification left. Carried along, so that the rule checks and the
/// headers need no second list nor lookup.
type Pair = (usize, usize, Rc<Verified>);

/// How a requirement's check of the request went.
enum Check {
    Valid(Vec<Pair>),
    Missing,
    Failed(Denial),
    Wait(Pending),
}

/// The request's tokens and what each provider made of them: every
/// (provider, token) pair is verified at most once per request.
struct Tokens<'c> {
    candidates: Vec<Candidate<'c>>,
    /// The verdicts reached so far: (candidate, provider, verdict). One
    /// list for the request (most have one token and one provider).
    verdicts: Vec<(usize, usize, Verdict)>,
}

/// Decides what happens to `request`.
pub fn decide<'c>(
    env: &Env<'c, '_>,
    caches: &mut [TokenCache],
    request: &dyn Request,
    trace: &mut Trace,
) -> Outcome<'c> {
    // One host call fewer per request when no rule looks at the method.
    let method = if env.config.uses_methods {
        request.header(":method").unwrap_or_default()
    } else {
        String::new()
    };
    let path = request.header(":path").unwrap_or_default();
    let Some((_, rule)) = request::find_rule(env.config, &method, &path) else {
        return Outcome::Deny(Denial::no_rule());
    };
    let Some(requirement) = &rule.requires else {
        return Outcome::Allow {
            remove: env
                .config
                .output_headers
                .iter()
                .map(String::as_str)
                .collect(),
            set: Vec::new(),
        };
    };
    let candidates = request::collect_tokens(env.config, &rule.providers, request, &path);
    let mut tokens = Tokens {
        candidates,
        verdicts: Vec::new(),
    };
    let mut session = Session {
        env,
        caches,
        trace,
        tokens: &mut tokens,
        request,
        path: &path,
        dpop_request: None,
        proofs: Vec::new(),
    };
    let mut valid = match session.check(requirement) {
        Check::Valid(valid) => valid,
        Check::Missing => return Outcome::Deny(Denial::missing("a bearer token is required")),
        Check::Failed(denial) => return Outcome::Deny(denial),
        Check::Wait(pending) => return waiting(session.tokens, pending),
    };
    // One good token must not carry a bad one in with it: every other
    // token the rule's providers can see must verify too.
    if !matches!(requirement, Requirement::AllowMissingOrFailed) {
        if let Err(check) = session.every_token_valid(&mut valid) {
            return match check {
                Check::Wait(pending) => waiting(session.tokens, pending),
                Check::Failed(denial) => Outcome::Deny(denial),
                Check::Valid(_) | Check::Missing => {
                    Outcome::Deny(Denial::missing("a bearer token is required"))
                }
            };
        }
    }
    let proofs = core::mem::take(&mut session.proofs);
    if let Err(denial) = check_rule(rule, &valid) {
        return Outcome::Deny(denial);
    }
    // Last, so that a request refused for another reason (or paused to
    // wait for keys and decided again) does not use its proof up.
    if let Err(denial) = remember_proofs(env, &tokens.candidates, &proofs) {
        return Outcome::Deny(denial);
    }
    allow(env, &tokens.candidates, &valid, &path, request)
}

/// The outcome of a request that must wait.
fn waiting<'c>(tokens: &Tokens<'_>, pending: Pending) -> Outcome<'c> {
    match pending {
        Pending::Keys(provider) => Outcome::Wait(provider),
        Pending::Introspection(provider, candidate) => match tokens.candidates.get(candidate) {
            Some(found) => Outcome::Introspect {
                provider,
                token: found.token.clone(),
            },
            None => Outcome::Deny(Denial::missing("a bearer token is required")),
        },
    }
}

/// Records every verified DPoP proof in the shared replay store; the first
/// one seen before refuses the request.
fn remember_proofs(
    env: &Env<'_, '_>,
    candidates: &[Candidate<'_>],
    proofs: &[(usize, usize, VerifiedProof)],
) -> Result<(), Denial> {
    for (index, candidate, proof) in proofs {
        let Some(dpop) = env
            .config
            .providers
            .get(*index)
            .and_then(|p| p.dpop.as_ref())
        else {
            continue;
        };
        if let Err(error) = dpop::remember(
            &mut SharedReplay(env.remember_proof),
            proof,
            &dpop.policy,
            env.now,
        ) {
            let denial = Denial::dpop(&error, dpop.policy.algs_parameter(), None);
            return Err(
                match candidates.get(*candidate).and_then(|c| c.places.first()) {
                    Some(place) => denial.at(place),
                    None => denial,
                },
            );
        }
    }
    Ok(())
}

/// The request passes: the claim headers of every verified token, and for
/// `forward: false` providers the token taken out of every place it was in.
/// Every output header not set is removed (no client may forge one).
fn allow<'c>(
    env: &Env<'c, '_>,
    candidates: &[Candidate<'c>],
    verified: &[Pair],
    path: &str,
    request: &dyn Request,
) -> Outcome<'c> {
    let mut set = Vec::new();
    // Removals besides the output headers (empty, unallocated, for most
    // requests).
    let mut remove: Vec<&'c str> = Vec::new();
    let mut strip_params: Vec<(&'c str, &str)> = Vec::new();
    let mut strip_cookies: Vec<(&'c str, &str)> = Vec::new();
    for (index, candidate, verified) in verified {
        let Some(provider) = env.config.providers.get(*index) else {
            continue;
        };
        for (position, value) in claim_headers(*index, provider, verified).iter() {
            if let Some((header, _)) = provider.claim_to_headers.get(*position) {
                set.push((header.as_str(), value.clone()));
            }
        }
        if let Some(header) = &provider.forward_payload_header {
            if header_value_ok(&verified.payload_segment) {
                set.push((header.as_str(), verified.payload_segment.clone()));
            }
        }
        let Some(candidate) = candidates.get(*candidate).filter(|_| !provider.forward) else {
            continue;
        };
        // `forward: false`: the token leaves every place it was found in.
        for place in &candidate.places {
            match *place {
                Place::Header(name, _) => {
                    if !remove.contains(&name) {
                        remove.push(name);
                    }
                }
                Place::Param(name) => strip_params.push((name, &candidate.token)),
                Place::Cookie(name) => strip_cookies.push((name, &candidate.token)),
            }
        }
    }
    let proof_leaves = verified.iter().any(|(index, _, _)| {
        env.config
            .providers
            .get(*index)
            .and_then(|p| p.dpop.as_ref())
            .is_some_and(|dpop| !dpop.forward_proof)
    });
    if proof_leaves {
        remove.push("dpop");
    }
    if let Some(rewritten) = request::path_without(path, &strip_params) {
        set.push((":path", rewritten));
    }
    if !strip_cookies.is_empty() {
        match request::cookie_without(&request.header_values("cookie"), &strip_cookies) {
            Some(left) if left.is_empty() => remove.push("cookie"),
            Some(left) => set.push(("cookie", left)),
            None => {}
        }
    }
    // Headers about to be set need no removal first: when the claim
    // headers are all set, the list stays unallocated.
    let is_set = |name: &&str| set.iter().any(|(set_name, _)| set_name == name);
    let remove: Vec<&'c str> =
        env.config
            .output_headers
            .iter()
            .map(String::as_str)
            .filter(|name| !is_set(name))
            .chain(remove.into_iter().filter(|name| {
                !is_set(name) && !env.config.output_headers.iter().any(|o| o == name)
            }))
            .collect();
    Outcome::Allow { remove, set }
}

/// `provider`'s claim header values for a token it verified: worked out
/// once per token and kept with it (a cache hit reuses them).
fn claim_headers<'v>(
    index: usize,
    provider: &Provider,
    verified: &'v Verified,
) -> Cow<'v, [(usize, String)]> {
    let work_out = || ClaimHeaders {
        provider: index,
        values: provider
            .claim_to_headers
            .iter()
            .enumerate()
            .filter_map(|(position, (_, claim))| {
                gateway::claim_at_path(&verified.claims, claim)
                    .and_then(claim_header_value)
                    .map(|value| (position, value))
            })
            .collect(),
    };
    let kept = verified.claim_headers.get_or_init(work_out);
    if kept.provider == index {
        Cow::Borrowed(&kept.values)
    } else {
        // Another provider's (never expected: caches are per provider).
        Cow::Owned(work_out().values)
    }
}

/// Scopes and claims: one verified token must satisfy all of them.
fn check_rule(rule: &Rule, verified: &[Pair]) -> Result<(), Denial> {
    if rule.scopes.is_empty() && rule.claims.is_empty() {
        return Ok(());
    }
    let mut first_error: Option<Error> = None;
    for (_, _, verified) in verified {
        let result = gateway::require_scopes(&verified.claims, &rule.scopes).and_then(|()| {
            rule.claims.iter().try_for_each(|(path, accepted)| {
                gateway::require_claim(&verified.claims, path, accepted)
            })
        });
        match result {
            Ok(()) => return Ok(()),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(Denial::insufficient(&error, &rule.scopes)),
        None => Err(Denial::missing("this route needs a bearer token")),
    }
}

/// Alternatives tried in order, none valid so far: waiting for keys or an
/// answer beats failing (the wait may make one valid), and the first
/// failure is the one reported.
#[derive(Default)]
struct Alternatives {
    failure: Option<Denial>,
    wait: Option<Pending>,
}

impl Alternatives {
    fn failed(&mut self, denial: Denial) {
        self.failure.get_or_insert(denial);
    }

    fn wait(&mut self, pending: Pending) {
        self.wait.get_or_insert(pending);
    }

    fn outcome(self) -> Check {
        match (self.wait, self.failure) {
            (Some(pending), _) => Check::Wait(pending),
            (None, Some(denial)) => Check::Failed(denial),
            (None, None) => Check::Missing,
        }
    }
}

/// One request's checks.
struct Session<'s, 'c, 'a> {
    env: &'s Env<'c, 'a>,
    caches: &'s mut [TokenCache],
    trace: &'s mut Trace,
    tokens: &'s mut Tokens<'c>,
    request: &'s dyn Request,
    path: &'s str,
    /// What DPoP reads of the request, read once when first needed.
    dpop_request: Option<DpopHeaders>,
    /// Proofs that checked out, to be remembered if the request passes:
    /// (provider, candidate, proof).
    proofs: Vec<(usize, usize, VerifiedProof)>,
}

/// The request headers a DPoP check reads besides the token.
struct DpopHeaders {
    method: String,
    scheme: String,
    authority: String,
    proofs: Vec<String>,
}

impl Session<'_, '_, '_> {
    fn check(&mut self, requirement: &Requirement) -> Check {
        match requirement {
            Requirement::Provider(index) => self.check_provider(*index),
            Requirement::Any(list) => {
                let mut tried = Alternatives::default();
                for item in list {
                    match self.check(item) {
                        Check::Valid(valid) => return Check::Valid(valid),
                        Check::Missing => {}
                        Check::Failed(denial) => tried.failed(denial),
                        Check::Wait(pending) => tried.wait(pending),
                    }
                }
                tried.outcome()
            }
            Requirement::All(list) => {
                let mut all = Vec::new();
                for item in list {
                    match self.check(item) {
                        Check::Valid(valid) => all.extend(valid),
                        other => return other,
                    }
                }
                Check::Valid(all)
            }
            // Each token is judged by the providers that read where it was
            // found, as jwt_authn judges it by its issuer's provider: no
            // token is fine; a token must verify with one of them, unless
            // failures are allowed too.
            Requirement::AllowMissing | Requirement::AllowMissingOrFailed => {
                let tolerate_failure = matches!(requirement, Requirement::AllowMissingOrFailed);
                let mut all = Vec::new();
                for candidate in 0..self.tokens.candidates.len() {
                    match self.first_valid(candidate) {
                        Check::Valid(valid) => all.extend(valid),
                        Check::Failed(_) | Check::Wait(_) | Check::Missing if tolerate_failure => {}
                        other => return other,
                    }
                }
                Check::Valid(all)
            }
        }
    }

    /// A provider's requirement: a token in one of its locations, and every
    /// token in its locations valid for it.
    fn check_provider(&mut self, index: usize) -> Check {
        let mut valid = Vec::new();
        for candidate in 0..self.tokens.candidates.len() {
            let reads = self
                .tokens
                .candidates
                .get(candidate)
                .is_some_and(|c| c.providers.contains(&index));
            if !reads {
                continue;
            }
            match self.verdict(index, candidate) {
                Verdict::Valid(verified) => valid.push((index, candidate, verified)),
                Verdict::Failed(denial) => return Check::Failed(denial),
                Verdict::Wait(pending) => return Check::Wait(pending),
            }
        }
        if valid.is_empty() {
            Check::Missing
        } else {
            Check::Valid(valid)
        }
    }

    /// The first provider reading `candidate`'s places that finds it valid;
    /// otherwise the first wait, or the first failure.
    fn first_valid(&mut self, candidate: usize) -> Check {
        let providers = match self.tokens.candidates.get(candidate) {
            Some(c) => c.providers.clone(),
            None => return Check::Missing,
        };
        let mut tried = Alternatives::default();
        for provider in providers {
            match self.verdict(provider, candidate) {
                Verdict::Valid(verified) => {
                    return Check::Valid(std::vec![(provider, candidate, verified)])
                }
                Verdict::Failed(denial) => tried.failed(denial),
                Verdict::Wait(pending) => tried.wait(pending),
            }
        }
        tried.outcome()
    }

    /// Checks that every token of the request is valid for some provider
    /// reading it, adding the pairs found to `valid`.
    fn every_token_valid(&mut self, valid: &mut Vec<Pair>) -> Result<(), Check> {
        for candidate in 0..self.tokens.candidates.len() {
            if valid.iter().any(|(_, c, _)| *c == candidate) {
                continue;
            }
            match self.first_valid(candidate) {
                Check::Valid(pairs) => valid.extend(pairs),
                other => return Err(other),
            }
        }
        Ok(())
    }

    /// The provider's DPoP rules for a token it verified: downgrade, the
    /// one proof, its binding to this token, nonce (replay comes last, in
    /// [`decide`]). Nothing to do for providers without `dpop`.
    fn check_dpop(
        &mut self,
        index: usize,
        candidate: usize,
        verified: &Verified,
    ) -> Result<(), Denial> {
        let env = self.env;
        let Some(dpop) = env
            .config
            .providers
            .get(index)
            .and_then(|p| p.dpop.as_ref())
        else {
            return Ok(());
        };
        let Some(found) = self.tokens.candidates.get(candidate) else {
            return Ok(());
        };
        let nonces: Vec<&str> = if dpop.nonce {
            env.dpop_nonces.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        let deny = |error: &Error| {
            let nonce = (error.code() == ErrorCode::DpopNonceRequired)
                .then(|| env.dpop_nonces.first().cloned())
                .flatten();
            Denial::dpop(error, dpop.policy.algs_parameter(), nonce)
        };
        if dpop.nonce && nonces.is_empty() {
            // Fail closed: no proof can be fresh enough before a nonce exists.
            return Err(deny(&Error::new(
                ErrorCode::DpopNonceRequired,
                "the server has no DPoP nonce yet: retry with the one in DPoP-Nonce",
            )));
        }
        let token_jkt = dpop::confirmation_jkt(&verified.claims).map_err(|e| deny(&e))?;
        // A bound token must only ever travel with the DPoP scheme: found
        // anywhere else too (a parameter, a cookie) it counts as Bearer.
        let scheme = if found
            .places
            .iter()
            .all(|place| place.scheme() == AuthScheme::Dpop)
        {
            AuthScheme::Dpop
        } else {
            AuthScheme::Bearer
        };
        let path = self.path;
        let request = self.request;
        let headers = self.dpop_request.get_or_insert_with(|| DpopHeaders {
            method: request.header(":method").unwrap_or_default(),
            scheme: request.header(":scheme").unwrap_or_default(),
            authority: request.header(":authority").unwrap_or_default(),
            proofs: request.header_values("dpop"),
        });
        // A request URL that cannot be built matches no proof's `htu`;
        // a request DPoP does not concern never needs it.
        let url = match &dpop.public_base_url {
            Some(base) => htu::from_base(base, path),
            None => htu::from_parts(&headers.scheme, &headers.authority, path),
        }
        .unwrap_or_default();
        let proofs: Vec<&str> = headers.proofs.iter().map(String::as_str).collect();
        let checked = dpop::check_request_with(
            env.crypto,
            &DpopRequest {
                scheme,
                access_token: &found.token,
                token_jkt,
                proofs: &proofs,
                method: &headers.method,
                url: &url,
                nonces: &nonces,
                now: env.now,
            },
            &dpop.policy,
            None,
        )
        .map_err(|e| match e.code() {
            // The request's own URL is unusable (no `:scheme`...): no proof
            // can be for it.
            ErrorCode::InvalidArgument => {
                deny(&Error::new(ErrorCode::DpopInvalidProof, e.message()))
            }
            _ => deny(&e),
        })?;
        if let Some(proof) = checked {
            self.proofs.push((index, candidate, proof));
        }
        Ok(())
    }

    /// `candidate` verified by `provider`, once per request.
    fn verdict(&mut self, provider: usize, candidate: usize) -> Verdict {
        if let Some((_, _, verdict)) = self
            .tokens
            .verdicts
            .iter()
            .find(|(c, p, _)| *c == candidate && *p == provider)
        {
            return verdict.clone();
        }
        let Some(found) = self.tokens.candidates.get(candidate) else {
            return Verdict::Failed(Denial::keys_unavailable("?"));
        };
        // Named (formatted) only if the verdict is a failure.
        let place = found.places.first().copied();
        let verdict = match verify(
            self.env,
            self.caches,
            self.trace,
            provider,
            candidate,
            &found.token,
        ) {
            // The proof changes with every request: checked on cache hits too.
            Verdict::Valid(verified) => match self.check_dpop(provider, candidate, &verified) {
                Ok(()) => Verdict::Valid(verified),
                Err(denial) => Verdict::Failed(denial),
            },
            other => other,
        };
        let verdict = match (verdict, place) {
            (Verdict::Failed(denial), Some(place)) => Verdict::Failed(denial.at(place)),
            (verdict, _) => verdict,
        };
        self.tokens
            .verdicts
            .push((candidate, provider, verdict.clone()));
        verdict
    }
}

/// One token verified by one provider: by introspection for opaque-token
/// providers; otherwise as a JWT, then (`introspect_jwt`) introspected too
/// so that a revoked JWT is refused.
fn verify(
    env: &Env<'_, '_>,
    caches: &mut [TokenCache],
    trace: &mut Trace,
    index: usize,
    candidate: usize,
    token: &str,
) -> Verdict {
    let Some(provider) = env.config.providers.get(index) else {
        return Verdict::Failed(Denial::keys_unavailable("?"));
    };
    let Some(introspection) = &provider.introspection else {
        return verify_jwt(env, caches, trace, index, token);
    };
    let jwt = if matches!(provider.keys, KeySource::Introspection) {
        None
    } else {
        match verify_jwt(env, caches, trace, index, token) {
            Verdict::Valid(verified) => Some(verified),
            other => return other,
        }
    };
    let answer = match (env.introspected)(index, token) {
        Introspected::Active(claims) => claims,
        Introspected::Inactive => return Verdict::Failed(Denial::inactive()),
        Introspected::Unavailable => {
            return Verdict::Failed(Denial::unavailable(introspection.on_unavailable_status))
        }
        Introspected::Unknown if env.may_introspect => {
            return Verdict::Wait(Pending::Introspection(index, candidate))
        }
        Introspected::Unknown => {
            return Verdict::Failed(Denial::unavailable(introspection.on_unavailable_status))
        }
    };
    // Issuer, audiences and `exp` again on every use: a cached answer is
    // never reused past its `exp`, nor under a changed configuration.
    if jwt.is_none() {
        let expect = Expectations {
            issuer: provider.policy.issuer.clone(),
            audiences: provider.policy.audience.clone(),
            clock_tolerance: provider.policy.clock_tolerance,
        };
        if let Err(error) = introspection::check_active(&answer.claims, &expect, env.now) {
            return Verdict::Failed(Denial::invalid(&error));
        }
    }
    // A JWT keeps its own (verified) claims: introspection only says it
    // is still active.
    Verdict::Valid(jwt.unwrap_or(answer))
}

/// One JWT verified by one provider: from the verified-token cache, or
/// by the core with the provider's keys (asking to wait for keys when
/// they are not there yet, or for a refetch when the `kid` is new).
fn verify_jwt(
    env: &Env<'_, '_>,
    caches: &mut [TokenCache],
    trace: &mut Trace,
    index: usize,
    token: &str,
) -> Verdict {
    let Some(provider) = env.config.providers.get(index) else {
        return Verdict::Failed(Denial::keys_unavailable("?"));
    };
    if let Some(cache) = caches.get_mut(index) {
        if let Some(verified) = cache.get(token, env.now) {
            trace.cache_hits += 1;
            return Verdict::Valid(verified);
        }
    }
    let remote = env.remote.get(index).and_then(Option::as_ref);
    let keys = match (&provider.keys, remote) {
        (KeySource::Set(set), _) => Keys::Set(set),
        (KeySource::Single(jwk), _) => Keys::Single(jwk),
        (KeySource::Remote(_), Some(remote)) => Keys::Set(&remote.set),
        (KeySource::Introspection, _) => {
            return Verdict::Failed(Denial::keys_unavailable(&provider.name))
        }
        (KeySource::Remote(_), None) => {
            return if env.may_wait {
                Verdict::Wait(Pending::Keys(index))
            } else {
                Verdict::Failed(Denial::keys_unavailable(&provider.name))
            };
        }
    };
    let verified = match policy::verify_with(env.crypto, token, keys, &provider.policy, env.now) {
        Ok(verified) => verified,
        Err(error) => {
            if error.code() == ErrorCode::JwksNoMatchingKey
                && env.may_wait
                && remote.is_some_and(|remote| unknown_kid(&remote.set, token, provider))
                && (env.request_refetch)(index)
            {
                return Verdict::Wait(Pending::Keys(index));
            }
            return Verdict::Failed(Denial::invalid(&error));
        }
    };
    let payload_segment = match gateway::payload_segment(token) {
        Ok(segment) => segment.into(),
        Err(error) => return Verdict::Failed(Denial::invalid(&error)),
    };
    let until = cache::valid_until(&verified.payload, provider.policy.max_token_age);
    let verified = Rc::new(Verified::new(verified.payload, payload_segment));
    if let (Some(until), Some(cache)) = (until, caches.get_mut(index)) {
        cache.insert(token, Rc::clone(&verified), until, env.now);
    }
    Verdict::Valid(verified)
}

/// The host's replay store as the core's [`ReplayCache`].
struct SharedReplay<'a>(&'a dyn Fn(&str, i64) -> bool);

impl ReplayCache for SharedReplay<'_> {
    fn remember(&mut self, key: &str, expires: i64, _now: i64) -> bool {
        (self.0)(key, expires)
    }
}

/// True if the token names a `kid` the set lacks and claims to come from
/// this provider's issuer: only then is a refetch worth it.
fn unknown_kid(
    set: &crate::key::jwks::JwkSet,
    token: &str,
    provider: &super::config::Provider,
) -> bool {
    let Ok(decoded) = crate::jws::decode_unverified(token) else {
        return false;
    };
    let Some(kid) = decoded
        .header
        .get("kid")
        .and_then(serde_json::Value::as_str)
    else {
        return false;
    };
    if set.keys.iter().any(|jwk| jwk.kid.as_deref() == Some(kid)) {
        return false;
    }
    let iss = decoded
        .payload
        .get("iss")
        .and_then(serde_json::Value::as_str);
    provider.policy.issuer.is_empty()
        || provider
            .policy
            .issuer
            .iter()
            .any(|accepted| Some(accepted.as_str()) == iss)
}
