//! OAuth 2.0 token introspection (RFC 7662) as a resource server's client:
//! the request a gateway sends, its client authentication, the strict
//! reading of the answer (JSON, or an RFC 9701 signed JWT), and how long an
//! answer may be cached.
//!
//! Transport is the host's: this module builds the headers and the form
//! body and reads the status and body that came back. Every way an answer
//! can be unusable has its own [`ErrorCode`], so that a host can tell "the
//! token is not active" (the client's fault, 401) from "the authorization
//! server cannot be used" (ours, 503) and never mistake one for the other.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use rand_core::{CryptoRng, RngCore};
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::assertion::{build_assertion, AssertionRequest, Profile};
use crate::crypto::CryptoProvider;
use crate::error::{bail, ClaimReason, Error, ErrorCode, Result};
use crate::jws::SignOptions;
use crate::key::jwks::JwkSet;
use crate::key::Key;
use crate::policy::{self, Keys, VerifyPolicy};

/// The longest introspection answer read. Answers are a few hundred bytes;
/// a larger one is refused (`ERR_INTROSPECTION_TOO_LARGE`) unread.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The `typ` of an RFC 9701 introspection answer.
pub const JWT_RESPONSE_TYP: &str = "token-introspection+jwt";
/// The media type asked for RFC 9701 answers.
pub const JWT_RESPONSE_MEDIA_TYPE: &str = "application/token-introspection+jwt";
/// Lifetime of a `private_key_jwt` client assertion: each request signs a
/// fresh one, so it only has to outlive the call.
pub const CLIENT_ASSERTION_LIFETIME_SECONDS: u64 = 60;

/// How the resource server authenticates to the introspection endpoint:
/// exactly one method per request (RFC 6749 section 2.3).
#[derive(Clone)]
pub enum ClientAuth {
    /// `Authorization: Basic` with the client id and secret, each
    /// form-urlencoded before base64 (RFC 6749 section 2.3.1).
    SecretBasic {
        /// The client secret.
        secret: String,
    },
    /// `client_id` and `client_secret` in the form body.
    SecretPost {
        /// The client secret.
        secret: String,
    },
    /// An RFC 7523 client assertion signed with the client's private key,
    /// fresh for every request (`iss` = `sub` = client_id, unique `jti`).
    PrivateKeyJwt {
        /// The private key (boxed: it is large, the other variants small).
        key: Box<Key>,
        /// Its signing algorithm.
        alg: Algorithm,
        /// The `kid` header, when the key has one.
        kid: Option<String>,
        /// The assertion's `aud`: the introspection endpoint, or the
        /// issuer for servers that expect that.
        audience: String,
    },
}

/// Secrets and keys never reach a log line through `{:?}`.
impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretBasic { .. } => f.write_str("client_secret_basic(<redacted>)"),
            Self::SecretPost { .. } => f.write_str("client_secret_post(<redacted>)"),
            Self::PrivateKeyJwt { alg, audience, .. } => {
                write!(
                    f,
                    "private_key_jwt({alg}, aud {audience:?}, <key redacted>)"
                )
            }
        }
    }
}

impl ClientAuth {
    /// The method's registered name (RFC 7591 `token_endpoint_auth_method`).
    pub fn method(&self) -> &'static str {
        match self {
            Self::SecretBasic { .. } => "client_secret_basic",
            Self::SecretPost { .. } => "client_secret_post",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }
}

/// The answer format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/json` (RFC 7662).
    Json,
    /// `application/token-introspection+jwt` (RFC 9701).
    Jwt,
}

/// The resource server as an introspection client.
#[derive(Debug, Clone)]
pub struct IntrospectionClient {
    /// The client id.
    pub client_id: String,
    /// How it authenticates.
    pub auth: ClientAuth,
    /// The answer format it asks for.
    pub format: ResponseFormat,
}

/// An introspection request, ready for the host to POST.
#[derive(Clone, PartialEq, Eq)]
pub struct IntrospectionRequest {
    /// Headers besides `:method`, `:path` and `:authority` (lower-case
    /// names): content type, accept and, for `client_secret_basic`,
    /// authorization.
    pub headers: Vec<(&'static str, String)>,
    /// The `application/x-www-form-urlencoded` body.
    pub body: String,
}

/// The body and authorization header carry the token and credentials.
impl fmt::Debug for IntrospectionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntrospectionRequest(<redacted>)")
    }
}

impl IntrospectionClient {
    /// The request introspecting `token` (RFC 7662 section 2.1: `token`
    /// and `token_type_hint=access_token`), authenticated by the client's
    /// one method. `rng` makes a `private_key_jwt` assertion's `jti`.
    pub fn request<R: CryptoRng + RngCore>(
        &self,
        token: &str,
        now: i64,
        rng: &mut R,
    ) -> Result<IntrospectionRequest> {
        if token.is_empty() {
            bail!(InvalidArgument, "there is no token to introspect");
        }
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token);
        form.append_pair("token_type_hint", "access_token");
        let accept = match self.format {
            ResponseFormat::Json => "application/json",
            ResponseFormat::Jwt => JWT_RESPONSE_MEDIA_TYPE,
        };
        let mut headers = alloc::vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_string()
            ),
            ("accept", accept.to_string()),
        ];
        match &self.auth {
            ClientAuth::SecretBasic { secret } => {
                headers.push(("authorization", basic_credentials(&self.client_id, secret)));
            }
            ClientAuth::SecretPost { secret } => {
                form.append_pair("client_id", &self.client_id);
                form.append_pair("client_secret", secret);
            }
            ClientAuth::PrivateKeyJwt {
                key,
                alg,
                kid,
                audience,
            } => {
                let mut assertion = AssertionRequest::new(Profile::ClientAssertion);
                assertion.issuer = Some(self.client_id.clone());
                assertion.audience = alloc::vec![audience.clone()];
                // The assertion is not for a token endpoint: say where it
                // goes, so the profile need not derive it from `aud`.
                assertion.token_endpoint = Some(audience.clone());
                assertion.lifetime = CLIENT_ASSERTION_LIFETIME_SECONDS;
                let options = SignOptions {
                    alg: Some(*alg),
                    kid: kid.clone(),
                    ..SignOptions::default()
                };
                let signed = build_assertion(&assertion, key, &options, now, rng)?;
                form.append_pair("client_id", &self.client_id);
                form.append_pair(
                    "client_assertion_type",
                    crate::assertion::JWT_BEARER_CLIENT_ASSERTION_TYPE,
                );
                form.append_pair("client_assertion", &signed.assertion);
            }
        }
        Ok(IntrospectionRequest {
            headers,
            body: form.finish(),
        })
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 section
/// 2.3.1 (the encoding of its Appendix B: spaces become `+`).
pub fn basic_credentials(client_id: &str, secret: &str) -> String {
    let mut pair: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    pair.push(':');
    pair.extend(form_urlencoded::byte_serialize(secret.as_bytes()));
    alloc::format!("Basic {}", crate::b64::encode_std(pair.as_bytes()))
}

// ----------------------------------------------------------- answers ----

/// What the authorization server said about the token.
#[derive(Debug, Clone, PartialEq)]
pub enum Introspection {
    /// `active: true`: the token's claims (every member but `active`).
    Active(Map<String, Value>),
    /// `active: false`: expired, revoked, unknown or not for us.
    Inactive,
}

/// What an active answer must also satisfy: the provider's issuer and
/// audiences, and the time claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Accepted `iss` values; empty: not checked.
    pub issuer: Vec<String>,
    /// Accepted audiences (one must be in `aud`); empty: not checked.
    pub audiences: Vec<String>,
    /// Leeway for `exp` and `nbf`, in seconds.
    pub clock_tolerance: u64,
}

/// Reads an introspection answer: the HTTP status (as Envoy gives it, a
/// decimal string), the body, and for an active token the expectations.
/// Errors: a non-2xx status `ERR_INTROSPECTION_UNAVAILABLE`; an oversized
/// body `ERR_INTROSPECTION_TOO_LARGE`; a body that is not a JSON object
/// `ERR_INTROSPECTION_NOT_JSON`; a missing or non-boolean `active`, or a
/// member of the wrong type, `ERR_INTROSPECTION_INVALID`. An active token
/// that fails the expectations gives the core's token errors
/// (`ERR_JWT_EXPIRED`, `ERR_JWT_CLAIM_VALIDATION_FAILED`).
pub fn parse_response(
    status: Option<&str>,
    body: &[u8],
    expect: &Expectations,
    now: i64,
) -> Result<Introspection> {
    check_status(status)?;
    parse_json_body(body, expect, now)
}

/// The HTTP status must be 2xx: anything else means the server could not
/// or would not answer (a 401 there is about *our* credentials).
pub fn check_status(status: Option<&str>) -> Result<()> {
    let Some(code) = status.and_then(|s| s.trim().parse::<u16>().ok()) else {
        bail!(
            IntrospectionUnavailable,
            "the introspection answer has no HTTP status"
        );
    };
    match code {
        200..=299 => Ok(()),
        400 | 401 | 403 => bail!(
            IntrospectionUnavailable,
            "the authorization server refused the introspection request (HTTP {code}): check the client credentials"
        ),
        _ => bail!(
            IntrospectionUnavailable,
            "the authorization server answered HTTP {code}"
        ),
    }
}

/// [`parse_response`] without the status: the JSON body.
pub fn parse_json_body(body: &[u8], expect: &Expectations, now: i64) -> Result<Introspection> {
    if body.len() > MAX_RESPONSE_BYTES {
        bail!(
            IntrospectionTooLarge,
            "the introspection answer is {} bytes, more than the limit of {MAX_RESPONSE_BYTES}",
            body.len()
        );
    }
    let value = crate::json::parse_bytes(
        body,
        ErrorCode::IntrospectionNotJson,
        "the introspection answer",
    )
    .map_err(|e| Error::new(ErrorCode::IntrospectionNotJson, e.message()))?;
    let Value::Object(members) = value else {
        bail!(
            IntrospectionNotJson,
            "the introspection answer is not a JSON object"
        );
    };
    read_members(members, expect, now)
}

/// The members of an answer (a JSON body, or an RFC 9701 JWT's
/// `token_introspection`), strictly.
fn read_members(
    mut members: Map<String, Value>,
    expect: &Expectations,
    now: i64,
) -> Result<Introspection> {
    match members.remove("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Ok(Introspection::Inactive),
        Some(other) => bail!(
            IntrospectionInvalid,
            "\"active\" must be the JSON boolean true or false, not {}",
            crate::json::kind(&other)
        ),
        None => bail!(
            IntrospectionInvalid,
            "the introspection answer has no \"active\" member"
        ),
    }
    for name in ["exp", "iat", "nbf"] {
        if let Some(value) = members.get(name) {
            if !value.is_number() {
                bail!(
                    IntrospectionInvalid,
                    "\"{name}\" must be a number, not {}",
                    crate::json::kind(value)
                );
            }
        }
    }
    for name in [
        "scope",
        "iss",
        "sub",
        "client_id",
        "username",
        "token_type",
        "jti",
    ] {
        if let Some(value) = members.get(name) {
            if !value.is_string() {
                bail!(
                    IntrospectionInvalid,
                    "\"{name}\" must be a string, not {}",
                    crate::json::kind(value)
                );
            }
        }
    }
    match members.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(other) => bail!(
            IntrospectionInvalid,
            "\"aud\" must be a string or an array of strings, not {}",
            crate::json::kind(other)
        ),
    }
    if let Some(cnf) = members.get("cnf") {
        if !cnf.is_object() {
            bail!(
                IntrospectionInvalid,
                "\"cnf\" must be an object, not {}",
                crate::json::kind(cnf)
            );
        }
    }
    check_active(&members, expect, now)?;
    Ok(Introspection::Active(members))
}

/// The provider's issuer and audiences, `exp` and `nbf` of an active
/// answer's claims: the same checks a JWT provider makes, with the same
/// codes. [`parse_response`] applies them; a host reusing a cached answer
/// applies them again on every use.
pub fn check_active(claims: &Map<String, Value>, expect: &Expectations, now: i64) -> Result<()> {
    let tolerance = i64::try_from(expect.clock_tolerance).unwrap_or(i64::MAX);
    if let Some(exp) = policy::numeric_date(claims, "exp")? {
        if (now.saturating_sub(tolerance) as f64) >= exp {
            return Err(Error::claim_with_code(
                ErrorCode::JwtExpired,
                "exp",
                ClaimReason::CheckFailed,
                "the introspected token is expired (\"exp\")",
            ));
        }
    }
    if let Some(nbf) = policy::numeric_date(claims, "nbf")? {
        if (now.saturating_add(tolerance) as f64) < nbf {
            return Err(Error::claim(
                "nbf",
                ClaimReason::CheckFailed,
                "the introspected token is not valid yet (\"nbf\")",
            ));
        }
    }
    if !expect.issuer.is_empty() {
        let iss = claims.get("iss").and_then(Value::as_str);
        match iss {
            None => {
                return Err(Error::claim(
                    "iss",
                    ClaimReason::Missing,
                    "the introspection answer has no \"iss\" and an issuer is required",
                ))
            }
            Some(iss) if !expect.issuer.iter().any(|accepted| accepted == iss) => {
                return Err(Error::claim(
                    "iss",
                    ClaimReason::CheckFailed,
                    "unexpected \"iss\" claim value",
                ))
            }
            Some(_) => {}
        }
    }
    if !expect.audiences.is_empty() {
        if !claims.contains_key("aud") {
            return Err(Error::claim(
                "aud",
                ClaimReason::Missing,
                "the introspection answer has no \"aud\" and an audience is required",
            ));
        }
        let audiences = policy::audiences(claims)?;
        if !audiences
            .iter()
            .any(|aud| expect.audiences.iter().any(|accepted| accepted == aud))
        {
            return Err(Error::claim(
                "aud",
                ClaimReason::CheckFailed,
                "unexpected \"aud\" claim value",
            ));
        }
    }
    Ok(())
}

/// How an RFC 9701 answer is checked: signed by the authorization server
/// (`iss`, a key of `keys`) for us (`aud` = our client id).
#[derive(Debug, Clone, Copy)]
pub struct JwtAnswerCheck<'a> {
    /// The authorization server's signing keys.
    pub keys: &'a JwkSet,
    /// Its issuer identifier: the JWT's `iss`.
    pub issuer: &'a str,
    /// Our client id: the JWT's `aud`.
    pub client_id: &'a str,
}

/// Reads an RFC 9701 answer: a JWT with `typ` `token-introspection+jwt`,
/// verified with the core (signature by one of the server's keys, `iss`,
/// `aud`, `iat` present), whose `token_introspection` member is then read
/// like a JSON answer. Every failure of the JWT itself is
/// `ERR_INTROSPECTION_INVALID`, its message saying what failed.
pub fn parse_jwt_response(
    crypto: &dyn CryptoProvider,
    status: Option<&str>,
    body: &[u8],
    check: &JwtAnswerCheck<'_>,
    expect: &Expectations,
    now: i64,
) -> Result<Introspection> {
    check_status(status)?;
    if body.len() > MAX_RESPONSE_BYTES {
        bail!(
            IntrospectionTooLarge,
            "the introspection answer is {} bytes, more than the limit of {MAX_RESPONSE_BYTES}",
            body.len()
        );
    }
    let Ok(text) = core::str::from_utf8(body) else {
        bail!(
            IntrospectionInvalid,
            "the JWT introspection answer is not text"
        );
    };
    let invalid = |e: Error| {
        Error::new(
            ErrorCode::IntrospectionInvalid,
            alloc::format!(
                "the JWT introspection answer: {}: {}",
                e.code(),
                e.message()
            ),
        )
    };
    let algorithms = VerifyPolicy::algorithms_for(check.keys);
    let mut policy = VerifyPolicy::new(&algorithms).map_err(invalid)?;
    policy.typ = Some(JWT_RESPONSE_TYP.to_string());
    policy.issuer = alloc::vec![check.issuer.to_string()];
    policy.audience = alloc::vec![check.client_id.to_string()];
    policy.required_claims = alloc::vec!["iat".to_string()];
    policy.clock_tolerance = expect.clock_tolerance;
    policy.max_token_bytes = MAX_RESPONSE_BYTES;
    let verified = policy::verify_with(crypto, text.trim(), Keys::Set(check.keys), &policy, now)
        .map_err(invalid)?;
    // RFC 8725 section 3.11: the typ must be exactly ours, not merely
    // compatible (the policy compares it without the application/ prefix).
    let typ = verified.header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|typ| {
        typ.eq_ignore_ascii_case(JWT_RESPONSE_TYP)
            || typ.eq_ignore_ascii_case(JWT_RESPONSE_MEDIA_TYPE)
    }) {
        bail!(
            IntrospectionInvalid,
            "the JWT introspection answer's typ is not {JWT_RESPONSE_TYP}"
        );
    }
    let mut payload = verified.payload;
    match payload.remove("token_introspection") {
        Some(Value::Object(members)) => read_members(members, expect, now),
        Some(other) => bail!(
            IntrospectionInvalid,
            "\"token_introspection\" must be an object, not {}",
            crate::json::kind(&other)
        ),
        None => bail!(
            IntrospectionInvalid,
            "the JWT introspection answer has no \"token_introspection\""
        ),
    }
}

// ------------------------------------------------------------- cache ----

/// How long answers may be reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// The longest an active answer is reused (seconds); 0: never.
    pub max_seconds: u64,
    /// Active answers without `exp` are cached for `max_seconds` too;
    /// otherwise they are never reused (nothing bounds their life).
    pub cache_without_exp: bool,
    /// How long an inactive answer is reused; 0: never.
    pub negative_seconds: u64,
}

/// Seconds an answer may be reused from `now`; 0: not at all.
/// Active: min(`exp` - now, `max_seconds`), or `max_seconds` without `exp`
/// only if the policy says so. Inactive: `negative_seconds`.
pub fn cache_seconds(answer: &Introspection, policy: &CachePolicy, now: i64) -> u64 {
    match answer {
        Introspection::Inactive => policy.negative_seconds,
        Introspection::Active(claims) => match claims.get("exp").and_then(Value::as_f64) {
            Some(exp) => {
                let left = exp - now as f64;
                if left < 1.0 {
                    return 0;
                }
                // Whole seconds, rounded down: never past `exp`.
                let left = if left >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    left as u64
                };
                left.min(policy.max_seconds)
            }
            None if policy.cache_without_exp => policy.max_seconds,
            None => 0,
        },
    }
}

// The tests make keys: they need key arithmetic.
#[cfg(all(test, feature = "arithmetic"))]
mod tests;
