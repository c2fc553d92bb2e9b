//! Options objects (as JSON text from the wrapper) into core structures.
//! Names follow jose: `algorithms`, `issuer`, `audience`, `maxTokenAge`...

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use super::errors::check_size;
use super::keys::KeyRing;
use crate::alg::Algorithm;
use crate::assertion::{AssertionPolicy, AssertionRequest, Profile};
use crate::error::{bail, ErrorCode, Result};
use crate::jws::SignOptions;
use crate::policy::VerifyPolicy;

/// A JSON object from the wrapper (`what` names it in errors). Empty text
/// stands for "no options".
pub fn object(text: &str, what: &str) -> Result<Map<String, Value>> {
    if text.is_empty() {
        return Ok(Map::new());
    }
    check_size(text, what)?;
    match crate::json::parse(text, ErrorCode::InvalidArgument, what)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => bail!(InvalidArgument, "{what} must be an object"),
    }
}

/// `undefined` and `null` both mean "not given" (JSON drops the first).
fn get<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|value| !value.is_null())
}

pub fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match get(map, name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => bail!(InvalidArgument, "option {name:?} must be a string"),
    }
}

fn boolean(map: &Map<String, Value>, name: &str) -> Result<Option<bool>> {
    match get(map, name) {
        None => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(_) => bail!(InvalidArgument, "option {name:?} must be a boolean"),
    }
}

/// A string or an array of strings.
pub fn strings(map: &Map<String, Value>, name: &str) -> Result<Vec<String>> {
    match get(map, name) {
        None => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(alloc::vec![text.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => bail!(
                    InvalidArgument,
                    "option {name:?} must be a string or an array of strings"
                ),
            })
            .collect(),
        Some(_) => bail!(
            InvalidArgument,
            "option {name:?} must be a string or an array of strings"
        ),
    }
}

/// A duration: seconds as a number, or text such as `"30m"`, `"1h"`,
/// `"2 days"` (units as jose accepts them).
pub fn duration(map: &Map<String, Value>, name: &str) -> Result<Option<u64>> {
    match get(map, name) {
        None => Ok(None),
        Some(Value::Number(number)) => match number.as_f64() {
            Some(seconds) if (0.0..=MAX_SECONDS).contains(&seconds) => {
                // Whole seconds: the policy's resolution.
                Ok(Some(seconds as u64))
            }
            _ => bail!(InvalidArgument, "option {name:?} must be a non-negative number of seconds"),
        },
        Some(Value::String(text)) => parse_duration(text)
            .map(Some)
            .ok_or_else(|| {
                crate::error::Error::new(
                    ErrorCode::InvalidArgument,
                    alloc::format!(
                        "option {name:?}: {text:?} is not a duration (seconds, or e.g. \"30s\", \"30m\", \"1h\", \"2d\")"
                    ),
                )
            }),
        Some(_) => bail!(InvalidArgument, "option {name:?} must be seconds or a duration string"),
    }
}

/// About 3000 years: beyond it a duration is a mistake.
const MAX_SECONDS: f64 = 1e11;

fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 24 {
        return None;
    }
    let value: f64 = crate::json::parse_f64(number)?;
    let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        "y" | "yr" | "yrs" | "year" | "years" => 31_557_600.0,
        _ => return None,
    };
    let seconds = (value * unit_seconds).round();
    (seconds.is_finite() && (0.0..=MAX_SECONDS).contains(&seconds)).then_some(seconds as u64)
}

fn algorithm(name: &str) -> Result<Algorithm> {
    Algorithm::from_name(name)
}

fn algorithms(map: &Map<String, Value>, ring: &KeyRing) -> Result<Vec<Algorithm>> {
    match get(map, "algorithms") {
        None => {
            let algorithms = VerifyPolicy::algorithms_for(ring.set());
            if algorithms.is_empty() {
                let detail = ring
                    .set()
                    .skipped
                    .first()
                    .map(|skipped| alloc::format!(": {}", skipped.error.message()))
                    .unwrap_or_default();
                bail!(JwksNoMatchingKey, "the JWK Set holds no usable key{detail}");
            }
            Ok(algorithms)
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(name) => algorithm(name),
                _ => bail!(
                    InvalidArgument,
                    "option \"algorithms\" must be an array of strings"
                ),
            })
            .collect(),
        Some(_) => bail!(
            InvalidArgument,
            "option \"algorithms\" must be an array of strings"
        ),
    }
}

/// The verification policy for `verifyJwt` (and the base of
/// `verifyAssertion`'s).
pub fn verify_policy(map: &Map<String, Value>, ring: &KeyRing) -> Result<VerifyPolicy> {
    let mut policy = VerifyPolicy::new(&algorithms(map, ring)?)?;
    policy.issuer = strings(map, "issuer")?;
    policy.audience = strings(map, "audience")?;
    policy.subject = string(map, "subject")?;
    policy.typ = string(map, "typ")?;
    policy.max_token_age = duration(map, "maxTokenAge")?;
    policy.clock_tolerance = duration(map, "clockTolerance")?.unwrap_or(0);
    policy.required_claims = strings(map, "requiredClaims")?;
    policy.scopes = match get(map, "scopes") {
        // A space-delimited string, as the `scope` claim is written.
        Some(Value::String(list)) => list
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        _ => strings(map, "scopes")?,
    };
    policy.crit = match get(map, "crit") {
        // jose's form: { name: true }.
        Some(Value::Object(entries)) => entries
            .iter()
            .filter(|(_, understood)| understood.as_bool() == Some(true))
            .map(|(name, _)| name.clone())
            .collect(),
        _ => strings(map, "crit")?,
    };
    Ok(policy)
}

/// The policy for `verifyAssertion`.
pub fn assertion_policy(map: &Map<String, Value>, ring: &KeyRing) -> Result<AssertionPolicy> {
    let mut policy = AssertionPolicy::new(verify_policy(map, ring)?);
    if let Some(max) = duration(map, "maxLifetime")? {
        policy.max_lifetime = max;
    }
    if let Some(require) = boolean(map, "requireJti")? {
        policy.require_jti = require;
    }
    Ok(policy)
}

/// `signJwt`'s options. Without `alg`, a JWK's own `alg` decides, then the
/// key family's usual algorithm.
pub fn sign_options(map: &Map<String, Value>, ring: &KeyRing) -> Result<SignOptions> {
    let jwk = ring.signing_jwk().ok();
    let own_alg = jwk
        .and_then(|jwk| jwk.alg.as_deref())
        .and_then(|alg| Algorithm::from_name(alg).ok());
    Ok(SignOptions {
        alg: match string(map, "alg")? {
            Some(name) => Some(algorithm(&name)?),
            None => own_alg,
        },
        // A JWK's own `kid` names it in the header unless the caller says otherwise.
        kid: string(map, "kid")?.or_else(|| jwk.and_then(|jwk| jwk.kid.clone())),
        typ: string(map, "typ")?,
        header: match get(map, "header") {
            None => Map::new(),
            Some(Value::Object(header)) => header.clone(),
            Some(_) => bail!(InvalidArgument, "option \"header\" must be an object"),
        },
    })
}

/// `buildAssertion`'s first argument.
pub fn assertion_request(map: &Map<String, Value>) -> Result<AssertionRequest> {
    let Some(profile) = string(map, "profile")? else {
        bail!(
            InvalidArgument,
            "\"profile\" is required: jwt-bearer, client-assertion, mulesoft, wso2, asgardeo or okta"
        );
    };
    let mut request = AssertionRequest::new(Profile::from_name(&profile)?);
    request.issuer = string(map, "issuer")?;
    request.subject = string(map, "subject")?;
    request.audience = strings(map, "audience")?;
    request.token_endpoint = string(map, "tokenEndpoint")?;
    if let Some(lifetime) = duration(map, "lifetime")? {
        request.lifetime = lifetime;
    }
    request.not_before = boolean(map, "notBefore")?.unwrap_or(false);
    request.jti = string(map, "jti")?;
    request.typ = string(map, "typ")?;
    request.scope = match get(map, "scope") {
        Some(Value::Array(_)) => Some(strings(map, "scope")?.join(" ")),
        _ => string(map, "scope")?,
    };
    request.claims = match get(map, "claims") {
        None => Map::new(),
        Some(Value::Object(claims)) => claims.clone(),
        Some(_) => bail!(InvalidArgument, "\"claims\" must be an object"),
    };
    Ok(request)
}

/// The payload to sign: a JSON object.
pub fn payload(text: &str) -> Result<Map<String, Value>> {
    check_size(text, "the payload")?;
    match crate::json::parse(text, ErrorCode::InvalidArgument, "the payload")? {
        Value::Object(map) => Ok(map),
        other => bail!(
            InvalidArgument,
            "the payload must be an object of claims, not {}",
            crate::json::kind(&other)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30"), Some(30));
        assert_eq!(parse_duration("30s"), Some(30));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("2 days"), Some(172_800));
        assert_eq!(parse_duration("1.5h"), Some(5400));
        assert_eq!(parse_duration("-1h"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("1 fortnight"), None);
        assert_eq!(parse_duration(""), None);
    }
}
