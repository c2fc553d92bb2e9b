//! Verification under an explicit policy.
//!
//! The order is fixed and fails closed: size and structure, `alg` against the
//! allowlist, `crit`, key selection and key/algorithm binding, signature, and
//! only then the claims. Keys carried by the token itself (`jwk`, `jku`,
//! `x5u`, `x5c` headers) are never used.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{bail, ClaimReason, Error, ErrorCode, Result};
use crate::jws::{UntrustedJws, DEFAULT_MAX_TOKEN_BYTES};
use crate::key::jwk::Jwk;
use crate::key::jwks::{JwkSet, KeySelector};

/// What a token must satisfy. Build with [`VerifyPolicy::new`], which takes
/// the algorithm allowlist: there is no policy without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// The algorithms accepted; the token's `alg` must be one of them.
    pub algorithms: Vec<Algorithm>,
    /// Accepted `iss` values (exact match, any of them). Empty: not checked.
    pub issuer: Vec<String>,
    /// Accepted audiences: the token's `aud` (string or array) must contain
    /// one of them. Empty: not checked.
    pub audience: Vec<String>,
    /// Required `sub`.
    pub subject: Option<String>,
    /// Required `typ` header, compared as RFC 8725 section 3.11 suggests:
    /// case-insensitively and without an `application/` prefix.
    pub typ: Option<String>,
    /// Maximum age of the token in seconds, measured from `iat` (which then
    /// becomes required). WSO2 calls it the iat validity period.
    pub max_token_age: Option<u64>,
    /// Leeway in seconds applied to `exp`, `nbf` and `iat` alike.
    pub clock_tolerance: u64,
    /// Claims that must be present.
    pub required_claims: Vec<String>,
    /// Scopes that must all be granted (`scope` space-delimited or `scp`).
    pub scopes: Vec<String>,
    /// `crit` header extensions this caller understands and enforces.
    pub crit: Vec<String>,
    /// Longest token accepted, in bytes.
    pub max_token_bytes: usize,
}

impl VerifyPolicy {
    /// A policy accepting exactly `algorithms`, with no claim requirements
    /// beyond the time claims that are present.
    pub fn new(algorithms: &[Algorithm]) -> Result<Self> {
        if algorithms.is_empty() {
            bail!(
                InvalidArgument,
                "the algorithm allowlist is empty: name the algorithms to accept"
            );
        }
        Ok(Self {
            algorithms: algorithms.to_vec(),
            issuer: Vec::new(),
            audience: Vec::new(),
            subject: None,
            typ: None,
            max_token_age: None,
            clock_tolerance: 0,
            required_claims: Vec::new(),
            scopes: Vec::new(),
            crit: Vec::new(),
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        })
    }

    /// The default allowlist for a key set: the algorithms its keys can
    /// verify (honouring each key's own `alg`), never HMAC with a public key.
    pub fn algorithms_for(keys: &JwkSet) -> Vec<Algorithm> {
        let usable = |alg: Algorithm| {
            keys.keys.iter().any(|jwk| {
                let own = jwk
                    .alg
                    .as_deref()
                    .and_then(|alg| Algorithm::from_name(alg).ok());
                jwk.key().family() == alg.key_family() && own.is_none_or(|own| own == alg)
            })
        };
        // In `Algorithm::ALL` order: sorted and without duplicates, with no
        // sort in the WebAssembly modules.
        Algorithm::ALL
            .iter()
            .copied()
            .filter(|alg| usable(*alg))
            .collect()
    }
}

/// A token whose signature and claims passed the policy.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claims.
    pub payload: Map<String, Value>,
    /// The algorithm the signature was checked with.
    pub alg: Algorithm,
    /// The `kid` of the key that verified it, if the key had one.
    pub kid: Option<String>,
}

/// The keys a token may be verified with.
#[derive(Debug, Clone, Copy)]
pub enum Keys<'a> {
    /// One key, used whatever the token's `kid` says (as jose does).
    Single(&'a Jwk),
    /// A JWKS: the key is chosen by the token's `kid` and `alg`.
    Set(&'a JwkSet),
}

/// Verifies a token at time `now` (seconds since the epoch) with the
/// pure-Rust backend.
pub fn verify(token: &str, keys: Keys<'_>, policy: &VerifyPolicy, now: i64) -> Result<VerifiedJwt> {
    verify_with(&RustCrypto, token, keys, policy, now)
}

/// Verifies a token with the given signature backend.
pub fn verify_with(
    provider: &dyn CryptoProvider,
    token: &str,
    keys: Keys<'_>,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<VerifiedJwt> {
    let jws = verify_jws_with(provider, token, keys, policy)?;
    let payload =
        match crate::json::parse_bytes(&jws.payload, ErrorCode::JwtInvalid, "the JWT payload")? {
            Value::Object(claims) => claims,
            _ => bail!(JwtInvalid, "the JWT payload must be a JSON object"),
        };
    validate_claims(&jws.header, &payload, policy, now)?;
    Ok(VerifiedJwt {
        header: jws.header,
        payload,
        alg: jws.alg,
        kid: jws.kid,
    })
}

/// A JWS whose signature verified; its payload is any byte string.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// The algorithm the signature was checked with.
    pub alg: Algorithm,
    /// The `kid` of the key that verified it, if the key had one.
    pub kid: Option<String>,
}

/// Verifies a compact JWS signature under the policy's algorithm, `crit`
/// and size rules, without reading the payload as JWT claims (jose's
/// `compactVerify`).
pub fn verify_jws(token: &str, keys: Keys<'_>, policy: &VerifyPolicy) -> Result<VerifiedJws> {
    verify_jws_with(&RustCrypto, token, keys, policy)
}

/// [`verify_jws`] with the given signature backend.
pub fn verify_jws_with(
    provider: &dyn CryptoProvider,
    token: &str,
    keys: Keys<'_>,
    policy: &VerifyPolicy,
) -> Result<VerifiedJws> {
    let jws = UntrustedJws::parse(token, policy.max_token_bytes)?;
    let (alg, jwk) = select_key(&jws, keys, policy)?;
    provider.verify(alg, jwk.key(), jws.signing_input(), jws.signature())?;
    Ok(VerifiedJws {
        header: jws.header().clone(),
        payload: jws.payload().to_vec(),
        alg,
        kid: jwk.kid.clone(),
    })
}

/// Everything before the signature check: the `alg` against the allowlist,
/// `crit`, and the key that must verify the token, bound to its algorithm.
/// Hosts with asynchronous native crypto call this, check the signature
/// themselves, then call [`validate_claims`].
pub fn select_key<'k>(
    jws: &UntrustedJws<'_>,
    keys: Keys<'k>,
    policy: &VerifyPolicy,
) -> Result<(Algorithm, &'k Jwk)> {
    let alg = allowed_algorithm(jws.alg(), policy)?;
    check_crit(jws.header(), policy)?;
    let jwk = match keys {
        Keys::Single(jwk) => {
            let selector = KeySelector {
                alg: Some(alg),
                key_use: Some("sig"),
                ..KeySelector::default()
            };
            if !selector.matches(jwk) {
                jwk.key().check_usable_with(alg)?;
                return Err(Error::new(
                    ErrorCode::KeyTypeMismatch,
                    alloc::format!(
                        "the key is restricted to {} and cannot verify {alg}",
                        describe_restriction(jwk)
                    ),
                ));
            }
            jwk
        }
        Keys::Set(set) => set.select(&KeySelector {
            kid: jws.kid(),
            alg: Some(alg),
            key_use: Some("sig"),
            kty: None,
        })?,
    };
    jwk.key().check_usable_with(alg)?;
    Ok((alg, jwk))
}

fn describe_restriction(jwk: &Jwk) -> String {
    match (&jwk.alg, &jwk.key_use) {
        (Some(alg), _) => alloc::format!("alg {alg}"),
        (None, Some(key_use)) => alloc::format!("use {key_use:?}"),
        (None, None) => "another algorithm".to_string(),
    }
}

fn allowed_algorithm(alg: &str, policy: &VerifyPolicy) -> Result<Algorithm> {
    if let Some(allowed) = policy
        .algorithms
        .iter()
        .find(|allowed| allowed.name() == alg)
    {
        return Ok(*allowed);
    }
    let message = if alg.eq_ignore_ascii_case("none") {
        alloc::format!("alg {alg:?} (unsecured JWS) is never accepted")
    } else {
        alloc::format!(
            "alg {alg:?} is not allowed (allowed: {})",
            policy
                .algorithms
                .iter()
                .map(|alg| alg.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Err(Error::new(ErrorCode::AlgNotAllowed, message))
}

/// RFC 7515 section 4.1.11: every `crit` entry must be understood, and
/// present in the header.
fn check_crit(header: &Map<String, Value>, policy: &VerifyPolicy) -> Result<()> {
    let Some(crit) = header.get("crit") else {
        return Ok(());
    };
    let Some(entries) = crit.as_array().filter(|entries| !entries.is_empty()) else {
        bail!(
            JwsInvalid,
            "the JWS header \"crit\" must be a non-empty array of names"
        );
    };
    for entry in entries {
        let Some(name) = entry.as_str() else {
            bail!(
                JwsInvalid,
                "the JWS header \"crit\" must list names (strings)"
            );
        };
        if !policy.crit.iter().any(|known| known == name) {
            bail!(
                CritUnsupported,
                "critical header extension {name:?} is not understood"
            );
        }
        if !header.contains_key(name) {
            bail!(
                JwsInvalid,
                "critical header extension {name:?} is listed in \"crit\" but absent"
            );
        }
    }
    Ok(())
}

/// Checks the claims and the `typ` header against the policy at `now`,
/// stopping at the first failure.
pub fn validate_claims(
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<()> {
    for (_, check) in CLAIM_CHECKS {
        check(header, payload, policy, now)?;
    }
    Ok(())
}

/// One rule of verification, as listed in a [`report`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The token is a well-formed compact JWS within the size limit.
    Format,
    /// `alg` is in the allowlist.
    Algorithm,
    /// Every `crit` extension is understood.
    Crit,
    /// A key was found for the token and fits its algorithm.
    Key,
    /// The signature verifies.
    Signature,
    /// The payload is a JSON object.
    Payload,
    /// The `typ` header.
    Typ,
    /// The required claims are present.
    RequiredClaims,
    /// `iss`.
    Issuer,
    /// `sub`.
    Subject,
    /// `aud`.
    Audience,
    /// `nbf`.
    NotBefore,
    /// `exp`.
    Expiration,
    /// `iat` and the maximum token age.
    IssuedAt,
    /// The required scopes.
    Scopes,
}

impl Check {
    /// A short stable name: `format`, `alg`, `crit`, `key`, `signature`,
    /// `payload`, `typ`, `required`, `iss`, `sub`, `aud`, `nbf`, `exp`,
    /// `iat`, `scope`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::Algorithm => "alg",
            Self::Crit => "crit",
            Self::Key => "key",
            Self::Signature => "signature",
            Self::Payload => "payload",
            Self::Typ => "typ",
            Self::RequiredClaims => "required",
            Self::Issuer => "iss",
            Self::Subject => "sub",
            Self::Audience => "aud",
            Self::NotBefore => "nbf",
            Self::Expiration => "exp",
            Self::IssuedAt => "iat",
            Self::Scopes => "scope",
        }
    }
}

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckStatus {
    /// The rule applied and held.
    Passed,
    /// The rule failed.
    Failed(Error),
    /// The rule was not configured, or could not run because an earlier
    /// check failed.
    Skipped,
}

/// A check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// The rule.
    pub check: Check,
    /// Its outcome.
    pub status: CheckStatus,
}

/// Runs every check independently and lists the outcome of each, for a
/// person looking at why a token fails (the playground's verify panel).
/// Unlike [`verify`], it does not stop at the first failure; the token is
/// valid only if nothing failed and the signature passed.
pub fn report(token: &str, keys: Keys<'_>, policy: &VerifyPolicy, now: i64) -> Vec<CheckOutcome> {
    report_with(&RustCrypto, token, keys, policy, now)
}

/// [`report`] with the given signature backend.
pub fn report_with(
    provider: &dyn CryptoProvider,
    token: &str,
    keys: Keys<'_>,
    policy: &VerifyPolicy,
    now: i64,
) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::new();
    let mut push = |check: Check, result: Result<bool>| {
        let status = match result {
            Ok(true) => CheckStatus::Passed,
            Ok(false) => CheckStatus::Skipped,
            Err(error) => CheckStatus::Failed(error),
        };
        outcomes.push(CheckOutcome { check, status });
    };
    let jws = match UntrustedJws::parse(token, policy.max_token_bytes) {
        Ok(jws) => {
            push(Check::Format, Ok(true));
            jws
        }
        Err(error) => {
            push(Check::Format, Err(error));
            return outcomes;
        }
    };
    let alg = allowed_algorithm(jws.alg(), policy);
    let alg_ok = alg.is_ok();
    push(Check::Algorithm, alg.map(|_| true));
    push(
        Check::Crit,
        check_crit(jws.header(), policy).map(|()| jws.header().contains_key("crit")),
    );
    if alg_ok {
        match select_key(&jws, keys, policy) {
            Ok((alg, jwk)) => {
                push(Check::Key, Ok(true));
                let verified =
                    provider.verify(alg, jwk.key(), jws.signing_input(), jws.signature());
                push(Check::Signature, verified.map(|()| true));
            }
            Err(error) => {
                push(Check::Key, Err(error));
                push(Check::Signature, Ok(false));
            }
        }
    } else {
        push(Check::Key, Ok(false));
        push(Check::Signature, Ok(false));
    }
    match jws.claims() {
        Ok(payload) => {
            push(Check::Payload, Ok(true));
            for (check, run) in CLAIM_CHECKS {
                push(check, run(jws.header(), &payload, policy, now));
            }
        }
        Err(error) => push(Check::Payload, Err(error)),
    }
    outcomes
}

/// A claim rule: `Ok(true)` if it applied and held, `Ok(false)` if the
/// policy does not ask for it and the token does not carry it.
type ClaimCheck = fn(&Map<String, Value>, &Map<String, Value>, &VerifyPolicy, i64) -> Result<bool>;

/// The claim rules in the order [`validate_claims`] applies them.
const CLAIM_CHECKS: [(Check, ClaimCheck); 9] = [
    (Check::Typ, check_typ),
    (Check::RequiredClaims, check_required),
    (Check::Issuer, check_issuer),
    (Check::Subject, check_subject),
    (Check::Audience, check_audience),
    (Check::NotBefore, check_not_before),
    (Check::Expiration, check_expiration),
    (Check::IssuedAt, check_issued_at),
    (Check::Scopes, check_scopes),
];

fn check_typ(
    header: &Map<String, Value>,
    _: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    let Some(expected) = &policy.typ else {
        return Ok(false);
    };
    let actual = header.get("typ").and_then(Value::as_str);
    if actual.is_none_or(|actual| normalize_typ(actual) != normalize_typ(expected)) {
        return Err(Error::claim(
            "typ",
            ClaimReason::CheckFailed,
            alloc::format!("unexpected \"typ\" header: expected {expected:?}"),
        ));
    }
    Ok(true)
}

fn check_required(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    for claim in &policy.required_claims {
        if !payload.contains_key(claim) {
            return Err(Error::claim(
                claim,
                ClaimReason::Missing,
                alloc::format!("missing required \"{claim}\" claim"),
            ));
        }
    }
    Ok(!policy.required_claims.is_empty())
}

fn check_issuer(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    if policy.issuer.is_empty() {
        return Ok(false);
    }
    let issuer = string_claim(payload, "iss")?;
    if !issuer.is_some_and(|iss| policy.issuer.iter().any(|accepted| accepted == iss)) {
        return Err(claim_check_failed(payload, "iss"));
    }
    Ok(true)
}

fn check_subject(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    let Some(subject) = &policy.subject else {
        return Ok(false);
    };
    if string_claim(payload, "sub")? != Some(subject.as_str()) {
        return Err(claim_check_failed(payload, "sub"));
    }
    Ok(true)
}

fn check_audience(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    if policy.audience.is_empty() {
        return Ok(false);
    }
    if !audience_matches(payload, &policy.audience)? {
        return Err(claim_check_failed(payload, "aud"));
    }
    Ok(true)
}

fn check_not_before(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<bool> {
    let Some(nbf) = numeric_date(payload, "nbf")? else {
        return Ok(false);
    };
    // f64 holds every timestamp of the next few million years exactly.
    if nbf > now as f64 + policy.clock_tolerance as f64 {
        return Err(Error::claim(
            "nbf",
            ClaimReason::CheckFailed,
            "\"nbf\" claim timestamp check failed: the token is not active yet",
        ));
    }
    Ok(true)
}

fn check_expiration(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<bool> {
    let Some(exp) = numeric_date(payload, "exp")? else {
        return Ok(false);
    };
    // RFC 7519 section 4.1.4: the token must not be accepted on or after exp.
    if exp <= now as f64 - policy.clock_tolerance as f64 {
        return Err(Error::claim_with_code(
            ErrorCode::JwtExpired,
            "exp",
            ClaimReason::CheckFailed,
            "\"exp\" claim timestamp check failed: the token is expired",
        ));
    }
    Ok(true)
}

fn check_issued_at(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<bool> {
    let iat = numeric_date(payload, "iat")?;
    let Some(max_age) = policy.max_token_age else {
        return Ok(iat.is_some());
    };
    let Some(iat) = iat else {
        return Err(Error::claim(
            "iat",
            ClaimReason::Missing,
            "missing required \"iat\" claim (a maximum token age is set)",
        ));
    };
    let (now, tolerance) = (now as f64, policy.clock_tolerance as f64);
    if iat > now + tolerance {
        return Err(Error::claim(
            "iat",
            ClaimReason::CheckFailed,
            "\"iat\" claim timestamp check failed: it is in the future",
        ));
    }
    if now - iat - tolerance > max_age as f64 {
        return Err(Error::claim_with_code(
            ErrorCode::JwtExpired,
            "iat",
            ClaimReason::CheckFailed,
            "\"iat\" claim timestamp check failed: the token is older than the maximum token age",
        ));
    }
    Ok(true)
}

fn check_scopes(
    _: &Map<String, Value>,
    payload: &Map<String, Value>,
    policy: &VerifyPolicy,
    _: i64,
) -> Result<bool> {
    if policy.scopes.is_empty() {
        return Ok(false);
    }
    let granted = granted_scopes(payload)?;
    let missing: Vec<&str> = policy
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|scope| !granted.contains(scope))
        .collect();
    if !missing.is_empty() {
        return Err(Error::claim(
            "scope",
            ClaimReason::CheckFailed,
            alloc::format!("missing required scope(s): {}", missing.join(" ")),
        ));
    }
    Ok(true)
}

fn claim_check_failed(payload: &Map<String, Value>, claim: &str) -> Error {
    let reason = if payload.contains_key(claim) {
        ClaimReason::CheckFailed
    } else {
        ClaimReason::Missing
    };
    let message = match reason {
        ClaimReason::Missing => alloc::format!("missing required \"{claim}\" claim"),
        _ => alloc::format!("unexpected \"{claim}\" claim value"),
    };
    Error::claim(claim, reason, message)
}

fn normalize_typ(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

fn string_claim<'a>(payload: &'a Map<String, Value>, claim: &str) -> Result<Option<&'a str>> {
    match payload.get(claim) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Error::claim(
            claim,
            ClaimReason::Invalid,
            alloc::format!("\"{claim}\" claim must be a string"),
        )),
    }
}

/// The `aud` claim as a list: a string, or an array of strings.
pub fn audiences(payload: &Map<String, Value>) -> Result<Vec<&str>> {
    match payload.get("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(aud)) => Ok(alloc::vec![aud.as_str()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().ok_or_else(|| {
                    Error::claim(
                        "aud",
                        ClaimReason::Invalid,
                        "\"aud\" claim must be a string or an array of strings",
                    )
                })
            })
            .collect(),
        Some(_) => Err(Error::claim(
            "aud",
            ClaimReason::Invalid,
            "\"aud\" claim must be a string or an array of strings",
        )),
    }
}

fn audience_matches(payload: &Map<String, Value>, accepted: &[String]) -> Result<bool> {
    Ok(audiences(payload)?
        .iter()
        .any(|aud| accepted.iter().any(|accepted| accepted == aud)))
}

/// The scopes granted by `scope` (space-delimited string) or `scp` (array
/// of strings, or a space-delimited string as some issuers write it).
pub fn granted_scopes(payload: &Map<String, Value>) -> Result<Vec<&str>> {
    let mut granted = Vec::new();
    for claim in ["scope", "scp"] {
        match payload.get(claim) {
            None => {}
            Some(Value::String(list)) => granted.extend(list.split(' ').filter(|s| !s.is_empty())),
            Some(Value::Array(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(scope) => granted.push(scope),
                        None => {
                            return Err(Error::claim(
                                claim,
                                ClaimReason::Invalid,
                                alloc::format!("\"{claim}\" claim must list scopes as strings"),
                            ))
                        }
                    }
                }
            }
            Some(_) => {
                return Err(Error::claim(
                    claim,
                    ClaimReason::Invalid,
                    alloc::format!("\"{claim}\" claim must be a string or an array of strings"),
                ))
            }
        }
    }
    Ok(granted)
}

/// A NumericDate claim: absent, or a JSON number. A string, even one that
/// looks like a number, is rejected (`reason: invalid`).
pub fn numeric_date(payload: &Map<String, Value>, claim: &str) -> Result<Option<f64>> {
    match payload.get(claim) {
        None => Ok(None),
        Some(Value::Number(number)) => number.as_f64().map(Some).ok_or_else(|| {
            Error::claim(
                claim,
                ClaimReason::Invalid,
                alloc::format!("\"{claim}\" is not a usable number"),
            )
        }),
        Some(_) => Err(Error::claim(
            claim,
            ClaimReason::Invalid,
            alloc::format!("\"{claim}\" claim must be a number (seconds since the epoch)"),
        )),
    }
}
