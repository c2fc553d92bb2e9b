//! The per-request decision: rule, requirement, token verification (by the
//! core), scope and claim checks, and the headers for the upstream. Pure:
//! the glue feeds it the request and applies the [`Outcome`].

use std::rc::Rc;
use std::string::String;
use std::vec::Vec;

use crate::crypto::CryptoProvider;
use crate::error::{Error, ErrorCode};
use crate::gateway;
use crate::policy::{self, Keys};

use super::cache::{self, TokenCache, Verified};
use super::config::{Config, KeySource, Requirement, Rule};
use super::remote::RemoteKeys;
use super::request::{self, FoundToken, Request};
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
}

/// Counters a decision produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// Verified-token cache hits.
    pub cache_hits: u32,
}

/// How one provider's check of the request went.
enum Check<'c> {
    Valid(Vec<(usize, FoundToken<'c>, Rc<Verified>)>),
    Missing,
    Failed(Denial),
    Wait(usize),
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
    let mut remove: Vec<&'c str> = env
        .config
        .output_headers
        .iter()
        .map(String::as_str)
        .collect();
    let mut set = Vec::new();
    let Some(requirement) = &rule.requires else {
        return Outcome::Allow { remove, set };
    };
    let valid = match check(env, caches, requirement, request, trace) {
        Check::Valid(valid) => valid,
        Check::Missing => return Outcome::Deny(Denial::missing("a bearer token is required")),
        Check::Failed(denial) => return Outcome::Deny(denial),
        Check::Wait(provider) => return Outcome::Wait(provider),
    };
    if let Err(denial) = check_rule(rule, &valid) {
        return Outcome::Deny(denial);
    }
    for (index, found, verified) in &valid {
        let Some(provider) = env.config.providers.get(*index) else {
            continue;
        };
        for (header, claim) in &provider.claim_to_headers {
            if let Some(value) =
                gateway::claim_at_path(&verified.claims, claim).and_then(claim_header_value)
            {
                set.push((header.as_str(), value));
            }
        }
        if let Some(header) = &provider.forward_payload_header {
            if header_value_ok(&verified.payload_segment) {
                set.push((header.as_str(), verified.payload_segment.clone()));
            }
        }
        if !provider.forward {
            if let Some(header) = found.header {
                remove.push(header);
            }
        }
    }
    // Headers about to be set need no removal first.
    remove.retain(|name| !set.iter().any(|(set_name, _)| set_name == name));
    Outcome::Allow { remove, set }
}

/// Scopes and claims: one verified token must satisfy all of them.
fn check_rule(rule: &Rule, valid: &[(usize, FoundToken<'_>, Rc<Verified>)]) -> Result<(), Denial> {
    if rule.scopes.is_empty() && rule.claims.is_empty() {
        return Ok(());
    }
    let mut first_error: Option<Error> = None;
    for (_, _, verified) in valid {
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

fn check<'c>(
    env: &Env<'c, '_>,
    caches: &mut [TokenCache],
    requirement: &Requirement,
    request: &dyn Request,
    trace: &mut Trace,
) -> Check<'c> {
    match requirement {
        Requirement::Provider(index) => check_provider(env, caches, *index, request, trace),
        Requirement::Any(list) => {
            let mut failure = None;
            let mut wait = None;
            for item in list {
                match check(env, caches, item, request, trace) {
                    Check::Valid(valid) => return Check::Valid(valid),
                    Check::Missing => {}
                    Check::Failed(denial) => {
                        failure.get_or_insert(denial);
                    }
                    Check::Wait(provider) => {
                        wait.get_or_insert(provider);
                    }
                }
            }
            match (wait, failure) {
                (Some(provider), _) => Check::Wait(provider),
                (None, Some(denial)) => Check::Failed(denial),
                (None, None) => Check::Missing,
            }
        }
        Requirement::All(list) => {
            let mut all = Vec::new();
            for item in list {
                match check(env, caches, item, request, trace) {
                    Check::Valid(valid) => all.extend(valid),
                    other => return other,
                }
            }
            Check::Valid(all)
        }
        Requirement::AllowMissing | Requirement::AllowMissingOrFailed => {
            let tolerate_failure = matches!(requirement, Requirement::AllowMissingOrFailed);
            let mut all = Vec::new();
            for index in 0..env.config.providers.len() {
                match check_provider(env, caches, index, request, trace) {
                    Check::Valid(valid) => all.extend(valid),
                    Check::Missing => {}
                    Check::Failed(_) | Check::Wait(_) if tolerate_failure => {}
                    other => return other,
                }
            }
            Check::Valid(all)
        }
    }
}

fn check_provider<'c>(
    env: &Env<'c, '_>,
    caches: &mut [TokenCache],
    index: usize,
    request: &dyn Request,
    trace: &mut Trace,
) -> Check<'c> {
    let Some(provider) = env.config.providers.get(index) else {
        return Check::Failed(Denial::keys_unavailable("?"));
    };
    let Some(found) = request::find_token(provider, request) else {
        return Check::Missing;
    };
    if let Some(cache) = caches.get_mut(index) {
        if let Some(verified) = cache.get(&found.token, env.now) {
            trace.cache_hits += 1;
            return Check::Valid(std::vec![(index, found, verified)]);
        }
    }
    let remote = env.remote.get(index).and_then(Option::as_ref);
    let keys = match (&provider.keys, remote) {
        (KeySource::Set(set), _) => Keys::Set(set),
        (KeySource::Single(jwk), _) => Keys::Single(jwk),
        (KeySource::Remote(_), Some(remote)) => Keys::Set(&remote.set),
        (KeySource::Remote(_), None) => {
            return if env.may_wait {
                Check::Wait(index)
            } else {
                Check::Failed(Denial::keys_unavailable(&provider.name))
            };
        }
    };
    let verified =
        match policy::verify_with(env.crypto, &found.token, keys, &provider.policy, env.now) {
            Ok(verified) => verified,
            Err(error) => {
                if error.code() == ErrorCode::JwksNoMatchingKey
                    && env.may_wait
                    && remote.is_some_and(|remote| unknown_kid(&remote.set, &found.token, provider))
                    && (env.request_refetch)(index)
                {
                    return Check::Wait(index);
                }
                return Check::Failed(Denial::invalid(&error));
            }
        };
    let payload_segment = match gateway::payload_segment(&found.token) {
        Ok(segment) => segment.into(),
        Err(error) => return Check::Failed(Denial::invalid(&error)),
    };
    let until = cache::valid_until(&verified.payload, provider.policy.max_token_age);
    let verified = Rc::new(Verified {
        claims: verified.payload,
        payload_segment,
    });
    if let (Some(until), Some(cache)) = (until, caches.get_mut(index)) {
        cache.insert(&found.token, Rc::clone(&verified), until, env.now);
    }
    Check::Valid(std::vec![(index, found, verified)])
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
