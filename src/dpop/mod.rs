//! DPoP (RFC 9449): proof-of-possession for access tokens.
//!
//! A DPoP-bound access token carries `cnf.jkt`, the RFC 7638 thumbprint of
//! the client's public key; every request then comes with a fresh proof, a
//! small JWS signed by that key over the request's method and URI (and the
//! token's hash). A stolen token is useless without the private key.
//!
//! This module owns every DPoP rule, for every face:
//! - [`check_request_with`]: the resource server's whole decision for one
//!   request (scheme, downgrade, the proof, the binding, replay), from plain
//!   data a proxy has: the `Authorization` scheme, the token and its
//!   `cnf.jkt` (from a JWT or an introspection response), the `DPoP` header
//!   values, the method and the URI;
//! - [`verify_proof_with`]: one proof against one request, replay left to
//!   the caller (what `verifyDpopProof` in the npm package does);
//! - [`report_with`]: the same checks, each run on its own and listed with
//!   its outcome, for a person debugging a proof (`dpopReport`, the
//!   playground);
//! - [`create_proof_with`] and [`jkt`]: the client side.
//!
//! Checks, in order (RFC 9449 sections 4.3, 7, 8, 11): exactly one proof,
//! within [`DpopPolicy::max_proof_bytes`]; a compact JWS whose header has
//! `typ` `dpop+jwt`, an `alg` from an asymmetric allowlist (never `none` or
//! HMAC) and a public `jwk` of the type `alg` needs; the signature under
//! that `jwk`; claims `jti`, `htm`, `htu`, `iat`; `htm` equal to the method;
//! `htu` equal to the request URI in [`htu::normalize`]'s form; `iat` within
//! [`DpopPolicy::max_age`] plus [`DpopPolicy::clock_tolerance`] of now; the
//! server's nonce when it asks for one; `ath` equal to the token's SHA-256;
//! the `jwk` thumbprint equal to the token's `cnf.jkt`; and the `jti` not
//! seen before within the replay window.
//!
//! The replay window is how long a proof stays acceptable: until `iat +
//! max_age + clock_tolerance`. A [`ReplayCache`] must remember each proof's
//! `jti` that long (scoped to its key), and no longer is needed.

pub mod htu;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

pub use crate::assertion::{MemoryReplayCache, ReplayCache};

use crate::alg::Algorithm;
use crate::b64;
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::error::{bail, ClaimReason, Error, ErrorCode, Result};
use crate::jws::{sign_with, SignOptions, UntrustedJws};
use crate::key::jwk::Jwk;
use crate::key::Key;
use crate::policy::CheckStatus;

/// The `typ` header of every DPoP proof.
pub const DPOP_TYP: &str = "dpop+jwt";
/// How long a proof is accepted after its `iat` by default: five minutes,
/// as oauth4webapi and Kong use.
pub const DEFAULT_MAX_AGE: u64 = 300;
/// The default allowance for clocks running ahead or behind, in seconds.
pub const DEFAULT_CLOCK_TOLERANCE: u64 = 5;
/// The longest proof accepted by default. A proof carries its public key:
/// an RSA-4096 one (the largest a client sensibly uses) is under 2 KiB.
pub const DEFAULT_MAX_PROOF_BYTES: usize = 8 * 1024;
/// The longest `jti` accepted: long enough for any UUID or random string.
pub const MAX_JTI_BYTES: usize = 256;
/// The algorithms accepted by default: every asymmetric one jwt-edge has.
pub const DEFAULT_ALGORITHMS: &[Algorithm] = Algorithm::ASYMMETRIC;

/// The fully-specified name of EdDSA over Ed25519 (RFC 9864), accepted as
/// a proof's `alg` wherever EdDSA is.
pub const ED25519_ALG: &str = "Ed25519";

/// Private JWK members: a proof's `jwk` carrying any of them is refused.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What a resource server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopPolicy {
    /// Accepted proof algorithms: asymmetric only ([`DpopPolicy::new`]
    /// refuses HMAC ones).
    pub algorithms: Vec<Algorithm>,
    /// Seconds after `iat` a proof stays acceptable.
    pub max_age: u64,
    /// Seconds of clock difference allowed, both ways.
    pub clock_tolerance: u64,
    /// The longest proof accepted, in bytes.
    pub max_proof_bytes: usize,
    /// Every request needs a proof, even with an unbound token: a `Bearer`
    /// token is refused. Without it, unbound `Bearer` tokens pass and bound
    /// ones still need their proof (downgrade protection).
    pub required: bool,
}

impl Default for DpopPolicy {
    fn default() -> Self {
        Self {
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            max_age: DEFAULT_MAX_AGE,
            clock_tolerance: DEFAULT_CLOCK_TOLERANCE,
            max_proof_bytes: DEFAULT_MAX_PROOF_BYTES,
            required: false,
        }
    }
}

impl DpopPolicy {
    /// The default policy accepting exactly `algorithms`, which must be
    /// asymmetric: a proof's key is public, and a public key used as an
    /// HMAC secret proves nothing.
    pub fn new(algorithms: &[Algorithm]) -> Result<Self> {
        if algorithms.is_empty() {
            bail!(
                InvalidArgument,
                "the DPoP algorithm allowlist is empty: name the algorithms to accept"
            );
        }
        if let Some(alg) = algorithms.iter().find(|alg| alg.is_symmetric()) {
            bail!(
                InvalidArgument,
                "{alg} is symmetric: DPoP proofs are signed with asymmetric keys only"
            );
        }
        Ok(Self {
            algorithms: algorithms.to_vec(),
            ..Self::default()
        })
    }

    /// The accepted algorithms, space-separated: the `algs` parameter of a
    /// `WWW-Authenticate: DPoP` challenge (RFC 9449 section 7.1).
    pub fn algs_parameter(&self) -> String {
        let mut names: Vec<&str> = self.algorithms.iter().map(|alg| alg.name()).collect();
        if self.algorithms.contains(&Algorithm::EdDsa) {
            names.push(ED25519_ALG);
        }
        names.join(" ")
    }

    /// The replay window of a proof issued at `iat`: the last second it is
    /// accepted. Its `jti` must be remembered until then.
    pub fn accepted_until(&self, iat: i64) -> i64 {
        iat.saturating_add(self.window())
    }

    fn window(&self) -> i64 {
        i64::try_from(self.max_age.saturating_add(self.clock_tolerance)).unwrap_or(i64::MAX)
    }
}

/// What one proof must match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProofExpectations<'a> {
    /// The request method, compared exactly (`GET`, `POST`...).
    pub method: &'a str,
    /// The request URI, any absolute `http`/`https` form: it is normalised,
    /// and its query and fragment are ignored.
    pub url: &'a str,
    /// The access token sent with the proof: `ath` is then required and
    /// must be its base64url SHA-256.
    pub access_token: Option<&'a str>,
    /// The thumbprint the token is bound to (`cnf.jkt`): the proof's key
    /// must have it.
    pub jkt: Option<&'a str>,
    /// The server's current nonces. Not empty: the proof's `nonce` must be
    /// one of them, or the check fails with `ERR_DPOP_NONCE_REQUIRED`.
    pub nonces: &'a [&'a str],
    /// Seconds since the epoch.
    pub now: i64,
}

/// A proof that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedProof {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The algorithm it was signed with.
    pub alg: Algorithm,
    /// The public key it carries.
    pub jwk: Jwk,
    /// That key's RFC 7638 thumbprint.
    pub jkt: String,
    /// The `jti` claim.
    pub jti: String,
    /// The `iat` claim, in whole seconds.
    pub iat: i64,
}

impl VerifiedProof {
    /// The key a replay cache records this proof under: the `jti` scoped to
    /// the proof's key and hashed, so one client cannot use up another's
    /// `jti` values and every entry has the same small size.
    pub fn replay_key(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.jkt.as_bytes());
        hash.update(b".");
        hash.update(self.jti.as_bytes());
        b64::encode_url(&hash.finalize())
    }
}

/// Checks one proof against a request with the pure-Rust backend.
pub fn verify_proof(
    proof: &str,
    expect: &ProofExpectations<'_>,
    policy: &DpopPolicy,
) -> Result<VerifiedProof> {
    verify_proof_with(&RustCrypto, proof, expect, policy)
}

/// Checks one proof against a request: everything but replay, which needs
/// state ([`remember`] or [`check_request_with`] do it).
pub fn verify_proof_with(
    provider: &dyn CryptoProvider,
    proof: &str,
    expect: &ProofExpectations<'_>,
    policy: &DpopPolicy,
) -> Result<VerifiedProof> {
    let jws = parse_proof(proof, policy)?;
    let header = jws.header();
    check_typ(header)?;
    check_crit(header)?;
    let alg = allowed_algorithm(jws.alg(), policy)?;
    let jwk = proof_key(header, alg)?;
    check_signature(provider, &jws, alg, &jwk)?;
    let claims = proof_claims(&jws)?;
    let jti = proof_jti(&claims)?;
    let htm = required_string(&claims, "htm")?;
    let htu = required_string(&claims, "htu")?;
    let iat = issued_at(&claims)?;
    check_htm(htm, expect.method)?;
    check_htu(htu, expect.url)?;
    check_freshness(iat, expect.now, policy)?;
    check_nonce(&claims, expect.nonces)?;
    if let Some(token) = expect.access_token {
        check_ath(&claims, token)?;
    }
    let jkt = jwk.thumbprint();
    check_binding(&jkt, expect.jkt)?;
    let (jti, iat) = (jti.to_string(), iat.floor_seconds());
    Ok(VerifiedProof {
        header: header.clone(),
        claims,
        alg,
        jwk,
        jkt,
        jti,
        iat,
    })
}

/// One rule a proof must meet, as listed by [`report`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofCheck {
    /// A compact JWS within [`DpopPolicy::max_proof_bytes`].
    Format,
    /// The `typ` header is `dpop+jwt`.
    Typ,
    /// No `crit` header: no extension is understood.
    Crit,
    /// `alg` is in the asymmetric allowlist.
    Alg,
    /// The header's `jwk` is a public key of the type `alg` needs.
    Jwk,
    /// The signature verifies with that `jwk`.
    Signature,
    /// The payload is a JSON object.
    Payload,
    /// `jti` is present, 1 to [`MAX_JTI_BYTES`] bytes.
    Jti,
    /// `htm` is the request method.
    Htm,
    /// `htu` is the request URI, both normalised.
    Htu,
    /// `iat` is within the window.
    Iat,
    /// `nonce` is a current server nonce (when the server uses nonces).
    Nonce,
    /// `ath` is the access token's hash (when a token came with the proof).
    Ath,
    /// The `jwk` thumbprint is the token's `cnf.jkt` (when it is known).
    Jkt,
}

impl ProofCheck {
    /// Every check, in the order a [`ProofReport`] lists them.
    pub const ALL: [Self; 14] = [
        Self::Format,
        Self::Typ,
        Self::Crit,
        Self::Alg,
        Self::Jwk,
        Self::Signature,
        Self::Payload,
        Self::Jti,
        Self::Htm,
        Self::Htu,
        Self::Iat,
        Self::Nonce,
        Self::Ath,
        Self::Jkt,
    ];

    /// A short stable name: the header member or claim it is about
    /// (`typ`, `alg`, `jwk`, `htm`, `htu`, `iat`, `ath`...), or `format`,
    /// `signature`, `payload`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::Typ => "typ",
            Self::Crit => "crit",
            Self::Alg => "alg",
            Self::Jwk => "jwk",
            Self::Signature => "signature",
            Self::Payload => "payload",
            Self::Jti => "jti",
            Self::Htm => "htm",
            Self::Htu => "htu",
            Self::Iat => "iat",
            Self::Nonce => "nonce",
            Self::Ath => "ath",
            Self::Jkt => "jkt",
        }
    }
}

/// A proof check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofCheckOutcome {
    /// The rule.
    pub check: ProofCheck,
    /// Its outcome: skipped when the request does not ask for it (no
    /// nonce, token or `cnf.jkt` given) or when what it needs failed.
    pub status: CheckStatus,
}

/// Every check of one proof, each run on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofReport {
    /// One outcome per [`ProofCheck::ALL`], in that order.
    pub checks: Vec<ProofCheckOutcome>,
}

impl ProofReport {
    /// Whether the proof is acceptable: nothing failed and the signature
    /// was checked. Always [`verify_proof_with`]'s verdict.
    pub fn is_valid(&self) -> bool {
        let signed = self
            .checks
            .iter()
            .any(|c| c.check == ProofCheck::Signature && c.status == CheckStatus::Passed);
        signed && self.failures().next().is_none()
    }

    /// A report whose remaining checks could not run: skipped.
    fn ending(mut checks: Vec<ProofCheckOutcome>) -> Self {
        for check in &ProofCheck::ALL[checks.len()..] {
            checks.push(ProofCheckOutcome {
                check: *check,
                status: CheckStatus::Skipped,
            });
        }
        Self { checks }
    }

    /// The errors of the failed checks, in check order.
    pub fn failures(&self) -> impl Iterator<Item = &Error> {
        self.checks.iter().filter_map(|c| match &c.status {
            CheckStatus::Failed(error) => Some(error),
            _ => None,
        })
    }
}

/// [`report_with`] with the pure-Rust backend.
pub fn report(proof: &str, expect: &ProofExpectations<'_>, policy: &DpopPolicy) -> ProofReport {
    report_with(&RustCrypto, proof, expect, policy)
}

/// Runs every check of [`verify_proof_with`] independently and lists the
/// outcome of each, for a person looking at why a proof fails (the
/// playground's DPoP card): unlike verification, it does not stop at the
/// first failure. The rules are the same functions verification calls.
pub fn report_with(
    provider: &dyn CryptoProvider,
    proof: &str,
    expect: &ProofExpectations<'_>,
    policy: &DpopPolicy,
) -> ProofReport {
    let mut checks = Vec::with_capacity(ProofCheck::ALL.len());
    let mut record = |check: ProofCheck, result: Result<bool>| {
        checks.push(ProofCheckOutcome {
            check,
            status: match result {
                Ok(true) => CheckStatus::Passed,
                Ok(false) => CheckStatus::Skipped,
                Err(error) => CheckStatus::Failed(error),
            },
        });
    };
    let jws = match parse_proof(proof, policy) {
        Ok(jws) => jws,
        Err(error) => {
            record(ProofCheck::Format, Err(error));
            return ProofReport::ending(checks);
        }
    };
    record(ProofCheck::Format, Ok(true));
    let header = jws.header();
    record(ProofCheck::Typ, check_typ(header).map(|()| true));
    record(ProofCheck::Crit, check_crit(header).map(|()| true));
    let alg = allowed_algorithm(jws.alg(), policy);
    // Without an allowed alg, the jwk can still be checked for being a
    // public key, not for fitting the algorithm.
    let (key, key_result) = match &alg {
        Ok(alg) => match proof_key(header, *alg) {
            Ok(jwk) => (Some(jwk), Ok(true)),
            Err(error) => (None, Err(error)),
        },
        Err(_) => match public_jwk(header) {
            Ok(jwk) => (Some(jwk), Ok(false)),
            Err(error) => (None, Err(error)),
        },
    };
    let key_fits = matches!(key_result, Ok(true));
    record(ProofCheck::Alg, alg.clone().map(|_| true));
    record(ProofCheck::Jwk, key_result);
    let signature = match (&alg, &key) {
        (Ok(alg), Some(jwk)) if key_fits => {
            check_signature(provider, &jws, *alg, jwk).map(|()| true)
        }
        _ => Ok(false),
    };
    record(ProofCheck::Signature, signature);
    let claims = match proof_claims(&jws) {
        Ok(claims) => claims,
        Err(error) => {
            record(ProofCheck::Payload, Err(error));
            return ProofReport::ending(checks);
        }
    };
    record(ProofCheck::Payload, Ok(true));
    record(ProofCheck::Jti, proof_jti(&claims).map(|_| true));
    record(
        ProofCheck::Htm,
        required_string(&claims, "htm")
            .and_then(|htm| check_htm(htm, expect.method))
            .map(|()| true),
    );
    record(
        ProofCheck::Htu,
        required_string(&claims, "htu")
            .and_then(|htu| check_htu(htu, expect.url))
            .map(|()| true),
    );
    record(
        ProofCheck::Iat,
        issued_at(&claims)
            .and_then(|iat| check_freshness(iat, expect.now, policy))
            .map(|()| true),
    );
    let nonce = match expect.nonces {
        [] => Ok(false),
        nonces => check_nonce(&claims, nonces).map(|()| true),
    };
    record(ProofCheck::Nonce, nonce);
    let ath = match expect.access_token {
        None => Ok(false),
        Some(token) => check_ath(&claims, token).map(|()| true),
    };
    record(ProofCheck::Ath, ath);
    let binding = match (expect.jkt, &key) {
        (Some(bound), Some(jwk)) => check_binding(&jwk.thumbprint(), Some(bound)).map(|()| true),
        _ => Ok(false),
    };
    record(ProofCheck::Jkt, binding);
    ProofReport { checks }
}

/// Records a verified proof in `cache` for its replay window; a proof seen
/// before (or a full cache, which fails closed) gives `ERR_DPOP_REPLAY`.
pub fn remember(
    cache: &mut dyn ReplayCache,
    proof: &VerifiedProof,
    policy: &DpopPolicy,
    now: i64,
) -> Result<()> {
    // One second past the last accepted one, so that `expires > now` holds
    // for as long as the proof could be presented.
    let expires = policy.accepted_until(proof.iat).saturating_add(1);
    if !cache.remember(&proof.replay_key(), expires, now) {
        bail!(
            DpopReplay,
            "the DPoP proof was already used (its jti is remembered for {} s after iat)",
            policy.window()
        );
    }
    Ok(())
}

/// The `Authorization` scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449 section 7.1).
    Dpop,
}

/// Splits an `Authorization` header value into its scheme (matched
/// case-insensitively) and token. `None` for other schemes or no token.
pub fn parse_authorization(value: &str) -> Option<(AuthScheme, &str)> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start_matches(' ');
    if token.is_empty() || token.contains(' ') {
        return None;
    }
    if scheme.eq_ignore_ascii_case("Bearer") {
        Some((AuthScheme::Bearer, token))
    } else if scheme.eq_ignore_ascii_case("DPoP") {
        Some((AuthScheme::Dpop, token))
    } else {
        None
    }
}

/// The `cnf.jkt` of a token's claims or of an introspection response (RFC
/// 9449 sections 6.1 and 6.2): `None` when the token is not key-bound.
/// A malformed `cnf` is refused: a binding must never be skipped because
/// it was written oddly.
pub fn confirmation_jkt(claims: &Map<String, Value>) -> Result<Option<&str>> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(None);
    };
    let Value::Object(cnf) = cnf else {
        return Err(Error::claim_with_code(
            ErrorCode::JwtInvalid,
            "cnf",
            ClaimReason::Invalid,
            "\"cnf\" must be an object",
        ));
    };
    match cnf.get("jkt") {
        None => Ok(None),
        Some(Value::String(jkt)) if !jkt.is_empty() => Ok(Some(jkt)),
        Some(_) => Err(Error::claim_with_code(
            ErrorCode::JwtInvalid,
            "cnf",
            ClaimReason::Invalid,
            "\"cnf.jkt\" must be a non-empty string",
        )),
    }
}

/// One request as a resource server sees it, after the access token itself
/// was verified (or introspected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpopRequest<'a> {
    /// The scheme the token came with.
    pub scheme: AuthScheme,
    /// The access token, as sent.
    pub access_token: &'a str,
    /// The token's `cnf.jkt` ([`confirmation_jkt`] of its claims or of the
    /// introspection response).
    pub token_jkt: Option<&'a str>,
    /// Every `DPoP` header value of the request, in order (not joined).
    pub proofs: &'a [&'a str],
    /// The request method.
    pub method: &'a str,
    /// The request URI ([`htu::from_parts`] or [`htu::from_base`] build it
    /// from what a proxy sees).
    pub url: &'a str,
    /// The server's current nonces; empty when nonces are not used.
    pub nonces: &'a [&'a str],
    /// Seconds since the epoch.
    pub now: i64,
}

/// The resource server's DPoP decision for one request with the pure-Rust
/// backend.
pub fn check_request(
    request: &DpopRequest<'_>,
    policy: &DpopPolicy,
    replay: Option<&mut dyn ReplayCache>,
) -> Result<Option<VerifiedProof>> {
    check_request_with(&RustCrypto, request, policy, replay)
}

/// The resource server's DPoP decision for one request. `Ok(None)`: an
/// unbound `Bearer` token without a proof, which DPoP does not concern
/// (refused when the policy requires DPoP). `Ok(Some(proof))`: the proof
/// checked out and binds the token.
///
/// DPoP applies as soon as anything asks for it (as oauth4webapi decides):
/// the policy requires it, the scheme is `DPoP`, the token is bound, or a
/// `DPoP` header is present. It then needs the `DPoP` scheme (a bound token
/// sent as `Bearer` is a downgrade), exactly one proof, and a bound token.
/// `replay`, when given, records the proof (`None` leaves replay to the
/// caller, who must then [`remember`] it).
pub fn check_request_with(
    provider: &dyn CryptoProvider,
    request: &DpopRequest<'_>,
    policy: &DpopPolicy,
    replay: Option<&mut dyn ReplayCache>,
) -> Result<Option<VerifiedProof>> {
    let proof = single_proof(request.proofs)?;
    let applies = policy.required
        || request.scheme == AuthScheme::Dpop
        || request.token_jkt.is_some()
        || proof.is_some();
    if !applies {
        return Ok(None);
    }
    if request.scheme == AuthScheme::Bearer {
        let why = if request.token_jkt.is_some() {
            "the access token is DPoP-bound (cnf.jkt): it must be sent with the DPoP scheme, not Bearer"
        } else if proof.is_some() {
            "a DPoP proof came with a Bearer token: DPoP tokens use the DPoP scheme"
        } else {
            "DPoP is required: send the token with the DPoP scheme and a DPoP proof"
        };
        return Err(Error::new(ErrorCode::DpopProofRequired, why));
    }
    let Some(proof) = proof else {
        bail!(
            DpopProofRequired,
            "the request has no DPoP proof (a DPoP header) for its DPoP token"
        );
    };
    let Some(jkt) = request.token_jkt else {
        bail!(
            DpopBindingMismatch,
            "the access token is not bound to a key (no cnf.jkt), so no proof can bind it"
        );
    };
    let expect = ProofExpectations {
        method: request.method,
        url: request.url,
        access_token: Some(request.access_token),
        jkt: Some(jkt),
        nonces: request.nonces,
        now: request.now,
    };
    let verified = verify_proof_with(provider, proof, &expect, policy)?;
    if let Some(cache) = replay {
        remember(cache, &verified, policy, request.now)?;
    }
    Ok(Some(verified))
}

/// The one proof among a request's `DPoP` header values: none, or exactly
/// one compact JWS. Several headers, or several values joined by a comma
/// (as some proxies merge repeated headers), are refused.
pub fn single_proof<'a>(values: &[&'a str]) -> Result<Option<&'a str>> {
    match values {
        [] => Ok(None),
        [one] if !one.contains(',') => Ok(Some(one.trim())),
        _ => bail!(
            DpopInvalidProof,
            "a request carries exactly one DPoP proof (one DPoP header with one JWS)"
        ),
    }
}

/// What a proof says: [`create_proof_with`]'s input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofParams<'a> {
    /// `htm`: the request method.
    pub method: &'a str,
    /// `htu`: the request URI (its query and fragment are dropped).
    pub url: &'a str,
    /// The access token the request carries: adds `ath`.
    pub access_token: Option<&'a str>,
    /// A nonce the server handed out (`DPoP-Nonce`).
    pub nonce: Option<&'a str>,
    /// The algorithm; by default the key's usual one (ES256, ES384, EdDSA,
    /// RS256). RSA keys may also sign PS256 and the other RSA algorithms.
    pub alg: Option<Algorithm>,
    /// `iat`, seconds since the epoch.
    pub iat: i64,
}

/// Creates a proof with the pure-Rust backend and the system's randomness.
#[cfg(all(feature = "std", feature = "arithmetic"))]
pub fn create_proof(key: &Key, params: &ProofParams<'_>) -> Result<String> {
    crate::key::generate::ensure_os_randomness()?;
    create_proof_with(&RustCrypto, key, params, &mut rand_core::OsRng)
}

/// Creates a proof signed by `key` (a private key), with a fresh random
/// `jti` from `rng`. The header carries the public key and nothing else
/// that could identify the client.
pub fn create_proof_with<R: RngCore + CryptoRng>(
    provider: &dyn CryptoProvider,
    key: &Key,
    params: &ProofParams<'_>,
    rng: &mut R,
) -> Result<String> {
    let public = Jwk::new(key.to_public()?);
    create_proof_with_public(provider, key, &public, params, rng)
}

/// [`create_proof_with`] for a caller that keeps `key`'s public half
/// (deriving it from an EC or Ed25519 private key costs a scalar
/// multiplication per proof). `public` must be that half: another key would
/// make a proof no verifier accepts. Only its key material is written.
pub fn create_proof_with_public<R: RngCore + CryptoRng>(
    provider: &dyn CryptoProvider,
    key: &Key,
    public: &Jwk,
    params: &ProofParams<'_>,
    rng: &mut R,
) -> Result<String> {
    if public.key().is_private() || public.key().family() != key.family() {
        bail!(
            InvalidArgument,
            "the proof's jwk must be the public half of the signing key"
        );
    }
    let alg = params.alg.unwrap_or(key.family().default_algorithm());
    if alg.is_symmetric() || !key.is_private() {
        bail!(
            InvalidArgument,
            "a DPoP proof is signed with a private asymmetric key (ES256, ES384, EdDSA, RS256, PS256...)"
        );
    }
    key.check_usable_with(alg)?;
    if !is_http_token(params.method) {
        bail!(
            InvalidArgument,
            "the method {:?} is not an HTTP method name",
            params.method
        );
    }
    let htu = htu::normalize(params.url)?;
    let mut jti = [0u8; 16];
    rng.try_fill_bytes(&mut jti).map_err(|e| {
        Error::new(
            ErrorCode::RandomnessUnavailable,
            alloc::format!("the randomness source failed: {e}"),
        )
    })?;
    let mut claims = Map::new();
    claims.insert("jti".into(), Value::String(b64::encode_url(&jti)));
    claims.insert("htm".into(), Value::String(params.method.into()));
    claims.insert("htu".into(), Value::String(htu));
    claims.insert("iat".into(), Value::Number(Number::from(params.iat)));
    if let Some(token) = params.access_token {
        claims.insert("ath".into(), Value::String(access_token_hash(token)));
    }
    if let Some(nonce) = params.nonce {
        claims.insert("nonce".into(), Value::String(nonce.into()));
    }
    let mut header = Map::new();
    header.insert("jwk".into(), Jwk::new(public.key().clone()).to_value());
    let options = SignOptions {
        alg: Some(alg),
        kid: None,
        typ: Some(DPOP_TYP.into()),
        header,
    };
    sign_with(provider, &claims, key, &options)
}

/// The thumbprint to put in a token's `cnf.jkt` for `key` (private or
/// public): its RFC 7638 SHA-256 thumbprint.
pub fn jkt(key: &Key) -> String {
    crate::key::thumbprint::sha256_thumbprint(key)
}

/// `ath`: base64url(SHA-256(access token)) (RFC 9449 section 4.2).
pub fn access_token_hash(token: &str) -> String {
    b64::encode_url(&Sha256::digest(token.as_bytes()))
}

/// The proof as a compact JWS, within the size limit.
fn parse_proof<'a>(proof: &'a str, policy: &DpopPolicy) -> Result<UntrustedJws<'a>> {
    if proof.len() > policy.max_proof_bytes {
        return Err(invalid(alloc::format!(
            "the DPoP proof is {} bytes, more than the limit of {}",
            proof.len(),
            policy.max_proof_bytes
        )));
    }
    UntrustedJws::parse(proof, policy.max_proof_bytes).map_err(|e| {
        invalid(alloc::format!(
            "the DPoP proof is not a compact JWS: {}",
            e.message()
        ))
    })
}

fn check_crit(header: &Map<String, Value>) -> Result<()> {
    if header.contains_key("crit") {
        // RFC 7515 section 4.1.11: no DPoP extension is understood here.
        return Err(header_error(
            "crit",
            ClaimReason::CheckFailed,
            "the DPoP proof names critical header extensions, which are not understood",
        ));
    }
    Ok(())
}

fn check_typ(header: &Map<String, Value>) -> Result<()> {
    match header.get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case(DPOP_TYP) => Ok(()),
        None => Err(header_error(
            "typ",
            ClaimReason::Missing,
            "the DPoP proof has no \"typ\" header",
        )),
        Some(_) => Err(header_error(
            "typ",
            ClaimReason::CheckFailed,
            "the DPoP proof's \"typ\" header must be \"dpop+jwt\"",
        )),
    }
}

fn allowed_algorithm(alg: &str, policy: &DpopPolicy) -> Result<Algorithm> {
    // RFC 9864 names EdDSA over Ed25519 "Ed25519"; panva's `dpop` signs so.
    let wanted = if alg == ED25519_ALG {
        Algorithm::EdDsa.name()
    } else {
        alg
    };
    if let Some(allowed) = policy
        .algorithms
        .iter()
        .find(|allowed| allowed.name() == wanted)
    {
        if !allowed.is_symmetric() {
            return Ok(*allowed);
        }
    }
    Err(header_error(
        "alg",
        ClaimReason::CheckFailed,
        alloc::format!(
            "the DPoP proof's alg {alg:?} is not allowed (allowed: {})",
            policy.algs_parameter()
        ),
    ))
}

/// The header's `jwk`: a valid public key of the type `alg` needs, strong
/// enough.
fn proof_key(header: &Map<String, Value>, alg: Algorithm) -> Result<Jwk> {
    let jwk = public_jwk(header)?;
    jwk.key().check_usable_with(alg).map_err(|e| {
        header_error(
            "jwk",
            ClaimReason::CheckFailed,
            alloc::format!("the DPoP proof's \"jwk\": {}", e.message()),
        )
    })?;
    Ok(jwk)
}

/// The header's `jwk`: present, an object, a public key.
fn public_jwk(header: &Map<String, Value>) -> Result<Jwk> {
    let Some(value) = header.get("jwk") else {
        return Err(header_error(
            "jwk",
            ClaimReason::Missing,
            "the DPoP proof has no \"jwk\" header",
        ));
    };
    let Value::Object(members) = value else {
        return Err(header_error(
            "jwk",
            ClaimReason::Invalid,
            "the DPoP proof's \"jwk\" must be a JSON object",
        ));
    };
    if let Some(member) = PRIVATE_MEMBERS
        .iter()
        .find(|name| members.contains_key(**name))
    {
        return Err(header_error(
            "jwk",
            ClaimReason::Invalid,
            alloc::format!("the DPoP proof's \"jwk\" holds private key material ({member:?}): it must be a public key"),
        ));
    }
    Jwk::from_value(value).map_err(|e| {
        header_error(
            "jwk",
            ClaimReason::Invalid,
            alloc::format!("the DPoP proof's \"jwk\": {}", e.message()),
        )
    })
}

fn check_signature(
    provider: &dyn CryptoProvider,
    jws: &UntrustedJws<'_>,
    alg: Algorithm,
    jwk: &Jwk,
) -> Result<()> {
    provider
        .verify(alg, jwk.key(), jws.signing_input(), jws.signature())
        .map_err(|e| match e.code() {
            ErrorCode::SignatureVerificationFailed => {
                invalid("the DPoP proof's signature does not verify with its jwk")
            }
            // Not a verdict on the proof: the npm tokens module hands the
            // check to the keys module, which answers it.
            ErrorCode::KeysModuleRequired => e,
            _ => invalid(alloc::format!(
                "the DPoP proof's signature cannot be checked: {}",
                e.message()
            )),
        })
}

fn proof_claims(jws: &UntrustedJws<'_>) -> Result<Map<String, Value>> {
    jws.claims()
        .map_err(|e| invalid(alloc::format!("the DPoP proof's payload: {}", e.message())))
}

fn proof_jti(claims: &Map<String, Value>) -> Result<&str> {
    let jti = required_string(claims, "jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_BYTES {
        return Err(claim_error(
            "jti",
            ClaimReason::Invalid,
            alloc::format!("\"jti\" must be 1 to {MAX_JTI_BYTES} bytes"),
        ));
    }
    Ok(jti)
}

fn check_htm(htm: &str, method: &str) -> Result<()> {
    if htm != method {
        return Err(claim_error(
            "htm",
            ClaimReason::CheckFailed,
            alloc::format!("\"htm\" {htm:?} is not the request method {method:?}"),
        ));
    }
    Ok(())
}

fn required_string<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    match claims.get(name) {
        Some(Value::String(value)) => Ok(value),
        None => Err(claim_error(
            name,
            ClaimReason::Missing,
            alloc::format!("the DPoP proof has no \"{name}\" claim"),
        )),
        Some(_) => Err(claim_error(
            name,
            ClaimReason::Invalid,
            alloc::format!("the DPoP proof's \"{name}\" claim must be a string"),
        )),
    }
}

/// `iat` as a number of seconds (fractions allowed, as NumericDate does).
#[derive(Clone, Copy)]
struct IssuedAt(f64);

impl IssuedAt {
    fn floor_seconds(self) -> i64 {
        // `as` saturates; the value was range-checked by the freshness test.
        let whole = self.0 as i64;
        if (whole as f64) > self.0 {
            whole - 1
        } else {
            whole
        }
    }
}

fn issued_at(claims: &Map<String, Value>) -> Result<IssuedAt> {
    match claims.get("iat") {
        Some(Value::Number(number)) => match number.as_f64() {
            Some(iat) if iat.is_finite() => Ok(IssuedAt(iat)),
            _ => Err(claim_error(
                "iat",
                ClaimReason::Invalid,
                "\"iat\" is not a usable number",
            )),
        },
        None => Err(claim_error(
            "iat",
            ClaimReason::Missing,
            "the DPoP proof has no \"iat\" claim",
        )),
        Some(_) => Err(claim_error(
            "iat",
            ClaimReason::Invalid,
            "the DPoP proof's \"iat\" claim must be a number (seconds since the epoch)",
        )),
    }
}

fn check_htu(htu: &str, url: &str) -> Result<()> {
    let expected = htu::normalize(url)?;
    let actual = htu::normalize(htu).map_err(|e| {
        claim_error(
            "htu",
            ClaimReason::Invalid,
            alloc::format!("the DPoP proof's \"htu\": {}", e.message()),
        )
    })?;
    if actual != expected {
        return Err(claim_error(
            "htu",
            ClaimReason::CheckFailed,
            alloc::format!("\"htu\" {actual:?} is not the request URI {expected:?}"),
        ));
    }
    Ok(())
}

fn check_freshness(iat: IssuedAt, now: i64, policy: &DpopPolicy) -> Result<()> {
    // f64 holds every timestamp of the next few million years exactly.
    let (now, tolerance) = (now as f64, policy.clock_tolerance as f64);
    if iat.0 > now + tolerance {
        return Err(claim_error(
            "iat",
            ClaimReason::CheckFailed,
            "the DPoP proof's \"iat\" is in the future",
        ));
    }
    if now - iat.0 > policy.max_age as f64 + tolerance {
        return Err(claim_error(
            "iat",
            ClaimReason::CheckFailed,
            alloc::format!(
                "the DPoP proof is too old: \"iat\" is more than {} s ago",
                policy.max_age
            ),
        ));
    }
    Ok(())
}

fn check_nonce(claims: &Map<String, Value>, nonces: &[&str]) -> Result<()> {
    if nonces.is_empty() {
        return Ok(());
    }
    let (reason, message) = match claims.get("nonce") {
        Some(Value::String(nonce)) if nonces.contains(&nonce.as_str()) => return Ok(()),
        None => (
            ClaimReason::Missing,
            "the server requires a DPoP nonce and the proof has none",
        ),
        Some(_) => (
            ClaimReason::CheckFailed,
            "the DPoP proof's \"nonce\" is not a current server nonce",
        ),
    };
    Err(Error::claim_with_code(
        ErrorCode::DpopNonceRequired,
        "nonce",
        reason,
        message,
    ))
}

fn check_ath(claims: &Map<String, Value>, token: &str) -> Result<()> {
    let ath = required_string(claims, "ath")?;
    if ath != access_token_hash(token) {
        return Err(claim_error(
            "ath",
            ClaimReason::CheckFailed,
            "the DPoP proof's \"ath\" is not the hash of the access token it came with",
        ));
    }
    Ok(())
}

/// The proof's key must be the one the token is bound to, when it is.
fn check_binding(jkt: &str, bound: Option<&str>) -> Result<()> {
    if let Some(bound) = bound {
        if bound != jkt {
            bail!(
                DpopBindingMismatch,
                "the DPoP proof's key (thumbprint {jkt}) is not the key the access token is bound to (cnf.jkt)"
            );
        }
    }
    Ok(())
}

/// An RFC 9110 method name: one or more `tchar`.
fn is_http_token(method: &str) -> bool {
    !method.is_empty()
        && method
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::DpopInvalidProof, message)
}

fn header_error(member: &str, reason: ClaimReason, message: impl Into<String>) -> Error {
    Error::claim_with_code(ErrorCode::DpopInvalidProof, member, reason, message)
}

fn claim_error(claim: &str, reason: ClaimReason, message: impl Into<String>) -> Error {
    Error::claim_with_code(ErrorCode::DpopInvalidProof, claim, reason, message)
}
